"""dumb-init's terminal hand-off under the dumb-init name (issue: drop-in).

In its default (setsid) mode dumb-init, when it leads the terminal's
session as a container's PID 1 under `docker run -it`, gives up its
controlling terminal (TIOCNOTTY) so that the child's new session can take
it: an interactive shell then has job control. The SIGHUP and SIGCONT the
kernel sends on that hand-off must not reach the child.
"""
import os
import signal

import pytest

from conftest import signals_recorded
from test_supervise import parse_state, wait_ready, wait_signal


@pytest.mark.timeout(30)
def test_dumb_init_hands_the_terminal_to_the_child(capinit, pid1, helper, tmp_path):
    link = tmp_path / "dumb-init"
    link.symlink_to(capinit)
    out, st = tmp_path / "signals", tmp_path / "state"
    master, slave = os.openpty()
    try:
        # setsid -c inside the namespace, then exec: capinit is PID 1 and
        # leads a session whose controlling terminal is the pty, as under
        # `docker run -it`.
        p = pid1(["setsid", "-c", link, helper["sigrec"], "-s", st, "-x",
                  str(int(signal.SIGINT)), "-c", "7", out],
                 stdin=slave, stdout=slave, stderr=slave)
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
        got = signals_recorded(out)
        assert int(signal.SIGHUP) not in got and int(signal.SIGCONT) not in got, \
            f"the hand-off's SIGHUP/SIGCONT reached the child: {got}"
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
