#!/usr/bin/env bash
# What the fuzzers need (tests/fuzz, mk/fuzz.mk), from Debian's archive:
# clang 14 with its libFuzzer and sanitizer runtimes, and libcap's header.
# Idempotent: apt is not touched when everything is present.
set -euo pipefail

packages=(make clang libclang-rt-dev libcap-dev)


# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "$0")/lib/apt-install.sh"
apt_install_missing install-fuzz-deps "${packages[@]}"
