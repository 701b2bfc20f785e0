# shellcheck shell=bash
# name: 2 hot-plug
# function: sc_hotplug
# reference: 35 s
# needs: sc_coldplug
#
# 2. Hot-plug into a running guest, through udev, systemd and the sync;
# and a device nobody is assigned goes nowhere.

sc_hotplug() {
	local i
	for ((i = 0; i < 4; i++)); do
		plug SN03 && latency g1 ua-bbvirt-SN03 yes lat-attach || return 1
		unplug SN03 && latency g1 ua-bbvirt-SN03 no lat-detach || return 1
	done
	plug SN03 && latency g1 ua-bbvirt-SN03 yes lat-attach || return 1
	converged || return 1
	plug SN05 && converged
}
