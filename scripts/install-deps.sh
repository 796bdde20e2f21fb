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
    python3-jsonschema              # --probe-json against docs/probe-schema.json
    python3-prctl                   # integration: test_compat imports prctl (a subreaper parent)
    util-linux libcap2-bin procps   # unshare, setpriv, capsh, ps
    runc busybox-static             # real OCI containers
    tini dumb-init catatonit        # peers: compatibility tests and benchmarks
)

if [ -f /etc/alpine-release ]; then
    echo "install-deps: on Alpine use: apk add build-base libcap-dev libcap-static linux-headers" >&2
    exit 1
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-deps: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }


# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "$0")/lib/apt-install.sh"
apt_install_missing install-deps "${packages[@]}"
