#!/usr/bin/env bash
# bench/run.sh — compare capinit with tini, tini-static, dumb-init and
# catatonit as PID 1 of a fresh PID namespace.  Called by `make bench`.
#
# First the start-up and memory benchmark, bench/startup.sh (capinit against
# the bare fork-exec-wait, its releases 0.1.0 and 0.2.0, tini-static and
# catatonit, with and without PID 1; written to bench/results-startup.md).
# Then, per init: binary size and static-ness; VmRSS/VmHWM as PID 1; idle
# wake-ups; reaping a stream and a burst of orphans; signal-forwarding
# latency (in a cpu cgroup made for it, as in a container, and in the
# caller's own).  Prints one markdown table (also written to
# bench/results.md) and the targets capinit is held to.  Targets are
# reported, never asserted: the exit status is 0 unless the benchmark itself
# broke.
#
# Everything that forks runs inside `unshare -fp --mount-proc --kill-child`,
# so whatever is left when an init exits dies with its namespace.
#
# Environment:
#   CAPINIT=PATH            capinit binary (default: build/capinit)
#   BENCH_QUICK=1           ~15 s smoke run (small counts everywhere)
#   BENCH_RUNS=N            start-up runs per command (default 1000)
#   BENCH_IDLE_SECONDS=S    idle window for wake-ups (default 10)
#   BENCH_REAP_N=N          orphans per reaping run (default 10000, 2..20000)
#   BENCH_REAP_REPS=N       reaping runs per init (default 3; median reported)
#   BENCH_SIGNALS=N         signals per init for the latency (default 2000)
#   BENCH_SIGNAL_SPACING_US=US  pause between signals (default 500, +0-50%)
#   BENCH_NO_INSTALL=1      never call apt-get; fail if something is missing
#   BENCH_STARTUP_ONLY=1    only bench/startup.sh (start-up, memory, sizes,
#                           system calls), written to bench/results-startup.md
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
CAPINIT=$(readlink -f -- "${CAPINIT:-$ROOT/build/capinit}" 2>/dev/null || echo "${CAPINIT:-$ROOT/build/capinit}")
export -n CAPINIT  # our setting, not the inits' environment

say() { printf 'bench: [%3ds] %s\n' $((SECONDS - ${T_START:-$SECONDS})) "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

# capinit refuses unknown CAPINIT_* variables (exit 2); none of the caller's
# may leak into the runs.
for v in $(compgen -e); do
	case $v in CAPINIT_*) say "ignoring $v from the environment"; unset "$v" ;; esac
done

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
	D_RUNS=50 D_IDLE=2 D_REAP_N=2000 D_REAP_REPS=1 D_SIGNALS=200
else
	D_RUNS=1000 D_IDLE=10 D_REAP_N=10000 D_REAP_REPS=3 D_SIGNALS=2000
fi
STARTUP_ONLY=$([[ ${BENCH_STARTUP_ONLY:-0} == 1 ]] && echo 1 || echo 0)
RUNS=${BENCH_RUNS:-$D_RUNS}
IDLE=${BENCH_IDLE_SECONDS:-$D_IDLE}
REAP_N=${BENCH_REAP_N:-$D_REAP_N}
REAP_REPS=${BENCH_REAP_REPS:-$D_REAP_REPS}
SIGNALS=${BENCH_SIGNALS:-$D_SIGNALS}
SPACING=${BENCH_SIGNAL_SPACING_US:-500}
for v in RUNS:BENCH_RUNS IDLE:BENCH_IDLE_SECONDS REAP_N:BENCH_REAP_N \
	REAP_REPS:BENCH_REAP_REPS SIGNALS:BENCH_SIGNALS SPACING:BENCH_SIGNAL_SPACING_US; do
	n=${v%%:*}
	[[ ${!n} =~ ^[0-9]+$ ]] || die "${v#*:} must be a whole number, got '${!n}'"
	printf -v "$n" '%d' "$((10#${!n}))"  # "08" is 8, not bad octal
done
((RUNS >= 1 && RUNS <= 100000)) || die "BENCH_RUNS must be 1..100000"
((IDLE >= 1 && IDLE <= 600)) || die "BENCH_IDLE_SECONDS must be 1..600"
((REAP_N >= 2 && REAP_N <= 20000)) || die "BENCH_REAP_N must be 2..20000"
((REAP_REPS >= 1 && REAP_REPS <= 50)) || die "BENCH_REAP_REPS must be 1..50"
((SIGNALS >= 1 && SIGNALS <= 100000)) || die "BENCH_SIGNALS must be 1..100000"
((SPACING <= 1000000)) || die "BENCH_SIGNAL_SPACING_US must be <= 1000000"

# ---------------------------------------------------------------- set-up ---

((EUID == 0)) || die "must run as root (unshare -p needs CAP_SYS_ADMIN)"

if [[ ! -x $CAPINIT ]]; then
	die "capinit binary not found at $CAPINIT — build it first (make), or set CAPINIT=PATH"
fi

# Peers and tools, from Debian.  apt-get is only called for what is missing.
need=()
have() { # PACKAGE FILE
	if ! [[ -e $2 ]] || ! dpkg -s "$1" >/dev/null 2>&1; then need+=("$1"); fi
}
have tini /usr/bin/tini
have tini /usr/bin/tini-static
have dumb-init /usr/bin/dumb-init
have catatonit /usr/bin/catatonit
have file /usr/bin/file
have util-linux /usr/bin/unshare
have gcc /usr/bin/gcc
have libc6-dev /usr/include/stdio.h
have python3-minimal /usr/bin/python3
if ((${#need[@]})); then
	mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
	[[ ${BENCH_NO_INSTALL:-0} == 1 ]] && die "missing packages: ${need[*]} (BENCH_NO_INSTALL=1)"
	command -v apt-get >/dev/null || die "missing packages: ${need[*]}, and no apt-get to install them"
	say "installing from Debian: ${need[*]}"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

BIN=$ROOT/build/bench
mkdir -p "$BIN"
for p in orphans reapdrv sigchild siglat; do
	gcc -O2 -Wall -Wextra -Werror -o "$BIN/$p" "$ROOT/bench/$p.c" ||
		die "cannot compile bench/$p.c"
done

TMP=$(mktemp -d /tmp/capinit-bench.XXXXXX)
RAW=$BIN/raw.tsv
: >"$RAW"
BG=()  # unshare pids we started in the background
CG_DIR=''  # the cpu cgroup made for the signal runs, if any
cleanup() {
	local p
	for p in "${BG[@]}"; do
		# SIGKILL the unshare: --kill-child takes the init and its namespace
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf -- "$TMP"
	# the runs in it have ended: every signal run is waited for
	if [[ -n $CG_DIR ]]; then rmdir -- "$CG_DIR" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

NS=(unshare -fp --mount-proc --kill-child)
NAMES=(capinit tini tini-static dumb-init catatonit)
declare -A PATHOF=(
	[capinit]=$CAPINIT
	[tini]=/usr/bin/tini
	[tini-static]=/usr/bin/tini-static
	[dumb-init]=/usr/bin/dumb-init
	[catatonit]=/usr/bin/catatonit
)
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RAW"; }
# field KEY "k=v k=v ..." -> v of KEY, or nan
field() {
	local w ws
	read -ra ws <<<"$2"
	for w in "${ws[@]}"; do [[ $w == "$1="* ]] && { echo "${w#*=}"; return; }; done
	echo nan
}

T_START=$SECONDS
export T_START

# ------------------------------------------- start-up and memory first ----
CAPINIT=$CAPINIT BENCH_RUNS=$RUNS "$ROOT/bench/startup.sh" || die "the start-up benchmark failed"
if ((STARTUP_ONLY)); then exit 0; fi

# Pre-flight: every init must run a command as PID 1 and pass its status on.
for name in "${NAMES[@]}"; do
	st=0
	# shellcheck disable=SC2016 # $PPID is for the inner sh
	"${NS[@]}" "${PATHOF[$name]}" -- /bin/sh -c 'test $PPID = 1 && exit 7' || st=$?
	[[ $st == 7 ]] || die "$name (${PATHOF[$name]}) did not run a command as PID 1 (status $st)"
done

# ------------------------------------------------------ 1. binary size -----

for name in "${NAMES[@]}"; do
	p=${PATHOF[$name]}
	record "$name" size_bytes "$(stat -Lc %s -- "$p")"
	if file -L -- "$p" | grep -Eq 'statically linked|static-pie linked'; then
		record "$name" static yes
	else
		record "$name" static no
	fi
done

# ----------------------------------------- 2+4. RSS and idle wake-ups ------
# All five inits idle side by side, each as PID 1 with `sleep` as its child.
# An idle process takes no CPU, so running them together costs nothing and
# keeps the whole phase at about IDLE seconds.

children() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
ctxt() { awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s }' "/proc/$1/status"; }

say "idle: RSS and wake-ups over ${IDLE}s"
declare -A UPID IPID
for name in "${NAMES[@]}"; do
	"${NS[@]}" "${PATHOF[$name]}" -- sleep $((IDLE + 120)) &
	UPID[$name]=$!
	BG+=($!)
done
for name in "${NAMES[@]}"; do
	u=${UPID[$name]} ipid='' ok=0
	for _ in $(seq 500); do  # up to ~5 s for init and child to be up
		ipid=$(children "$u"); ipid=${ipid%% *}
		if [[ -n $ipid ]]; then
			c=$(children "$ipid"); c=${c%% *}
			if [[ -n $c && $(cat "/proc/$c/comm" 2>/dev/null) == sleep ]]; then ok=1; break; fi
		fi
		sleep 0.01
	done
	((ok)) || die "$name: init or its child did not start under unshare"
	IPID[$name]=$ipid
done
sleep 1  # let every init finish its start-up (privilege drops, etc.)
declare -A C0
for name in "${NAMES[@]}"; do C0[$name]=$(ctxt "${IPID[$name]}"); done
sleep "$IDLE"
for name in "${NAMES[@]}"; do
	i=${IPID[$name]}
	record "$name" idle_wakeups $(($(ctxt "$i") - ${C0[$name]}))
	record "$name" rss_kb "$(status_kb "$i" VmRSS)"
	record "$name" hwm_kb "$(status_kb "$i" VmHWM)"
done
for name in "${NAMES[@]}"; do kill -TERM "${IPID[$name]}" 2>/dev/null || true; done
for name in "${NAMES[@]}"; do
	u=${UPID[$name]}
	for _ in $(seq 500); do kill -0 "$u" 2>/dev/null || break; sleep 0.01; done
	kill -KILL "$u" 2>/dev/null || true  # did not end on SIGTERM: end it
	wait "$u" 2>/dev/null || true
done
BG=()

# ------------------------------------------------------------ 5. reaping ---
# See orphans.c and reapdrv.c.  Stream: two workers make N orphans one by
# one while the init runs (peak unreaped, PID 1 CPU).  Burst: N zombies are
# made while the init is SIGSTOPped, then it is continued and timed until it
# has reaped them all.  Each orphan alive at once holds ~100 kB of kernel
# memory: scale N down on a small machine rather than meet the OOM killer.

avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
max_n=$(((avail_kb - 512 * 1024) / 200))
if ((REAP_N > max_n)); then
	((max_n >= 100)) || die "not enough free memory for the reaping benchmark"
	say "reaping: only $((avail_kb / 1024)) MB available, using $max_n orphans instead of $REAP_N"
	REAP_N=$max_n
fi
pid_max=$(cat /proc/sys/kernel/pid_max)
procs=(/proc/[0-9]*)
nprocs=${#procs[@]}
if ((REAP_N > pid_max - nprocs - 1000)); then
	REAP_N=$((pid_max - nprocs - 1000))
	say "reaping: pid_max is $pid_max, using $REAP_N orphans"
	((REAP_N >= 100)) || die "pid_max too small for the reaping benchmark"
fi
record meta reap_n "$REAP_N"

say "reaping: $REAP_REPS x $REAP_N orphans per init, as a stream and as a burst"
declare -A RW RC SC SP
for _ in $(seq "$REAP_REPS"); do
	for name in "${NAMES[@]}"; do
		r=$(timeout --foreground -s KILL 300 "$BIN/reapdrv" "$TMP/rfifo" "$TMP/rout" -- \
			"${NS[@]}" "${PATHOF[$name]}" -- "$BIN/orphans" "$REAP_N" "$TMP/rout" "$TMP/rfifo") ||
			die "reaping: $name: the benchmark failed"
		for k in stream_left burst_left errors; do
			[[ $(field $k "$r") == 0 ]] || say "reaping: $name: $k=$(field $k "$r")"
		done
		RW[$name]+=" $(field burst_reap_us "$r")"
		RC[$name]+=" $(field burst_cpu_us "$r")"
		SC[$name]+=" $(field stream_cpu_us "$r")"
		SP[$name]+=" $(field stream_peak "$r")"
	done
done
# median / maximum of the numbers in one string " 1 2 3"
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -n1; }
for name in "${NAMES[@]}"; do
	record "$name" reap_wall_us "$(median "${RW[$name]}")"
	record "$name" reap_cpu_us "$(median "${RC[$name]}")"
	record "$name" stream_cpu_us "$(median "${SC[$name]}")"
	record "$name" stream_peak "$(maxof "${SP[$name]}")"
done

# ------------------------------------------------- 6. signal forwarding ----

# Where the kernel places the init and the child (same CPU as the sender or
# another, with an inter-processor wake-up) changes the latency more than the
# init does, so we measure twice: all pinned to one CPU (the init's own path)
# and free.  Runs are split into rounds, interleaved across inits, pooled.
#
# And in two places.  "host": the cpu cgroup this script runs in.  When that
# is the root one and autogroup is on (sched_autogroup_enabled, the default
# of most distribution kernels), every session gets its own scheduling group:
# dumb-init's setsid() puts its child in a group of its own, which changes
# wake-up placement and preemption and, on this kind of VM, makes it faster
# than every init that keeps the child in its session.  "cgroup": a cpu
# cgroup made for the benchmark, as Kubernetes (always) and Docker (under
# cgroup v1, or with CPU limits) make one per container; autogroup does not
# apply inside one, and that is where these inits usually run in
# production.  capinit-setsid (capinit under its dumb-init name, so the
# child gets a new session) shows the effect is the session, not the init's
# code path.

# A cpu cgroup for the "cgroup" runs: prints its cgroup.procs, or nothing.
make_cpu_cgroup() {
	local d
	if [[ -d /sys/fs/cgroup/cpu && -e /sys/fs/cgroup/cpu/cgroup.procs ]]; then # v1
		d=/sys/fs/cgroup/cpu/capinit-bench.$$
	elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then # v2
		grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control ||
			echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || return 0
		d=/sys/fs/cgroup/capinit-bench.$$
	else
		return 0
	fi
	mkdir -- "$d" 2>/dev/null && echo "$d/cgroup.procs"
}
# The cpu cgroup of this shell ("/" = root), v1 controller line or v2's.
own_cpu_cgroup() {
	awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3; found = 1; exit }
		$1 == "0" && $2 == "" { v2 = $3 }
		END { if (!found) print (v2 == "" ? "?" : v2) }' /proc/self/cgroup
}
CG_PROCS=$(make_cpu_cgroup || true)
if [[ -n $CG_PROCS ]]; then
	CG_DIR=${CG_PROCS%/cgroup.procs}  # removed by cleanup
	PLACES=(host cgroup)
else
	say "signals: cannot make a cpu cgroup; only the host's own cgroup is measured"
	PLACES=(host)
fi
record meta autogroup "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo absent)"
record meta own_cpu_cgroup "$(own_cpu_cgroup)"

ln -s -- "$CAPINIT" "$TMP/dumb-init"
PATHOF[capinit-setsid]=$TMP/dumb-init
SIGNAMES=("${NAMES[@]}" capinit-setsid)
ROUNDS=$((SIGNALS >= 400 ? 4 : 1))
PER=$(((SIGNALS + ROUNDS - 1) / ROUNDS))
CPU=$(($(nproc) - 1))
say "signals: $((PER * ROUNDS)) SIGUSR1 per init, place (${PLACES[*]}) and mode, ${SPACING} us apart, pinned to CPU $CPU and free"
declare -A LOST
for _ in $(seq "$ROUNDS"); do
	for name in "${SIGNAMES[@]}"; do
		for place in "${PLACES[@]}"; do
			for mode in one free; do
				run=()
				# shellcheck disable=SC2016 # $$ and $1 are for the inner sh
				[[ $place == cgroup ]] && run=(sh -c 'echo $$ >"$1" && shift && exec "$@"' sh "$CG_PROCS")
				[[ $mode == one ]] && run+=(taskset -c "$CPU")
				r=$("${run[@]}" timeout --foreground -s KILL 300 "$BIN/siglat" "$PER" "$SPACING" \
					"$TMP/fifo" "$TMP/sig.$name.$place.$mode" -- \
					"${NS[@]}" "${PATHOF[$name]}" -- "$BIN/sigchild" "$TMP/fifo") ||
					die "signals: $name ($place, $mode): the latency driver failed"
				LOST[$name]=$((${LOST[$name]:-0} + $(field lost "$r")))
			done
		done
	done
done
pctl() { sort -g "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (NR) { i = int(p / 100 * (NR - 1) + 0.5) + 1; print v[i] } else print "nan" }'; }
for name in "${SIGNAMES[@]}"; do
	for place in "${PLACES[@]}"; do
		pre=${place/host/}; pre=${pre:+${pre}_}  # host: sig_*, cgroup: cgroup_sig_*
		f=$TMP/sig.$name.$place
		record "$name" "${pre}sig1_median_us" "$(pctl "$f.one" 50)"
		record "$name" "${pre}sig1_p99_us" "$(pctl "$f.one" 99)"
		record "$name" "${pre}sig_median_us" "$(pctl "$f.free" 50)"
		record "$name" "${pre}sig_p99_us" "$(pctl "$f.free" 99)"
	done
	record "$name" sig_lost "${LOST[$name]}"
done
record meta sig_cpu "$CPU"
record meta signals $((PER * ROUNDS))

# ------------------------------------------------------------- report ------

record meta elapsed_s $((SECONDS - T_START))
record meta idle_s "$IDLE"
record meta reap_reps "$REAP_REPS"
record meta quick "${BENCH_QUICK:-0}"
record meta capinit "$CAPINIT"
record meta date "$(date -u '+%Y-%m-%d %H:%M UTC')"
record meta nproc "$(nproc)"
record meta cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
record meta kernel "$(uname -srm)"
# shellcheck source=/dev/null
record meta os "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
record meta mem_mb "$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)"

/usr/bin/python3 "$ROOT/bench/report.py" "$RAW" >"$TMP/report.md" || die "report failed"
out=$ROOT/bench/results.md
cp -- "$TMP/report.md" "$out"
cat -- "$TMP/report.md"
say "done in $((SECONDS - T_START)) s; written to ${out#"$ROOT"/} (raw numbers: build/bench/raw.tsv)"
