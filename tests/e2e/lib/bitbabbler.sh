# shellcheck shell=bash
# bit-babbler's own udev rule and qemu hook beside ours (issue 14, points
# 5 and 6), for scenarios 19 and 27: installed and removed, and what the
# journal must not say while they run.

readonly BB_RULE=/etc/udev/rules.d/60-bit-babbler.rules
readonly BB_HOOK=/etc/libvirt/hooks/qemu
readonly BB_PROBE=/etc/udev/rules.d/59-e2e-udev-probe.rules
readonly BB_HOOK_LOG=/run/e2e-bit-babbler-hook.log

# bb_install: the original's rule, exactly its invocations, for the
# tests' type and the BitBabbler's; and a replica of its hook. On remove,
# udev 252 has none of usb_id's properties any more (a logging rule showed
# ID_VENDOR_ID, ID_MODEL_ID and ID_SERIAL_SHORT empty, BUSNUM=001): the
# remove line matches the kernel's PRODUCT, and its $env{ID_SERIAL_SHORT}
# expands to nothing, leaving 'detach --busnum 001 --devnum 002'.
# The types bit-babbler's rule runs bbvirt for: the tests' keyboards, the
# BitBabbler, and whatever a scenario adds (BB_EXTRA_IDS).
BB_EXTRA_IDS=
bb_install() {
	local id v p
	: >"$BB_RULE.tmp"
	for id in 0627:0001:627/1 0403:7840:403/7840 $BB_EXTRA_IDS; do
		v=${id%%:*} p=${id#*:} && p=${p%%:*}
		cat >>"$BB_RULE.tmp" <<-X
		ACTION=="add|change", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="$v", ATTR{idProduct}=="$p", RUN+="/usr/bin/bbvirt --syslog attach \$attr{serial} --busnum \$attr{busnum} --devnum \$attr{devnum}"
		ACTION=="remove", SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ENV{PRODUCT}=="${id##*:}/*", RUN+="/usr/bin/bbvirt --syslog detach \$env{ID_SERIAL_SHORT} --busnum \$env{BUSNUM} --devnum \$env{DEVNUM}"
		X
	done
	mv "$BB_RULE.tmp" "$BB_RULE"
	# The original hook sources /etc/bit-babbler/vm.conf (bash) and, on
	# 'started', runs for each serial of the guest's DOMAIN_RNG list
	#   udevadm trigger -c change -s usb -a idVendor=0403 -a idProduct=7840 -a serial=S
	# so that its rule attaches what is already plugged in. The runner's
	# config is INI, so this replica reads the guest's serials from its
	# [domain "GUEST"] section; the tests' type is 0627:0001. It notes
	# each trigger in BB_HOOK_LOG for the runner.
	cat >"$BB_HOOK" <<-X
	#!/bin/sh
	[ "\$2" = started ] || exit 0
	for s in \$(awk -v want="[domain \\"\$1\\"]" '
		/^\[/ { sec = (\$0 == want); next }
		sec && \$1 == "serials" { sub(/^[^=]*=/, ""); print }' $CONF); do
		udevadm trigger -c change -s usb -a idVendor=0627 -a idProduct=0001 -a serial="\$s" &&
			echo "\$1 \$s" >>$BB_HOOK_LOG
	done
	exit 0
	X
	chmod 0755 "$BB_HOOK"
	: >"$BB_HOOK_LOG"
	udevadm control --reload
	# libvirt looks for hooks when its daemon starts. Quiet first: a sync
	# under way when the daemon goes fails, and rightly.
	settle || return 1
	systemctl restart libvirtd.service || { log "libvirtd did not restart with the hook"; return 1; }
}

bb_remove() {
	rm -f "$BB_RULE" "$BB_HOOK" "$BB_PROBE" "$BB_HOOK_LOG"
	udevadm control --reload
	settle || return 1
	systemctl restart libvirtd.service || { log "libvirtd did not restart without the hook"; return 1; }
}

# udev_failures CURSOR WHAT: udev's complaints since CURSOR about a
# program run by a rule whose command line begins with WHAT: a non-zero
# exit ("sysname: Process '...' failed with exit code N."), a failure to
# run it, a timeout (udev 252's forms). The whole journal: a udev worker
# logs as "(udev-worker)", and its lines do not all carry the unit.
udev_failures() {
	journalctl -q --no-pager -o cat --after-cursor="$1" |
		grep -F -e "Process '$2" -e "Failed to execute '$2" -e "Spawned process '$2"
}

# bb_clean CURSOR WHAT: converged, then since CURSOR: no udev failure of
# bbvirt, no error logged by any bbvirt, no attach libvirt refused as
# already in use, no failed sync run.
bb_clean() {
	local out
	converged || { log "not converged after: $2"; return 1; }
	out=$(udev_failures "$1" /usr/bin/bbvirt; udev_failures "$1" "/usr/bin/mkdir -p /run/bbvirt"
		udev_failures "$1" "/usr/bin/touch /run/bbvirt")
	[ -z "$out" ] || { log "after $2, udev says: $out"; return 1; }
	out=$(journalctl -q --no-pager -o cat -t bbvirt -p err --after-cursor="$1")
	[ -z "$out" ] || { log "after $2, bbvirt logged: $out"; return 1; }
	out=$(journalctl -q --no-pager -o cat -u libvirtd.service --after-cursor="$1" | grep -i 'in use' || :)
	[ -z "$out" ] || { log "after $2, libvirt says: $out"; return 1; }
	out=$(journalctl -q --no-pager -o cat -u bbvirt-sync.service --after-cursor="$1" |
		grep -E 'status=[1-9]|Failed with result' || :)
	[ -z "$out" ] || { log "after $2, the sync service: $out"; return 1; }
}

# bb_alone CURSOR WHAT COMMAND...: run COMMAND with bbvirt's own triggers
# out of the way (the path unit stopped, the service masked: neither our
# rule nor our hook can start a sync), so that only the original's rule
# acts; then wait until WHAT holds (a command). Our rule still queues the
# events and bbvirt-event still asks for a sync, which nothing runs
# meanwhile. Afterwards, a request left meanwhile runs.
bb_alone() {
	local cur=$1 what=$2 rc dl out
	shift 2
	syncs_off
	"$@"
	rc=$?
	if ((rc == 0)); then
		deadline dl "$DEADLINE"
		until eval "$what"; do
			past "$dl" && { log "the original's rule alone did not make '$what' hold after '$*'"; rc=1; break; }
			sleep 0.2
		done
	fi
	syncs_on
	((rc == 0)) || return 1
	out=$(udev_failures "$cur" /usr/bin/bbvirt)
	[ -z "$out" ] || { log "after '$*' alone, udev says: $out"; return 1; }
	bb_clean "$cur" "$* (the original's rule alone)"
}

# bb_hooked GUEST SERIAL: the replica hook triggered SERIAL's change at
# GUEST's start.
bb_hooked() {
	grep -qx "$1 $2" "$BB_HOOK_LOG" || { log "the hook did not trigger $2 for $1: $(tr '\n' ',' <"$BB_HOOK_LOG")"; return 1; }
}
