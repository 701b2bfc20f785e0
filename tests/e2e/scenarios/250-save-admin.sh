# shellcheck shell=bash
# name: 25 admin's hostdev saved
# function: sc_save_admin
# reference: 40 s
#
# An admin's own hostdev, by address, beside a bbvirt device, through a
# save and a start: libvirt's live XML holds it unchanged (source, mode,
# the guest's USB port), its device in the inner QEMU.

sc_save_admin() {
	local before after b d s alias cur out
	ensure_running g3 || return 1
	assign[SV5]=g3
	write_config
	[ -n "${plugged[SV5]:-}" ] || plug SV5 || return 1
	admin_hostdev || return 1
	converged || return 1
	before=$(admin_xml g3)
	save_timed managed g3 && start_timed g3 || return 1
	after=$(admin_xml g3)
	# shellcheck disable=SC2015 # either test failing is the failure
	[ -n "$before" ] && [ "$before" = "$after" ] ||
		{ log "the admin's hostdev changed: before '$before', after '$after'"; return 1; }
	admin_realias || return 1
	read -r b d <<<"$ADMS_AT"
	holds g3 "$ADMS_ALIAS" "$b" "$d" || return 1
	converged || return 1
	# Saved again, and SV5 gone by the start. Parked, its hostdev would
	# be an empty port that takes any device the guest's QEMU may open,
	# the admin's too: the filter blocks it instead, libvirt refuses the
	# start and keeps the image, and the guest is restored once SV5 is
	# back. No wrong device, nothing lost.
	save_timed managed g3 || return 1
	cur=$(jcursor)
	unplug SV5 && settle || return 1
	out=$(virsh start g3 2>&1) && { running["g3"]=1; log "g3 started without SV5: $out"; return 1; }
	[[ $out == *"Did not find USB device"* ]] || { log "g3's start failed otherwise: $out"; return 1; }
	virsh dominfo g3 | grep -Eq '^Managed save: +yes' || { log "g3's image is gone after the refused start"; return 1; }
	journalctl -q --no-pager -o cat -t bbvirt --after-cursor="$cur" |
		grep -qF "'g3': hostdev 'ua-bbvirt-SV5' blocked at" ||
		{ log "no word of the filter blocking SV5"; return 1; }
	log "  g3 without SV5: refused, image kept: ${out##*error: }"
	plug SV5 && settle || return 1
	start_timed g3 && admin_realias || return 1
	read -r b d <<<"$ADMS_AT"
	holds g3 "$ADMS_ALIAS" "$b" "$d" && converged || return 1
	# Clean up: the admin takes it back; the devices go, then their
	# assignments (a config that assigns nothing changes nothing, so
	# stale hostdevs of bbvirt's would stay).
	virsh detach-device g3 /tmp/ADMS.xml --live >/dev/null || { log "virsh could not detach ADMS"; return 1; }
	foreign_del g3 "$ADMS_ALIAS"
	ADMS_ALIAS=
	for s in ADMS SV1 SV4 SV5; do
		[ -z "${plugged[$s]:-}" ] || unplug "$s" || return 1
	done
	converged || return 1
	unset 'assign[SV1]' 'assign[SV2]' 'assign[SV4]' 'assign[SV5]'
	write_config
	converged
}
