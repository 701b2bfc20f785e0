# shellcheck shell=bash
# name: burst and re-trigger
# function: sc_retrigger
# reference: 73 s
# needs: sc_coldplug
#
# The trap of a oneshot service: an event that arrives while a sync runs
# must start another run (bbvirt-sync.path), not wait for the timer. Hold
# bbvirt's lock so the run started by the first event is surely still
# active when the second one comes, then let go.

sc_retrigger() {
	local lock t_release last dl s
	exec {lock}>>/run/bbvirt/lock
	flock -w "$T_BBVIRT" "$lock" || { log "bbvirt's lock stayed taken"; exec {lock}>&-; return 1; }
	assign[SN08]=g1
	assign[SN09]=g2
	write_config
	plug SN08 || { exec {lock}>&-; return 1; }
	# The run started for SN08, past its ExecStartPre (which took the
	# request), waiting for the lock.
	deadline dl 30
	until [ "$(systemctl show -P ActiveState bbvirt-sync.service)" = activating ] &&
		[ "$(systemctl show -P MainPID bbvirt-sync.service)" != 0 ]; do
		past "$dl" && { log "no sync started for SN08"; exec {lock}>&-; return 1; }
		sleep 0.1
	done
	# SN08's change and bind events come after its add, and on a slow
	# machine after that run took the request: they ask again. The run
	# has not taken its snapshot yet (that comes after the lock), so it
	# will see SN08 anyway; clear their request once bbvirt-event has
	# sorted them, so that the one looked for below is SN09's. (plug has
	# let udev settle.)
	deadline dl 30
	until events_sorted; do
		past "$dl" && { log "bbvirt-event left SN08's events"; exec {lock}>&-; return 1; }
		sleep 0.1
	done
	rm -f /run/bbvirt/sync-requested
	plug SN09
	deadline dl 30
	until [ -e /run/bbvirt/sync-requested ]; do
		past "$dl" && { log "no sync request for SN09's event"; exec {lock}>&-; return 1; }
		sleep 0.1
	done
	t_release=$(uptime_s)
	exec {lock}>&-
	converged || return 1
	last=$(systemctl show -P ExecMainStartTimestampMonotonic bbvirt-sync.service)
	(($(echo "$last / 1000000 > $t_release" | bc))) ||
		{ log "no sync ran after the one busy at the second event"; return 1; }

	# A burst: four devices plugged back to back, none left for the timer.
	assign+=([SN10]=g3 [SN11]=g3 [SN12]=g1 [SN13]=g2)
	write_config
	for s in SN10 SN11 SN12 SN13; do
		qmp '{"execute":"device_add","arguments":{"driver":"usb-kbd","bus":"'"$(plug_bus)"'","serial":"'"$s"'","id":"k'"$s"'"}}' ||
			return 1
		plugged["$s"]=k$s
	done
	for s in SN10 SN11 SN12 SN13; do wait_kernel "$s" present || return 1; done
	converged
}
