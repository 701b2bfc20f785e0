# shellcheck shell=bash
# The results: each scenario timed into the table, the plan run.sh
# watches, and where the time of each attach went.

failed=0

# run NAME FUNCTION: time a scenario and record its result. A scenario
# with a reference figure measures the machine too (speed_seen).
RUN_NOTE=
TOOK_SUM=0
REF_SUM=0
run() {
	local name=$1 t0=$EPOCHREALTIME r took
	RUN_NOTE=
	log "--- $name"
	"$2"
	r=$?
	took=$(elapsed "$t0")
	name+=${RUN_NOTE:+ ($RUN_NOTE)}
	if ((r == 0)); then
		printf 'PASS  %-28s %7.1f s\n' "$name" "$took" >>"$RES/table"
	else
		failed=1
		printf 'FAIL  %-28s %7.1f s\n' "$name" "$took" >>"$RES/table"
	fi
	log "$( ((r == 0)) && echo PASS || echo FAIL) $name ($took s)"
	if ((r == 0)) && [ -n "${REF[$2]:-}" ]; then
		TOOK_SUM=$(echo "$TOOK_SUM + $took" | bc)
		REF_SUM=$((REF_SUM + REF[$2]))
		speed_seen "the scenarios so far" "$TOOK_SUM" "$REF_SUM"
	fi
	return $r
}

# plan REFSECONDS: tell run.sh by when this VM expects to be done: twice
# what is left, stretched by SPEED, and never past the cap. run.sh stops
# a VM that overruns it and says so (HARNESS): every step has its own
# deadline, so a VM that overruns its plan is stuck, not slow.
plan() {
	local end=$((${EPOCHREALTIME%.*} + 2 * $1 * SPEED_M / 1000))
	((end < CAP_END)) || end=$CAP_END
	echo "$end" >"$RES/plan.tmp" && mv "$RES/plan.tmp" "$RES/plan"
}

# split_latency: where the time of each attach event went, from what
# the host logged on the way. All times are CLOCK_MONOTONIC seconds of the
# VM (boot time is the same clock: it never suspends).
#  - event: the runner's clock (mono) just before it asked for the QMP
#    device_add, or ran 'virsh start';
#  - kernel enumerated: the kernel's 'add' uevent of the device's sysfs
#    path, as 'udevadm monitor --kernel' received it (udev-events.log);
#  - sync started: systemd's "Starting ..." of bbvirt-sync.service (PID 1
#    logs at info level here, see stage2), the last before the attaching
#    run's snapshot; never before the device was enumerated or the guest
#    start was asked for (a run already under way that saw the device cost
#    the event nothing in udev and systemd). udev's part is the rule's
#    RUN (touch, systemctl --no-block start): systemd starts the run while
#    udev is still busy with the event, so the moment udev sent the event
#    on ('UDEV' in udev-events.log) is given apart, not as a stage;
#  - attach issued: that run's "snapshot:" line (bbvirt -v), logged once
#    it has read the devices and libvirt's guests: the stage is bbvirt's
#    start (exec, libraries, config) and its snapshot. It plans and calls
#    libvirt right after, in microseconds, once any action planned before
#    this one is done; bbvirt logs nothing nearer. The run is found by
#    the PID of the first "attached 'SERIAL' (B:D) to 'GUEST'" line after
#    the event;
#  - attached: that line, logged once libvirt's attach call returned;
#  - seen: the runner's poll of the inner QEMU's 'info usb' listed it
#    (latency; the poll's own period is in this figure).
# Writes one line per event to split-attach (event->kernel, kernel->sync,
# sync->issued, issued->attached, attached->seen, total, kernel->udev) and
# split-start (event->start returned, event->sync, sync->issued,
# issued->attached, attached->seen, total); '-' where a mark is missing.
split_latency() {
	[ -s "$RES/events" ] || return 0
	journalctl -q -o short-monotonic --no-pager _PID=1 UNIT=bbvirt-sync.service |
		grep ' Starting ' >/share/sync-starts.log
	awk -v out_a="$RES/split-attach" -v out_s="$RES/split-start" -v sq="'" '
	function d(a, b) { return (a == "" || b == "") ? "-" : sprintf("%.3f", b - a) }
	# By name: an empty file has no first line to count it by.
	FNR == 1 { for (file = 1; ARGV[file] != FILENAME; file++) ; }
	# KERNEL[23.837061] add      /devices/pci0000:00/.../usb1/1-1 (usb)
	# UDEV  [24.221535] add      /devices/pci0000:00/.../usb1/1-1 (usb)
	file == 1 {
		if (!match($0, /^(KERNEL|UDEV) *\[[0-9.]+\] +add +/)) next
		t = $0
		sub(/^[^[]*\[/, "", t)
		sub(/\].*/, "", t)
		split(substr($0, RLENGTH + 1), w, " ")
		if ($0 ~ /^UDEV/) uadd[w[1]] = uadd[w[1]] " " t
		else kadd[w[1]] = kadd[w[1]] " " t
		next
	}
	# [   52.123456] host systemd[1]: Starting bbvirt-sync.service - ...
	file == 2 && match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
		start[++nstart] = substr($0, 2, RLENGTH - 2) + 0
		next
	}
	# [   52.123456] host ident[pid]: message
	file == 3 && match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
		t = substr($0, 2, RLENGTH - 2) + 0
		rest = substr($0, RLENGTH + 2)
		sub(/^[^ ]+ /, "", rest)
		i = index(rest, ": ")
		if (i == 0) next
		who = substr(rest, 1, i - 1)
		msg = substr(rest, i + 2)
		if (msg ~ /^snapshot: /)
			snap[who] = t
		else if (index(msg, "attached " sq) == 1) {
			split(msg, q, sq)
			k = q[2] " " q[4]
			n = ++na[k]
			at[k, n] = t
			atsnap[k, n] = snap[who]
		}
		next
	}
	# first T: the first time in the list L at or after T0.
	function first(l, t0,    v, n, i) {
		n = split(l, v, " ")
		for (i = 1; i <= n; i++) if (v[i] + 0 >= t0) return v[i] + 0
		return ""
	}
	file == 4 {
		k = $2 " " $3
		t0 = $4 + 0
		seen = $6 + 0
		ta = ti = ts = tk = tu = ""
		for (i = 1; i <= na[k]; i++)
			if (at[k, i] >= t0) { ta = at[k, i]; ti = atsnap[k, i]; break }
		if (ti != "")
			for (i = nstart; i >= 1; i--)
				if (start[i] <= ti) { ts = start[i]; break }
		if ($1 == "attach") {
			tk = first(kadd[$5], t0)
			tu = first(uadd[$5], t0)
			if (ts != "" && tk != "" && ts < tk) ts = tk
			print d(t0, tk), d(tk, ts), d(ts, ti), d(ti, ta), d(ta, seen), \
				d(t0, seen), d(tk, tu) >out_a
		} else {
			if (ts != "" && ts < t0) ts = t0
			print d(t0, $5), d(t0, ts), d(ts, ti), d(ti, ta), d(ta, seen), \
				d(t0, seen) >out_s
		}
	}
	' /share/udev-events.log /share/sync-starts.log /share/journal.log "$RES/events"
}
