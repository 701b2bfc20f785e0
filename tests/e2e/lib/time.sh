# shellcheck shell=bash
# Time and deadlines, for tests/e2e/runner: measured, never assumed.
#
# Every wait in the harness has a deadline, and no deadline is a constant
# tuned on a fast machine. Each is written in reference seconds, what is
# plenty (10 to 20 times the usual) on the machine these figures were
# measured on, and stretched by SPEED: how much slower this machine is,
# measured. SPEED starts at run.sh's probe (E2E_SPEED_M: the kernel's boot
# to its first panic), and only grows: with this VM's boot (its uptime when
# the runner starts, against REF_BOOT), and after each scenario from the
# first on, with the time of all so far against the sum of their figures
# (each scenario's "reference:" line; a sum, so that one short scenario's
# bad luck does not count as the machine's). A scenario that is merely
# slow raises the deadlines of the next ones; it never fails for it.
# SPEED_M is SPEED in thousandths, for bash's integer arithmetic.
#
# Reference: a 2-core Intel Xeon VM without usable KVM (TCG in TCG),
# shared with other builds (load average 2-5), December 2026. The figure
# of each scenario is in its own file (scenarios/NNN-*.sh, "reference:").
readonly REF_BOOT=16
# What the runner needs after the scenarios (results, the journal,
# poweroff).
readonly REF_TAIL=30
SPEED_M=${E2E_SPEED_M:-1000}
((SPEED_M >= 1000)) || SPEED_M=1000

# deadline VAR SECONDS: VAR = the moment (microseconds since the epoch)
# SECONDS reference seconds from now. past MOMENT: it has come.
deadline() { printf -v "$1" %d $((${EPOCHREALTIME/./} + $2 * SPEED_M * 1000)); }
past() { ((${EPOCHREALTIME/./} > $1)); }
# scale VAR SECONDS: VAR = SECONDS reference seconds on this machine,
# rounded up to whole seconds (for the timeouts of other programs).
scale() { printf -v "$1" %d $((($2 * SPEED_M + 999) / 1000)); }
scaled() { echo $((($1 * SPEED_M + 999) / 1000)); }
# speed_seen WHAT TOOK REF: something that takes REF reference seconds
# took TOOK seconds here; raise SPEED if that is slower than it was.
speed_seen() {
	local m
	m=$(echo "$2 * 1000 / $3" | bc)
	((m > SPEED_M)) || return 0
	log "  machine speed: $1 took $(printf '%.1f' "$2") s (reference $3 s): deadlines x$(echo "scale=2; $m / 1000" | bc)"
	SPEED_M=$m
	set_timeouts
}
# The timeouts of the programs the runner calls, and the step deadline.
set_timeouts() {
	DEADLINE=60
	scale T_SETTLE 30
	scale T_VIRSH 60
	# bbvirt's own --timeout (30 s, its lock wait included) is for a real
	# host, where a sync takes milliseconds; here one takes seconds, and
	# six at once queue on the lock.
	scale T_BBVIRT 30
	echo "$SPEED_M" >"$RES/speed"
	# The same for the service (stage2 wrote it from run.sh's probe),
	# when it grows by half: a reload takes seconds here.
	local unit=/etc/systemd/system/bbvirt-sync.service.d/e2e.conf was
	was=$(sed -n 's/.*--timeout=\([0-9]*\)$/\1/p' "$unit" 2>/dev/null)
	if [ -n "$was" ] && ((T_BBVIRT * 2 > was * 3)); then
		sed -i "s/--timeout=[0-9]*\$/--timeout=$T_BBVIRT/" "$unit"
		systemctl daemon-reload
	fi
}

# mono: MONO = seconds since boot (CLOCK_BOOTTIME, 10 ms): the clock of
# the journal and of 'udevadm monitor', which split_latency reads. No fork.
mono() { local u; read -r u _ </proc/uptime; MONO=$u; }

# The moment (mono) of the last plug, unplug or guest start, for latency.
T_EVENT=0
T_STARTED=0

uptime_s() { cut -d' ' -f1 /proc/uptime; }
elapsed() { echo "$EPOCHREALTIME - $1" | bc; }
