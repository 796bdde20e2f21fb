"""PID 1 of the PID namespace an upstream suite runs in.

The originals' suites leave orphans behind when a case fails (dumb-init's
`yes | tail` pipelines spin for ever); run as PID 1 of a namespace made by
`unshare -fp --mount-proc --kill-child`, this adopts and reaps them, and when
the suite ends the namespace ends with it, so nothing leaks onto the host.
It is not the init under test: it only starts argv and waits.

Usage: reaper.py COMMAND [ARG]...   exits with COMMAND's status.
"""
import os
import signal
import sys


def main():
    pid = os.fork()
    if pid == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    # Forward the usual stop requests so Ctrl-C or a CI timeout ends the
    # suite, not only this process.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _f: os.kill(pid, s))
    while True:
        try:
            got, status = os.wait()
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if got == pid:
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
