#!/usr/bin/env bash
# bench/startup.sh — capinit's start-up and memory against its releases, the
# bare program and its peers.  Run by `make bench` (bench/run.sh) first, and
# alone by `BENCH_STARTUP_ONLY=1 bench/run.sh` or `make bench-startup`.
#
# What runs, every command interleaved round-robin with every other in one
# driver (bench/timeit.c), static `true` (bench/true.c) as the command:
#
#   forkexec            bench/forkexec.c: fork, exec, wait; the least an init
#                       can do, "the bare program"
#   capinit-0.1.0       built from 4fbe175 with this tree's toolchain and
#                       libcap (bench/build-release.sh): the baseline
#   capinit-0.2.0       built from 62f038b, for the record
#   capinit             this tree (CAPINIT=PATH to change)
#   capinit+spec        this tree with CAPINIT_CAP_DROP=ALL
#                       CAPINIT_CAP_ADD=NET_BIND_SERVICE CAPINIT_USER=nobody
#   tini-static, catatonit   Debian's
#
# each twice: as a plain child of the driver ("not PID 1"), and as PID 1 of
# a new PID namespace under bench/pidns.c, a static clone(CLONE_NEWPID) and
# wait, so that the PID 1 arm does not carry `unshare`'s own fork, mount and
# dynamic loading (forkexec runs under it too: "pidns forkexec true" is
# that arm's bare program).
#
# Also: the minor page faults of each run (wait4), idle VmRSS of each init
# as PID 1 running `sleep`, sizes and BSS (`size`), the system calls up to
# the child's exec (strace, bench/syscalls.py), and capinit's user-space
# instructions (valgrind's callgrind, when installed: the same count on a
# busy machine as on a quiet one).  The report (bench/startup_report.py)
# goes to stdout and bench/results-startup.md; targets are printed as
# PASS/MISS lines and never asserted.
#
# Environment: CAPINIT, BENCH_RUNS (default 1000), BENCH_QUICK=1 (50 runs),
# BENCH_NO_INSTALL=1 (as bench/run.sh). Optional rows, interleaved with the
# rest: BENCH_BEFORE=PATH adds capinit-before and capinit-before+spec (another
# build of capinit, e.g. the tree before a change, for a paired before/after);
# BENCH_GUARD=1 adds capinit+spec+userns, the spec with CAPINIT_USERNS=1 (the
# user-namespace guard off), to show what the guard costs.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
CAPINIT=$(readlink -f -- "${CAPINIT:-$ROOT/build/capinit}" 2>/dev/null || echo "${CAPINIT:-$ROOT/build/capinit}")
export -n CAPINIT
T_START=${T_START:-$SECONDS}
say() { printf 'bench: [%3ds] %s\n' $((SECONDS - T_START)) "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

for v in $(compgen -e); do
	case $v in CAPINIT_*) say "ignoring $v from the environment"; unset "$v" ;; esac
done
if [[ ${BENCH_QUICK:-0} == 1 ]]; then D_RUNS=50; else D_RUNS=1000; fi
RUNS=${BENCH_RUNS:-$D_RUNS}
[[ $RUNS =~ ^[0-9]+$ ]] || die "BENCH_RUNS must be a whole number, got '$RUNS'"
((10#$RUNS >= 5 && 10#$RUNS <= 100000)) || die "BENCH_RUNS must be 5..100000"
RUNS=$((10#$RUNS))
((EUID == 0)) || die "must run as root (a new PID namespace needs CAP_SYS_ADMIN)"
[[ -x $CAPINIT ]] || die "capinit binary not found at $CAPINIT — build it first (make), or set CAPINIT=PATH"

need=()
have() { if ! [[ -e $2 ]] || ! dpkg -s "$1" >/dev/null 2>&1; then need+=("$1"); fi; }
have tini /usr/bin/tini-static
have catatonit /usr/bin/catatonit
have gcc /usr/bin/gcc
have musl-tools /usr/bin/musl-gcc
have strace /usr/bin/strace
have binutils /usr/bin/size
have python3-minimal /usr/bin/python3
if ((${#need[@]})); then
	mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
	[[ ${BENCH_NO_INSTALL:-0} == 1 ]] && die "missing packages: ${need[*]} (BENCH_NO_INSTALL=1)"
	say "installing from Debian: ${need[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

BIN=$ROOT/build/bench
mkdir -p "$BIN"
gcc -O2 -Wall -Wextra -Werror -o "$BIN/timeit" "$ROOT/bench/timeit.c" || die "cannot compile bench/timeit.c"
for p in forkexec pidns true; do
	musl-gcc -static -O2 -s -Wall -Wextra -Werror -o "$BIN/$p" "$ROOT/bench/$p.c" ||
		die "cannot compile bench/$p.c"
done
say "building capinit 0.1.0 (4fbe175) and 0.2.0 (62f038b) into $BIN"
"$ROOT/bench/build-release.sh" 4fbe175 "$BIN/capinit-0.1.0" || die "cannot build capinit 0.1.0"
"$ROOT/bench/build-release.sh" 62f038b "$BIN/capinit-0.2.0" || die "cannot build capinit 0.2.0"

TMP=$(mktemp -d /tmp/capinit-startup.XXXXXX)
BG=()
cleanup() {
	local p
	for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RAW=$BIN/startup.tsv
: >"$RAW"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RAW"; }
SPEC=(CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE CAPINIT_USER=nobody)
TRUE=$BIN/true
NAMES=(forkexec capinit-0.1.0 capinit-0.2.0 capinit capinit+spec tini-static catatonit)
declare -A PATHOF=(
	[forkexec]=$BIN/forkexec [capinit-0.1.0]=$BIN/capinit-0.1.0 [capinit-0.2.0]=$BIN/capinit-0.2.0
	[capinit]=$CAPINIT [capinit+spec]=$CAPINIT
	[tini-static]=/usr/bin/tini-static [catatonit]=/usr/bin/catatonit
)
if [[ -n ${BENCH_BEFORE:-} ]]; then
	before=$(readlink -f -- "$BENCH_BEFORE") && [[ -x $before ]] || die "BENCH_BEFORE: no such program: $BENCH_BEFORE"
	NAMES+=(capinit-before capinit-before+spec)
	PATHOF[capinit-before]=$before PATHOF[capinit-before+spec]=$before
fi
if [[ ${BENCH_GUARD:-0} == 1 ]]; then
	NAMES+=(capinit+spec+userns)
	PATHOF[capinit+spec+userns]=$CAPINIT
fi
# NAME -> the words timeit runs after the label: [VAR=VAL]... INIT [--]
words() {
	case $1 in
	forkexec) echo "${PATHOF[$1]}" ;;
	capinit+spec | capinit-before+spec) echo "${SPEC[*]} ${PATHOF[$1]} --" ;;
	capinit+spec+userns) echo "${SPEC[*]} CAPINIT_USERNS=1 ${PATHOF[$1]} --" ;;
	*) echo "${PATHOF[$1]} --" ;;
	esac
}

# Pre-flight: each runs the command as PID 1 and passes its status on.
for name in "${NAMES[@]}"; do
	read -ra w <<<"$(words "$name")"
	env=() cmd=()
	for x in "${w[@]}"; do if [[ $x == CAPINIT_*=* ]]; then env+=("$x"); else cmd+=("$x"); fi; done
	st=0
	# shellcheck disable=SC2016 # $PPID is for the inner sh
	env "${env[@]}" "$BIN/pidns" "${cmd[@]}" /bin/sh -c 'test $PPID = 1 && exit 7' || st=$?
	[[ $st == 7 ]] || die "$name did not run a command as PID 1 (status $st)"
done

# ------------------------------------------------------------ sizes ----
for name in "${NAMES[@]}"; do
	p=${PATHOF[$name]}
	record "$name" size_bytes "$(stat -Lc %s -- "$p")"
	# size(1) reads the section headers; capinit's file has none
	# (scripts/elf-drop-sections.c), so the loaded segments say it: text
	# the read-only ones (the ELF headers included), data the writable
	# one's file part, BSS the rest of its memory (from the end of the
	# data, page alignment included).
	if readelf -hW -- "$p" | grep -q 'Number of section headers: *0$'; then
		text=0 data=0 bss=0
		while read -r type _ _ _ filesz memsz flags _; do
			[[ $type == LOAD ]] || continue
			if [[ $flags == *W* ]]; then
				((data += filesz, bss += memsz - filesz))
			else
				((text += filesz))
			fi
		done < <(readelf -lW -- "$p")
	else
		read -r text data bss _ < <(size -- "$p" | tail -n1)
	fi
	record "$name" text "$text"
	record "$name" data "$data"
	record "$name" bss "$bss"
done

# --------------------------------------------------------- start-up ----
say "start-up: $RUNS runs of each of $((2 * ${#NAMES[@]})) commands, interleaved"
args=()
for name in "${NAMES[@]}"; do
	read -ra w <<<"$(words "$name")"
	env=() cmd=()
	for x in "${w[@]}"; do if [[ $x == CAPINIT_*=* ]]; then env+=("$x"); else cmd+=("$x"); fi; done
	args+=("$name" "${env[@]}" "${cmd[@]}" "$TRUE" ";")
	args+=("$name@pid1" "${env[@]}" "$BIN/pidns" "${cmd[@]}" "$TRUE" ";")
done
unset 'args[${#args[@]}-1]'
TIMEIT_SAMPLES=$BIN/startup-samples.txt "$BIN/timeit" "$RUNS" $((RUNS < 100 ? 5 : 20)) -- "${args[@]}" \
	>"$TMP/timeit.out"
while read -r label rest; do
	for k in median_us p10_us p90_us minflt fails; do
		v=$(tr ' ' '\n' <<<"$rest" | sed -n "s/^$k=//p")
		record "$label" "$k" "$v"
	done
	[[ $(tr ' ' '\n' <<<"$rest" | sed -n 's/^fails=//p') == 0 ]] || die "start-up: $label failed in some runs"
done <"$TMP/timeit.out"

# ------------------------------------------------- idle RSS as PID 1 ---
say "idle VmRSS of each init as PID 1 running sleep"
for name in "${NAMES[@]}"; do
	[[ $name == forkexec ]] && continue
	read -ra w <<<"$(words "$name")"
	env=() cmd=()
	for x in "${w[@]}"; do if [[ $x == CAPINIT_*=* ]]; then env+=("$x"); else cmd+=("$x"); fi; done
	env "${env[@]}" "$BIN/pidns" "${cmd[@]}" /bin/sleep 60 &
	u=$!
	BG+=("$u")
	ipid='' ok=0
	for _ in $(seq 500); do
		ipid=$(cat "/proc/$u/task/$u/children" 2>/dev/null || true)
		ipid=${ipid%% *}
		if [[ -n $ipid ]]; then
			c=$(cat "/proc/$ipid/task/$ipid/children" 2>/dev/null || true)
			c=${c%% *}
			if [[ -n $c && $(cat "/proc/$c/comm" 2>/dev/null) == sleep ]]; then ok=1; break; fi
		fi
		sleep 0.01
	done
	((ok)) || die "$name: init or its child did not start"
	sleep 0.5 # the init's own start-up is over (it drops privilege after the fork)
	for k in VmRSS RssAnon RssFile; do
		record "$name" "$k" "$(awk -v k="$k:" '$1 == k { print $2 }' "/proc/$ipid/status")"
	done
	kill -KILL "$u" 2>/dev/null || true
	wait "$u" 2>/dev/null || true
done
BG=()

# ---------------------------------------- system calls to the exec ----
say "system calls: each under strace, as PID 1, up to its child's exec"
mkdir -p "$TMP/strace"
for name in "${NAMES[@]}"; do
	read -ra w <<<"$(words "$name")"
	env=() cmd=()
	for x in "${w[@]}"; do if [[ $x == CAPINIT_*=* ]]; then env+=(-E "$x"); else cmd+=("$x"); fi; done
	runs=()
	for i in 1 2 3; do
		strace -ff -ttt -qq "${env[@]}" -o "$TMP/strace/$name.$i" "$BIN/pidns" "${cmd[@]}" "$TRUE" \
			>/dev/null || die "system calls: $name failed under strace"
		runs+=("$(/usr/bin/python3 "$ROOT/bench/syscalls.py" "$TMP/strace/$name.$i" "${PATHOF[$name]}" "$TRUE")") ||
			die "system calls: cannot count $name's"
	done
	r=$(printf '%s\n' "${runs[@]}" | sort -t= -k2 -n | sed -n 2p)
	for k in total init child; do record "$name" "syscalls_$k" "$(tr ' ' '\n' <<<"$r" | sed -n "s/^$k=//p")"; done
done

# ------------------------------------------- user-space instructions ---
if command -v valgrind >/dev/null; then
	say "instructions: capinit's own process under callgrind"
	for name in "${NAMES[@]}"; do
		[[ $name == capinit* ]] || continue
		read -ra w <<<"$(words "$name")"
		env=() cmd=()
		for x in "${w[@]}"; do if [[ $x == CAPINIT_*=* ]]; then env+=("$x"); else cmd+=("$x"); fi; done
		rm -f "$TMP"/cg.*
		# the child's part ends at its exec, where callgrind writes nothing;
		# the init process runs to its end
		env "${env[@]}" valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.%p" \
			"${cmd[@]}" "$TRUE" >/dev/null 2>&1 || die "instructions: $name failed under valgrind"
		ir=$(grep -h '^summary:' "$TMP"/cg.* | awk '{ print $2 }' | sort -n | tail -n1)
		record "$name" instructions "$ir"
	done
fi

record meta runs "$RUNS"
record meta elapsed_s $((SECONDS - T_START))
record meta capinit "$CAPINIT"
record meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record meta commit "$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo +changes)"
record meta nproc "$(nproc)"
record meta cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
record meta kernel "$(uname -srm)"
record meta load "$(cut -d' ' -f1-3 /proc/loadavg)"
record meta quick "${BENCH_QUICK:-0}"
record meta before "${BENCH_BEFORE:-}"

/usr/bin/python3 "$ROOT/bench/startup_report.py" "$RAW" "$BIN/startup-samples.txt" >"$TMP/report.md" ||
	die "report failed"
cp -- "$TMP/report.md" "$ROOT/bench/results-startup.md"
cat -- "$TMP/report.md"
say "start-up done in $((SECONDS - T_START)) s; written to bench/results-startup.md (raw: build/bench/startup.tsv)"
