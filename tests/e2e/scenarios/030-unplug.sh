# shellcheck shell=bash
# name: 3 unplug
# function: sc_unplug
# reference: 8 s
# needs: sc_hotplug
#
# 3. Unplug: detached, nothing stale left in the live XML.

sc_unplug() {
	unplug SN03 && latency g1 ua-bbvirt-SN03 no lat-detach || return 1
	converged
}
