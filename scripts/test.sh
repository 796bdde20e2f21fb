#!/usr/bin/env bash
# The whole test suite: dependencies, build, unit tests (ASan+UBSan), lint,
# and the integration tests (capinit as PID 1 under unshare and under runc).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test: run as root (namespaces, runc, user switching)" >&2; exit 1; }
scripts/install-deps.sh
make build/capinit
make test-unit
make lint
# Debian's pytest, run by the system interpreter (python3 on PATH may be
# another one without pytest).
/usr/bin/python3 -m pytest -p no:cacheprovider -q tests/integration
