"""capinit's supervisor half, proven from outside (SPEC: Invocation,
Supervision, Exit status, Diagnostics).

capinit runs as PID 1 of a fresh PID namespace (conftest's `pid1` and
`run_pid1`), except in the subreaper test, where a shell is PID 1 of the
namespace and capinit is its child. Helper programs (tests/integration/helpers)
are compiled once per session with the host compiler:

- sigrec: records every signal it receives, one number a line, after "ready";
  exits on a chosen signal or when OUTFILE.stop appears; can save its inherited
  /proc/self/{stat,status} first.
- orphans: makes N orphaned grandchildren that exit when told to.

Timing assertions are loose on purpose: the machine is shared and noisy.
"""
import os
import re
import signal
import time
from pathlib import Path

import pytest

from conftest import children, file_words, proc_status, run_pid1, signals_recorded, wait_for

SH = "/bin/sh"

# SIGRTMIN is 34 under glibc and 35 under musl: name the numbers, not SIGRTMIN.
RT_A = 37
RT_B = 40


# ---- helpers ------------------------------------------------------------------


def wait_ready(path, timeout=10):
    assert wait_for(lambda: "ready" in file_words(path), timeout=timeout), f"{path}: helper not ready"


def wait_signal(path, sig, timeout=5):
    return wait_for(lambda: sig in signals_recorded(path), timeout=timeout)


def stop(path):
    Path(f"{path}.stop").touch()


def sig_mask(*sigs):
    """A /proc/PID/status signal mask as an int."""
    mask = 0
    for s in sigs:
        mask |= 1 << (int(s) - 1)
    return mask


def clean_signals_then_ignore_hup():
    """preexec_fn: capinit starts with an empty mask, default dispositions,
    and SIGHUP ignored (as under nohup)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for s in signal.valid_signals():
        if s in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(s, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def parse_state(path):
    """sigrec -s output: (stat fields by 1-based number, status dict)."""
    text = Path(path).read_text()
    stat_line, _, rest = text.partition("\n")
    assert stat_line.startswith("Stat:\t")
    stat = stat_line[len("Stat:\t"):]
    # Field 2 (comm) is in parentheses; field 3 starts after the last ')'.
    head, _, tail = stat.rpartition(")")
    fields = {1: int(head.split()[0])}
    for i, value in enumerate(tail.split(), start=3):
        fields[i] = value
    status = {}
    for line in rest.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            status[key] = value.strip()
    return fields, status


def descendants(pid):
    """Host pids of every descendant of pid, zombies included."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tids = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                kids = Path(f"/proc/{p}/task/{tid}/children").read_text().split()
            except OSError:
                continue
            for k in kids:
                found.append(int(k))
                todo.append(int(k))
    return found


def state(pid):
    st = proc_status(pid)
    return st["State"][0] if st else None


def zombies_under(pid):
    return [p for p in descendants(pid) if state(p) == "Z"]


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return None


def spawner_ns_pid(path):
    """The pid (in its namespace) that orphans wrote after "spawned N"."""
    words = file_words(path)
    return int(words[words.index("spawned") + 2])


def host_pid(candidates, ns_pid):
    """Which of the host pids candidates is ns_pid in its own namespace."""
    found = [k for k in candidates
             if (proc_status(k) or {}).get("NSpid", "").split()[-1:] == [str(ns_pid)]]
    assert len(found) == 1, f"ns pid {ns_pid} among {candidates}: {found}"
    return found[0]


def ctxt_switches(pid):
    st = proc_status(pid)
    assert st is not None, "capinit is gone"
    return int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"])


def capinit_lines(stderr):
    return [line for line in stderr.splitlines() if line.strip()]


def assert_one_capinit_line(stderr, *tokens):
    got = capinit_lines(stderr)
    assert len(got) == 1, f"expected exactly one stderr line, got {got!r}"
    assert got[0].startswith("capinit: "), got[0]
    for token in tokens:
        assert token in got[0], f"{token!r} not named in {got[0]!r}"
    return got[0]


# ---- exit status -------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("code", [0, 1, 7, 255])
def test_exit_status_is_the_childs(capinit, code):
    r = run_pid1([capinit, SH, "-c", f"exit {code}"])
    assert r.returncode == code
    assert r.stderr == "", "level 0 prints errors only"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1],
                         ids=lambda s: s.name)
def test_child_killed_by_signal_gives_128_plus_s(capinit, sig):
    r = run_pid1([capinit, SH, "-c", f"kill -{int(sig)} $$; sleep 5"])
    assert r.returncode == 128 + sig


@pytest.mark.timeout(30)
def test_forwarded_term_kills_untrapping_child_143(capinit, pid1):
    p = pid1([capinit, "sleep", "30"])
    p.app_pid()
    p.kill(signal.SIGTERM)
    assert p.wait(timeout=20) == 143


@pytest.mark.timeout(30)
@pytest.mark.parametrize("command", ["no-such-command-capinit-test", "/nonexistent/capinit-test"])
def test_command_not_found_127(capinit, command):
    r = run_pid1([capinit, command, "arg"])
    assert r.returncode == 127
    assert_one_capinit_line(r.stderr, command)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["file-without-x", "directory", "file-without-x-on-PATH"])
def test_not_executable_126(capinit, tmp_path, kind):
    env = None
    if kind == "directory":
        command = str(tmp_path)
    else:
        target = tmp_path / "not-executable-capinit-test"
        target.write_text("#!/bin/sh\nexit 0\n")
        target.chmod(0o644)
        command = str(target)
        if kind == "file-without-x-on-PATH":
            command = target.name
            env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    r = run_pid1([capinit, command], env=env)
    assert r.returncode == 126
    assert_one_capinit_line(r.stderr, command)


USAGE_ERRORS = [
    # (id, arguments before COMMAND, environment, COMMAND given?, tokens named)
    ("unknown-long-flag", ["--bogus-flag"], None, True, ["--bogus-flag"]),
    ("unknown-short-flag", ["-Z"], None, True, ["-Z"]),
    ("missing-command", [], None, False, ["COMMAND"]),
    ("missing-command-after-flag", ["-v"], None, False, ["COMMAND"]),
    ("missing-command-after-dashdash", ["--"], None, False, ["COMMAND"]),
    ("unknown-variable", [], {"CAPINIT_BOGUS": "1"}, True, ["CAPINIT_BOGUS"]),
    ("grace-not-a-number", [], {"CAPINIT_GRACE": "abc"}, True, ["CAPINIT_GRACE", "abc"]),
    ("grace-negative", [], {"CAPINIT_GRACE": "-1"}, True, ["CAPINIT_GRACE", "-1"]),
    ("verbose-out-of-range", [], {"CAPINIT_VERBOSE": "9"}, True, ["CAPINIT_VERBOSE", "9"]),
    ("kill-group-not-a-boolean", [], {"CAPINIT_KILL_GROUP": "maybe"}, True,
     ["CAPINIT_KILL_GROUP", "maybe"]),
    ("grace-flag-bad", ["--grace=abc"], None, True, ["--grace", "abc"]),
    ("grace-flag-bad-separate", ["--grace", "1x"], None, True, ["--grace", "1x"]),
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("args,env,has_command,tokens",
                         [c[1:] for c in USAGE_ERRORS], ids=[c[0] for c in USAGE_ERRORS])
def test_usage_errors_exit_2_with_one_line(capinit, tmp_path, args, env, has_command, tokens):
    marker = tmp_path / "started"
    command = ["touch", str(marker)] if has_command else []
    r = run_pid1([capinit, *args, *command], env=env)
    assert r.returncode == 2
    assert_one_capinit_line(r.stderr, *tokens)
    assert r.stdout == ""
    assert not marker.exists(), "nothing may be started on a usage error"


@pytest.mark.timeout(30)
def test_option_parsing_stops_at_first_non_option(capinit):
    # Everything after `sh` belongs to the command, flag-looking words too.
    r = run_pid1([capinit, SH, "-c", 'printf "%s\\n" "$@"; exit 3', "sh", "--bogus", "-v",
                  "--grace=abc", "--"])
    assert r.returncode == 3, r.stderr
    assert r.stdout.splitlines() == ["--bogus", "-v", "--grace=abc", "--"]
    assert r.stderr == ""


@pytest.mark.timeout(30)
def test_double_dash_ends_options(capinit):
    r = run_pid1([capinit, "--grace=0", "--", SH, "-c", 'echo "$1"; exit 4', "sh", "-g"])
    assert r.returncode == 4, r.stderr
    assert r.stdout == "-g\n"


@pytest.mark.timeout(30)
def test_command_found_through_path_in_order(capinit, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for d, code in ((first, 11), (second, 12)):
        d.mkdir()
        prog = d / "capinit-path-test"
        prog.write_text(f"#!/bin/sh\nexit {code}\n")
        prog.chmod(0o755)
    r = run_pid1([capinit, "capinit-path-test"], env={"PATH": f"{first}:{second}:/usr/bin:/bin"})
    assert r.returncode == 11, r.stderr
    r = run_pid1([capinit, "capinit-path-test"], env={"PATH": f"{second}:/usr/bin:/bin"})
    assert r.returncode == 12, r.stderr


# ---- signal forwarding --------------------------------------------------------

FORWARDED = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT,
             signal.SIGWINCH, signal.SIGCONT, signal.SIGTERM, RT_A, RT_B]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("sig", FORWARDED,
                         ids=lambda s: s.name if isinstance(s, signal.Signals) else f"RT{s}")
def test_signal_reaches_child(capinit, pid1, helper, tmp_path, sig):
    out = tmp_path / "signals"
    p = pid1([capinit, helper["sigrec"], "-c", "5", out])
    wait_ready(out)
    p.kill(sig)
    assert wait_signal(out, int(sig)), f"signal {int(sig)} did not reach the child"
    assert proc_status(p.init_pid) is not None, "capinit died of a forwarded signal"
    stop(out)
    assert p.wait(timeout=20) == 5


@pytest.mark.timeout(30)
def test_every_signal_reaches_child_in_one_run(capinit, pid1, helper, tmp_path):
    out = tmp_path / "signals"
    p = pid1([capinit, helper["sigrec"], "-c", "6", out])
    wait_ready(out)
    for sig in FORWARDED:
        p.kill(sig)
        assert wait_signal(out, int(sig)), f"signal {int(sig)} did not reach the child"
    stop(out)
    assert p.wait(timeout=20) == 6
    assert sorted(set(signals_recorded(out))) == sorted(int(s) for s in FORWARDED)


# Beyond the list above: the rest of the catchable signals, and the ends of
# the real-time range as musl numbers it (SIGRTMIN 35, SIGRTMAX 64).
OTHER_CATCHABLE = [signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE,
                   signal.SIGALRM, signal.SIGURG, signal.SIGXCPU, signal.SIGXFSZ,
                   signal.SIGVTALRM, signal.SIGPROF, signal.SIGPWR, signal.SIGSTKFLT, 35, 64]


@pytest.mark.timeout(30)
def test_other_catchable_signals_reach_child(capinit, pid1, helper, tmp_path):
    out = tmp_path / "signals"
    p = pid1([capinit, helper["sigrec"], "-c", "6", out])
    wait_ready(out)
    missed = []
    for sig in OTHER_CATCHABLE:
        p.kill(sig)
        if not wait_signal(out, int(sig), timeout=10):
            missed.append(int(sig))
    assert not missed, f"signals not forwarded: {missed}"
    stop(out)
    assert p.wait(timeout=20) == 6


@pytest.mark.timeout(30)
def test_sigchld_is_not_forwarded(capinit, pid1, helper, tmp_path):
    out = tmp_path / "signals"
    p = pid1([capinit, helper["sigrec"], out])
    wait_ready(out)
    p.kill(signal.SIGCHLD)
    # A marker that does get through, sent after SIGCHLD and numbered above
    # it: had SIGCHLD been forwarded, it would be pending in the child first,
    # and the child takes pending signals lowest number first, so it would be
    # recorded before the marker. No fixed sleep can make this pass wrongly.
    p.kill(signal.SIGWINCH)
    assert wait_signal(out, signal.SIGWINCH, timeout=10)
    assert signal.SIGCHLD not in signals_recorded(out)
    stop(out)
    assert p.wait(timeout=20) == 0


GROUP_CHILD = r"""
trap 'echo usr1 >> "$1"' USR1
trap '' 37
"$2" "$3" & pid=$!
while :; do
    wait $pid; rc=$?
    [ $rc -le 128 ] && exit $rc
    kill -0 $pid 2>/dev/null || exit $rc
done
"""


def start_group_child(capinit, pid1, helper, tmp_path, flags=(), env=None):
    """capinit [flags] sh: the shell traps USR1 (noting it in sh-usr1), ignores
    signal 37, and waits for a sigrec grandchild in its process group."""
    sh_out, out = tmp_path / "sh-usr1", tmp_path / "grandchild"
    p = pid1([capinit, *flags, SH, "-c", GROUP_CHILD, "sh", sh_out, helper["sigrec"], out],
             env=env)
    wait_ready(out)
    return p, sh_out, out


@pytest.mark.timeout(30)
@pytest.mark.parametrize("flags,env", [(["-g"], None), (["--kill-group"], None),
                                       ([], {"CAPINIT_KILL_GROUP": "1"})],
                         ids=["-g", "--kill-group", "CAPINIT_KILL_GROUP=1"])
def test_group_forwarding_reaches_grandchild(capinit, pid1, helper, tmp_path, flags, env):
    p, sh_out, out = start_group_child(capinit, pid1, helper, tmp_path, flags, env)
    p.kill(signal.SIGUSR1)
    assert wait_signal(out, signal.SIGUSR1), "the grandchild in the child's group missed it"
    assert wait_for(lambda: "usr1" in file_words(sh_out), timeout=5), "the child missed it"
    p.kill(RT_A)
    assert wait_signal(out, RT_A), "a real-time signal did not reach the group"
    stop(out)
    assert p.wait(timeout=20) == 0


@pytest.mark.timeout(30)
@pytest.mark.parametrize("env", [None, {"CAPINIT_KILL_GROUP": "0"}],
                         ids=["default", "CAPINIT_KILL_GROUP=0"])
def test_without_group_forwarding_grandchild_is_spared(capinit, pid1, helper, tmp_path, env):
    p, sh_out, out = start_group_child(capinit, pid1, helper, tmp_path, env=env)
    p.kill(signal.SIGUSR1)
    # The child (shell) got it: capinit's one forwarding kill has happened.
    assert wait_for(lambda: "usr1" in file_words(sh_out), timeout=5), "the child missed it"
    # The recorder is alive and recording: a signal sent to it directly.
    grandchild = [k for k in children(p.app_pid()) if state(k) != "Z"]
    assert len(grandchild) == 1
    os.kill(grandchild[0], signal.SIGUSR2)
    assert wait_signal(out, signal.SIGUSR2)
    time.sleep(0.3)
    assert signal.SIGUSR1 not in signals_recorded(out), "forwarded to the group without -g"
    stop(out)
    assert p.wait(timeout=20) == 0


# ---- signal mask and terminal ------------------------------------------------


@pytest.mark.timeout(30)
def test_child_signal_mask_empty_and_dispositions_default(capinit, pid1, helper, tmp_path):
    out, st = tmp_path / "signals", tmp_path / "state"
    p = pid1([capinit, helper["sigrec"], "-s", st, out], preexec_fn=clean_signals_then_ignore_hup)
    wait_ready(out)
    _, status = parse_state(st)
    assert int(status["SigBlk"], 16) == 0, f"child starts with signals blocked: {status['SigBlk']}"
    # The caller ignored SIGHUP; the child starts with every disposition at
    # its default, as runc gives a container's first process.
    assert int(status["SigIgn"], 16) == 0, f"child inherits ignored signals: {status['SigIgn']}"
    stop(out)
    assert p.wait(timeout=20) == 0


@pytest.mark.timeout(30)
def test_terminal_child_in_foreground_and_ctrl_c(capinit, pid1, helper, tmp_path):
    out, st = tmp_path / "signals", tmp_path / "state"
    master, slave = os.openpty()
    try:
        # setsid -c: a new session whose controlling terminal is stdin (the pty).
        p = pid1([capinit, helper["sigrec"], "-s", st, "-x", str(int(signal.SIGINT)), "-c", "9",
                  out],
                 prefix=["setsid", "-c"], stdin=slave, stdout=slave, stderr=slave,
                 preexec_fn=clean_signals_then_ignore_hup)
        os.close(slave)
        slave = None
        wait_ready(out)
        fields, status = parse_state(st)
        pid, pgrp, tty_nr, tpgid = fields[1], int(fields[5]), int(fields[7]), int(fields[8])
        assert tty_nr != 0, "the child has no controlling terminal"
        assert pgrp == pid, "the child does not lead its own process group"
        assert tpgid == pgrp, f"child's group {pgrp} is not the terminal's foreground {tpgid}"
        blocked = int(status["SigBlk"], 16)
        ignored = int(status["SigIgn"], 16)
        job_control = sig_mask(signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU)
        assert blocked & job_control == 0, f"TSTP/TTIN/TTOU blocked: {status['SigBlk']}"
        assert blocked == 0, f"child starts with signals blocked: {status['SigBlk']}"
        assert ignored == 0, f"child inherits ignored signals: {status['SigIgn']}"

        os.write(master, b"\x03")  # Ctrl-C
        assert wait_signal(out, signal.SIGINT), "Ctrl-C did not reach the child"
        assert p.wait(timeout=20) == 9
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


# ---- reaping -----------------------------------------------------------------


@pytest.mark.timeout(60)
def test_thousand_orphans_reaped(capinit, pid1, helper, tmp_path):
    out = tmp_path / "orphans"
    p = pid1([capinit, helper["orphans"], "-c", "0", "1000", out])
    assert wait_for(lambda: "spawned" in file_words(out), timeout=40), "orphans not spawned"
    kids = children(p.init_pid)
    app = host_pid(kids, spawner_ns_pid(out))
    # All 1000 grandchildren were re-parented to capinit (PID 1).
    assert len(kids) == 1001, f"capinit has {len(kids)} children, expected 1 + 1000 orphans"
    Path(f"{out}.release").touch()
    assert wait_for(lambda: children(p.init_pid) == [app], timeout=20), \
        f"{len(children(p.init_pid)) - 1} orphans not reaped"
    assert zombies_under(p.init_pid) == []
    assert state(p.init_pid) in ("S", "R"), "capinit must live on while the child runs"
    stop(out)
    assert p.wait(timeout=20) == 0


@pytest.mark.timeout(30)
def test_inherited_zombies_reaped(capinit, pid1, tmp_path):
    # Each `sleep 1` never waits for its `sleep 0.1`: when it exits, its
    # zombie is handed to PID 1.
    done = tmp_path / "done"
    script = f"""
    for i in $(seq 30); do (sleep 0.1 & exec sleep 1) & done
    wait
    touch {done}
    exec sleep 30
    """
    p = pid1([capinit, SH, "-c", script])
    assert wait_for(done.exists, timeout=15)

    def only_the_app_left():
        left = descendants(p.init_pid)
        return len(left) == 1 and cmdline(left[0]) == ["sleep", "30"]

    # Every orphan (live or zombie) is gone once capinit reaped them all:
    # only the app is left under capinit.
    assert wait_for(only_the_app_left, timeout=15), \
        f"left under capinit: {[(d, state(d)) for d in descendants(p.init_pid)]}"
    assert zombies_under(p.init_pid) == []
    p.kill(signal.SIGTERM)
    assert p.wait(timeout=20) == 143


@pytest.mark.timeout(30)
def test_subreaper_when_not_pid1(capinit, pid1, helper, tmp_path):
    out = tmp_path / "orphans"
    # A shell is PID 1 of the namespace; capinit is its child (pid 2).
    p = pid1([SH, "-c", '"$@"; exit $?', "sh", capinit, helper["orphans"], "-c", "13", "3", out])
    assert wait_for(lambda: "spawned" in file_words(out), timeout=15)
    shell = p.init_pid
    (cap,) = children(shell)
    assert os.readlink(f"/proc/{cap}/exe") == os.path.realpath(capinit)
    assert proc_status(cap)["NSpid"].split()[-1] != "1", "capinit should not be PID 1 here"
    kids = children(cap)
    assert len(kids) == 4, f"orphans not re-parented to capinit: its children {kids}"
    app = host_pid(kids, spawner_ns_pid(out))
    orphans = [k for k in kids if k != app]
    for o in orphans:
        assert int(proc_status(o)["PPid"]) == cap, "the orphan's parent should be capinit"
    Path(f"{out}.release").touch()
    assert wait_for(lambda: all(proc_status(o) is None for o in orphans), timeout=10), \
        f"orphans not reaped: {[(o, state(o)) for o in orphans]}"
    assert children(cap) == [app]
    assert state(cap) in ("S", "R")
    stop(out)
    assert p.wait(timeout=20) == 13


# ---- idle ----------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_idle_init_has_zero_context_switches(capinit, pid1):
    p = pid1([capinit, "sleep", "30"])
    p.app_pid()
    # Start-up is over when capinit's counters stop moving (it is then blocked
    # in its read); a fixed pause could end before it got there.
    seen = []

    def settled():
        seen.append(ctxt_switches(p.init_pid))
        return len(seen) >= 2 and seen[-1] == seen[-2]

    assert wait_for(settled, timeout=15, interval=0.5), f"never settled: {seen}"
    before = ctxt_switches(p.init_pid)
    time.sleep(3)
    after = ctxt_switches(p.init_pid)
    assert after == before, f"idle capinit woke up {after - before} times in 3 s"
    p.kill(signal.SIGTERM)
    assert p.wait(timeout=20) == 143


# ---- grace ---------------------------------------------------------------------

LEFTOVER_CHILD = r"""
"$1" $2 "$3" &
while ! grep -q ready "$3" 2>/dev/null; do sleep 0.02; done
exit 3
"""


def run_with_leftover(capinit, pid1, helper, tmp_path, sigrec_flags, flags=(), env=None):
    """The main child starts a sigrec in the background and exits 3 once it is
    ready. Returns (exit status, seconds from the leftover's readiness to
    capinit's exit, signals the leftover recorded). The clock starts at the
    readiness, so the time is capinit's grace handling, not the start-up of
    unshare, the shell and the helper on a loaded machine."""
    out = tmp_path / "leftover"
    p = pid1([capinit, *flags, SH, "-c", LEFTOVER_CHILD, "sh", helper["sigrec"],
              sigrec_flags, out], env=env)
    wait_ready(out, timeout=20)
    t0 = time.monotonic()
    code = p.wait(timeout=45)
    return code, time.monotonic() - t0, signals_recorded(out)


@pytest.mark.timeout(60)
def test_grace_obedient_leftover_exits_promptly(capinit, pid1, helper, tmp_path):
    code, elapsed, got = run_with_leftover(capinit, pid1, helper, tmp_path, "-x15",
                                           env={"CAPINIT_GRACE": "30"})
    assert code == 3
    assert got == [signal.SIGTERM], "the leftover should get SIGTERM"
    assert elapsed < 15, f"took {elapsed:.1f} s though the leftover left at once"


@pytest.mark.timeout(60)
def test_grace_stubborn_leftover_waits_the_grace_period(capinit, pid1, helper, tmp_path):
    code, elapsed, got = run_with_leftover(capinit, pid1, helper, tmp_path, "-c0",
                                           env={"CAPINIT_GRACE": "3"})
    assert code == 3
    assert signal.SIGTERM in got, "the leftover should get SIGTERM"
    assert 2.5 <= elapsed < 20, f"took {elapsed:.1f} s with CAPINIT_GRACE=3"


@pytest.mark.timeout(60)
def test_grace_zero_leaves_at_once(capinit, pid1, helper, tmp_path):
    # The leftover ignores TERM: any grace at all (the default is 5 s) would
    # hold capinit for its whole length.
    code, elapsed, _ = run_with_leftover(capinit, pid1, helper, tmp_path, "-c0",
                                         env={"CAPINIT_GRACE": "0"})
    assert code == 3
    assert elapsed < 3.5, f"took {elapsed:.1f} s with CAPINIT_GRACE=0"


@pytest.mark.timeout(60)
def test_grace_flag_wins_over_variable(capinit, pid1, helper, tmp_path):
    code, elapsed, got = run_with_leftover(capinit, pid1, helper, tmp_path, "-c0",
                                           flags=["--grace=2"], env={"CAPINIT_GRACE": "40"})
    assert code == 3
    assert signal.SIGTERM in got
    assert 1.5 <= elapsed < 20, f"took {elapsed:.1f} s with --grace=2 (CAPINIT_GRACE=40)"


@pytest.mark.timeout(60)
def test_grace_no_leftovers_no_delay(capinit):
    t0 = time.monotonic()
    r = run_pid1([capinit, SH, "-c", "exit 6"], env={"CAPINIT_GRACE": "40"})
    elapsed = time.monotonic() - t0
    assert r.returncode == 6
    assert elapsed < 20, f"took {elapsed:.1f} s with nothing left to wait for"


@pytest.mark.timeout(60)
def test_grace_ends_when_last_stubborn_leftover_exits(capinit, pid1, helper, tmp_path):
    out = tmp_path / "leftover"
    p = pid1([capinit, SH, "-c", LEFTOVER_CHILD, "sh", helper["sigrec"], "-c0", out],
             env={"CAPINIT_GRACE": "45"})
    # The main child has exited and the leftover got its SIGTERM: grace runs.
    assert wait_signal(out, signal.SIGTERM, timeout=15)
    time.sleep(0.3)
    assert p.proc.poll() is None, "capinit left before the grace period"
    t0 = time.monotonic()
    stop(out)
    assert p.wait(timeout=40) == 3
    assert time.monotonic() - t0 < 20, "capinit waited on after the last process left"


# ---- diagnostics -----------------------------------------------------------------

HELP_WORDS = ["--cap-drop", "--cap-add", "--user", "--no-new-privs", "--grace", "-g",
              "--kill-group", "-v", "--verbose", "--print", "--help", "--version",
              "CAPINIT_CAP_DROP", "CAPINIT_CAP_ADD", "CAPINIT_USER", "CAPINIT_NO_NEW_PRIVS",
              "CAPINIT_GRACE", "CAPINIT_KILL_GROUP", "CAPINIT_VERBOSE", "CAPINIT_PRINT"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_every_option_and_variable(capinit, flag):
    r = run_pid1([capinit, flag])
    assert r.returncode == 0
    words = set(re.findall(r"[-\w]+", r.stdout))
    missing = [w for w in HELP_WORDS if w not in words]
    assert not missing, f"--help does not mention {missing}"
    assert r.stderr == ""


@pytest.mark.timeout(30)
def test_version(capinit):
    r = run_pid1([capinit, "--version"])
    assert r.returncode == 0
    assert re.search(r"\d+\.\d+", r.stdout), r.stdout
    assert r.stderr == ""


@pytest.mark.timeout(30)
@pytest.mark.parametrize("flags,env", [(["-v"], None), ([], {"CAPINIT_VERBOSE": "2"}),
                                       (["-vv"], None)],
                         ids=["-v", "CAPINIT_VERBOSE=2", "-vv"])
def test_verbose_prints_capinit_lines(capinit, flags, env):
    r = run_pid1([capinit, *flags, SH, "-c", "exit 0"], env=env)
    assert r.returncode == 0
    got = capinit_lines(r.stderr)
    assert got, "verbose run printed nothing"
    assert all(line.startswith("capinit: ") for line in got), got
