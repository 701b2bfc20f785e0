# shellcheck shell=bash
# name: 17 remote-looking host
# function: sc_remote
# reference: 31 s
# needs: sc_admin_live
#
# 17. A connection that reports another host: libvirtd in its own UTS
# namespace, named farhost, so that virConnectGetHostname() says so (no
# test hook). Its guests are neither attached to nor detached from; one
# warning names the domain and the URI; status says remote. Back to
# normal, the reconnect hook converges.

readonly FARHOST=/run/systemd/system/libvirtd.service.d/e2e-farhost.conf

sc_remote() {
	local b d err rc out g s want
	mkdir -p "${FARHOST%/*}"
	cat >"$FARHOST" <<-'X'
	[Service]
	ExecStart=
	ExecStart=/usr/bin/unshare --uts /bin/sh -c 'hostname farhost && exec /usr/sbin/libvirtd $$LIBVIRTD_ARGS'
	X
	systemctl daemon-reload
	systemctl restart libvirtd.service || { log "libvirtd did not start as farhost"; return 1; }
	out=$(virsh hostname)
	[ "$out" = farhost ] || { log "libvirtd says it runs on '$out'"; return 1; }
	settle || return 1
	read -r b d < <(addr CFG1)
	assign[CFG2]=g1
	write_config
	sed -i '/^\[domain "g1"\]$/a uri = qemu:///system' "$CONF"
	unplug CFG1 && plug CFG2 || return 1
	settle || return 1
	err=$(bbvirt sync 2>&1 >/dev/null)
	rc=$?
	((rc == 0)) || { log "sync against farhost exited $rc: $err"; return 1; }
	# One warning for each domain the config names on that connection
	# (earlier scenarios may have left assignments to the others).
	want=()
	for g in "${GUESTS[@]}"; do
		for s in "${!assign[@]}"; do
			[ "${assign[$s]}" = "$g" ] && { want+=("$g"); break; }
		done
	done
	if [ "$(wc -l <<<"$err")" != "${#want[@]}" ]; then
		log "sync against farhost said: $err"
		return 1
	fi
	for g in "${want[@]}"; do
		grep -qF "domain '$g' on $URI is on another host ('farhost')" <<<"$err" ||
			{ log "sync against farhost did not name '$g': $err"; return 1; }
	done
	holds g1 ua-bbvirt-CFG1 "$b" "$d" || return 1
	in_qemu g1 | grep -qx ua-bbvirt-CFG2 && { log "CFG2 attached to g1 on farhost"; return 1; }
	expect_state CFG1 "remote - -" && expect_state CFG2 "remote - -" || return 1
	rm -f "$FARHOST"
	systemctl daemon-reload
	systemctl restart libvirtd.service || { log "libvirtd did not start again"; return 1; }
	converged
}
