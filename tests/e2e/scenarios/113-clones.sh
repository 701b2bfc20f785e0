# shellcheck shell=bash
# name: clones (one serial twice)
# function: sc_clones
# reference: 36 s
# needs: sc_coldplug
#
# Clones: two devices with one serial cannot be told apart, so neither is
# attached anywhere and status says why; once one is gone, the other is
# attached at its own address.

# copies SERIAL: how many devices with that serial a driver has bound.
copies() {
	local f v n=0
	for f in /sys/bus/usb/devices/*/serial; do
		v=
		{ read -r v <"$f"; } 2>/dev/null
		[ "$v" = "$1" ] && [ -e "${f%/serial}/driver" ] && n=$((n + 1))
	done
	echo "$n"
}

# wait_copies SERIAL N: until N of them are bound and udev is done.
wait_copies() {
	local dl
	deadline dl 30
	until [ "$(copies "$1")" = "$2" ]; do
		past "$dl" && { log "$1: not $2 copies in sysfs after $(scaled 30) s"; return 1; }
		sleep 0.1
	done
	udevadm settle --timeout="$T_SETTLE"
}

# other_copy SERIAL "BUS DEV": "BUS:DEV" of the copy of SERIAL that is elsewhere.
other_copy() {
	local f v b n
	for f in /sys/bus/usb/devices/*/serial; do
		v=
		{ read -r v <"$f"; } 2>/dev/null
		[ "$v" = "$1" ] || continue
		{ read -r b <"${f%/serial}/busnum" && read -r n <"${f%/serial}/devnum"; } 2>/dev/null ||
			continue
		[ "$b $n" = "$2" ] || { echo "$b:$n"; return 0; }
	done
	return 1
}

sc_clones() {
	local st a1 want
	assign[SNC1]=g1
	write_config
	plug SNC1 && latency g1 ua-bbvirt-SNC1 yes lat-attach || return 1
	a1=$(addr SNC1) || return 1
	qmp '{"execute":"device_add","arguments":{"driver":"usb-kbd","bus":"'"$(plug_bus)"'","serial":"SNC1","id":"kSNC1b"}}' ||
		return 1
	wait_copies SNC1 2 || return 1
	# The copy g1 holds stays where it is (issue 13): at the first address.
	held_at[SNC1]=$a1
	converged || return 1
	st=$(bbvirt status --json) || { log "status exited $?"; return 1; }
	st=$(jq -r '[.devices[] | select(.serial == "SNC1") |
		"\(.bus):\(.device) \(.attached // "-") \(.state) \(.addresses | length)"] | sort | join(",")' <<<"$st")
	want=$(for a in "${a1/ /:} g1" "$(other_copy SNC1 "$a1") -"; do echo "$a shared 2"; done | sort | paste -sd,)
	[ "$st" = "$want" ] || { log "status of SNC1: '$st', want '$want'"; return 1; }
	expect_rc 2 bbvirt attach SNC1 2>/dev/null || return 1
	# Pull the held copy: the other one, alone now, goes to g1 at its address.
	qmp '{"execute":"device_del","arguments":{"id":"kSNC1"}}' || return 1
	wait_copies SNC1 1 || return 1
	unset 'held_at[SNC1]'
	plugged[SNC1]=kSNC1b
	converged || return 1
	unplug SNC1 || return 1
	unset 'assign[SNC1]'
	write_config
	converged
}
