"""A minimal container shim: run one runc container detached and report how it ended.

    python3 shim.py BUNDLE ID STDOUT_FILE STDERR_FILE

What containerd-shim does for Docker, reduced to the part the tests need: make
this process a child subreaper, `runc create` the container (its stdio are the
two files, stdin /dev/null), `runc start` it, then wait for the container's
init process (capinit), which is re-parented to us when runc exits. Reports on
stdout, one JSON object per line:

    {"event": "started", "pid": HOST_PID}
    {"event": "exited", "status": N, "signal": null}     # init exited with N
    {"event": "exited", "status": null, "signal": S}     # init killed by S
    {"event": "error", "message": "..."}                 # could not start/wait

Leaves the container for the caller to `runc delete`.
"""

import ctypes
import json
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def report(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def main():
    bundle, cid, out_path, err_path = sys.argv[1:5]
    runc = os.environ.get("RUNC", "runc")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        report(event="error", message="prctl(PR_SET_CHILD_SUBREAPER): errno %d" % ctypes.get_errno())
        return 1

    pid_file = os.path.join(bundle, "init.pid")
    with open(os.devnull, "rb") as devnull, open(out_path, "ab") as out, open(err_path, "ab") as err:
        created = subprocess.run(
            [runc, "create", "--bundle", bundle, "--pid-file", pid_file, cid],
            stdin=devnull, stdout=out, stderr=err,
        )
    if created.returncode != 0:
        report(event="error", message="runc create exited %d (see the container's stderr)" % created.returncode)
        return 1
    with open(pid_file) as f:
        pid = int(f.read().strip())

    started = subprocess.run([runc, "start", cid], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if started.returncode != 0:
        report(event="error", message="runc start exited %d: %s"
               % (started.returncode, started.stdout.decode(errors="replace").strip()))
        return 1
    report(event="started", pid=pid)

    # Reap everything handed to us (runc's intermediate processes too) until
    # the container's init is among them.
    while True:
        try:
            wpid, wstatus = os.waitpid(-1, 0)
        except ChildProcessError:
            report(event="error", message="container init %d is not our child: cannot wait for it" % pid)
            return 1
        if wpid == pid:
            break
    if os.WIFEXITED(wstatus):
        report(event="exited", status=os.WEXITSTATUS(wstatus), signal=None)
    else:
        report(event="exited", status=None, signal=os.WTERMSIG(wstatus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
