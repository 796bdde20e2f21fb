#!/usr/bin/env bash
# What the upstream-suites stage (tests/upstream/run.sh) needs beyond
# scripts/install-deps.sh: the python modules tini's and dumb-init's own
# tests import, from Debian (PyPI is not used). Idempotent: apt is not
# touched when everything is present.
set -euo pipefail
packages=(
    python3-psutil python3-prctl      # tini's run_inner_tests.py
    python3-pytest python3-pytest-timeout python3-py  # dumb-init's suite
    dpkg-dev gcc bash                 # apt-get source + dpkg-source; sigconf-test
    tini dumb-init                    # the originals, for `run.sh real`
)

# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "$0")/lib/apt-install.sh"
apt_install_missing install-upstream-deps "${packages[@]}"
