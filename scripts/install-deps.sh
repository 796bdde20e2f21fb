#!/usr/bin/env bash
# Install what building and testing capinit needs, from Debian/Ubuntu's
# archive only. Idempotent: apt is not touched when everything is present.
set -euo pipefail

packages=(
    make gcc libc6-dev file         # the build
    musl-tools dpkg-dev xz-utils    # musl-gcc; apt-get source + dpkg-source for libcap
    libcap-dev                      # host libcap for the sanitizer unit tests
    cppcheck clang-tidy             # lint
    python3 python3-pytest python3-pytest-timeout python3-yaml  # integration tests
    util-linux libcap2-bin procps   # unshare, setpriv, capsh, ps
    runc busybox-static             # real OCI containers
    tini dumb-init catatonit        # peers: compatibility tests and benchmarks
)

if [ -f /etc/alpine-release ]; then
    echo "install-deps: on Alpine use: apk add build-base libcap-dev libcap-static linux-headers" >&2
    exit 1
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-deps: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
