"""The probe's engine runner (init/probe_engine.c) under a minimal loop of its
own (build/engine/engine-driver, tests/engine/driver/engine_driver.c), against
Docker Engine and Podman: each trial's container gets exactly its set and the
kernel's sysctls, the port oracle looks at the container's own address (never
a published port), the check runs on the host without capabilities and with
the container's name, what is refused is refused naming the flag, and no
capinit-probe container outlives a trial, a SIGINT, a SIGTERM or a SIGKILL
of capinit."""

import os
import re
import signal
import subprocess
import time

import pytest

import engine as E

pytestmark = pytest.mark.timeout(240)

DRIVER = E.STATE / "engine-driver"


@pytest.fixture(scope="session", autouse=True)
def driver():
    if not DRIVER.exists():
        pytest.fail("%s is missing: make build/engine/engine-driver" % DRIVER)
    return DRIVER


def drive(eng, trials, flags, run_args, timeout=120):
    argv = [str(DRIVER)] + ["--trial=" + t for t in trials] + list(flags) + \
        ["--", eng.bin, "run"] + list(run_args)
    r = E.sh(argv, timeout=timeout)
    r.trials = [parse_trial(line) for line in r.out.splitlines() if line.startswith("trial ")]
    r.setup = next((line for line in r.out.splitlines() if line.startswith("setup")), "")
    return r


def parse_trial(line):
    # "trial N name=X set=Y works=0|1 why=W exit=N last=REST OF LINE"
    head, _, last = line.partition(" last=")
    t = dict(kv.split("=", 1) for kv in head.split()[2:])
    t["last"] = last
    return t


def leftovers(eng, pid=None):
    r = eng("ps", "-a", "--format", "{{.Names}}", check=True)
    prefix = "capinit-probe-%s-" % pid if pid else "capinit-probe-"
    return [n for n in r.out.split() if n.lstrip("/").startswith(prefix)]


# A shell line that prints, on one line, what the container's process got.
REPORT = ('e=; b=; while read k v; do case $k in CapEff:) e=$v;; CapBnd:) b=$v;; esac; '
          'done < /proc/self/status; echo "eff=$e bnd=$b port=$(cat '
          '/proc/sys/net/ipv4/ip_unprivileged_port_start) ping=$(cat '
          '/proc/sys/net/ipv4/ping_group_range)"')


def fields(last):
    return dict(kv.split("=", 1) for kv in last.replace("\t", " ").split(" ") if "=" in kv)


def test_each_trial_gets_its_set_and_the_kernel_sysctls(engine, images):
    """The user's own --cap-drop becomes the candidates and leaves the
    command line; each trial's container holds exactly its set (none: no
    --cap-add at all), with ip_unprivileged_port_start 1024 and
    ping_group_range "1 0" whatever the engine sets by default."""
    r = drive(engine, ["CHOWN,NET_RAW", "none"], [],
              ["--cap-drop=NET_RAW", "--entrypoint", "/bin/sh", images.get("busybox"),
               "-c", REPORT])
    assert r.rc == 0, r
    default = int(engine.default_set, 16)
    assert "candidates=" in r.setup and "capinit=0" in r.setup, r
    assert "sysctls_forced=1 port_start=1024" in r.setup, r
    assert "engine=%s" % engine.name in r.setup and "runtime=%s" % engine.name in r.setup, r
    cands = re.search(r"candidates=(\S+)", r.setup).group(1).split(",")
    assert "NET_RAW" not in cands and len(cands) == bin(default & ~0x2000).count("1"), r
    one, none = r.trials
    assert one["works"] == "1" and none["works"] == "1", r
    f = fields(one["last"])
    assert int(f["eff"], 16) == 0x2001 and int(f["bnd"], 16) == 0x2001, r  # CHOWN, NET_RAW
    assert f["port"] == "1024" and f["ping"] == "1", r
    assert int(fields(none["last"])["bnd"], 16) == 0, r
    assert leftovers(engine) == []


def test_the_users_own_sysctl_and_host_network_are_left_alone(engine, images):
    r = drive(engine, ["none"], [],
              ["--sysctl", "net.ipv4.ip_unprivileged_port_start=0", "--entrypoint", "/bin/sh",
               images.get("busybox"), "-c", REPORT])
    assert r.rc == 0, r
    assert "sysctls_forced=0 port_start=0" in r.setup, r
    f = fields(r.trials[0]["last"])
    assert f["port"] == "0" and f["ping"] == "1", r
    r = drive(engine, ["none"], [], ["--network=host", "--entrypoint", "/bin/sh",
                                     images.get("busybox"), "-c", REPORT])
    assert r.rc == 0, r
    assert "sysctls_forced=0" in r.setup, r
    host_port = open("/proc/sys/net/ipv4/ip_unprivileged_port_start").read().strip()
    assert fields(r.trials[0]["last"])["port"] == host_port, r


@pytest.mark.parametrize("argv, flag", [
    (["-d"], "-d"), (["-it"], "-it"), (["--name", "web"], "--name"),
    (["--privileged"], "--privileged"), (["--restart=always"], "--restart=always"),
    (["-e", "CAPINIT_PROBE=1"], "-e"),
], ids=["detach", "tty", "name", "privileged", "restart", "probe-variable"])
def test_refused_flags_name_themselves(docker, images, argv, flag):
    r = drive(docker, ["none"], [], argv + [images.get("busybox")])
    assert r.rc == 2, r
    assert r.setup.startswith("setup-failed status=2 err=docker run %s:" % flag), r
    assert leftovers(docker) == []


def test_an_image_that_is_not_here_is_not_pulled(engine):
    r = drive(engine, ["none"], [], ["capinit-engine-no-such-image:never"])
    assert r.rc == 125, r
    assert "cannot inspect the image capinit-engine-no-such-image:never: " in r.setup, r
    assert "started" not in r.out, r


def test_port_oracle_is_the_containers_own_address(engine, images):
    """httpd on 80 listens with NET_BIND_SERVICE and fails without it; a
    container that never listens is not taken for one because its port is
    published (the engine's proxy would accept the connection)."""
    img = images.get("busybox")
    r = drive(engine, ["NET_BIND_SERVICE", "none"], ["--probe-port=80", "--probe-timeout=20"],
              ["--entrypoint", "/bin/busybox", img, "httpd", "-f", "-p", "80"])
    assert r.rc == 0, r
    ok, denied = r.trials
    assert ok["works"] == "1" and ok["why"] == "listening", r
    assert denied["works"] == "0" and denied["exit"] == "1", r
    assert "Permission denied" in denied["last"], r
    r = drive(engine, ["NET_BIND_SERVICE"], ["--probe-port=80", "--probe-timeout=3"],
              ["-p", "127.0.0.1:18080:80", "--entrypoint", "/bin/sleep", img, "60"])
    assert r.rc == 0, r
    assert r.trials[0]["works"] == "0" and r.trials[0]["why"] == "timeout", r
    assert leftovers(engine) == []


def test_udp_port_oracle(engine, images):
    """A UDP server that never answers is seen bound; one that never binds
    is not, however often it is asked (the kernel's rate limit on "port
    unreachable" must not read as silence)."""
    img = images.get("plain")
    r = drive(engine, ["NET_BIND_SERVICE", "none"], ["--probe-port=53/udp", "--probe-timeout=20"],
              [img, "--serve-udp=:53"])
    assert r.rc == 0, r
    ok, denied = r.trials
    assert ok["works"] == "1" and ok["why"] == "listening", r
    assert denied["works"] == "0" and denied["last"] == "udp=EACCES", r
    r = drive(engine, ["NET_BIND_SERVICE"], ["--probe-port=53/udp", "--probe-timeout=5"],
              ["--entrypoint", "/bin/sleep", images.get("busybox"), "60"])
    assert r.rc == 0, r
    assert r.trials[0]["works"] == "0" and r.trials[0]["why"] == "timeout", r


def test_check_runs_on_the_host_without_capabilities(docker, images, tmp_path):
    """The check: capinit's uid, no capability, no_new_privs, cwd /, the
    container's name and address in its environment; `docker exec` works."""
    out = tmp_path / "check.txt"
    os.chmod(tmp_path, 0o777)
    check = ('grep -E "^(Cap(Eff|Prm|Bnd|Amb)|NoNewPrivs):" /proc/self/status > %s; '
             'echo "cwd=$(pwd) name=$CAPINIT_PROBE_CONTAINER addr=$CAPINIT_PROBE_ADDRESS" >> %s; '
             'test -n "$CAPINIT_PROBE_ADDRESS" && '
             '/usr/bin/docker exec "$CAPINIT_PROBE_CONTAINER" /bin/true' % (out, out))
    r = drive(docker, ["none"], ["--probe-check=" + check, "--probe-timeout=20"],
              ["--entrypoint", "/bin/sleep", images.get("busybox"), "60"])
    assert r.rc == 0, r
    assert r.trials[0]["works"] == "1" and r.trials[0]["why"] == "check-passed", r
    text = out.read_text()
    for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert re.search(r"^%s:\s+0+$" % key, text, re.M), text
    assert re.search(r"^NoNewPrivs:\s+1$", text, re.M), text
    assert "cwd=/ name=%s addr=" % r.trials[0]["name"] in text, text
    assert re.search(r"addr=\d+\.\d+\.\d+\.\d+", text), text


def test_capinit_in_the_image_gets_the_set_and_what_it_needs(engine, images):
    """capinit as ENTRYPOINT with CAPINIT_USER: the container is granted the
    set plus SETUID, SETGID, SETPCAP and KILL for capinit, which gives the
    app exactly the set (as ambient capabilities) and nothing else."""
    img = images.get("busybox")
    r = drive(engine, ["NET_BIND_SERVICE", "none"], [],
              ["-e", "CAPINIT_USER=app", "-e", "CAPINIT_CAP_ADD=SYS_ADMIN", img,
               "/bin/sh", "-c", REPORT])
    assert r.rc == 0, r
    assert "capinit=1 switch=1 app_root=0 user=app" in r.setup, r
    # -e CAPINIT_CAP_ADD (without DROP) keeps the container's set and adds.
    assert "spec_given=1" in r.setup, r
    nbs, none = r.trials
    assert nbs["works"] == "1", r
    f = fields(nbs["last"])
    assert int(f["eff"], 16) == 0x400 and int(f["bnd"], 16) == 0x400, r
    assert int(fields(none["last"])["eff"], 16) == 0, r
    assert int(fields(none["last"])["bnd"], 16) == 0, r
    # A root app under capinit: the container is granted the set alone,
    # which capinit needs nothing beyond (its bounding set is the set).
    r = drive(engine, ["NET_BIND_SERVICE"], [], [img, "/bin/sh", "-c", REPORT])
    assert r.rc == 0, r
    assert "capinit=1 switch=0 app_root=1" in r.setup, r
    assert r.trials[0]["works"] == "1", r
    f = fields(r.trials[0]["last"])
    assert int(f["eff"], 16) == 0x400 and int(f["bnd"], 16) == 0x400, r


def start_driver(eng, img, flags=()):
    argv = [str(DRIVER), "--trial=NET_BIND_SERVICE", "--probe-timeout=120", *flags, "--",
            eng.bin, "run", "--entrypoint", "/bin/sleep", img, "300"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_running(eng, name, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = eng("ps", "--format", "{{.Names}}")
        if name in r.out.split():
            return
        time.sleep(0.2)
    raise AssertionError("%s did not start within %d s" % (name, timeout))


def wait_gone(eng, pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = leftovers(eng, pid)
        if not left:
            return
        time.sleep(0.5)
    raise AssertionError("left behind: %s" % left)


def first_started(p):
    line = p.stdout.readline()
    while line and not line.startswith("started "):
        line = p.stdout.readline()
    assert line, p.stderr.read()
    return line.split()[2]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_capinit_leaves_no_container(engine, images, sig):
    p = start_driver(engine, images.get("busybox"))
    try:
        name = first_started(p)
        wait_running(engine, name)
        p.send_signal(sig)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 128 + sig, (out, err)
        assert "why=stopped" in out and "finished" in out, (out, err)
        assert leftovers(engine, p.pid) == []
    finally:
        p.kill()
        p.wait()


def test_a_signal_before_the_container_exists_leaves_none(engine, images):
    """Stopped while the client is still creating the container: the runner
    does not kill the client then (the engine would finish the creation
    after an `rm -f` that found nothing), it removes what appears."""
    p = start_driver(engine, images.get("busybox"))
    try:
        first_started(p)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 130, (out, err)
        assert leftovers(engine, p.pid) == []
    finally:
        p.kill()
        p.wait()


def test_sigkill_of_capinit_leaves_no_container(engine, images):
    """capinit killed outright: its watchdog sees the pipe's EOF and removes
    the running trial's container, then exits."""
    p = start_driver(engine, images.get("busybox"))
    try:
        name = first_started(p)
        wait_running(engine, name)
        watchdogs = children(p.pid)
        p.kill()
        p.wait()
        wait_gone(engine, p.pid, 60)
        deadline = time.monotonic() + 30
        while any(alive(w) for w in watchdogs) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(w) for w in watchdogs), watchdogs
    finally:
        p.kill()
        p.wait()


def children(pid):
    out = []
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, t)) as f:
            out += [int(c) for c in f.read().split()]
    return out


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False
