#!/bin/sh
# Run as the init's child: DIR is $1, the Python interpreter $2. Starts a
# sigrec.py worker in the background (same process group and session: a worker
# the app forked), waits for it and for DIR/go, then exits 3 by itself,
# leaving the worker behind.
"$2" -S "$(dirname "$0")/sigrec.py" "$1" worker &
while [ ! -e "$1/worker.ready" ] || [ ! -e "$1/go" ]; do sleep 0.02; done
exit 3
