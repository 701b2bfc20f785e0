# shellcheck shell=bash
# name: 21 by type
# function: sc_types
# reference: 18 s
#
# 21. Issue 16's type rule: every device of a type goes to one guest, each
# with its own alias (the type, and the kernel port it is attached at).
# Two FTDI serial adapters (QEMU's usb-serial, on ring buffers): a type
# that only the config names. The sync after writing the config is started
# by hand (the path unit does not watch the config); every plug and unplug
# after it reaches bbvirt through the shipped udev rule alone.

sc_types() {
	local g=g2 p a d q1 q2
	local -a kports=()
	[ -n "${running[$g]:-}" ] || start_guest "$g" || return 1
	q1=$(free_port) && q2=$(free_port "$q1") || return 1
	for p in "$q1" "$q2"; do
		qmp '{"execute":"chardev-add","arguments":{"id":"tc'"$p"'","backend":{"type":"ringbuf","data":{}}}}' || return 1
		qmp '{"execute":"device_add","arguments":{"driver":"usb-serial","bus":"'"${XHCI_QMP[1]}"'","port":"'"$p"'","chardev":"tc'"$p"'","id":"t'"$p"'"}}' || return 1
	done
	wait_kernel 6001 present idProduct || return 1
	udevadm settle --timeout="$T_SETTLE"
	for a in /sys/bus/usb/devices/*/idProduct; do
		d=${a%/*}
		[ "$(cat "$a")" = 6001 ] && [ "$(cat "$d/idVendor")" = 0403 ] &&
			kports+=("${d##*/}")
	done
	((${#kports[@]} == 2)) || { log "expected two 0403:6001 devices, saw: ${kports[*]}"; return 1; }
	write_config
	conf_line "$g" "devices = 0403:6001"
	for p in "${kports[@]}"; do foreign_add "$g" "ua-bbtype-04036001-$(alias_enc "$p")"; done
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	for p in "${kports[@]}"; do foreign_del "$g" "ua-bbtype-04036001-$(alias_enc "$p")"; done
	# Pulled out: the rule still configured, the event's sync detaches both.
	for p in "$q1" "$q2"; do qmp '{"execute":"device_del","arguments":{"id":"t'"$p"'"}}' || return 1; done
	wait_kernel 6001 absent idProduct || return 1
	converged || return 1
	# Plugged in again: attached by the event alone.
	qmp '{"execute":"device_add","arguments":{"driver":"usb-serial","bus":"'"${XHCI_QMP[1]}"'","port":"'"$q1"'","chardev":"tc'"$q1"'","id":"t'"$q1"'"}}' || return 1
	wait_kernel 6001 present idProduct || return 1
	foreign_add "$g" "ua-bbtype-04036001-$(alias_enc "$(xhci_bus 1)-$q1")"
	converged || return 1
	foreign_del "$g" "ua-bbtype-04036001-$(alias_enc "$(xhci_bus 1)-$q1")"
	qmp '{"execute":"device_del","arguments":{"id":"t'"$q1"'"}}' || return 1
	wait_kernel 6001 absent idProduct || return 1
	converged || return 1
	write_config
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	for p in "$q1" "$q2"; do qmp '{"execute":"chardev-remove","arguments":{"id":"tc'"$p"'"}}' || return 1; done
}
