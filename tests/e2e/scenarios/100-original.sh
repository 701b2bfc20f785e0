# shellcheck shell=bash
# name: 10 original commands
# function: sc_original
# reference: 211 s
# needs: sc_identical
#
# 10. The original's invocations: udev's add and remove handlers, by hand.

sc_original() {
	local b d g got
	# The remove handler runs after the device is gone: hold udev's queue so
	# that only the command under test acts.
	read -r b d < <(addr SN04)
	hold_udev
	unplug SN04 || { release_udev; return 1; }
	expect_rc 0 bbvirt detach SN04 -b "$b" -d "$d"
	local rc=$?
	release_udev
	((rc == 0)) || return 1
	converged || return 1

	hold_udev
	plug SN04
	read -r b d < <(addr SN04)
	expect_rc 0 bbvirt attach SN04 -b "$b" -d "$d"
	rc=$?
	release_udev
	((rc == 0)) || return 1
	converged || return 1

	# Letting go of a device makes the kernel report a change, and the sync
	# that follows puts a configured device back (bbvirt(1), detach): hold
	# udev while looking, then let the config win.
	hold_udev
	bbvirt detach-all g3
	rc=$?
	got=$(in_qemu g3)
	release_udev
	((rc == 0)) || { log "detach-all g3 exited $rc"; return 1; }
	[ -z "$got" ] || { log "g3 still holds $got after detach-all"; return 1; }
	converged || return 1
	expect_rc 0 bbvirt attach-all g3 || return 1
	converged || return 1
	hold_udev
	bbvirt detach-all
	rc=$?
	for g in "${GUESTS[@]}"; do
		got=$(in_qemu "$g")
		[ "$got" = "${foreign[$g]:-}" ] || break
	done
	release_udev
	((rc == 0)) || { log "detach-all exited $rc"; return 1; }
	[ "$got" = "${foreign[$g]:-}" ] || { log "$g holds $got after detach-all"; return 1; }
	converged || return 1
	expect_rc 0 bbvirt attach-all || return 1
	converged || return 1

	# Lend an unassigned device by hand; sync leaves it there.
	plug SN07 && converged || return 1
	expect_rc 0 bbvirt attach SN07 -D g3 || return 1
	lent[SN07]=g3
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	unplug SN07 && converged
}
