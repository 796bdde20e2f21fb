"""Every signal reaches the app, whatever the caller did with signals.

SPEC Supervision: every signal 1-64 but SIGKILL, SIGSTOP and SIGCHLD that
another process sends to capinit is forwarded, the fault signals and the
real-time signals the C library reserves (32-34) included; capinit survives
each one, as PID 1 and not; signals are blocked before anything else, so one
that is already pending at start waits for the child; an ignored SIGCHLD
handed over by the caller does not make capinit lose the child's status.
"""
import os
import signal
import subprocess

import pytest

from conftest import BASE_ENV, proc_status, signals_recorded
from test_supervise import stop, wait_ready, wait_signal

EVERY = [s for s in range(1, 65) if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD)]


def assert_every_signal_forwarded(target_pid, out):
    missed, killed_capinit = [], []
    for sig in EVERY:
        os.kill(target_pid, sig)
        if not wait_signal(out, sig, timeout=5):
            missed.append(sig)
        if proc_status(target_pid) is None or proc_status(target_pid).get("State", "").startswith("Z"):
            killed_capinit.append(sig)
            break
    assert not killed_capinit, f"capinit died of signal {killed_capinit}"
    assert not missed, f"signals not forwarded: {missed}"
    assert sorted(set(signals_recorded(out))) == EVERY


@pytest.mark.timeout(120)
def test_signals_1_to_64_reach_the_child_as_pid1(capinit, pid1, helper, tmp_path):
    out = tmp_path / "signals"
    p = pid1([capinit, helper["sigrec"], "-c", "4", out])
    wait_ready(out)
    assert_every_signal_forwarded(p.init_pid, out)
    stop(out)
    assert p.wait(timeout=20) == 4


@pytest.mark.timeout(120)
def test_signals_1_to_64_reach_the_child_when_not_pid1(capinit, helper, tmp_path):
    out = tmp_path / "signals"
    # Its own session, so no terminal signal of the test run reaches it.
    p = subprocess.Popen([capinit, helper["sigrec"], "-c", "4", str(out)], env=BASE_ENV,
                         start_new_session=True, stdin=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    try:
        wait_ready(out)
        assert_every_signal_forwarded(p.pid, out)
        stop(out)
        assert p.wait(timeout=20) == 4
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# Execs capinit with SIGUSR1 blocked and already pending, as a signal sent
# during capinit's start-up would be (sent by another process: the wrapper's
# child, so it is not capinit's own doing).
PENDING_USR1 = """
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
pid = os.getpid()
if os.fork() == 0:
    os.kill(pid, signal.SIGUSR1)
    os._exit(0)
os.wait()
os.execv(sys.argv[1], sys.argv[1:])
"""


@pytest.mark.timeout(30)
@pytest.mark.parametrize("as_pid1", [True, False], ids=["pid1", "not-pid1"])
def test_signal_pending_at_start_is_forwarded_once_the_child_exists(capinit, pid1, helper,
                                                                    tmp_path, as_pid1):
    out = tmp_path / "signals"
    argv = ["/usr/bin/python3", "-c", PENDING_USR1, capinit, helper["sigrec"],
            "-x", str(int(signal.SIGUSR1)), "-c", "3", out]
    if as_pid1:
        p = pid1(argv)
        rc = p.wait(timeout=20)
    else:
        r = subprocess.run([str(a) for a in argv], env=BASE_ENV, capture_output=True,
                           timeout=20, start_new_session=True)
        rc = r.returncode
    assert rc == 3, "the pending SIGUSR1 did not reach the child"
    assert signals_recorded(out) == [int(signal.SIGUSR1)]


def ignore_sigchld():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("as_pid1", [True, False], ids=["pid1", "not-pid1"])
def test_caller_ignoring_sigchld_still_gets_the_childs_status(capinit, pid1, as_pid1):
    argv = [capinit, "sh", "-c", "sleep 0.2; exit 7"]
    if as_pid1:
        p = pid1(argv, preexec_fn=ignore_sigchld)
        assert p.wait(timeout=20) == 7, p.stderr
    else:
        r = subprocess.run(argv, env=BASE_ENV, preexec_fn=ignore_sigchld, capture_output=True,
                           timeout=20)
        assert r.returncode == 7, r.stderr


def ignore_many():
    for s in (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGPIPE, signal.SIGTERM,
              signal.SIGUSR2):
        signal.signal(s, signal.SIG_IGN)


@pytest.mark.timeout(30)
def test_signals_the_caller_ignored_still_reach_the_child(capinit, pid1, helper, tmp_path):
    """An ignored signal is discarded at generation, so capinit resets what
    it was handed before it relies on its signalfd."""
    out, st = tmp_path / "signals", tmp_path / "state"
    p = pid1([capinit, helper["sigrec"], "-s", st, "-c", "2", out], preexec_fn=ignore_many)
    wait_ready(out)
    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGUSR2):
        p.kill(sig)
        assert wait_signal(out, int(sig)), f"ignored-by-caller signal {sig.name} was lost"
    status = {}
    for line in st.read_text().splitlines():
        k, _, v = line.partition(":")
        status[k] = v.strip()
    assert int(status["SigIgn"], 16) == 0, f"child inherits ignored signals: {status['SigIgn']}"
    stop(out)
    assert p.wait(timeout=20) == 2


@pytest.mark.timeout(30)
def test_capinit_own_sigpipe_is_not_forwarded(capinit, pid1, helper, tmp_path):
    """capinit writing to a closed stderr raises SIGPIPE in itself: nobody
    sent that to the app."""
    out = tmp_path / "signals"
    r, w = os.pipe()
    p = pid1([capinit, "-vv", helper["sigrec"], "-c", "6", out], stderr=w)
    os.close(w)
    wait_ready(out)
    os.close(r)  # capinit's next log line now raises SIGPIPE in capinit
    p.kill(signal.SIGUSR1)  # forwarded, and logged at -v: the write fails
    assert wait_signal(out, int(signal.SIGUSR1))
    p.kill(signal.SIGUSR2)
    assert wait_signal(out, int(signal.SIGUSR2))
    stop(out)
    assert p.wait(timeout=20) == 6
    assert int(signal.SIGPIPE) not in signals_recorded(out)
