# shellcheck shell=bash
# name: 20 by port
# function: sc_ports
# reference: 31 s
#
# 20. Issue 16: a keyboard whose serial no rule names, assigned by the
# port it is plugged into, in the stable form an admin copies from
# status: attached; replugged into the same port, attached again at its
# new address; moved to another port, detached and attached nowhere.
# The ports are the second xhci's, chosen by free_port. The model's extra
# aliases of a guest (foreign[]) carry what the port rule must attach.
# A config change is followed by a sync, as an admin's would be.

sc_ports() {
	local g=g1 kport path alias p1 p2
	[ -n "${running[$g]:-}" ] || start_guest "$g" || return 1
	p1=$(free_port) && p2=$(free_port "$p1") || return 1
	port_plug PORT1 "$p1" || return 1
	kport=$(basename "$(sysdev PORT1)")
	path=$(bbvirt status --json | jq -r --arg p "$kport" '.devices[] | select(.port == $p) | .path')
	# shellcheck disable=SC2015 # either test failing is the failure
	[ -n "$path" ] && [ "$path" != null ] || { log "status shows no stable path for port $kport"; return 1; }
	log "port $kport is $path"
	write_config
	conf_line "$g" "ports = $path"
	alias=ua-bbport-$(alias_enc "$path")
	foreign_add "$g" "$alias"
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	port_unplug PORT1 || return 1
	foreign_del "$g" "$alias"
	converged || return 1
	port_plug PORT1 "$p1" || return 1
	foreign_add "$g" "$alias"
	converged || return 1
	port_unplug PORT1 || return 1
	foreign_del "$g" "$alias"
	port_plug PORT1 "$p2" || return 1
	converged || return 1
	[ "$(state_of PORT1)" = "unassigned - -" ] || { log "status of PORT1 at port $p2: '$(state_of PORT1)'"; return 1; }
	port_unplug PORT1 || return 1
	write_config
	expect_rc 0 bbvirt sync || return 1
	converged
}
