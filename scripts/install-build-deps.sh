#!/usr/bin/env bash
# What `make build/capinit` needs and nothing else (no linters, no test
# tools): the subset of scripts/install-deps.sh that Dockerfile.test's build
# stage installs, plus busybox-static for the self-test image. Idempotent.
set -euo pipefail

packages=(make gcc libc6-dev file musl-tools dpkg-dev xz-utils binutils busybox-static)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-build-deps: all packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-build-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
