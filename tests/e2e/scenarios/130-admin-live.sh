# shellcheck shell=bash
# name: 13 admin's live hostdev
# function: sc_admin_live
# reference: 30 s
#
# What is not bbvirt's (issue 13), scenarios 13 to 18: an admin's own
# hostdev of a managed type, by address, for a device whose serial the
# config does not name: libvirt gives it its own alias (hostdevN), and
# bbvirt must leave it alone, live-only or in the definition, with a
# config, with none, with the shipped example. Then the late remove event
# of a replug, a connection that reports another host, and one daemon
# reached through two URI spellings.
#
# 13. An admin's live-only hostdev by address, its serial unconfigured,
# next to a bbvirt attachment on the same guest: every sync leaves it.
# It sets ADM1_ALIAS (lib/admin.sh) for the scenarios that follow.

sc_admin_live() {
	local g b d alias
	for g in g1 g2; do
		[ -n "${running[$g]:-}" ] || start_guest "$g" || return 1
	done
	assign[CFG1]=g1
	write_config
	plug CFG1 && plug ADM1 || return 1
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	read -r b d < <(addr ADM1)
	hostdev_xml /tmp/ADM1.xml "$b" "$d"
	virsh attach-device g1 /tmp/ADM1.xml --live >/dev/null ||
		{ log "virsh could not attach ADM1 by address"; return 1; }
	alias=$(alias_at g1 "$b" "$d")
	# libvirt's own alias, which the old planner took for "no alias".
	[[ $alias =~ ^hostdev[0-9]+$ ]] || { log "ADM1's hostdev has alias '$alias'"; return 1; }
	[ "$(in_definition g1 "$b" "$d")" = 0 ] || { log "ADM1's live hostdev is in the definition"; return 1; }
	ADM1_ALIAS=$alias
	foreign_add g1 "$alias"
	leaves_alone || return 1
	converged || return 1
	holds g1 "$alias" "$b" "$d" || return 1
	expect_state ADM1 "foreign g1 $alias"
}
