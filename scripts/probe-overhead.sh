#!/usr/bin/env bash
# The probe's own cost per trial beyond the app's run time: N trials of
# /bin/true through `capinit --probe` against N runs of /bin/true and N
# ordinary `capinit --cap-drop=ALL /bin/true` runs, interleaved in one PID
# namespace so that all three see the same machine load. Prints ms per run.
set -euo pipefail
cd "$(dirname "$0")/.."
CAPINIT=${CAPINIT:-build/capinit}
N=${N:-100}  # --probe-repeat allows at most 100: N - 2 repeats
ROUNDS=${ROUNDS:-3}
[ "$(id -u)" -eq 0 ] || { echo "probe-overhead: run as root (PID namespace)" >&2; exit 1; }
[ -x "$CAPINIT" ] || { echo "probe-overhead: $CAPINIT is missing: run make" >&2; exit 1; }
CAPINIT=$(realpath "$CAPINIT")
now() { date +%s%N; }
export -f now
for r in $(seq "$ROUNDS"); do
    unshare -fp --mount-proc --kill-child bash -c '
        C=$1 N=$2
        ms() { echo "$(( ($2 - $1) / N / 1000 ))"; }
        t0=$(now); for ((i = 0; i < N; i++)); do /bin/true; done
        t1=$(now); for ((i = 0; i < N; i++)); do "$C" --grace=0 --cap-drop=ALL /bin/true; done
        t2=$(now); "$C" --probe --probe-repeat=$((N - 2)) /bin/true >/dev/null 2>&1
        t3=$(now)
        printf "round %s: /bin/true %s us, capinit run %s us, probe trial %s us (per run, N=%s)\n" \
            "$3" "$(ms "$t0" "$t1")" "$(ms "$t1" "$t2")" "$(ms "$t2" "$t3")" "$N"
    ' bash "$CAPINIT" "$N" "$r"
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
