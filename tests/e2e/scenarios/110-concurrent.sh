# shellcheck shell=bash
# name: 11 concurrent syncs
# function: sc_concurrent
# reference: 12 s
# needs: sc_coldplug
#
# 11. Several syncs at once, after a drift: converged, no double attach.

sc_concurrent() {
	local pids=() p rc=0
	expect_rc 0 bbvirt detach-all g1 || return 1
	for p in 1 2 3 4 5; do
		bbvirt sync &
		pids+=($!)
	done
	systemctl start bbvirt-sync.service &
	pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || rc=$?; done
	((rc == 0)) || { log "a concurrent sync exited $rc"; return 1; }
	converged
}
