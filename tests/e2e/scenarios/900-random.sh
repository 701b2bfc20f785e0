# shellcheck shell=bash
# name: 12 random
# function: sc_random
# reference: none
#
# 12. Random sequences of plug, unplug, replug, guest restart, config edit
# and concurrent syncs in quick succession; then the host must settle into
# exactly what the config says.
#
# No fixed figure: the sequences run in a budget, REF_RANDOM reference
# seconds (three or four sequences; one is REF_SEQ, its reset included).
# Runs last.

# One random sequence (its reset included), and the budget for them
# (three or four sequences), in reference seconds.
readonly REF_SEQ=72 REF_RANDOM=240

readonly POOL=(R1 R2 R3 R4 R5 R6)
# rnd N: R = a number below N. No $(...): a subshell would take its own
# RANDOM and the sequence would no longer follow from the seed.
rnd() { R=$((RANDOM % $1)); }

steps=()
random_step() {
	local s g i
	rnd ${#POOL[@]}
	s=${POOL[R]}
	rnd ${#GUESTS[@]}
	g=${GUESTS[R]}
	rnd 7
	case $R in
	0 | 1)
		if [ -n "${plugged[$s]:-}" ]; then
			steps+=("unplug $s")
			unplug "$s"
		else
			steps+=("plug $s")
			plug "$s"
		fi
		;;
	2)
		if [ -z "${plugged[$s]:-}" ]; then
			steps+=("plug $s")
			plug "$s"
			return
		fi
		steps+=("replug $s")
		unplug "$s" && plug "$s"
		;;
	3)
		steps+=("restart $g")
		if [ -n "${running[$g]:-}" ]; then stop_guest "$g" || return 1; fi
		start_guest "$g"
		;;
	4)
		rnd 3
		if ((R == 0)); then
			steps+=("config: $s unassigned, sync")
			unset "assign[$s]"
		else
			steps+=("config: $s -> $g, sync")
			assign["$s"]=$g
		fi
		write_config
		bbvirt sync --syslog &
		bg_pids+=($!)
		;;
	5 | 6)
		steps+=("3 syncs at once")
		for i in 1 2 3; do
			bbvirt sync --syslog &
			bg_pids+=($!)
		done
		;;
	esac
}

# Every guest running, no device plugged, an empty config: the start of a
# randomized sequence.
reset_world() {
	local s g
	for s in "${!plugged[@]}"; do unplug "$s" || return 1; done
	assign=()
	lent=()
	write_config
	for g in "${GUESTS[@]}"; do
		[ -n "${running[$g]:-}" ] || start_guest "$g" || return 1
	done
	bbvirt sync --syslog || return 1
	converged
}

# As many sequences as the budget allows: REF_RANDOM reference seconds,
# three or four sequences on the reference machine and so about as many
# on any, stopping before one would end past the budget (the longest so far
# is the estimate of the next). At least RANDOM_MIN (E2E_RANDOM_MIN,
# default three); if the cap does not leave room for them, the machine
# cannot run the test (HARNESS). CI sets none as the least: there the
# sequences fill only what the cap leaves, and the report says how many.
# E2E_SEQUENCES=N runs exactly N, within the cap (with E2E_SEED, to
# replay a failure).
SEQ_RAN=0
sc_random() {
	local n i count seed t0 took end longest tail
	deadline end "$REF_RANDOM"
	longest=$((REF_SEQ * SPEED_M * 1000))
	KEEP=E2EKEEP
	for ((n = 0; ; n++)); do
		if [ -n "$SEQUENCES" ]; then
			((n < SEQUENCES)) || break
		elif ((n >= RANDOM_MIN)); then
			((${EPOCHREALTIME/./} + longest <= end)) || break
		fi
		tail=$((REF_TAIL * SPEED_M * 1000))
		if ((${EPOCHREALTIME/./} + longest + tail > CAP_END * 1000000)); then
			[ -z "$SEQUENCES" ] && ((n >= RANDOM_MIN)) && break
			harness "this machine is too slow for the cap: $n random sequences done," \
				"the next would end past it (longest $((longest / 1000000)) s," \
				"deadlines x$(echo "scale=2; $SPEED_M / 1000" | bc))"
			RUN_NOTE="$n sequences"
			return 1
		fi
		t0=${EPOCHREALTIME/./}
		seed=$((SEED + n))
		reset_world || { log "seed $seed: the reset failed"; return 1; }
		RANDOM=$seed
		steps=()
		rnd 7
		count=$((6 + R))
		for ((i = 0; i < count; i++)); do
			random_step || { log "seed $seed: step '${steps[-1]}' failed"; break; }
		done
		if ! converged; then
			log "seed $seed (E2E_SEED=$SEED, sequence $n) failed after:"
			for i in "${!steps[@]}"; do log "  $((i + 1)). ${steps[i]}"; done
			RUN_NOTE="sequence $((n + 1)) failed"
			return 1
		fi
		bg_pids=()
		took=$((${EPOCHREALTIME/./} - t0))
		((took > longest)) && longest=$took
		SEQ_RAN=$((n + 1))
		RUN_NOTE="$SEQ_RAN sequences"
		log "  seed $seed: ${#steps[@]} steps, converged in $((took / 1000000)) s"
	done
	if ((SEQ_RAN == 0)); then
		RUN_NOTE="0 sequences"
		log "  no random sequence: the cap left no room for one (E2E_RANDOM_MIN=0)"
	fi
}
