#!/bin/bash
# List what each e2e scenario does and checks, from the code: one line
# "FUNCTION: ITEM" per harness step or check it calls (plug, converged,
# expect_rc 3 bbvirt sync, ...) and per message it logs (which names the
# check that failed), in the order of the code; the scenarios in the
# order they run, then every other function of the harness, by name.
# A change that moves code about must leave this list as it was.
#
# Usage: list-checks.sh [E2E-DIR]   (default: this script's directory)
# E2E-DIR holds the runner, and lib/ and scenarios/ when split; a runner
# from before the split, with every function in it, works too.
set -euo pipefail
export LC_ALL=C

dir=${1:-$(dirname "$0")}
files=("$dir/runner")
[ -d "$dir/lib" ] && files+=("$dir"/lib/*.sh)
order=(sc_boot)
if [ -d "$dir/scenarios" ]; then
	files+=("$dir"/scenarios/*.sh)
	for f in "$dir"/scenarios/*.sh; do
		fn=$(sed -n 's/^# function: *//p' "$f")
		[ "$fn" = sc_boot ] || order+=("$fn")
	done
else
	# Before the split: the SCENARIOS array, "NAME:FUNCTION" each.
	mapfile -t -O 1 order < <(sed -n '/^readonly SCENARIOS=(/,/^)/p' "$dir/runner" |
		grep -o ':sc_[a-z_]*"' | tr -d ':"')
fi

awk -v order="${order[*]}" '
BEGIN {
	verbs = "converged settle quiet latency expect_rc expect_state " \
		"expect_restored holds matches bb_clean bb_alone bb_hooked " \
		"leaves_alone sync_service start_timed save_timed plug unplug " \
		"port_plug port_unplug start_guest stop_guest ensure_running " \
		"write_config conf_line foreign_add foreign_del qmp wait_kernel " \
		"wait_copies bbvirt virsh hold_udev release_udev syncs_off " \
		"syncs_on lock_bbvirt unlock_bbvirt bb_install bb_remove " \
		"admin_hostdev admin_realias far_start far_stop reset_world " \
		"random_step timer_off define_guests image_hostdevs state_of " \
		"prom_start prom_stop one_sync served"
	n = split(verbs, v, " ")
	for (i = 1; i <= n; i++) verb[v[i]] = 1
}
# name() { ... } on one line, or name() { up to a "}" alone on a line.
match($0, /^[a-z_][a-z0-9_]*\(\) *\{/) {
	fn = substr($0, 1, index($0, "(") - 1)
	names[fn] = 1
	rest = substr($0, RLENGTH + 1)
	if (rest ~ /\} *$/) { items(fn, rest); fn = "" }
	next
}
/^\}/ { fn = ""; next }
fn != "" && $0 !~ /^[ \t]*#/ { items(fn, $0) }

function add(f, s) {
	gsub(/[ \t]+/, " ", s)
	sub(/^ /, "", s)
	sub(/ $/, "", s)
	out[f, ++cnt[f]] = s
}
# The steps, checks and messages of one line of FUNCTION.
function items(f, line,    s, w, i, m, rest, parts, np) {
	s = line
	# Messages: "log" up to what ends the statement.
	while ((i = index(s, "log \"")) > 0 && (i == 1 || substr(s, i - 1, 1) ~ /[ \t{;(]/)) {
		m = substr(s, i + 4)
		if ((np = index(m, "\"; ")) > 0) m = substr(m, 1, np)
		else if ((np = index(m, "\" ||")) > 0) m = substr(m, 1, np)
		add(f, "log " m)
		s = substr(s, 1, i - 1) " " substr(s, i + 4 + length(m))
	}
	# QMP commands: what they execute, on which device or chardev.
	while ((i = index(s, "qmp \047")) > 0) {
		m = substr(s, i)
		np = index(m, "}}\047")
		m = substr(m, 1, np ? np + 2 : length(m))
		rest = substr(m, 5)
		gsub(/["\047{}]/, "", rest)
		gsub(/execute:|arguments:/, "", rest)
		gsub(/,/, " ", rest)
		add(f, "qmp " rest)
		s = substr(s, 1, i - 1) " " substr(s, i + length(m))
	}
	# Steps and checks: a known command word and its arguments, up to
	# the end of its command.
	gsub(/&&|\|\||;|\||\{|\}|\(|\)|!|`/, "\n", s)
	np = split(s, parts, "\n")
	for (i = 1; i <= np; i++) {
		rest = parts[i]
		sub(/^[ \t]*/, "", rest)
		sub(/^(if|then|else|elif|until|while|do|local [^=]*=|[a-z_]*=\$) */, "", rest)
		w = rest
		sub(/[ \t].*/, "", w)
		if (w in verb) {
			sub(/ *[0-9]?>.*/, "", rest)
			add(f, rest)
		}
	}
}
END {
	n = split(order, o, " ")
	for (i = 1; i <= n; i++) {
		done[o[i]] = 1
		if (!(o[i] in names)) { print o[i] ": (missing)"; continue }
		for (j = 1; j <= cnt[o[i]]; j++) print o[i] ": " out[o[i], j]
	}
	m = 0
	for (f in names) if (!(f in done)) h[++m] = f
	# Sorted by name, without asort (mawk).
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && h[j - 1] > h[j]; j--) { t = h[j]; h[j] = h[j - 1]; h[j - 1] = t }
	for (i = 1; i <= m; i++)
		for (j = 1; j <= cnt[h[i]]; j++) print "helper " h[i] ": " out[h[i], j]
}' "${files[@]}"
