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
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-upstream-deps: all packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-upstream-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
