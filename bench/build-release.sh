#!/usr/bin/env bash
# bench/build-release.sh COMMIT OUT — build capinit as it was at COMMIT, with
# this tree's musl toolchain and libcap (build/libcap-musl), into OUT.
#
# The start-up benchmark compares this tree with earlier releases (0.1.0 is
# the baseline "within 5%" refers to); a binary built here from the same
# compiler and libcap differs from today's only by the source.  The tree is
# taken with `git archive` into build/bench/src-COMMIT, so nothing of the
# working tree leaks in, and is rebuilt only when OUT is missing.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# == 2 ]] || { echo "usage: $0 COMMIT OUT" >&2; exit 2; }
commit=$1 out=$2
[[ -x $out ]] && exit 0
git -C "$ROOT" cat-file -e "$commit^{commit}" 2>/dev/null ||
	{ echo "build-release: no commit $commit in $ROOT" >&2; exit 1; }
make -s -C "$ROOT" build/libcap-musl/lib/libcap.a >/dev/null
src=$ROOT/build/bench/src-$commit
rm -rf -- "$src"
mkdir -p -- "$src"
git -C "$ROOT" archive "$commit" | tar -x -C "$src"
make -s -C "$src" build/capinit LIBCAP_PREFIX="$ROOT/build/libcap-musl" COMMIT="$commit" >&2
mkdir -p -- "$(dirname -- "$out")"
cp -- "$src/build/capinit" "$out"
