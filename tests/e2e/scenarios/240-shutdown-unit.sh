# shellcheck shell=bash
# name: 24 shutdown unit, then saves
# function: sc_shutdown_unit
# reference: 75 s
#
# The shutdown unit stopped, as at host shutdown: no guest holds a bbvirt
# device (an admin's own stays), and while the hold lasts nothing comes
# back; every guest saved as libvirt-guests does, the devices replugged as
# after a reboot, the guests started from their images; the unit started:
# converged.

sc_shutdown_unit() {
	local g s t0 out
	for g in "${GUESTS[@]}"; do ensure_running "$g" || return 1; done
	assign+=([SV1]=g1 [SV4]=g2 [SV5]=g3)
	write_config
	for s in SV1 SV4 SV5; do
		[ -n "${plugged[$s]:-}" ] || plug "$s" || return 1
	done
	admin_hostdev || return 1
	converged || return 1
	t0=$EPOCHREALTIME
	systemctl stop bbvirt-shutdown.service || { log "stopping bbvirt-shutdown.service failed"; return 1; }
	RELEASED=1
	log "  bbvirt-shutdown.service stopped in $(printf '%.1f' "$(elapsed "$t0")") s"
	# At once: nothing of bbvirt's is left when the stop returns.
	look
	for g in "${GUESTS[@]}"; do
		matches "$g" || { log "$g right after the stop: $(qemu_ids <<<"${LOOK_QEMU[$g]:-}" | tr '\n' ' ')"; return 1; }
	done
	# The change events of the detaches, and a sync through the path unit,
	# attach nothing.
	converged && sync_service request || return 1
	out=$(bbvirt status | tail -n 1)
	[[ $out == "released (held since "* ]] || { log "status does not say released: $out"; return 1; }
	for g in "${GUESTS[@]}"; do
		save_timed managed "$g" || return 1
		out=$(image_hostdevs "$g" | grep -E '^ua-bb(virt|manual)-' | tr '\n' ',')
		[ -z "$out" ] || { log "$g's image holds $out"; return 1; }
	done
	# libvirt's own aliases (hostdevN) are not kept in an image: by address.
	image_hostdevs g3 | grep -q " $ADMS_AT\$" ||
		{ log "g3's image lost the admin's hostdev: $(image_hostdevs g3 | tr '\n' ',')"; return 1; }
	for s in SV1 SV4 SV5; do unplug "$s" && plug "$s" || return 1; done
	for g in "${GUESTS[@]}"; do start_timed "$g" || return 1; done
	admin_realias && converged || return 1
	t0=$EPOCHREALTIME
	systemctl start bbvirt-shutdown.service || { log "starting bbvirt-shutdown.service failed"; return 1; }
	RELEASED=
	converged || return 1
	log "  devices back $(printf '%.1f' "$(elapsed "$t0")") s after the unit's start"
}
