"""A probe trial cannot reach the caller's terminal either (issue 18).

0.2.0 only put each trial in a process group of its own: a trial's stdout
and stderr were capinit's, the caller's terminal, and it stayed in the
caller's session, so from a root shell a trial app pushed input (TIOCSTI)
into the shell. Now every trial and every check starts in a session of its
own without a controlling terminal, with its output in a pipe.

The app here tries fd 0, 1, 2 and /dev/tty and prints what each gave; with
-v capinit logs its output lines, which come back through the terminal.
Both in-process runners: the sandbox (root) and in place (PID 1 without
CAP_SYS_ADMIN). The control (an app as privileged as its caller keeps the
terminal) is test_review2.py's.
"""
import os
import select
import subprocess
import time

import pytest

from conftest import make_env
from test_review2 import INJECTOR, PY

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="--probe needs root")

# The injector, printing its results line on stdout as well (the trial's
# stdout is the pipe capinit reads), then waiting to be ended.
PRINTING = INJECTOR.replace('os.rename(out + ".tmp", out)',
                            'os.rename(out + ".tmp", out)\nprint("RESULTS " + " ".join(results), flush=True)')

SHELL_LIKE = r"""
import fcntl, os, signal, subprocess, sys, termios
os.setsid()
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.exit(subprocess.call(sys.argv[1:], stdin=subprocess.DEVNULL))
"""


def run_probe_from_root_shell(argv, timeout=60):
    """Run argv (stdin /dev/null) from a pty session leader; all it wrote."""
    master, slave = os.openpty()
    p = subprocess.Popen([PY, "-c", SHELL_LIKE] + argv, stdin=slave, stdout=slave,
                         stderr=slave, env=make_env())
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            elif p.poll() is not None:
                break
        p.wait(timeout=15)
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    return out.decode(errors="replace")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("runner", ["sandbox", "in place"])
def test_a_probe_trial_cannot_push_input_into_the_callers_terminal(capinit, shared_dir, runner):
    probe = [capinit, "-v", "--probe", "--probe-timeout=1.5", "--probe-repeat=1",
             "--probe-candidates=KILL,SETUID,SETGID", "--user=65534:65534", "--",
             PY, "-c", PRINTING, str(shared_dir / "out")]
    if runner == "in place":
        probe = ["unshare", "-fp", "--mount-proc", "--kill-child", "capsh",
                 "--drop=cap_sys_admin", "--", "-c", 'exec "$@"', "x"] + probe
    text = run_probe_from_root_shell(probe)
    # The app's own lines (at -v: "capinit: probe: app: RESULTS ..."), not
    # the progress lines that quote the last of them as evidence.
    lines = [l.strip() for l in text.splitlines()
             if l.strip().startswith(("RESULTS ", "capinit: probe: app: RESULTS "))]
    assert lines, text
    for line in lines:
        results = dict(r.split(":", 1) for r in line.split("RESULTS ", 1)[1].split())
        injected = [k for k, v in results.items() if v == "injected"]
        assert not injected, f"a trial injected through {injected}: {line}"
        assert results["fd1"] == "not-a-tty" and results["fd2"] == "not-a-tty", line
        assert results["tty"] == "open-ENXIO" and results["tty_nr"] == "0", line
    assert f"runner: {runner}" in text or "probe trial" in text
