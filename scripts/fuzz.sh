#!/usr/bin/env bash
# The fuzzing stage of scripts/test.sh: build the libFuzzer entry points,
# replay every committed corpus file once, then fuzz each for a short budget
# (default 10 s; `scripts/fuzz.sh SECONDS`). A finding fails the stage and is
# left in build/fuzz/artifacts/ (its path and the tail of the log printed).
# Longer runs: make fuzz FUZZ_SECONDS=N.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz: SECONDS must be a whole number" >&2; exit 2; }

scripts/install-fuzz-deps.sh
t0=$SECONDS
make -s -j"$(nproc)" fuzz-build
echo "fuzz: built in $((SECONDS - t0)) s"

passed=0 failed=0
mkdir -p build/fuzz/artifacts
for bin in build/fuzz/fuzz_*; do
    name=${bin#build/fuzz/fuzz_}
    corpus=tests/fuzz/corpus/$name
    mapfile -t seeds < <(find "$corpus" -type f | sort)
    if ((${#seeds[@]} == 0)); then
        echo "fuzz: $name: FAILED, no corpus in $corpus"
        failed=$((failed + 1))
        continue
    fi
    log=build/fuzz/replay-$name.log
    if "$bin" -runs=1 "${seeds[@]}" >"$log" 2>&1; then
        echo "fuzz: $name: replayed ${#seeds[@]} corpus files, no finding"
        passed=$((passed + 1))
    else
        echo "fuzz: $name: FAILED replaying $corpus"
        tail -n 30 "$log"
        failed=$((failed + 1))
    fi

    # A scratch corpus per run: what a short run finds is not kept.
    scratch=$(mktemp -d /tmp/capinit-fuzz.XXXXXX)
    log=build/fuzz/short-$name.log
    if "$bin" -max_total_time="$seconds" -max_len=512 -dict=tests/fuzz/capinit.dict \
        -artifact_prefix="build/fuzz/artifacts/$name-" -print_final_stats=1 \
        "$scratch" "$corpus" >"$log" 2>&1; then
        echo "fuzz: $name: ${seconds} s, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$') executions, $(grep -E '^#[0-9]+.*DONE' "$log" | grep -o 'cov: [0-9]* ft: [0-9]*'), no finding"
        passed=$((passed + 1))
    else
        echo "fuzz: $name: FAILED, a finding in ${seconds} s:"
        grep -E 'invariant failed|ERROR: |runtime error|Test unit written' "$log" | head -n 5
        tail -n 20 "$log"
        failed=$((failed + 1))
    fi
    rm -rf -- "$scratch"
done
echo "$passed passed, $failed failed"
((failed == 0))
