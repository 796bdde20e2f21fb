"""The probe's runners: every trial a first start that reaches nothing
outside itself (issue 16), and oracles that believe only the trial's own
processes (issue 17). Each test here fails on 0.2.0 (62f038b), but the
last one, which shows the evidence line.

Not PID 1 but root (CAP_SYS_ADMIN), capinit uses the sandbox runner: each
trial in new PID and mount namespaces, every writable filesystem an overlay.
As PID 1 without CAP_SYS_ADMIN it runs trials in place, and only when it is
alone in its container. Neither walks /proc to decide what to kill.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import make_env, run_pid1

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="--probe tests need root"),
              pytest.mark.timeout(180)]

BUSYBOX = shutil.which("busybox") or "/bin/busybox"


def ns_run(script, env=None, timeout=120, net=False):
    """`sh -c SCRIPT` as PID 1 of a new PID namespace (capinit inside it is
    then NOT PID 1); net: in a private network namespace too."""
    cmd = ["unshare", "-fp", "--mount-proc", "--kill-child"]
    if net:
        cmd = ["unshare", "-n"] + cmd
    return subprocess.run(cmd + ["/bin/sh", "-c", script], env=make_env(env),
                          capture_output=True, text=True, timeout=timeout)


def host_procs(pattern):
    """Host pids whose command line matches pattern."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if re.search(pattern, cmd):
            found.append(int(d.name))
    return found


@pytest.fixture
def scratch():
    d = Path(tempfile.mkdtemp(prefix="capinit-runners-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def trials(stderr):
    return [l for l in stderr.splitlines() if l.startswith("capinit: probe trial ")]


# ---- every trial a first start -------------------------------------------------------

def test_files_a_trial_writes_are_gone_for_the_next(capinit, scratch):
    """A first start needs CHOWN to make and chown its directory; a second
    start finds it made. Trial 1 (every capability) makes it: on 0.2.0 every
    later trial then found it and CHOWN was never needed (nginx's bug)."""
    target = scratch / "state"
    app = (f"test -d {target} && exit 0; mkdir {target} && chown 33:33 {target}")
    r = ns_run(f"{capinit} --probe --probe-json --probe-timeout=5 -- /bin/sh -c '{app}'")
    assert r.returncode == 0, r.stderr
    assert '"CHOWN"' in r.stdout.split('"trials"')[0], r.stdout
    # Nothing a trial wrote reached the real filesystem.
    assert not target.exists()


def test_a_trial_sees_no_other_trial_and_leaves_no_process(capinit):
    """Every trial leaves a daemon behind in a session of its own. The app is
    PID 2 of its trial, as under capinit in production, and sees no process
    of an earlier trial (no sleep in its /proc); none outlives the probe."""
    app = ("[ $$ = 2 ] || exit 1; for d in /proc/[0-9]*; do read c < $d/comm; "
           "[ \"$c\" = sleep ] && exit 1; done; "
           "setsid sleep $((2000+345)) </dev/null >/dev/null 2>&1 & exec sleep 0.2")
    r = ns_run(f"{capinit} --probe --probe-timeout=0.5 --probe-check=true -- /bin/sh -c '{app}'; "
               "echo probe-exit=$?; sleep 0.3; pgrep -f '[s]leep 2345' || echo none-left")
    assert "probe-exit=0" in r.stdout, r.stdout + r.stderr
    assert len(trials(r.stderr)) >= 3
    assert "none-left" in r.stdout, r.stdout + r.stderr
    assert not host_procs(r"^sleep 2345")


def test_no_trial_process_survives_without_proc(capinit):
    """Without /proc where capinit runs, ending a trial still ends all of
    it: the trial's PID namespace goes with its init."""
    app = "setsid sleep 3456 </dev/null >/dev/null 2>&1 & exit 0"
    r = ns_run("mount --make-rprivate / && umount -l /proc && "
               f"{capinit} --probe --probe-timeout=2 -- /bin/sh -c '{app}'; echo probe-exit=$?")
    assert "probe-exit=1" in r.stdout, r.stdout + r.stderr  # it daemonizes: never works
    assert "daemonizes" in r.stderr
    time.sleep(0.2)
    assert not host_procs(r"^sleep 3456")


def test_a_tree_of_300_processes_leaves_the_probes_siblings_alive(capinit):
    """0.2.0 read /proc/PID/task/TID/children once, 1 kB at most, and killed
    the pid cut in two with full root privilege, then its descendants. Here
    eleven siblings of capinit take pids 2-12, capinit 13, the app 14, and
    its 300 children 15-314, each in a session of its own as a prefork
    server's workers are (so the trial's process group does not hold them):
    1 kB of that list ends one digit into "292", and 0.2.0 killed pid 2, a
    sibling."""
    app = "i=0; while [ $i -lt 300 ]; do setsid sleep 30 & i=$((i+1)); done; sleep 0.5; exit 0"
    r = ns_run("i=0; while [ $i -lt 11 ]; do sleep 1000 & i=$((i+1)); done; "
               f"{capinit} --probe --probe-timeout=10 --probe-repeat=1 "
               f"-- /bin/sh -c '{app}'; echo probe-exit=$?; "
               "echo siblings=$(pgrep -c -f '^[s]leep 1000$'); "
               "echo left=$(pgrep -c -f '^[s]leep 30$')", timeout=170)
    assert "siblings=11" in r.stdout, r.stdout + r.stderr
    assert "left=0" in r.stdout, r.stdout + r.stderr


def test_a_trial_that_kills_what_it_can_does_not_end_the_probe(capinit):
    """A trial running as capinit's uid kills its parent and then every
    process it may signal: the probe goes on and nothing of it outlives."""
    app = "kill -KILL $PPID; kill -KILL -1; setsid sleep 4567 </dev/null >/dev/null 2>&1 & exit 0"
    r = ns_run("sleep 1000 & sib=$!; "
               f"{capinit} --probe --probe-timeout=2 --probe-repeat=1 -- /bin/sh -c '{app}'; "
               "echo probe-exit=$?; kill -0 $sib && echo sibling-alive")
    assert "sibling-alive" in r.stdout, r.stdout + r.stderr
    # The probe ran to its end (exit 1: the trial always daemonizes), not 137.
    assert "probe-exit=1" in r.stdout, r.stdout + r.stderr
    assert len(trials(r.stderr)) >= 1
    assert not host_procs(r"^sleep 4567")


def test_a_trial_that_rewrites_the_check_gains_nothing(capinit, scratch):
    """The check runs with no capability, no_new_privs and uid nobody: a
    root trial with no capability rewrote it on 0.2.0 and its code then ran
    with every capability. Here the rewrite happens in the trial's own view
    (the sandbox), and what it plants reports the check's credentials."""
    check = scratch / "check.sh"
    check.write_text("#!/bin/sh\nexit 1\n")
    check.chmod(0o755)
    planted = "#!/bin/sh\\ngrep -E \\\"^(Uid|CapEff|CapPrm|CapBnd|NoNewPrivs):\\\" /proc/self/status\\nexit 0\\n"
    app = f"printf \"{planted}\" > {check}; exec sleep 5"
    r = ns_run(f"{capinit} -v --probe --probe-timeout=2 --probe-repeat=1 "
               f"--probe-candidates=DAC_OVERRIDE,SETUID --probe-check={check} -- /bin/sh -c '{app}'")
    lines = r.stderr
    eff = re.findall(r"CapEff:\s*([0-9a-f]+)", lines)
    assert eff, r.stderr
    assert set(eff) == {"0000000000000000"}, r.stderr
    assert set(re.findall(r"CapBnd:\s*([0-9a-f]+)", lines)) == {"0000000000000000"}
    assert set(re.findall(r"Uid:\s*(\d+)", lines)) == {"65534"}
    assert set(re.findall(r"NoNewPrivs:\s*(\d)", lines)) == {"1"}
    # The rewrite never reached the real file.
    assert check.read_text() == "#!/bin/sh\nexit 1\n"


def test_a_probe_started_by_the_environment_says_so_at_once(capinit):
    r = run_pid1([capinit, "--", "true"], env={"CAPINIT_PROBE": "1", "CAPINIT_PROBE_REPEAT": "1"})
    first = r.stderr.splitlines()[0]
    assert "CAPINIT_PROBE" in first and "not a normal run" in first, r.stderr
    r = run_pid1([capinit, "--probe", "--probe-repeat=1", "--", "true"])
    assert "not a normal run" not in r.stderr


# ---- in place, as PID 1 without CAP_SYS_ADMIN ---------------------------------------

def test_in_place_refuses_when_processes_predate_the_probe(capinit):
    """As PID 1, ending a trial ends every process but PID 1: a helper the
    entrypoint started would be killed (0.2.0 did, then blamed the app)."""
    r = subprocess.run(
        ["unshare", "-fp", "--mount-proc", "--kill-child", "capsh", "--drop=cap_sys_admin", "--",
         "-c", f"sleep 1000 & exec {capinit} --probe -- true"],
        env=make_env(), capture_output=True, text=True, timeout=30)
    assert r.returncode == 125, r.stderr
    assert "before the probe" in r.stderr


def test_in_place_runs_as_pid1_alone(capinit):
    r = subprocess.run(
        ["unshare", "-fp", "--mount-proc", "--kill-child", "capsh", "--drop=cap_sys_admin", "--",
         "-c", f"exec {capinit} --probe --probe-json --probe-repeat=1 -- /bin/sh -c "
               "'setsid sleep 100 </dev/null >/dev/null 2>&1 & exec sleep 0.1'"],
        env=make_env(), capture_output=True, text=True, timeout=60)
    # It daemonizes: every trial fails, and says why.
    assert r.returncode == 1, r.stderr
    assert "daemonizes" in r.stderr


def test_neither_pid1_nor_sandbox_is_refused(capinit):
    r = subprocess.run(["capsh", "--drop=cap_sys_admin", "--", "-c",
                        f"{capinit} --probe -- true"],
                       env=make_env(), capture_output=True, text=True, timeout=30)
    assert r.returncode == 125, r.stderr
    assert "PID 1" in r.stderr and "docker run" in r.stderr


# ---- oracles that believe only the trial ------------------------------------------------

def test_an_unrelated_listener_does_not_make_a_trial_work(capinit):
    """A listener of someone else's on the port (here on 127.0.0.2, from a
    process outside the probe, appearing after trial 1 started) is not the
    app's: 0.2.0 accepted any LISTEN socket and reported `needed: none`."""
    script = (
        "ip link set lo up; "
        f"( sleep 0.3; exec {BUSYBOX} nc -l -s 127.0.0.2 -p 8080 ) & "
        f"{capinit} --probe --probe-port=8080 --probe-timeout=1.5 -- sleep 3; echo probe-exit=$?")
    r = ns_run(script, net=True)
    assert "probe-exit=1" in r.stdout, r.stdout + r.stderr
    assert "did not listen on 8080/tcp" in r.stderr


def test_a_port_taken_before_the_probe_is_a_usage_error(capinit):
    script = (f"ip link set lo up; {BUSYBOX} nc -l -p 8081 & sleep 0.3; "
              f"{capinit} --probe --probe-port=8081 -- sleep 1; echo probe-exit=$?")
    r = ns_run(script, net=True)
    assert "probe-exit=2" in r.stdout, r.stdout + r.stderr
    assert "8081/tcp is already taken" in r.stderr


def test_a_udp_server_is_found_by_its_bound_socket(capinit):
    """PORT/udp: a socket of the trial's bound to the port."""
    server = ("import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
              "s.bind(('127.0.0.1', 5353)); time.sleep(30)")
    script = (f"ip link set lo up; {capinit} --probe --probe-json --probe-port=5353/udp "
              f"--probe-repeat=1 --probe-timeout=3 -- /usr/bin/python3 -c \"{server}\"; "
              "echo probe-exit=$?")
    r = ns_run(script, net=True)
    assert "probe-exit=0" in r.stdout, r.stdout + r.stderr
    assert "listened on 5353/udp" in r.stderr


def test_a_port_counts_only_if_the_app_survives_its_privilege_drop(capinit, tmp_path):
    """A server binds as root and drops its privileges after; without the
    capability the drop fails and the server exits milliseconds later
    (dnsmasq without SETGID exits 5 after binding 53/udp). A port seen in
    that window is not a working trial: the set must hold SETGID. Believed
    at once, the trials without SETGID "worked" and the probe printed
    nothing needed, or was redone."""
    server = tmp_path / "server.py"
    server.write_text(
        "import os, socket, sys, time\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.bind(('127.0.0.1', 5353))\n"
        "time.sleep(0.05)\n"
        "try:\n"
        "    os.setgroups([])\n"
        "except PermissionError:\n"
        "    sys.exit(5)\n"
        "time.sleep(30)\n")
    server.chmod(0o644)
    tmp_path.chmod(0o755)
    script = (f"ip link set lo up; {capinit} --probe --probe-json --probe-port=5353/udp "
              f"--probe-timeout=3 -- /usr/bin/python3 {server}; echo probe-exit=$?")
    r = ns_run(script, net=True)
    assert "probe-exit=0" in r.stdout, r.stdout + r.stderr
    data = json.loads(r.stdout[:r.stdout.rindex("probe-exit=")])
    assert data["needed"] == ["SETGID"], r.stdout + r.stderr
    assert data["redone"] is False, r.stderr


def test_a_daemonizing_app_is_reported_as_such(capinit):
    r = ns_run(f"{capinit} --probe --probe-timeout=2 -- /bin/sh -c 'sleep 100 & exit 0'; "
               "echo probe-exit=$?")
    assert "probe-exit=1" in r.stdout, r.stdout + r.stderr
    assert "daemonizes (run it in the foreground)" in r.stderr


def test_a_failing_server_trial_ends_when_the_app_exits(capinit):
    """Not at the timeout: the verdict is certain when the app is gone."""
    t0 = time.monotonic()
    r = ns_run(f"{capinit} --probe --probe-port=8082 --probe-timeout=60 -- /bin/sh -c 'exit 3'; "
               "echo probe-exit=$?", net=True)
    assert time.monotonic() - t0 < 20
    assert "probe-exit=1" in r.stdout, r.stdout + r.stderr
    assert "exited with 3 before listening on 8082/tcp" in r.stderr


def test_the_last_line_of_output_is_the_evidence(capinit, scratch):
    target = scratch / "owned"
    app = f"touch {target} && chown 1234 {target}"
    r = ns_run(f"{capinit} --probe --probe-timeout=3 -- /bin/sh -c '{app}'")
    assert r.returncode == 0
    assert re.search(r"chown: .*Operation not permitted", r.stdout + r.stderr), r.stdout + r.stderr
