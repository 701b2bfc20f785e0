# shellcheck shell=bash
# name: 27 bit-babbler's rule beside another type's /SERIAL rule
# function: sc_bb_slash
# reference: 45 s
#
# 27. Issue 20: bit-babbler's rule beside a devices = V:P/SERIAL rule that
# names another type. Its rule runs 'bbvirt attach SERIAL -b -d' on every
# plug of the types it knows (here also the FTDI adapter, QEMU's
# usb-serial with a serial); the config gives FTB1 by serial to g2 for the
# keyboards' type only, and every FTDI adapter to g1. The claim gives the
# adapter to g1, by its type, whichever of the two rules' runs comes
# first, and g2 never holds it, not even for a moment.

sc_bb_slash() {
	local cur p kport alias out
	ensure_running g1 && ensure_running g2 || return 1
	p=$(free_port) || return 1
	write_config
	conf_line g2 'devices = 0627:0001/FTB1'
	conf_line g1 'devices = 0403:6001'
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	BB_EXTRA_IDS=0403:6001:403/6001
	bb_install || return 1
	cur=$(jcursor)
	qmp '{"execute":"chardev-add","arguments":{"id":"fb","backend":{"type":"ringbuf","data":{}}}}' || return 1
	qmp '{"execute":"device_add","arguments":{"driver":"usb-serial","bus":"'"${XHCI_QMP[1]}"'","port":"'"$p"'","chardev":"fb","serial":"FTB1","id":"fb"}}' || return 1
	wait_kernel 6001 present idProduct || return 1
	kport=$(xhci_bus 1)-$p
	alias=ua-bbtype-04036001-$(alias_enc "$kport")
	foreign_add g1 "$alias"
	bb_clean "$cur" "plug FTB1 (g1's by type, g2's /SERIAL rule names another type)" || return 1
	out=$(journalctl -q --no-pager -o cat -t bbvirt --after-cursor="$cur" | grep -F "to 'g2'" || :)
	[ -z "$out" ] || { log "g2 was given the adapter: $out"; return 1; }
	qmp '{"execute":"device_del","arguments":{"id":"fb"}}' || return 1
	wait_kernel 6001 absent idProduct || return 1
	foreign_del g1 "$alias"
	bb_clean "$cur" "unplug FTB1" || return 1
	qmp '{"execute":"chardev-remove","arguments":{"id":"fb"}}' || return 1
	BB_EXTRA_IDS=
	write_config
	bb_remove || return 1
	expect_rc 0 bbvirt sync || return 1
	converged
}
