# shellcheck shell=bash
# An admin's own hostdevs of a managed type, by address (issue 13):
# libvirt gives each its own alias (hostdevN), and bbvirt must leave it
# alone. ADM1 is the one of scenarios 13 to 18, ADMS the one of the saved
# guests' (24, 25).

# hostdev_xml FILE BUS DEV: the admin's hostdev, by address only.
hostdev_xml() {
	cat >"$1" <<-X
	<hostdev mode='subsystem' type='usb' managed='no'>
	  <source><address bus='$2' device='$3'/></source>
	</hostdev>
	X
}

# The alias of ADM1's hostdev in g1 (130-admin-live.sh), for the
# scenarios that follow it.
ADM1_ALIAS=

# admin_hostdev: ADMS, by address, in g3 (once), in the model.
ADMS_ALIAS=
ADMS_AT=
admin_hostdev() {
	local b d
	[ -n "$ADMS_ALIAS" ] && return 0
	plug ADMS || return 1
	read -r b d < <(addr ADMS)
	ADMS_AT="$b $d"
	hostdev_xml /tmp/ADMS.xml "$b" "$d"
	virsh attach-device g3 /tmp/ADMS.xml --live >/dev/null ||
		{ log "virsh could not attach ADMS by address"; return 1; }
	ADMS_ALIAS=$(alias_at g3 "$b" "$d")
	[ -n "$ADMS_ALIAS" ] || { log "no alias on ADMS's hostdev"; return 1; }
	foreign_add g3 "$ADMS_ALIAS"
}

# admin_realias: after a restore, the model follows the alias libvirt
# gave the admin's hostdev in g3 (its own, not kept in the image).
admin_realias() {
	local b d alias
	read -r b d <<<"$ADMS_AT"
	alias=$(alias_at g3 "$b" "$d")
	[ -n "$alias" ] || { log "g3 lost the admin's hostdev"; return 1; }
	[ "$alias" = "$ADMS_ALIAS" ] && return 0
	log "  the admin's hostdev in g3 is '$alias' now, was '$ADMS_ALIAS'"
	foreign_del g3 "$ADMS_ALIAS"
	foreign_add g3 "$alias"
	ADMS_ALIAS=$alias
}

# admin_xml GUEST: the admin's hostdev in the guest's live XML, found by
# its source address, but for its alias (libvirt's own: not kept in an
# image, named again at the restore).
admin_xml() {
	local b d
	read -r b d <<<"$ADMS_AT"
	virsh dumpxml "$1" |
		xmllint --xpath "/domain/devices/hostdev[@type='usb'][number(source/address/@bus)=$b and number(source/address/@device)=$d]" - |
		sed '/<alias /d'
}
