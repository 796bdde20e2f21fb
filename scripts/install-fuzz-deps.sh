#!/usr/bin/env bash
# What the fuzzers need (tests/fuzz, mk/fuzz.mk), from Debian's archive:
# clang 14 with its libFuzzer and sanitizer runtimes, and libcap's header.
# Idempotent: apt is not touched when everything is present.
set -euo pipefail

packages=(make clang libclang-rt-dev libcap-dev)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-fuzz-deps: all packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-fuzz-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
