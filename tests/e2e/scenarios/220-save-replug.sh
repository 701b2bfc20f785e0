# shellcheck shell=bash
# name: 22 saved, replugged, started
# function: sc_save_replug
# reference: 16 s
#
# Saved guests (issue 15), scenarios 22 to 26. A save image keeps the
# guest's live hostdevs with their bus:device. The hook filters the
# image's XML on 'restore begin' (bbvirt restore-filter), so that a guest
# restored after its device moved or went still starts, and never with a
# wrong device; at host shutdown bbvirt-shutdown.service releases bbvirt's
# devices before the guests are saved. libvirt-guests is masked here
# (stage2): the runner saves and starts the guests as it would.
#
# Saved, its device replugged (a new address), started: the guest runs
# from its image and holds the device at the new address, as restored
# (looked at while the sync that follows waits for the lock).

sc_save_replug() {
	local b d b2 d2 line
	ensure_running g1 || return 1
	assign[SV1]=g1
	write_config
	plug SV1 && converged || return 1
	read -r b d < <(addr SV1)
	save_timed managed g1 || return 1
	image_hostdevs g1 | grep -qx "ua-bbvirt-SV1 $b $d" ||
		{ log "g1's image does not hold SV1 at $b:$d: $(image_hostdevs g1 | tr '\n' ',')"; return 1; }
	unplug SV1 && plug SV1 || return 1
	read -r b2 d2 < <(addr SV1)
	[ "$b $d" != "$b2 $d2" ] || { log "replug kept address $b:$d"; return 1; }
	settle || return 1
	lock_bbvirt || return 1
	start_timed g1 && holds g1 ua-bbvirt-SV1 "$b2" "$d2"
	local rc=$?
	line=$(usb_line g1 ua-bbvirt-SV1)
	unlock_bbvirt
	log "  g1 restored: $line"
	((rc == 0)) || return 1
	[[ $line == *"QEMU USB Keyboard"* ]] || { log "g1's SV1 is not the keyboard: $line"; return 1; }
	converged
}
