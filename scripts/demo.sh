#!/usr/bin/env bash
# Build capinit (installing dependencies) and show it as PID 1: the seed's
# `docker run --cap-drop=ALL --cap-add=NET_BIND_SERVICE`, done from inside,
# for a non-root app that binds port 80.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it makes PID and network namespaces)" >&2; exit 1; }
scripts/install-deps.sh
make build/capinit

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
spec=(env CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE CAPINIT_USER=nobody)

say "The plan (capinit --print): what the runtime gave, what the app gets"
"${spec[@]}" build/capinit --print

say "The app as PID 2 under capinit (PID 1), as uid nobody, in its own network namespace"
# The app: shows its credentials as the kernel sees them, binds port 80,
# and leaves an orphan behind that capinit reaps.
# shellcheck disable=SC2016 # the $ expressions are the app's, not ours
unshare -n -fp --mount-proc --kill-child "${spec[@]}" build/capinit -- /bin/busybox sh -c '
    echo "pid $$, uid $(id -u), $(grep -E "^(CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status | tr "\t\n" "  ")"
    /bin/busybox nc -l -p 80 & srv=$!; sleep 0.3
    if kill -0 $srv 2>/dev/null; then echo "bound port 80 as uid $(id -u)"; kill $srv; else echo "could not bind port 80"; fi
    (sleep 0.2 &) ; sleep 0.5
    echo "zombies left: $(grep -l "^State:.*Z" /proc/[0-9]*/status 2>/dev/null | wc -l)"
    exit 3' || echo "capinit exited with $? (the app's status)"

say "Without NET_BIND_SERVICE the same app cannot bind port 80"
unshare -n -fp --mount-proc --kill-child env CAPINIT_CAP_DROP=ALL CAPINIT_USER=nobody \
    build/capinit -- /bin/busybox sh -c '/bin/busybox nc -l -p 80 2>&1 | head -n1; true'

say "A typo never starts the app (exit 2)"
CAPINIT_CAP_DROP=NET_BIND_SERVCE build/capinit -- echo "this never runs" || echo "exit status $?"
