#!/usr/bin/env bash
# The engine test stage (scripts/test.sh): real Docker Engine and Podman.
# Installs them when missing, writes Podman's drop-in only if needed, starts
# dockerd with the README's daemon.json recipe (unless one already answers),
# makes the local build base of Dockerfile.test in the background while the
# suite runs, runs tests/engine, writes this run's stop-time table to
# build/engine/engines.md, and stops dockerd if it started it.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
state=build/engine
mkdir -p "$state"

scripts/engine-setup.sh install
scripts/engine-setup.sh podman
make -s build/capinit build/engine/probe build/engine/engine-driver

started=0
if ! /usr/bin/docker info >/dev/null 2>&1; then
    scripts/engine-setup.sh start "$(/usr/bin/python3 tests/engine/engine.py daemon-config capinit)"
    started=1
fi
base_pid=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    [ -z "$base_pid" ] || kill "$base_pid" 2>/dev/null || true
    [ "$started" -eq 0 ] || scripts/engine-setup.sh stop
}
trap cleanup EXIT

# debootstrap (about 100 s the first time, cached after) overlaps the tests;
# the Dockerfile.test test waits for base.done.
rm -f "$state/base.done" "$state/stops.jsonl"
( rc=0; scripts/engine-setup.sh base > "$state/base.log" 2>&1 || rc=$?
  echo "$rc" > "$state/base.done" ) &
base_pid=$!

rc=0
/usr/bin/python3 -m pytest -p no:cacheprovider -q -rfEs tests/engine || rc=$?
wait "$base_pid" 2>/dev/null || true
base_pid=
/usr/bin/python3 tests/engine/stop_table.py "$state/engines.md" || rc=1
echo "engine: stop-time table of this run in $state/engines.md (docs/engines.md: make engine-table)"
echo "engine: done in $((SECONDS - t0)) s"
exit $rc
