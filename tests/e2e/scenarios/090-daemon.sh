# shellcheck shell=bash
# name: 9 libvirt daemon down
# function: sc_daemon
# reference: 74 s
# needs: sc_unplug
#
# 9. The libvirt daemon stopped, then hung: bbvirt fails within its
# timeout; back up, the reconnect hook converges what changed meanwhile.

sc_daemon() {
	local t0 pid
	systemctl stop libvirtd.service libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket
	expect_rc 1 bbvirt sync --timeout=10 2>/dev/null || return 1
	assign[SN03]=g1
	write_config
	plug SN03 || return 1
	systemctl start libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket libvirtd.service
	latency g1 ua-bbvirt-SN03 yes lat-reconnect || return 1
	converged || return 1

	pid=$(systemctl show -P MainPID libvirtd.service)
	[ "$pid" -gt 1 ] || { log "no libvirtd main PID"; return 1; }
	kill -STOP "$pid"
	t0=$EPOCHREALTIME
	bbvirt sync --timeout=5 2>/dev/null
	local rc=$? took
	took=$(elapsed "$t0")
	kill -CONT "$pid"
	[ "$rc" = 1 ] || { log "sync against a hung daemon exited $rc"; return 1; }
	# It must give up at its timeout, not much later: the slack is what
	# starting and ending a process costs here.
	(($(echo "$took < 5 + 3 * $SPEED_M / 1000" | bc))) ||
		{ log "sync against a hung daemon took $took s"; return 1; }
	log "  hung daemon: sync gave up after $took s (--timeout=5)"
	converged
}
