#!/usr/bin/env bash
# tini's and dumb-init's own test suites, from Debian's source packages,
# run against capinit through the names they call (issue 9).
#
#   tests/upstream/run.sh            against build/capinit (CI)
#   tests/upstream/run.sh real       against the real tini-static and
#                                    dumb-init, to check the harness itself
#   tests/upstream/run.sh capinit dumb-init   one suite only (or tini)
#
# Nothing of theirs is committed: the sources are fetched at test time into
# build/upstream/ (skipped when already unpacked). Each suite runs in its own
# PID namespace under tests/upstream/reaper.py, so a failing case's leftover
# processes die with the namespace instead of spinning on the host.
#
# A failing case fails the stage unless tests/upstream/known-differences.txt
# lists it with its reason. Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
IMPL=${1:-capinit}
ONLY=${2:-}
case $IMPL in capinit | real) ;; *) echo "usage: $0 [capinit|real] [tini|dumb-init]" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "upstream: run as root (unshare)" >&2; exit 1; }

WORK=$ROOT/build/upstream
PY=/usr/bin/python3 # Debian's, with pytest, psutil and prctl
KNOWN=$ROOT/tests/upstream/known-differences.txt
# upstream's pytest.ini says 5 s: a hang guard, too short for a shared,
# loaded machine (the real dumb-init times out there); still a hang guard.
TIMEOUT=${UPSTREAM_TIMEOUT:-15}
mkdir -p "$WORK"

. scripts/lib/debian-source.sh

# Unpack PKG's source into $WORK/PKG/tree unless already there.
fetch() {
    local pkg=$1 w=$WORK/$1
    [ -f "$w/tree/.unpacked" ] && return 0
    if ! debian_source "$pkg" "$w"; then
        # The mirror may lack the small Debian packaging tarball while the
        # upstream one (which holds the tests) is there: use it, verified
        # against the signed .dsc's SHA-256, and say so.
        local dsc orig sum
        dsc=$(ls "$w"/src/"$pkg"_*.dsc 2>/dev/null | head -1) || true
        orig=$(ls "$w"/src/"$pkg"_*.orig.tar.* 2>/dev/null | head -1) || true
        [ -n "$dsc" ] && [ -n "$orig" ] || { echo "upstream: cannot fetch $pkg's source" >&2; return 1; }
        sum=$(awk -v f="$(basename "$orig")" '/^Checksums-Sha256:/ {s=1; next} /^[^ ]/ {s=0}
            s && $3 == f {print $1}' "$dsc")
        [ -n "$sum" ] && echo "$sum  $orig" | sha256sum -c --quiet - ||
            { echo "upstream: $orig does not match $dsc" >&2; return 1; }
        echo "upstream: $pkg: Debian's packaging tarball is not on the mirror;" \
            "using the upstream tarball alone (checked against the .dsc)" >&2
        rm -rf "$w/tree" && mkdir -p "$w/tree"
        tar -xf "$orig" -C "$w/tree" --strip-components=1
    fi
    touch "$w/tree/.unpacked"
}

# The names the suites call, each a link to the init under test.
BIN=$WORK/bin-$IMPL
rm -rf "$BIN" && mkdir -p "$BIN"
if [ "$IMPL" = real ]; then
    ln -s /usr/bin/tini-static "$BIN/tini"
    ln -s /usr/bin/dumb-init "$BIN/dumb-init"
else
    [ -x build/capinit ] || { echo "upstream: build/capinit missing (make build/capinit)" >&2; exit 1; }
    ln -s "$ROOT/build/capinit" "$BIN/tini"
    ln -s "$ROOT/build/capinit" "$BIN/dumb-init"
fi
# Their scripts start with "#!/usr/bin/env python[3]": the python3 first on
# a developer's PATH may lack psutil and prctl.
ln -s "$PY" "$BIN/python3"
ln -s "$PY" "$BIN/python"
# A scratch HOME: dumb-init's tty tests start an interactive bash, which
# would read the user's ~/.bashrc and write ~/.bash_history.
HOMEDIR=$WORK/home-$IMPL
rm -rf "$HOMEDIR" && mkdir -p "$HOMEDIR"

in_namespace() {
    env PATH="$BIN:$PATH" HOME="$HOMEDIR" nice -n 10 \
        unshare -fp --mount-proc --kill-child "$PY" "$ROOT/tests/upstream/reaper.py" "$@"
}

total_pass=0
total_fail=0
unexpected=()

# known SUITE CASE -> the listed reason, or nothing.
known() {
    [ -f "$KNOWN" ] || return 1
    awk -v s="$1" -v c="$2" -F'\t' '!/^#/ && $1 == s && $2 == c {print $3; f=1} END {exit !f}' "$KNOWN"
}

account() { # SUITE PASSED FAILED-CASE...
    local suite=$1 passed=$2 c reason
    shift 2
    total_pass=$((total_pass + passed))
    total_fail=$((total_fail + $#))
    printf 'upstream %s (%s): %d passed, %d failed\n' "$suite" "$IMPL" "$passed" $#
    for c in "$@"; do
        if [ "$IMPL" = capinit ] && reason=$(known "$suite" "$c"); then
            printf '  known difference: %s  (%s)\n' "$c" "$reason"
        else
            printf '  FAILED: %s\n' "$c"
            unexpected+=("$suite $c")
        fi
    done
}

run_dumb_init() {
    fetch dumb-init
    local log=$WORK/dumb-init-$IMPL.log rc=0
    echo "upstream: dumb-init's pytest suite against $(readlink "$BIN/dumb-init")"
    (cd "$WORK/dumb-init/tree" && in_namespace "$PY" -m pytest -p no:cacheprovider -q -rfE \
        -o timeout="$TIMEOUT" tests) > "$log" 2>&1 || rc=$?
    tail -n 1 "$log"
    local passed failed
    passed=$(tail -n 1 "$log" | grep -o '[0-9]* passed' | grep -o '[0-9]*' || echo 0)
    mapfile -t failed < <(sed -n 's/^\(FAILED\|ERROR\) \([^ ]*\).*/\2/p' "$log")
    [ "$rc" -eq 0 ] || [ ${#failed[@]} -gt 0 ] ||
        failed=("pytest exited $rc without a summary (see $log)")
    account dumb-init "${passed:-0}" "${failed[@]}"
}

run_tini() {
    fetch tini
    local log=$WORK/tini-$IMPL.log rc=0 src=$WORK/tini/tree
    # tini's CI builds this helper beside the binary it tests.
    gcc -O2 -o "$BIN/sigconf-test" "$src/test/sigconf/sigconf-test.c"
    echo "upstream: tini's run_inner_tests.py against $(readlink "$BIN/tini")"
    (cd "$src" && SOURCE_DIR=$src BUILD_DIR=$BIN FORCE_SUBREAPER=1 \
        PYTHONPATH=$ROOT/tests/upstream in_namespace "$PY" "$ROOT/tests/upstream/tini_runner.py" \
        "$src/test/run_inner_tests.py") > "$log" 2>&1 || rc=$?
    grep -E '^(tini suite:|All done)' "$log" || true
    local passed failed
    passed=$(tail -n 1 "$log" | sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p')
    mapfile -t failed < <(sed -n 's/^FAILED: //p' "$log")
    [ -n "$passed" ] || { passed=0; failed=("the runner ended without a summary (see $log)"); }
    [ "$rc" -eq 0 ] || [ ${#failed[@]} -gt 0 ] || failed=("runner exited $rc (see $log)")
    account tini "$passed" "${failed[@]}"
}

t0=$SECONDS
[ "$ONLY" = tini ] || run_dumb_init
[ "$ONLY" = dumb-init ] || run_tini
printf 'upstream suites took %d s\n' $((SECONDS - t0))
if [ ${#unexpected[@]} -gt 0 ]; then
    printf 'upstream: %d failing case(s) not in %s\n' ${#unexpected[@]} "${KNOWN#"$ROOT"/}"
fi
known_count=$((total_fail - ${#unexpected[@]}))
[ "$known_count" -eq 0 ] || echo "upstream: $known_count known difference(s), each listed above with its reason"
echo "$total_pass passed, ${#unexpected[@]} failed"
[ ${#unexpected[@]} -eq 0 ]
