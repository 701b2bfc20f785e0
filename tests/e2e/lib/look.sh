# shellcheck shell=bash
# The look at libvirt and QEMU: what each guest holds, in the inner QEMU
# itself ('info usb') and in libvirt's live XML, compared with the
# oracle (expected, lib/model.sh) until it matches or a deadline passes.

# qemu_ids: the device IDs in 'info usb' output (stdin), sorted.
qemu_ids() { sed -n 's/.*, ID: \(.*\)$/\1/p' | tr -d '\r' | sort; }

# in_qemu GUEST: the device IDs the inner QEMU lists, sorted; nothing
# when the guest does not run.
in_qemu() { virsh qemu-monitor-command "$1" --hmp 'info usb' 2>/dev/null | qemu_ids; }

# xml_hostdevs XML: "alias bus device" of each USB hostdev in a domain's
# XML, sorted.
xml_hostdevs() {
	local x=$1 n i
	[ -n "$x" ] || return 1
	n=$(xmllint --xpath 'count(/domain/devices/hostdev[@type="usb"])' - <<<"$x")
	for ((i = 1; i <= n; i++)); do
		xmllint --xpath "concat(/domain/devices/hostdev[@type='usb'][$i]/alias/@name,' ',
			number(/domain/devices/hostdev[@type='usb'][$i]/source/address/@bus),' ',
			number(/domain/devices/hostdev[@type='usb'][$i]/source/address/@device))" - <<<"$x"
		echo
	done | sort
}

# in_xml GUEST: the same from the live XML (a guest that does not run has
# none: its persistent XML holds none).
in_xml() {
	local x
	x=$(virsh dumpxml "$1") || return 1
	xml_hostdevs "$x"
}

# look: what every guest holds, from one virsh process for them all
# (each virsh costs a second or more here: it loads libvirt's libraries
# and connects): 'info usb' in LOOK_QEMU[guest], the XML in LOOK_XML[guest].
declare -A LOOK_QEMU=() LOOK_XML=()
look() {
	local g out line cmds='' cur=''
	LOOK_QEMU=()
	LOOK_XML=()
	for g in "${GUESTS[@]}"; do
		cmds+="echo @@qemu $g; qemu-monitor-command $g --hmp 'info usb'; echo @@xml $g; dumpxml $g; "
	done
	out=$(timeout "$T_VIRSH" virsh -c "$URI" "$cmds" 2>/dev/null)
	(($? != 124)) || log "virsh did not answer within $T_VIRSH s"
	while IFS= read -r line; do
		case $line in
		"@@qemu "*) cur=q g=${line#@@qemu } && continue ;;
		"@@xml "*) cur=x g=${line#@@xml } && continue ;;
		esac
		case $cur in
		q) LOOK_QEMU[$g]+=$line$'\n' ;;
		x) LOOK_XML[$g]+=$line$'\n' ;;
		esac
	done <<<"$out"
}

# matches GUEST: the guest holds exactly what the model says, at the
# devices' current addresses, as look saw it.
matches() {
	local g=$1 want got alias bus dev s
	want=$(expected "$g")
	got=$(qemu_ids <<<"${LOOK_QEMU[$g]:-}")
	[ "$want" = "$got" ] || return 1
	while read -r alias bus dev; do
		[ -n "$alias" ] || continue
		case $alias in
		ua-bbvirt-* | ua-bbmanual-*)
			s=${alias#ua-bbvirt-}
			s=${s#ua-bbmanual-}
			[ "${held_at[$s]:-$(addr "$s")}" = "$bus $dev" ] || return 1
			;;
		esac
		echo "$alias"
	done < <(xml_hostdevs "${LOOK_XML[$g]:-}") | sort | { got=$(cat); [ "$want" = "$got" ]; }
}

# converged: wait until the host is quiet and every guest holds
# what the model says; on timeout, show what differs and fail.
converged() {
	local dl g ok
	deadline dl "$DEADLINE"
	while :; do
		ok=1
		if quiet; then
			look
			for g in "${GUESTS[@]}"; do matches "$g" || { ok=0; break; }; done
		else
			ok=0
		fi
		((ok)) && quiet && return 0
		if past "$dl"; then
			log "not converged after $(scaled "$DEADLINE") s:"
			for g in "${GUESTS[@]}"; do
				log "  $g want: $(expected "$g" | tr '\n' ' ')"
				log "  $g qemu: $(in_qemu "$g" | tr '\n' ' ')"
				log "  $g xml:  $(in_xml "$g" | tr '\n' ',')"
			done
			for s in "${!plugged[@]}"; do log "  $s at $(addr "$s")"; done
			log "  sync: $(systemctl show -P ActiveState bbvirt-sync.service)" \
				"jobs: $(systemctl list-jobs --no-legend | tr '\n' ' ')"
			journalctl -q -u bbvirt-sync.service -n 20 --no-pager |
				sed 's/^/E2E    /'
			return 1
		fi
		sleep 0.2
	done
}

# latency GUEST ALIAS yes|no FILE: wait until the inner QEMU lists the
# alias (yes) or no longer does (no); append the time since the last event
# to FILE. For attaches, also note the event for split_latency: the kind,
# the serial, the guest, the event, 'virsh start' returned (guests) or the
# device's sysfs path (plugs), and the moment the inner QEMU listed it.
latency() {
	local g=$1 alias=$2 want=$3 file=$4 dl s d
	deadline dl "$DEADLINE"
	while :; do
		if in_qemu "$g" | grep -qx "$alias"; then
			[ "$want" = yes ] && break
		else
			[ "$want" = no ] && break
		fi
		past "$dl" && { log "$alias in $g: not $want after $(scaled "$DEADLINE") s"; return 1; }
		sleep 0.1
	done
	mono
	echo "$MONO - $T_EVENT" | bc >>"$RES/$file"
	s=${alias#ua-bbvirt-}
	case $file in
	lat-attach)
		d=$(sysdev "$s") && d=$(readlink -f "$d") &&
			echo "attach $s $g $T_EVENT ${d#/sys} $MONO" >>"$RES/events"
		;;
	lat-start) echo "start $s $g $T_EVENT $T_STARTED $MONO" >>"$RES/events" ;;
	esac
	return 0
}

# alias_at GUEST BUS DEV: the alias of the guest's live USB hostdev whose
# source is BUS:DEV.
alias_at() {
	virsh dumpxml "$1" | xmllint --xpath "string(/domain/devices/hostdev[@type='usb'][number(source/address/@bus)=$2 and number(source/address/@device)=$3]/alias/@name)" -
}

# in_definition GUEST BUS DEV: how many USB hostdevs of the persistent
# definition have BUS:DEV as source.
in_definition() {
	virsh dumpxml --inactive "$1" | xmllint --xpath "count(/domain/devices/hostdev[@type='usb'][number(source/address/@bus)=$2 and number(source/address/@device)=$3])" -
}

# holds GUEST ALIAS BUS DEV: the live XML has that hostdev at BUS:DEV and
# the inner QEMU lists it.
holds() {
	in_xml "$1" | grep -qx "$2 $3 $4" ||
		{ log "$1: no hostdev $2 at $3:$4 in the live XML: $(in_xml "$1" | tr '\n' ',')"; return 1; }
	in_qemu "$1" | grep -qx "$2" ||
		{ log "$1: the inner QEMU does not list $2: $(in_qemu "$1" | tr '\n' ' ')"; return 1; }
}

# usb_line GUEST ID: the inner QEMU's 'info usb' line of that device ID.
usb_line() { virsh qemu-monitor-command "$1" --hmp 'info usb' 2>/dev/null | tr -d '\r' | grep -F ", ID: $2" | sed -n '$p'; }

# state_of SERIAL: "STATE ATTACHED HOLDER" of that serial in bbvirt status.
state_of() {
	bbvirt status --json |
		jq -r --arg s "$1" '.devices[] | select(.serial == $s) | "\(.state) \(.attached // "-") \(.holder // "-")"'
}

# expect_state SERIAL WANT: state_of says WANT.
expect_state() {
	local got
	got=$(state_of "$1")
	[ "$got" = "$2" ] || { log "status of $1: '$got', expected '$2'"; return 1; }
}
