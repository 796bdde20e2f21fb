#!/usr/bin/env bash
# Build a static libcap for musl into a build-local prefix.
#
# Why: Debian ships libcap.a only for glibc, which does not link with
# musl-gcc. We fetch Debian's own libcap2 source package through a private apt
# state (so the system's apt lists stay untouched and no mirror is named here:
# the deb-src entries are derived from the system's own deb entries) and build
# just the library.
#
# Usage: scripts/build-libcap-musl.sh [PREFIX]   (default: build/libcap-musl)
# Idempotent: does nothing when PREFIX/lib/libcap.a already exists.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-$top/build/libcap-musl}
work=$top/build/libcap-src

die() { echo "build-libcap-musl: $*" >&2; exit 1; }

if [ -f "$prefix/lib/libcap.a" ] && [ -f "$prefix/include/sys/capability.h" ]; then
    echo "build-libcap-musl: $prefix already has libcap.a"
    exit 0
fi

for tool in musl-gcc make gcc; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "missing '$tool' (run scripts/install-deps.sh, or: apt-get install musl-tools dpkg-dev make gcc)"
done

# shellcheck source=scripts/lib/debian-source.sh
. "$top/scripts/lib/debian-source.sh"
debian_source libcap2 "$work" || die "could not fetch Debian's libcap2 source"

# --- build the library alone with musl --------------------------------------
# libpsx and threads are not needed: capinit is single-threaded.
echo "build-libcap-musl: building libcap.a with musl-gcc"
make -s -C "$work/tree/libcap" CC=musl-gcc BUILD_CC=gcc SHARED=no PTHREADS=no \
    USE_GPERF=no GOLANG=no COPTS="-Os -ffunction-sections -fdata-sections" libcap.a >/dev/null

mkdir -p "$prefix/lib" "$prefix/include/sys" "$prefix/include/linux"
cp "$work/tree/libcap/libcap.a" "$prefix/lib/"
cp "$work/tree/libcap/include/sys/capability.h" "$prefix/include/sys/"
# musl-gcc does not see the system's kernel headers; libcap bundles the one
# uapi header it needs.
cp "$work/tree/libcap/include/uapi/linux/capability.h" "$prefix/include/linux/"
echo "build-libcap-musl: installed into $prefix"
