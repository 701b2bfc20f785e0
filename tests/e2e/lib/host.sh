# shellcheck shell=bash
# The host's machinery around bbvirt: udev's queue, the sync's units,
# bbvirt's lock, the journal; whether the host is quiet.

# The background syncs of the random sequences: quiet waits for them.
bg_pids=()

# events_sorted: the udev rule's queue is empty and bbvirt-event is not
# running: every event so far has been sorted (and asked for its sync).
events_sorted() {
	[ -z "$(ls -A /run/bbvirt/events 2>/dev/null)" ] || return 1
	case $(systemctl show -P ActiveState bbvirt-event.service) in
	activating | deactivating | reloading) return 1 ;;
	esac
}

# syncs_off, syncs_on: nothing runs a sync meanwhile (the path unit
# stopped, the service masked: requests are left, and wait); then the
# path unit again, which serves a request left meanwhile.
syncs_off() {
	systemctl stop bbvirt-sync.path
	systemctl mask --runtime --quiet bbvirt-sync.service
}
syncs_on() {
	systemctl unmask --runtime --quiet bbvirt-sync.service
	systemctl start bbvirt-sync.path
}

# quiet: no udev event, queued event, sync request, sync run or job is pending.
quiet() {
	local p
	udevadm settle --timeout="$T_SETTLE" || return 1
	events_sorted || return 1
	[ ! -e /run/bbvirt/sync-requested ] || return 1
	case $(systemctl show -P ActiveState bbvirt-sync.service) in
	activating | deactivating | reloading) return 1 ;;
	esac
	[ -z "$(systemctl list-jobs --no-legend 'bbvirt-*' 2>/dev/null)" ] || return 1
	for p in "${bg_pids[@]}"; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}

# settle: wait until the host is quiet (quiet says whether it is).
settle() {
	local dl
	deadline dl "$DEADLINE"
	until quiet; do
		past "$dl" && { log "the host is not quiet after $(scaled "$DEADLINE") s"; return 1; }
		sleep 0.2
	done
}

# jcursor: the journal's cursor now, for journalctl --after-cursor.
jcursor() { journalctl -q -n 1 --show-cursor --no-pager | sed -n 's/^-- cursor: //p'; }

# Stop the timer while the scenarios run, so that nothing converges by the
# timer's luck: every convergence below is the work of udev, the hook, the
# path unit or a command.
timer_off() { systemctl stop bbvirt-sync.timer; }

# While udev's queue is held, events wait and no rule runs.
hold_udev() { udevadm control --stop-exec-queue && UDEV_HELD=1; }
release_udev() { udevadm control --start-exec-queue; UDEV_HELD=; }

# lock_bbvirt, unlock_bbvirt: hold bbvirt's lock, so that the sync the
# hook asks for when a guest has started waits, and what the restore left
# can be looked at first.
lock_bbvirt() {
	exec {BBLOCK}>>/run/bbvirt/lock
	flock -w "$T_BBVIRT" "$BBLOCK" || { log "bbvirt's lock stayed taken"; exec {BBLOCK}>&-; return 1; }
}
unlock_bbvirt() { exec {BBLOCK}>&-; }

# leaves_alone: three syncs, then a dry run: each exits 0, and the dry run
# plans nothing.
leaves_alone() {
	local i out rc
	for i in 1 2 3; do expect_rc 0 bbvirt sync || return 1; done
	out=$(bbvirt sync -n)
	rc=$?
	((rc == 0)) || { log "sync -n exited $rc: $out"; return 1; }
	[ -z "$out" ] || { log "sync -n plans: $out"; return 1; }
}

# sync_service request|start: one run of bbvirt-sync.service, asked for as
# udev and the hook do (the request file, through the path unit) or
# started as the timer does; it must succeed and log no warning, no error
# and no detach.
sync_service() {
	local before after dl cur
	cur=$(jcursor)
	before=$(systemctl show -P ExecMainStartTimestampMonotonic bbvirt-sync.service)
	if [ "$1" = request ]; then
		touch /run/bbvirt/sync-requested
	else
		systemctl start bbvirt-sync.service
	fi
	deadline dl 30
	until after=$(systemctl show -P ExecMainStartTimestampMonotonic bbvirt-sync.service) &&
		[ "$after" != "$before" ] && quiet; do
		past "$dl" && { log "bbvirt-sync.service did not run ($1) within $(scaled 30) s"; return 1; }
		sleep 0.2
	done
	if [ "$(systemctl show -P Result bbvirt-sync.service)" != success ] ||
		[ "$(systemctl show -P ExecMainStatus bbvirt-sync.service)" != 0 ]; then
		log "bbvirt-sync.service ($1) failed"
		return 1
	fi
	after=$(journalctl -q --no-pager -o cat -u bbvirt-sync.service --after-cursor="$cur" |
		grep -E -i 'warning|error|detached' || :)
	[ -z "$after" ] || { log "bbvirt-sync.service ($1) said: $after"; return 1; }
}
