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

for tool in apt-get dpkg-source musl-gcc make gcc; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "missing '$tool' (run scripts/install-deps.sh, or: apt-get install musl-tools dpkg-dev make gcc)"
done

# --- a private apt state holding only deb-src entries -----------------------
state=$work/apt
mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/sources.list.d" "$state/preferences.d"
: > "$state/sources.list"
rm -f "$state/sources.list.d/"*

# One-line format files: "deb [opts] URI suite comps" -> "deb-src ...".
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$state/sources.list"
done
# deb822 files: keep stanzas whose Types include deb, declare them deb-src.
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS=""; ORS="\n\n" }
         /(^|\n)Types:[^\n]*(^|[[:space:]])deb([[:space:]]|\n|$)/ {
             sub(/Types:[^\n]*/, "Types: deb-src"); print }' \
        "$f" > "$state/sources.list.d/$(basename "$f")"
done
[ -s "$state/sources.list" ] || ls "$state/sources.list.d/"*.sources >/dev/null 2>&1 ||
    die "no deb entries found in /etc/apt to derive deb-src entries from"

apt_private=(
    -o "Dir::State=$state" -o "Dir::State::Lists=$state/lists"
    -o "Dir::State::status=/var/lib/dpkg/status"
    -o "Dir::Cache=$state" -o "Dir::Cache::archives=$state/archives"
    -o "Dir::Etc::SourceList=$state/sources.list"
    -o "Dir::Etc::SourceParts=$state/sources.list.d"
    -o "Dir::Etc::PreferencesParts=$state/preferences.d"
    -o "APT::Sandbox::User=root" -q
)
echo "build-libcap-musl: fetching Debian's libcap2 source (private apt state in $state)"
apt-get "${apt_private[@]}" update >/dev/null
rm -rf "$work/src"
mkdir -p "$work/src"
(cd "$work/src" && apt-get "${apt_private[@]}" source --download-only libcap2 >/dev/null)
dsc=
for f in "$work/src"/libcap2_*.dsc; do [ -e "$f" ] && dsc=$f && break; done
[ -n "$dsc" ] || die "apt-get source libcap2 fetched no .dsc"
(cd "$work/src" && dpkg-source --no-check -x "$(basename "$dsc")" tree >/dev/null)

# --- build the library alone with musl --------------------------------------
# libpsx and threads are not needed: capinit is single-threaded.
echo "build-libcap-musl: building libcap.a with musl-gcc"
make -s -C "$work/src/tree/libcap" CC=musl-gcc BUILD_CC=gcc SHARED=no PTHREADS=no \
    USE_GPERF=no GOLANG=no COPTS="-Os -ffunction-sections -fdata-sections" libcap.a >/dev/null

mkdir -p "$prefix/lib" "$prefix/include/sys" "$prefix/include/linux"
cp "$work/src/tree/libcap/libcap.a" "$prefix/lib/"
cp "$work/src/tree/libcap/include/sys/capability.h" "$prefix/include/sys/"
# musl-gcc does not see the system's kernel headers; libcap bundles the one
# uapi header it needs.
cp "$work/src/tree/libcap/include/uapi/linux/capability.h" "$prefix/include/linux/"
echo "build-libcap-musl: installed into $prefix"
