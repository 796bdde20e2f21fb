"""dumb-init's terminal hand-off under the dumb-init name (issue: drop-in).

In its default (setsid) mode dumb-init, when it leads the terminal's
session as a container's PID 1 under `docker run -it`, gives up its
controlling terminal (TIOCNOTTY) so that the child's new session can take
it: an interactive shell then has job control. The SIGHUP and SIGCONT the
kernel sends on that hand-off must not reach the child.
"""
import os
import signal
import subprocess

import pytest

from conftest import BASE_ENV, signals_recorded
from test_supervise import parse_state, wait_ready, wait_signal


# Lead a new session with stdin as its controlling terminal, then exec.
LEAD_TERMINAL = ("import fcntl, os, sys, termios; os.setsid(); "
                 "fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.argv[1], sys.argv[1:])")


def read_all(fd):
    """Everything the pty's other side wrote, once it is closed."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: no writer left
            break
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("as_pid1", [True, False], ids=["pid1", "not-pid1"])
def test_dumb_init_hands_the_terminal_to_the_child(capinit, pid1, helper, tmp_path, as_pid1):
    """As PID 1 of a namespace and not: the hand-off's SIGHUP and SIGCONT
    arrive in capinit's own name and must be discarded, not forwarded."""
    link = tmp_path / "dumb-init"
    link.symlink_to(capinit)
    out, st = tmp_path / "signals", tmp_path / "state"
    master, slave = os.openpty()
    try:
        # A new session whose controlling terminal is the pty, then exec:
        # capinit leads it, as a container's PID 1 under `docker run -it`.
        argv = ["/usr/bin/python3", "-c", LEAD_TERMINAL, link, "-v", helper["sigrec"], "-s", st, "-x",
                str(int(signal.SIGINT)), "-c", "7", out]
        if as_pid1:
            p = pid1(argv, stdin=slave, stdout=slave, stderr=slave)
        else:
            p = subprocess.Popen([str(a) for a in argv], env=BASE_ENV, stdin=slave,
                                 stdout=slave, stderr=slave)
        os.close(slave)
        slave = None
        wait_ready(out)
        fields, _ = parse_state(st)
        pid, pgrp, session, tty_nr, tpgid = (int(fields[1]), int(fields[5]), int(fields[6]),
                                            int(fields[7]), int(fields[8]))
        assert session == pid, "the child does not lead its own session"
        assert tty_nr != 0, "the child did not get the terminal as its controlling terminal"
        assert tpgid == pgrp, "the child's group is not the terminal's foreground"
        # Ctrl-C goes from the terminal to the child's group directly.
        os.write(master, b"\x03")
        assert wait_signal(out, int(signal.SIGINT)), "Ctrl-C did not reach the child"
        assert p.wait(timeout=20) == 7
        log = read_all(master)
        # dumb-init's own wording, which its test suite checks.
        assert "Forwarded signal 1 " not in log and "Forwarded signal 18 " not in log, log
        assert "Ignoring tty hand-off signal 1." in log, log
        got = signals_recorded(out)
        assert int(signal.SIGHUP) not in got and int(signal.SIGCONT) not in got, \
            f"the hand-off's SIGHUP/SIGCONT reached the child: {got}"
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
