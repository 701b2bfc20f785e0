#!/bin/bash
# Keeps the machine's one-minute load average near TARGET (default 4), as
# docs/ci.md measures .ci/run "under a load of 4": every 15 s it starts a
# busy loop when the load is under TARGET - 0.3 (at most MAX, default 4)
# and stops one when it is over TARGET + 0.5. Whatever else runs counts
# toward the load too. Each check is logged; stop it with INT or TERM.
#
# Usage: tests/load-keeper.sh [TARGET [MAX]]
set -u
target=${1:-4}
max=${2:-4}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; exit 0' INT TERM
while :; do
	l=$(cut -d' ' -f1 /proc/loadavg)
	if (($(echo "$l < $target - 0.3" | bc))) && ((${#pids[@]} < max)); then
		(exec -a load-keeper-burn bash -c 'while :; do :; done') &
		pids+=($!)
	elif (($(echo "$l > $target + 0.5" | bc))) && ((${#pids[@]} > 0)); then
		kill "${pids[-1]}"
		unset 'pids[-1]'
	fi
	echo "$(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg) burners ${#pids[@]}"
	sleep 15
done
