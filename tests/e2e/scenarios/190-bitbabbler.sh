# shellcheck shell=bash
# name: 19 bit-babbler's rule and hook
# function: sc_bitbabbler
# reference: 80 s
#
# 19. bit-babbler's own udev rule and qemu hook beside ours (issue 14,
# points 5 and 6). Upgraded hosts keep the original's rule, which runs
# bbvirt from udev for every device of its type, assigned or not, and
# often its hook, which makes udev replay a change event for each of a
# starting guest's serials. With both rules installed, every plug,
# replug, unplug and guest start must converge once: udev logs no
# failure of bbvirt, bbvirt logs no error, libvirt refuses no attach as
# already in use, and no sync run fails.

sc_bitbabbler() {
	local cur out dl g s b d
	for g in g1 g2; do
		[ -n "${running[$g]:-}" ] || start_guest "$g" || return 1
	done
	assign[BBA1]=g1
	assign[BBA2]=g2
	write_config
	bb_install || return 1
	cur=$(jcursor)
	bb_clean "$cur" "the install" || return 1

	# The grep sees udev's failures: one deliberate failure, a rule
	# running /bin/false on a change of the loopback interface.
	echo 'ACTION=="change", SUBSYSTEM=="net", KERNEL=="lo", RUN+="/bin/false e2e-udev-probe"' >"$BB_PROBE"
	udevadm control --reload
	udevadm trigger -c change /sys/class/net/lo
	udevadm settle --timeout="$T_SETTLE"
	deadline dl 30
	until out=$(udev_failures "$cur" "/bin/false e2e-udev-probe") && [ -n "$out" ]; do
		past "$dl" && { log "udev logged no failure of the probe"; return 1; }
		sleep 0.2
	done
	[ "$out" = "lo: Process '/bin/false e2e-udev-probe' failed with exit code 1." ] ||
		{ log "udev's failure of the probe reads: $out"; return 1; }
	rm -f "$BB_PROBE"
	udevadm control --reload

	# Assigned and unassigned devices, plugged, replugged, unplugged: the
	# original rule runs attach and detach for each, ours a sync. First
	# the original's alone: its add handler attaches. Its remove handler,
	# with no serial left to name, exits 0 and leaves the hostdev to the
	# sync the same event queued (bbvirt(1)), which runs once unmasked.
	cur=$(jcursor)
	bb_alone "$cur" "in_qemu g1 | grep -qx ua-bbvirt-BBA1" plug BBA1 || return 1
	bb_alone "$cur" true unplug BBA1 || return 1
	# Then both rules at once.
	plug BBA1 && bb_clean "$cur" "plug BBA1 (g1's)" || return 1
	plug BBU1 && bb_clean "$cur" "plug BBU1 (nobody's)" || return 1
	unplug BBA1 && plug BBA1 && bb_clean "$cur" "replug BBA1" || return 1
	unplug BBU1 && plug BBU1 && bb_clean "$cur" "replug BBU1" || return 1

	# A guest's start: the hook replays the change events of its serials.
	# First the original's hook and rule alone: they attach BBA2 to g2 as
	# ours would.
	stop_guest g2 && converged || return 1
	plug BBA2 && bb_clean "$cur" "plug BBA2 (g2's, not running)" || return 1
	: >"$BB_HOOK_LOG"
	bb_alone "$cur" "in_qemu g2 | grep -qx ua-bbvirt-BBA2" start_guest g2 || return 1
	bb_hooked g2 BBA2 || return 1
	read -r b d < <(addr BBA2)
	holds g2 ua-bbvirt-BBA2 "$b" "$d" || return 1
	# Then with everything in place: g1 restarts holding BBA1.
	: >"$BB_HOOK_LOG"
	stop_guest g1 && bb_clean "$cur" "g1 stopped" || return 1
	start_guest g1 && bb_hooked g1 BBA1 && bb_clean "$cur" "g1 restarted" || return 1

	for s in BBA1 BBU1 BBA2; do
		unplug "$s" && bb_clean "$cur" "unplug $s" || return 1
	done
	unset 'assign[BBA1]' 'assign[BBA2]'
	write_config
	bb_remove || return 1
	converged
}
