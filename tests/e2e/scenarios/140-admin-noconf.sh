# shellcheck shell=bash
# name: 14 no config, example
# function: sc_admin_noconf
# reference: 21 s
# needs: sc_admin_live
#
# 14. The same with no config file, and with the shipped example (which
# assigns nothing): bbvirt changes nothing, its own attachment included,
# from the command line, through the path unit and as the timer runs it.

sc_admin_noconf() {
	local b d cb cd f err rc
	read -r b d < <(addr ADM1)
	read -r cb cd < <(addr CFG1)
	for f in none /usr/share/doc/bbvirt/examples/vm.conf; do
		if [ "$f" = none ]; then
			rm -f "$CONF"
		else
			install -m 0644 "$f" "$CONF" || { log "no $f"; return 1; }
		fi
		err=$(bbvirt sync 2>&1 >/dev/null)
		rc=$?
		((rc == 0)) || { log "sync with config $f exited $rc: $err"; return 1; }
		[ -z "$err" ] || { log "sync with config $f said: $err"; return 1; }
		sync_service request && sync_service start || return 1
		holds g1 "$ADM1_ALIAS" "$b" "$d" || return 1
		holds g1 ua-bbvirt-CFG1 "$cb" "$cd" || return 1
	done
	write_config
	converged
}
