# shellcheck shell=bash
# name: 7 foreign hostdev
# function: sc_foreign
# reference: 10 s
#
# 7. A hostdev attached by hand (a device bbvirt does not manage) survives.

sc_foreign() {
	local alias before after dl cur
	ensure_running g2 || return 1
	settle || return 1
	cur=$(jcursor)
	before=$(systemctl show -P ExecMainStartTimestampMonotonic bbvirt-sync.service)
	qmp '{"execute":"device_add","arguments":{"driver":"usb-wacom-tablet","bus":"'"$(plug_bus)"'","id":"wacom"}}' ||
		return 1
	wait_kernel 056a present idVendor || return 1
	# A type no rule names (issue 16): bbvirt-event sorts its events and
	# asks for no sync (the timer is off).
	deadline dl 30
	until quiet; do
		past "$dl" && { log "the tablet's events were not sorted"; return 1; }
		sleep 0.1
	done
	after=$(systemctl show -P ExecMainStartTimestampMonotonic bbvirt-sync.service)
	[ "$after" = "$before" ] || { log "the tablet's plug started a sync"; return 1; }
	journalctl -q --no-pager -o cat -u bbvirt-event.service --after-cursor="$cur" |
		grep -q 'none of a device the config names' ||
		{ log "bbvirt-event did not sort the tablet's events"; return 1; }
	cat >/tmp/wacom.xml <<-X
	<hostdev mode='subsystem' type='usb' managed='no'>
	  <source><vendor id='0x056a'/><product id='0x0000'/></source>
	</hostdev>
	X
	virsh attach-device g2 /tmp/wacom.xml --live >/dev/null ||
		{ log "virsh could not attach the tablet by hand"; return 1; }
	alias=$(virsh dumpxml g2 | xmllint --xpath 'string(//hostdev[source/vendor/@id="0x056a"]/alias/@name)' -)
	[ -n "$alias" ] || { log "no alias on the hand-attached hostdev"; return 1; }
	foreign["g2"]=$alias
	expect_rc 0 bbvirt sync || return 1
	expect_rc 0 bbvirt sync --dry-run || return 1
	assign[SN05]=g2
	write_config
	expect_rc 0 bbvirt sync || return 1
	converged
}
