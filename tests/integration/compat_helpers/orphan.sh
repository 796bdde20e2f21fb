#!/bin/sh
# Run as the init's child: DIR is $1. Leaves an orphan (a sleep whose parent
# has exited) and prints "init=<our parent> orphan_parent=<its new parent>",
# both pids as seen inside the PID namespace, then kills the orphan.
sh -c 'sleep 30 & echo $! > "$1"' sh "$1/orphan.pid"
orphan=$(cat "$1/orphan.pid")
ppid=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$orphan/status")
echo "init=$PPID orphan_parent=$ppid"
kill "$orphan"
