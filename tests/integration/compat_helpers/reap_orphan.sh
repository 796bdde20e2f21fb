#!/bin/sh
# Run as the init's child (as PID 1's child): DIR is $1. Leaves an orphan that
# exits at once and returns only once it has been reaped by whoever adopted it
# (kill -0 succeeds on a zombie). Exits 99 if it is never reaped (10 s).
sh -c 'sleep 0.1 & echo $! > "$1"' sh "$1/orphan.pid"
orphan=$(cat "$1/orphan.pid")
n=0
while kill -0 "$orphan" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -gt 200 ] && exit 99
	sleep 0.05
done
exit 0
