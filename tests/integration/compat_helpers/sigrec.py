"""A process that records the signals it receives, for the compatibility tests.

    sigrec.py DIR NAME [--die-on SIG]... [--child NAME2 [--child-die-on SIG]...]

Writes, inside DIR (all pids as seen in its own PID namespace):
  NAME.sigs   one signal name per line, appended as each one arrives
  NAME.info   JSON: pid, ppid, pgid, sid, cwd (written at start)
  NAME.ready  created once the handlers are installed (and the child, if any,
              is ready itself)
--die-on SIG: after recording SIG, die of it (default action), like an app
              that does not handle it.
--child NAME2: start another sigrec.py as this process's child (same process
              group and session), e.g. a worker the app forked.
Stops itself only by --die-on or by an uncaught signal (SIGKILL, SIGSTOP...).
"""
import json
import os
import signal
import subprocess
import sys
import time

RECORDED = ("SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGTERM",
            "SIGCONT", "SIGWINCH", "SIGALRM")


def main(argv):
    directory, name = argv[0], argv[1]
    die_on, child, child_die_on = set(), None, []
    rest = argv[2:]
    while rest:
        opt, value, rest = rest[0], rest[1], rest[2:]
        if opt == "--die-on":
            die_on.add(getattr(signal, value))
        elif opt == "--child":
            child = value
        elif opt == "--child-die-on":
            child_die_on += ["--die-on", value]
        else:
            sys.exit(f"sigrec.py: unknown option {opt}")

    base = os.path.join(directory, name)
    fd = os.open(base + ".sigs", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def handler(signum, _frame):
        os.write(fd, (signal.Signals(signum).name + "\n").encode())
        if signum in die_on:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    for sig_name in RECORDED:
        signal.signal(getattr(signal, sig_name), handler)

    info = {"pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgrp(),
            "sid": os.getsid(0), "cwd": os.getcwd()}
    with open(base + ".info", "w") as f:
        json.dump(info, f)

    if child:
        subprocess.Popen([sys.executable, "-S", __file__, directory, child] + child_die_on)
        ready = os.path.join(directory, child + ".ready")
        while not os.path.exists(ready):
            time.sleep(0.01)
    open(base + ".ready", "w").close()
    while True:
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1:])
