# shellcheck shell=bash
# name: 5 identical devices
# function: sc_identical
# reference: 18 s
# needs: sc_coldplug
#
# 5. Two identical devices assigned to two guests: each gets its own.

sc_identical() {
	start_guest g3 || return 1
	plug SN04 && plug SN06 || return 1
	latency g2 ua-bbvirt-SN06 yes lat-attach || return 1
	converged
}
