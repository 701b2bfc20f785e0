# shellcheck shell=bash
# name: boot and wiring
# function: sc_boot
# reference: 7 s
#
# The host as a package leaves it: the path units, the timer and the
# shutdown unit enabled and active, the hook installed, no local udev rule
# for bbvirt or the tests' type, no udev event lost while /run/bbvirt did
# not exist yet. Then the timer stops (every convergence after is the work
# of udev, the hook, the path unit or a command) and the guests are
# defined. Runs first, always; its failure ends the run.

sc_boot() {
	systemctl is-enabled --quiet bbvirt-sync.path || { log "path unit not enabled"; return 1; }
	systemctl is-active --quiet bbvirt-sync.path || { log "path unit not active"; return 1; }
	systemctl is-enabled --quiet bbvirt-event.path || { log "event path unit not enabled"; return 1; }
	systemctl is-active --quiet bbvirt-event.path || { log "event path unit not active"; return 1; }
	systemctl is-enabled --quiet bbvirt-sync.timer || { log "timer not enabled"; return 1; }
	systemctl is-active --quiet bbvirt-sync.timer || { log "timer not active"; return 1; }
	systemctl is-enabled --quiet bbvirt-shutdown.service || { log "shutdown unit not enabled"; return 1; }
	systemctl is-active --quiet bbvirt-shutdown.service || { log "shutdown unit not active"; return 1; }
	[ -x /etc/libvirt/hooks/qemu.d/bbvirt ] || { log "hook not installed"; return 1; }
	# A device of a new type needs only the config (issue 16): the tests'
	# type, 0627:0001, is in the runner's usb-ids and nowhere in udev's
	# rules, whose shipped bbvirt rule is the only one.
	local r
	r=$(grep -l -i -e bbvirt -e '627' /etc/udev/rules.d/* /run/udev/rules.d/* 2>/dev/null)
	[ -z "$r" ] || { log "a local udev rule for bbvirt or 0627: $r"; return 1; }
	grep -q -i -e '627' -e 'PRODUCT' -e 'idVendor' /lib/udev/rules.d/60-bbvirt.rules &&
		{ log "the shipped udev rule names a device type"; return 1; }
	# Coldplug ran the rule for every USB device, perhaps before tmpfiles
	# made /run/bbvirt: no event was lost to a failure.
	r=$(journalctl -b -q --no-pager -o cat | grep -F -e "Process '/usr/bin/mkdir -p /run/bbvirt" \
		-e "Process '/usr/bin/touch /run/bbvirt" -e "Failed to execute '/usr/bin/mkdir" -e "Failed to execute '/usr/bin/touch")
	[ -z "$r" ] || { log "udev: $r"; return 1; }
	timer_off
	define_guests
}
