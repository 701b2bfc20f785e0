# shellcheck shell=bash
# name: 23 saved, unplugged, restored
# function: sc_save_unplug
# reference: 30 s
#
# Saved to a file, its device unplugged, restored: the guest runs, with no
# wrong device (SV3, plugged meanwhile and assigned nowhere, stays out;
# SV6, which the guest holds beside it, is parked with SV2: an empty port
# takes any device its QEMU may open, and libvirt lets it open SV6's), and
# the sync that follows detaches what the filter parked and attaches SV6.

sc_save_unplug() {
	local b d img=$SAVEDIR/g2-e2e.img line xml src t0
	ensure_running g2 || return 1
	assign[SV2]=g2
	assign[SV6]=g2
	write_config
	plug SV2 && plug SV6 && converged || return 1
	read -r b d < <(addr SV2)
	rm -f "$img"
	save_timed file g2 "$img" || return 1
	image_hostdevs g2 "$img" | grep -qx "ua-bbvirt-SV2 $b $d" ||
		{ log "g2's image does not hold SV2 at $b:$d"; rm -f "$img"; return 1; }
	# shellcheck disable=SC2015 # any step failing is the failure
	unplug SV2 && plug SV3 && settle || { rm -f "$img"; return 1; }
	lock_bbvirt || { rm -f "$img"; return 1; }
	start_timed g2 "$img"
	local rc=$?
	line=$(usb_line g2 ua-bbvirt-SV2)
	xml=$(in_xml g2 | tr '\n' ',')
	src=$(virsh dumpxml g2 | xmllint --xpath '//hostdev[alias/@name="ua-bbvirt-SV2"]/source' - 2>/dev/null |
		tr -s ' \n' ' ')
	t0=$EPOCHREALTIME
	unlock_bbvirt
	rm -f "$img"
	log "  g2 restored: qemu '$line'; live XML $xml; source $src"
	((rc == 0)) || return 1
	# What the guest holds under that ID is attached to no host device
	# (QEMU names such a usb-host "USB Host Device"), and SV3 is nowhere.
	if [ -n "$line" ] && [[ $line != *"USB Host Device"* ]]; then
		log "g2 holds a device under SV2's ID: $line"
		return 1
	fi
	converged || return 1
	log "  the parked hostdev left g2 $(printf '%.1f' "$(elapsed "$t0")") s after the lock"
	unplug SV3 && unplug SV6 && converged
}
