# shellcheck shell=bash
# name: 1 cold-plug
# function: sc_coldplug
# reference: 28 s
#
# 1. Devices present, then the guests start: the hook queues the sync.

sc_coldplug() {
	assign=([SN01]=g1 [SN02]=g2 [SN03]=g1 [SN04]=g3 [SN06]=g2)
	write_config
	plug SN01 && plug SN02 || return 1
	converged || return 1
	start_guest g1 && latency g1 ua-bbvirt-SN01 yes lat-start || return 1
	start_guest g2 && latency g2 ua-bbvirt-SN02 yes lat-start || return 1
	converged
}
