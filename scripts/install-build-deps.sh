#!/usr/bin/env bash
# What `make build/capinit` needs and nothing else (no linters, no test
# tools): the subset of scripts/install-deps.sh that Dockerfile.test's build
# stage installs, plus busybox-static for the self-test image. Idempotent.
set -euo pipefail

packages=(make gcc libc6-dev file musl-tools dpkg-dev xz-utils binutils busybox-static)


# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "$0")/lib/apt-install.sh"
apt_install_missing install-build-deps "${packages[@]}"
