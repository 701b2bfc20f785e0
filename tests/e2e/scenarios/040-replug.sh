# shellcheck shell=bash
# name: 4 replug
# function: sc_replug
# reference: 13 s
# needs: sc_coldplug
#
# 4. Replug: a new device number; the stale hostdev goes, the new one comes.

sc_replug() {
	local before after
	before=$(addr SN01)
	unplug SN01 && plug SN01 || return 1
	after=$(addr SN01)
	[ "$before" != "$after" ] || { log "replug kept address $after"; return 1; }
	converged
}
