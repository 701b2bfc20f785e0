# shellcheck shell=bash
# name: 28 metrics through node_exporter
# function: sc_metrics
# reference: 20 s
#
# 28. Issue 23: the real prometheus-node-exporter, its textfile collector
# reading the directory each sync writes bbvirt.prom into, serves the
# file on /metrics over loopback, as a fleet's Prometheus scrapes it. The
# first sync through the shipped unit (its sandbox opens the directory)
# writes it, mode 0644 under the unit's umask 0077. A device plugged for
# a running guest is attached there once the one sync that attached it
# has ended, not pending until the next; pulled, it is absent (it stays
# assigned); every sync succeeded, and the collector read every file.
# The journal (issue 23, point 1): journalctl BBVIRT_SERIAL=SN28 finds
# the attach and the detach, each one entry from bbvirt with its fields
# and its MESSAGE_ID, and the udev event that asked for the attach's
# sync, from bbvirt-event (bbvirt(1), Journal).

readonly PROM_DIR=/var/lib/prometheus/node-exporter
readonly PROM_URL=http://127.0.0.1:9100/metrics
PROM_PID=
PROM=

# scrape: PROM = bbvirt's series and the textfile collector's, as
# node_exporter serves them now (labels sorted by name).
scrape() {
	PROM=$(curl -fsS --max-time "$T_SETTLE" "$PROM_URL" 2>/dev/null) || return 1
	PROM=$(grep -E '^(bbvirt_|node_textfile_)' <<<"$PROM")
}

# prom_start: the collector's directory (the package makes it; this VM's
# /var is its own) and node_exporter with the textfile collector alone,
# on loopback, until /metrics answers.
prom_start() {
	local dl
	mkdir -p "$PROM_DIR" || return 1
	prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$PROM_DIR" >>/share/node-exporter.log 2>&1 &
	PROM_PID=$!
	deadline dl 30
	until scrape; do
		kill -0 "$PROM_PID" 2>/dev/null || { log "node_exporter ended: $(tail -n 3 /share/node-exporter.log)"; return 1; }
		past "$dl" && { log "node_exporter: no /metrics after $(scaled 30) s"; return 1; }
		sleep 0.2
	done
}

# prom_stop: node_exporter ended, and the directory gone with the file:
# the syncs of the scenarios after write none, as before.
prom_stop() {
	[ -z "$PROM_PID" ] || { kill "$PROM_PID" && wait "$PROM_PID"; } 2>/dev/null
	PROM_PID=
	rm -rf "$PROM_DIR"
}

# served LINE...: node_exporter serves each LINE (a series and its value),
# and no bbvirt_devices series of a count GONE: DOMAIN/STATE when one is
# given as a LINE of that form.
served() {
	local dl l miss
	deadline dl 10
	while :; do
		miss=
		if scrape; then
			for l in "$@"; do
				case $l in
				GONE:*/*) l=${l#GONE:} && grep -q "^bbvirt_devices{domain=\"${l%/*}\",state=\"${l#*/}\"}" <<<"$PROM" && miss=$l ;;
				*) grep -qxF "$l" <<<"$PROM" || miss=$l ;;
				esac
				[ -z "$miss" ] || break
			done
		else
			miss="(no answer)"
		fi
		[ -n "$miss" ] || return 0
		past "$dl" && break
		sleep 0.2
	done
	log "node_exporter does not serve '$miss'; it serves:"
	grep -v '^node_textfile_mtime' <<<"$PROM" | grep -v ' 0$' | sed 's/^/E2E    /' >&2
	return 1
}

# one_sync STEP...: a plug or a pull served by exactly one sync: the path
# unit stopped until udev and bbvirt-event are done with its events and
# have asked for it, then that sync alone. (The timer is off; syncs_off
# would mask the service too, but each mask and unmask reloads systemd,
# 8 s here.)
one_sync() {
	local dl
	systemctl stop bbvirt-sync.path
	"$@" || { systemctl start bbvirt-sync.path; return 1; }
	deadline dl 30
	until events_sorted && [ -e /run/bbvirt/sync-requested ]; do
		past "$dl" && { log "'$*': no sync asked for after $(scaled 30) s"; systemctl start bbvirt-sync.path; return 1; }
		sleep 0.2
	done
	systemctl start bbvirt-sync.path
	converged
}

# attached_in GUEST: how many devices node_exporter counts attached in it.
attached_in() {
	local n
	n=$(sed -n "s/^bbvirt_devices{domain=\"$1\",state=\"attached\"} //p" <<<"$PROM")
	echo "${n:-0}"
}

# metrics_steps: the file written through the unit, then a plug and a
# pull, each seen on /metrics once its one sync has ended.
metrics_steps() {
	local n0 port mode gone
	sync_service request || return 1
	mode=$(stat -c %a "$PROM_DIR/bbvirt.prom") || return 1
	[ "$mode" = 644 ] || { log "bbvirt.prom has mode $mode"; return 1; }
	served 'bbvirt_last_sync_success 1' 'bbvirt_released 0' 'node_textfile_scrape_error 0' \
		'bbvirt_device{domain="g1",port="",serial="SN28",state="absent"} 1' || return 1
	n0=$(attached_in g1)
	one_sync plug SN28 || return 1
	port=$(sysdev SN28) || return 1
	port=${port##*/}
	served "bbvirt_device{domain=\"g1\",port=\"$port\",serial=\"SN28\",state=\"attached\"} 1" \
		"bbvirt_devices{domain=\"g1\",state=\"attached\"} $((n0 + 1))" \
		'bbvirt_sync_actions{op="attach",result="done"} 1' 'bbvirt_last_sync_success 1' \
		'node_textfile_scrape_error 0' || return 1
	one_sync unplug SN28 || return 1
	gone="bbvirt_devices{domain=\"g1\",state=\"attached\"} $n0"
	((n0 > 0)) || gone=GONE:g1/attached
	served 'bbvirt_device{domain="g1",port="",serial="SN28",state="absent"} 1' "$gone" \
		'bbvirt_sync_actions{op="detach",result="done"} 1' 'bbvirt_last_sync_success 1' \
		'node_textfile_scrape_error 0'
}

# journal_has MESSAGE_ID ACTION PRESENT: journalctl BBVIRT_SERIAL=SN28,
# as an admin asks for one device's history (SN28 is this scenario's
# alone), holds exactly one entry of that MESSAGE_ID: from bbvirt, for g1, done, and
# with the device's type and port when PRESENT is true (a device pulled
# out has neither).
journal_has() {
	local got
	got=$(journalctl -q -o json --no-pager BBVIRT_SERIAL=SN28 |
		jq -r --arg id "$1" 'select(.MESSAGE_ID == $id) |
			[.SYSLOG_IDENTIFIER, .BBVIRT_ACTION, .BBVIRT_DOMAIN, .BBVIRT_RESULT,
			(.BBVIRT_USB_ID != null | tostring), (.BBVIRT_PORT != null | tostring)] | @tsv') ||
		return 1
	[ "$got" = "$(printf 'bbvirt\t%s\tg1\tdone\t%s\t%s' "$2" "$3" "$3")" ] && return 0
	log "journalctl BBVIRT_SERIAL=SN28, MESSAGE_ID $1: '$got'; bbvirt's entries:"
	journalctl -q -o json --no-pager SYSLOG_IDENTIFIER=bbvirt |
		jq -c 'with_entries(select(.key | test("^(MESSAGE|MESSAGE_ID|BBVIRT_.*)$")))' |
		sed 's/^/E2E    /' >&2
	return 1
}

# journal_event: journalctl BBVIRT_SERIAL=SN28 holds bbvirt-event's
# triage of the plug: a sync asked for, for the device.
journal_event() {
	local got
	got=$(journalctl -q -o json --no-pager BBVIRT_SERIAL=SN28 |
		jq -r 'select(.MESSAGE_ID == "5240927bfe9b407ea1821683b7bfd165") |
			[.SYSLOG_IDENTIFIER, .BBVIRT_ACTION, .BBVIRT_RESULT, .BBVIRT_REASON] | @tsv' |
		sort -u) || return 1
	[ "$got" = "$(printf 'bbvirt-event\ttriage\tsync-requested\tmanaged')" ] && return 0
	log "journalctl BBVIRT_SERIAL=SN28: bbvirt-event's triage reads '$got'; its entries:"
	journalctl -q -o json --no-pager SYSLOG_IDENTIFIER=bbvirt-event |
		jq -c 'with_entries(select(.key | test("^(MESSAGE|MESSAGE_ID|PRIORITY|BBVIRT_.*)$")))' |
		sed 's/^/E2E    /' >&2
	return 1
}

sc_metrics() {
	local r
	ensure_running g1 || return 1
	assign[SN28]=g1
	write_config
	prom_start && metrics_steps &&
		journal_has ebb5356f0f544c5b99f4542246592b4c attach true &&
		journal_has 8bda6d47a2164db9af77b597aab95148 detach false &&
		journal_event
	r=$?
	prom_stop
	unset 'assign[SN28]'
	write_config
	((r == 0)) && converged
}
