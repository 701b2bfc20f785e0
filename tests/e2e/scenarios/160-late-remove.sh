# shellcheck shell=bash
# name: 16 late remove of a replug
# function: sc_late_remove
# reference: 32 s
# needs: sc_admin_live
#
# 16. The remove event of a replug, run after the add event (the lock
# wakes them in any order), in the original's form with udev's
# zero-padded numbers: it names the old address, so it must leave the new
# attachment. The same form with the new address detaches it.

sc_late_remove() {
	local b d1 b2 d2 rc
	read -r b d1 < <(addr CFG1)
	unplug CFG1 && plug CFG1 || return 1
	converged || return 1
	read -r b2 d2 < <(addr CFG1)
	[ "$b $d1" != "$b2 $d2" ] || { log "replug kept address $b:$d1"; return 1; }
	# With udev held, only the command under test acts.
	hold_udev
	expect_rc 0 bbvirt --syslog detach CFG1 --busnum "$(printf %03d "$b")" --devnum "$(printf %03d "$d1")"
	rc=$?
	((rc == 0)) && holds g1 ua-bbvirt-CFG1 "$b2" "$d2"
	rc=$?
	release_udev
	((rc == 0)) || return 1
	converged || return 1
	hold_udev
	expect_rc 0 bbvirt detach CFG1 -b "$b2" -d "$d2"
	rc=$?
	if ((rc == 0)) && in_qemu g1 | grep -qx ua-bbvirt-CFG1; then
		log "detach CFG1 -b $b2 -d $d2 left it in g1"
		rc=1
	fi
	((rc == 0)) && expect_rc 0 bbvirt sync && holds g1 ua-bbvirt-CFG1 "$b2" "$d2"
	rc=$?
	release_udev
	((rc == 0)) || return 1
	converged
}
