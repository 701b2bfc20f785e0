# shellcheck shell=bash
# The model of the world, and the oracle.
#
# The runner keeps a model of the world (the config, the plugged devices,
# the running guests, hostdevs that are not bbvirt's), changed by the
# scenarios as they act, and from it alone expected() says what each
# guest must hold. The oracle is written here once, and never asks bbvirt:
# a test that takes what to expect from the product cannot catch it.
#
# Every key of the arrays is read with a default (${a[$k]:-}): a scenario
# run alone (E2E_ONLY) may find a key no earlier one set.

declare -A assign=()   # serial -> guest the config assigns it to
declare -A plugged=()  # serial -> QMP id of its usb-kbd
declare -A running=()  # guest -> 1 while it runs
declare -A lent=()     # serial -> guest it was lent to with attach -D
declare -A foreign=()  # guest -> alias of a hostdev that is not bbvirt's
# A config that assigns nothing makes bbvirt change nothing (issue 13), so
# its own stale hostdevs stay; the random sequences, whose model expects
# them detached, keep one serial that is never plugged assigned (KEEP).
KEEP=
declare -A held_at=()  # serial -> "BUS DEV" a guest holds it at, while it has a twin
RELEASED=              # 1 while bbvirt release holds: bbvirt attaches nothing

write_config() {
	local g s list
	{
		echo "# written by the bbvirt e2e runner"
		echo "[defaults]"
		echo "usb-ids = 0627:0001"
		for g in "${GUESTS[@]}"; do
			list=
			for s in "${!assign[@]}"; do
				[ "${assign[$s]}" = "$g" ] && list+=" $s"
			done
			[ -n "$KEEP" ] && [ "$g" = "${GUESTS[0]}" ] && list+=" $KEEP"
			[ -n "$list" ] || continue
			printf '\n[domain "%s"]\nserials =%s\n' "$g" "$list"
		done
	} >"$CONF.tmp"
	chmod 0644 "$CONF.tmp"
	mv "$CONF.tmp" "$CONF"
}

# conf_line GUEST LINE: LINE in GUEST's section of the config written by
# write_config, which gets one if it has none.
conf_line() {
	if grep -qx "\[domain \"$1\"\]" "$CONF"; then
		sed -i "/^\[domain \"$1\"\]\$/a $2" "$CONF"
	else
		printf '\n[domain "%s"]\n%s\n' "$1" "$2" >>"$CONF"
	fi
}

# foreign_add GUEST ALIAS, foreign_del GUEST ALIAS: the model's hostdevs
# that are not bbvirt's, one alias a line.
foreign_add() { foreign[$1]=$( { [ -z "${foreign[$1]:-}" ] || echo "${foreign[$1]}"; echo "$2"; } | sort); }
foreign_del() {
	foreign[$1]=$(grep -vx "$2" <<<"${foreign[$1]:-}")
	[ -n "${foreign[$1]}" ] || unset "foreign[$1]"
}

# alias_enc TEXT: bbvirt's alias encoding: [A-Za-z0-9_] as it is, any
# other character as '-' and two lowercase hex digits.
alias_enc() {
	local s=$1 o= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [[ $c == [A-Za-z0-9_] ]]; then
			o+=$c
		else
			printf -v c -- '-%02x' "'$c"
			o+=$c
		fi
	done
	echo "$o"
}

# expected GUEST: the aliases the guest must hold, sorted.
expected() {
	local g=$1 s
	[ -n "${running[$g]:-}" ] || return 0
	{
		for s in "${!plugged[@]}"; do
			[ -z "$RELEASED" ] || continue
			if [ -n "${lent[$s]:-}" ]; then
				[ "${lent[$s]}" = "$g" ] && echo "ua-bbmanual-$s"
			elif [ "${assign[$s]:-}" = "$g" ]; then
				echo "ua-bbvirt-$s"
			fi
		done
		[ -n "${foreign[$g]:-}" ] && echo "${foreign[$g]}"
	} | sort
}
