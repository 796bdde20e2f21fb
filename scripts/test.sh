#!/usr/bin/env bash
# The whole test suite, what CI runs: dependencies, build, unit tests
# (ASan+UBSan), lint, integration tests (capinit as PID 1 under unshare and
# under runc), and the stages below, each timed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test: run as root (namespaces, runc, user switching)" >&2; exit 1; }

stage() {
    local name=$1 t0=$SECONDS
    shift
    printf '\n=== test stage: %s\n' "$name"
    "$@"
    printf '=== test stage: %s done in %d s\n' "$name" $((SECONDS - t0))
}

stage deps scripts/install-deps.sh
stage build make build/capinit
stage unit make test-unit
stage lint make lint
# Debian's pytest, run by the system interpreter (python3 on PATH may be
# another one without pytest).
stage integration /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/integration
# Real Debian daemons (nginx, apache2, chronyd, sshd, dnsmasq, ping) from a
# container's first start: the ground truth by ordinary runs, and --probe /
# --probe-verify held to it. The quick cases only (about 3 minutes on 2
# cores); `-m "not search"` runs every probe, `-m search` finds the ground
# truth from scratch (tests/daemons/conftest.py).
daemons() {
    scripts/install-daemon-deps.sh
    /usr/bin/python3 -m pytest -p no:cacheprovider -q tests/daemons -m "not slow and not search"
}
stage daemons daemons
stage fuzz scripts/fuzz.sh 5
stage upstream make test-upstream
stage release make release-deps test-release
stage engine scripts/engine-test.sh
