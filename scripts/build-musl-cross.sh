#!/usr/bin/env bash
# Build musl for an architecture Debian 12 ships no musl-dev for (riscv64),
# from Debian's own musl source package, with Debian's cross gcc.
#
# Why: the other release architectures get musl from musl-dev:ARCH. The
# result is a prefix with libc.a, the crt objects, the headers and a
# musl-gcc style wrapper (bin/musl-gcc) driving TRIPLET-gcc, so the release
# build treats it like Debian's ARCH-linux-musl-gcc.
#
# Usage: scripts/build-musl-cross.sh TRIPLET PREFIX
#        e.g. scripts/build-musl-cross.sh riscv64-linux-gnu build/musl-riscv64
# Idempotent: does nothing when PREFIX/bin/musl-gcc and PREFIX/lib/libc.a exist
# (the prefix is the cache: about 2 minutes to build, seconds to keep).
set -euo pipefail

die() { echo "build-musl-cross: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 TRIPLET PREFIX"
triplet=$1
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$2"
prefix=$(cd "$2" && pwd)
work=$top/build/musl-src

if [ -x "$prefix/bin/musl-gcc" ] && [ -f "$prefix/lib/libc.a" ]; then
    echo "build-musl-cross: $prefix already has musl"
    exit 0
fi
command -v "$triplet-gcc" >/dev/null 2>&1 ||
    die "missing '$triplet-gcc' (run scripts/install-cross-deps.sh)"

# shellcheck source=scripts/lib/debian-source.sh
. "$top/scripts/lib/debian-source.sh"
if [ ! -f "$work/tree/configure" ]; then
    # Seed the private apt lists from libcap's fetch when there is one: the
    # update then only revalidates them instead of downloading them again.
    if [ -d "$top/build/libcap-src/apt/lists" ] && [ ! -d "$work/apt/lists" ]; then
        mkdir -p "$work/apt"
        cp -a "$top/build/libcap-src/apt/lists" "$work/apt/"
        rm -f "$work/apt/lists/lock"
    fi
    debian_source musl "$work" || die "could not fetch Debian's musl source"
fi

# Out-of-tree build in a directory of its own, so one unpacked source serves
# any number of architectures without sharing objects.
bdir=$top/build/musl-build-$triplet
rm -rf "$bdir"
mkdir -p "$bdir"
echo "build-musl-cross: building musl for $triplet into $prefix"
jobs=$(nproc 2>/dev/null || echo 1)
(
    cd "$bdir"
    # Static only: capinit links statically. The prefix map keeps the build
    # directory's name out of the objects (reproducible across checkouts).
    "$work/tree/configure" --prefix="$prefix" --target="$triplet" \
        CROSS_COMPILE="$triplet-" --disable-shared --enable-wrapper=gcc \
        CFLAGS="-ffile-prefix-map=$top=." >/dev/null
    make -s -j"$jobs" >/dev/null
    make -s install >/dev/null
)
rm -rf "$bdir"
[ -x "$prefix/bin/musl-gcc" ] || die "musl installed no bin/musl-gcc wrapper"
echo "build-musl-cross: installed into $prefix"
