# shellcheck shell=bash
# name: 15 admin's persistent hostdev
# function: sc_admin_persistent
# reference: 52 s
# needs: sc_admin_live
#
# 15. Admin's hostdevs in the definition (live and persistent): one of an
# unconfigured serial, and one of a serial the config assigns to another
# running guest. Neither is adopted or moved; status calls both foreign.

sc_admin_persistent() {
	local s b d alias
	local -A held=()
	for s in ADM2 CFG3; do
		plug "$s" || return 1
		converged || return 1
		read -r b d < <(addr "$s")
		hostdev_xml "/tmp/$s.xml" "$b" "$d"
		virsh attach-device g1 "/tmp/$s.xml" --live --config >/dev/null ||
			{ log "virsh could not attach $s by address, live and persistent"; return 1; }
		alias=$(alias_at g1 "$b" "$d")
		[[ $alias =~ ^hostdev[0-9]+$ ]] || { log "$s's hostdev has alias '$alias'"; return 1; }
		[ "$(in_definition g1 "$b" "$d")" = 1 ] || { log "$s's hostdev is not in the definition"; return 1; }
		foreign_add g1 "$alias"
		if [ "$s" = CFG3 ]; then
			# Assigned to g2 now that g1 holds it. The model gives g2
			# nothing: the device is held by a hostdev that is not ours.
			assign[CFG3]=g2
			write_config
			unset 'assign[CFG3]'
			settle || return 1
		fi
		leaves_alone || return 1
		converged || return 1
		holds g1 "$alias" "$b" "$d" || return 1
		expect_state "$s" "foreign g1 $alias" || return 1
		held[$s]=$alias
	done
	# Clean up: the admin takes them back (definition and live).
	write_config
	for s in ADM2 CFG3; do
		virsh detach-device g1 "/tmp/$s.xml" --live --config >/dev/null ||
			{ log "virsh could not detach $s"; return 1; }
		foreign_del g1 "${held[$s]}"
		unplug "$s" || return 1
	done
	converged
}
