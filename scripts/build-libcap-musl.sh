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
#        scripts/build-libcap-musl.sh --fetch-only (unpack the source, no build)
# Cross builds (make release) set, in the environment:
#   LIBCAP_CC     the musl compiler wrapper (default musl-gcc, the host's)
#   LIBCAP_CROSS  the binutils prefix for ar/ranlib, e.g. aarch64-linux-gnu-
# With LIBCAP_CC set the library is built in a private copy of the source
# (PREFIX.tree, cleaned first), so no architecture reuses another's objects.
# Idempotent: does nothing when PREFIX/lib/libcap.a already exists; the
# source is fetched once into build/libcap-src and reused.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
work=$top/build/libcap-src
fetch_only=false
if [ "${1:-}" = --fetch-only ]; then fetch_only=true; shift; fi
prefix=${1:-$top/build/libcap-musl}
cc=${LIBCAP_CC:-musl-gcc}
cross=${LIBCAP_CROSS:-}

die() { echo "build-libcap-musl: $*" >&2; exit 1; }

if ! $fetch_only && [ -f "$prefix/lib/libcap.a" ] && [ -f "$prefix/include/sys/capability.h" ]; then
    echo "build-libcap-musl: $prefix already has libcap.a"
    exit 0
fi

for tool in "$cc" make gcc; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "missing '$tool' (run scripts/install-deps.sh, or: apt-get install musl-tools dpkg-dev make gcc)"
done

if [ ! -f "$work/tree/libcap/Makefile" ]; then
    # shellcheck source=scripts/lib/debian-source.sh
    . "$top/scripts/lib/debian-source.sh"
    debian_source libcap2 "$work" || die "could not fetch Debian's libcap2 source"
fi
$fetch_only && exit 0

tree=$work/tree
if [ -n "${LIBCAP_CC:-}" ]; then
    tree=$prefix.tree
    mkdir -p "$(dirname "$tree")"
    rm -rf "$tree"
    cp -a "$work/tree" "$tree"
    make -s -C "$tree/libcap" clean >/dev/null
fi

# --- build the library alone with musl --------------------------------------
# libpsx and threads are not needed: capinit is single-threaded. The prefix
# map keeps the checkout's path out of the objects (reproducible builds).
echo "build-libcap-musl: building libcap.a with $cc"
make -s -C "$tree/libcap" CC="$cc" BUILD_CC=gcc AR="${cross}ar" RANLIB="${cross}ranlib" \
    SHARED=no PTHREADS=no USE_GPERF=no GOLANG=no \
    COPTS="-Os -ffunction-sections -fdata-sections -ffile-prefix-map=$top=." libcap.a >/dev/null

mkdir -p "$prefix/lib" "$prefix/include/sys" "$prefix/include/linux"
cp "$tree/libcap/libcap.a" "$prefix/lib/"
cp "$tree/libcap/include/sys/capability.h" "$prefix/include/sys/"
# musl-gcc does not see the system's kernel headers; libcap bundles the one
# uapi header it needs.
cp "$tree/libcap/include/uapi/linux/capability.h" "$prefix/include/linux/"
[ "$tree" = "$work/tree" ] || rm -rf "$tree"
echo "build-libcap-musl: installed into $prefix"
