#!/usr/bin/env bash
# Install what `make release` needs beyond scripts/install-deps.sh: Debian's
# cross compilers, musl for each foreign architecture, and qemu-user to run
# the results. Idempotent: apt is not touched when everything is present.
#
# Why these: musl-dev:ARCH ships a musl-gcc style wrapper (ARCH-linux-musl-gcc)
# driving gcc-ARCH-linux-gnu, so every architecture but riscv64 needs no
# toolchain of our own. Debian 12 has no musl-dev:riscv64; scripts/
# build-musl-cross.sh builds musl from Debian's source with the cross gcc.
set -euo pipefail
# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "$0")/lib/apt-install.sh"

foreign=(arm64 armhf ppc64el s390x)
packages=(
    make gcc dpkg-dev xz-utils file    # as for the native build
    musl-tools musl-dev                # amd64
    gcc-aarch64-linux-gnu musl-dev:arm64
    gcc-arm-linux-gnueabihf musl-dev:armhf
    gcc-powerpc64le-linux-gnu musl-dev:ppc64el
    gcc-s390x-linux-gnu musl-dev:s390x
    gcc-riscv64-linux-gnu              # musl itself is built from source
    # Each architecture's kernel headers (/usr/TRIPLET/include/asm): the
    # user-namespace guard's system call numbers are checked against them
    # (tests/unit/check_syscall_numbers.sh).
    linux-libc-dev-arm64-cross linux-libc-dev-armhf-cross linux-libc-dev-ppc64el-cross
    linux-libc-dev-s390x-cross linux-libc-dev-riscv64-cross
    qemu-user-static                   # runs each binary for the tests
    util-linux libcap2-bin busybox-static  # tests/release/run.sh: unshare, capsh, a static true
    python3                            # the image-archive writer
)

command -v apt-get >/dev/null 2>&1 || { echo "install-cross-deps: needs apt-get (Debian)" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for p in "${packages[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-cross-deps: all packages present"
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
have=$(dpkg --print-foreign-architectures)
for a in "${foreign[@]}"; do
    grep -qx "$a" <<<"$have" || $sudo dpkg --add-architecture "$a"
done
echo "install-cross-deps: installing ${missing[*]}"
# Other apt users may hold the lock for a while: wait for it rather than fail.
lock=(-o DPkg::Lock::Timeout=600)
# Unpacking ~90 packages is most of the time (the download is seconds): skip
# dpkg's fsync per file, which on a throw-away CI disk buys nothing.
unsafe=(-o DPkg::Options::=--force-unsafe-io)
# A third-party source without the foreign architectures makes update report
# errors for lists we do not use; the install below says if anything we need
# is really missing.
apt_update install-cross-deps
DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" "${unsafe[@]}" install -y -q --no-install-recommends "${missing[@]}"
