# shellcheck shell=bash
# name: 18 two URI spellings
# function: sc_two_uris
# reference: 20 s
# needs: sc_remote
#
# 18. One daemon through two URI spellings: a guest is one guest, and a
# converged device is not detached as reassigned.

sc_two_uris() {
	local cur out i rc
	assign[CFG2]=g2
	write_config
	sed -i -e '/^\[domain "g1"\]$/a uri = qemu:///system' \
		-e '/^\[domain "g2"\]$/a uri = qemu+unix:///system' "$CONF"
	plug CFG1 || return 1
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	# Converged: from here on, nothing may move.
	cur=$(jcursor)
	for i in 1 2; do
		out=$(bbvirt sync -n)
		rc=$?
		if ((rc != 0)) || [ -n "$out" ]; then
			log "sync -n exited $rc and planned: $out"
			return 1
		fi
	done
	expect_rc 0 bbvirt sync && sync_service start && converged || return 1
	out=$(journalctl -q --no-pager -o cat --after-cursor="$cur" | grep -E 'reassigned|detached' || :)
	[ -z "$out" ] || { log "the journal says: $out"; return 1; }

	# The end of these scenarios: the admin takes ADM1 back.
	virsh detach-device g1 /tmp/ADM1.xml --live >/dev/null || { log "virsh could not detach ADM1"; return 1; }
	foreign_del g1 "$ADM1_ALIAS"
	unplug CFG1 && unplug CFG2 && unplug ADM1 || return 1
	unset 'assign[CFG1]' 'assign[CFG2]'
	write_config
	converged
}
