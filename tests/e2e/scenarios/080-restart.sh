# shellcheck shell=bash
# name: 8 guest restart
# function: sc_restart
# reference: 31 s
# needs: sc_identical
#
# 8. A guest stops and starts again: its devices come back.

sc_restart() {
	stop_guest g3 || return 1
	converged || return 1
	start_guest g3 && latency g3 ua-bbvirt-SN04 yes lat-start || return 1
	converged
}
