#!/bin/bash
# bench/run.sh: what a bbvirt run costs as the host grows, beside the shell
# way of reading the same state. Figures, not pass/fail: the targets are
# printed next to them. Writes bench/results/bench-STAMP.csv (and
# latest.csv). See bench/README.
#
# Usage: bench/run.sh [--quick]
# Environment:
#   BENCH_SIZES       "G:D ..." (default "1:1 10:20 100:200 500:1000 2000:4000";
#                     --quick: "1:1 10:20 50:100")
#   BENCH_RUNS        timed runs per case, after one untimed check run
#                     (default 5; --quick: 3)
#   BENCH_SHELL_MAX   largest G for the shell way (default 500; each virsh
#                     of the test driver parses the whole node, so the
#                     shell way is quadratic here: about 15 min at 2000)
#   BENCH_SHELL_RUNS  timed runs of the shell way (default 3; --quick: 1)
#   BBVIRT            the binary (default ./bbvirt at the top of the tree)
#   BBVIRT_EVENT      bbvirt-event (default: beside BBVIRT)
#
# Every size is one umockdev testbed, set up once; bbvirt and the shell
# way are timed inside it (umockdev-run's own setup, ~10 s for 1000
# devices, ~2 min for 4000, is never part of a figure). Each timed
# command runs as
#   bash `time` (TIMEFORMAT %3R %3U %3S) around
#   /usr/bin/time -f %M -o FILE COMMAND
# so wall time is bash's clock (ms; it includes GNU time's own exec, under
# 1 ms), CPU is user + sys from getrusage of the children (bash), and peak
# RSS is GNU time's ru_maxrss of COMMAND. Every run's exit status and
# output are checked against what bench/gen says the world holds: a run
# that does not do the expected work stops the benchmark.
set -euo pipefail
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Inside the testbed: run.sh --inside DIR RUNS SHELL_RUNS BBVIRT BBVIRT_EVENT
# Appends "CASE WALL USER SYS RSS_KIB" to DIR/times and "KEY VALUE" to
# DIR/facts (libvirt calls).
# ---------------------------------------------------------------------------
inside() {
	local dir=$1 runs=$2 shell_runs=$3 bbvirt=$4 bbvirt_event=$5
	local g usb att det
	cd "$dir"
	g=$(awk '$1 == "guests" { print $2 }' expect)
	usb=$(awk '$1 == "usb_devices" { print $2 }' expect)
	att=$(awk '$1 == "attach" { print $2 }' expect)
	det=$(awk '$1 == "detach" { print $2 }' expect)
	local uri=test://$dir/node.xml
	: >"$dir/times"
	: >"$dir/facts"

	# run CASE WANT_EXIT COMMAND...: one untimed run, output in out/err.
	run() {
		local name=$1 want=$2 rc=0
		shift 2
		"$@" >"$dir/out" 2>"$dir/err" || rc=$?
		if [ "$rc" != "$want" ]; then
			echo "bench: $name: '$*' exited $rc, expected $want" >&2
			head -20 "$dir/err" >&2
			exit 1
		fi
	}
	# timed CASE WANT_EXIT N COMMAND...: N timed runs; the last one's output
	# stays in out/err. PRE, when set, is run (untimed) before each.
	timed() {
		local name=$1 want=$2 n=$3 i rc
		shift 3
		local TIMEFORMAT='%3R %3U %3S'
		for ((i = 0; i < n; i++)); do
			[ -z "${PRE:-}" ] || eval "$PRE"
			rc=0
			{ time /usr/bin/time -f '%M' -o "$dir/rss" "$@" >"$dir/out" 2>"$dir/err" || rc=$?; } 2>"$dir/t"
			if [ "$rc" != "$want" ]; then
				echo "bench: $name: '$*' exited $rc, expected $want" >&2
				head -20 "$dir/err" >&2
				exit 1
			fi
			echo "$name $(tail -n1 "$dir/t") $(tail -n1 "$dir/rss")" >>"$dir/times"
		done
	}
	# check CASE WHAT GOT WANT
	check() {
		[ "$3" = "$4" ] || { echo "bench: $1: $2 is $3, expected $4" >&2; head -20 "$dir/err" >&2; exit 1; }
	}
	calls() { sed -n 's/.*snapshot: .*, \([0-9]*\) libvirt calls$/\1/p' "$dir/err"; }

	# The converged world: the check run is verbose, for the call count.
	run sync 0 "$bbvirt" -v -C ./vm.ini sync --dry-run
	echo "calls-sync $(calls)" >>"$dir/facts"
	check sync "'nothing to do'" "$(grep -c 'nothing to do' "$dir/err")" 1
	timed sync 0 "$runs" "$bbvirt" -C ./vm.ini sync --dry-run

	# An unmanaged device's event (issue 16): the udev rule queues every
	# USB device's event, and bbvirt-event.service sorts the queue as
	# below: for a device no rule names it asks for no sync. Then the
	# same for a BitBabbler's event, which asks for one.
	local um mp
	um=$(awk '$1 == "unmanaged_port" { print $2 }' expect)
	mp=$(awk '$1 == "managed_port" { print $2 }' expect)
	mkdir -p "$dir/events"
	PRE="rm -f '$dir/sync-requested'; : >'$dir/events/add@$um'"
	eval "$PRE"
	run event-sort 0 "$bbvirt_event" -C ./vm.ini -r ./sync-requested ./events
	check event-sort "a request" "$([ -e "$dir/sync-requested" ] && echo yes || echo no)" no
	check event-sort "the queue" "$(ls -A "$dir/events")" ""
	timed event-sort 0 "$runs" "$bbvirt_event" -C ./vm.ini -r ./sync-requested ./events
	PRE="rm -f '$dir/sync-requested'; : >'$dir/events/add@$mp'"
	eval "$PRE"
	run event-sort-managed 0 "$bbvirt_event" -C ./vm.ini -r ./sync-requested ./events
	check event-sort-managed "a request" "$([ -e "$dir/sync-requested" ] && echo yes || echo no)" yes
	timed event-sort-managed 0 "$runs" "$bbvirt_event" -C ./vm.ini -r ./sync-requested ./events
	PRE=

	# What each such event cost before bbvirt-event: the full sync that a
	# converged host runs for nothing. Where its time goes: the process
	# alone (--version: exec, libvirt's libraries), and the same sync on
	# a node of one guest (so: start, config and the USB devices; the
	# rest is the guests).
	run event 0 "$bbvirt" -C ./vm.ini sync --syslog
	check event "output" "$(cat "$dir/out" "$dir/err")" ""
	timed event 0 "$runs" "$bbvirt" -C ./vm.ini sync --syslog
	timed event-exec 0 "$runs" "$bbvirt" --version
	printf '<node><domain type="test"><name>one</name><memory>131072</memory><os><type>hvm</type></os></domain></node>\n' >"$dir/one.xml"
	sed "s|^uri = .*|uri = test://$dir/one.xml|" vm.ini >one.ini
	run event-devices 0 "$bbvirt" -C ./one.ini sync --syslog
	check event-devices "output" "$(cat "$dir/out" "$dir/err")" ""
	timed event-devices 0 "$runs" "$bbvirt" -C ./one.ini sync --syslog
	# The rule's own command, as it queues an event.
	mkdir -p "$dir/q"
	timed event-queue 0 "$runs" /usr/bin/touch "$dir/q/add@$um"

	run sync-drift 3 "$bbvirt" -v -C ./drift.ini sync --dry-run
	echo "calls-sync-drift $(calls)" >>"$dir/facts"
	check sync-drift "planned attaches" "$(grep -c '^attach ' "$dir/out" || :)" "$att"
	check sync-drift "planned detaches" "$(grep -c '^detach ' "$dir/out" || :)" "$det"
	timed sync-drift 3 "$runs" "$bbvirt" -C ./drift.ini sync --dry-run

	run status 0 "$bbvirt" -v -C ./vm.ini status --json
	echo "calls-status $(calls)" >>"$dir/facts"
	check status "devices attached" "$(grep -o '"state": "attached"' "$dir/out" | wc -l)" \
		"$(awk '$1 == "devices" { print $2 }' expect)"
	timed status 0 "$runs" "$bbvirt" -C ./vm.ini status --json

	run config-ini 0 "$bbvirt" -C ./vm.ini config
	check config-ini "domains listed" "$(grep -c "^domain '" "$dir/out")" "$g"
	timed config-ini 0 "$runs" "$bbvirt" -C ./vm.ini config
	run config-bash 0 "$bbvirt" -C ./vm.conf config
	check config-bash "domains listed" "$(grep -c "^domain '" "$dir/out")" "$g"
	timed config-bash 0 "$runs" "$bbvirt" -C ./vm.conf config

	((shell_runs > 0)) || return 0
	# The shell way an admin would script the same read, as the original's
	# bash tooling did: one virsh to list the running guests and one
	# dumpxml per guest, one udevadm info per USB device in sysfs.
	cat >"$dir/shellway.sh" <<-'EOF'
		set -euo pipefail
		uri=$1
		for d in $(virsh -c "$uri" list --name); do
			virsh -c "$uri" dumpxml "$d"
		done
		for p in /sys/bus/usb/devices/*; do
			case ${p##*/} in *:*) continue ;; esac   # interfaces
			udevadm info --query=all --path="$p"
		done
	EOF
	# What one virsh costs before any work: start, connect (here: the test
	# driver parsing the whole node) and quit; and the same on a node of
	# one guest (one.xml, above), to tell the parsing (a real daemon does
	# it once) apart.
	run virsh-version 0 virsh -c "$uri" version
	timed virsh-version 0 "$runs" virsh -c "$uri" version
	run virsh-version-1 0 virsh -c "test://$dir/one.xml" version
	timed virsh-version-1 0 "$runs" virsh -c "test://$dir/one.xml" version
	run udevadm-1 0 udevadm info --query=all --path=/sys/bus/usb/devices/usb1
	timed udevadm-1 0 "$runs" udevadm info --query=all --path=/sys/bus/usb/devices/usb1
	# The shell way itself has no untimed run (it is slow; virsh and
	# udevadm are warm from the above); its last run's output is checked.
	timed shell 0 "$shell_runs" bash "$dir/shellway.sh" "$uri"
	check shell "domain XMLs read" "$(grep -c '^<domain ' "$dir/out")" "$g"
	check shell "udev devices read" "$(grep -c '^P: ' "$dir/out")" "$usb"
}

if [ "${1:-}" = --inside ]; then
	shift
	inside "$@"
	exit 0
fi

# ---------------------------------------------------------------------------
# Outside: build each world, run the testbed, summarise.
# ---------------------------------------------------------------------------
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
quick=0
case ${1:-} in
--quick) quick=1 ;;
"") ;;
*) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac
if ((quick)); then
	sizes=${BENCH_SIZES:-1:1 10:20 50:100}
	runs=${BENCH_RUNS:-3}
	shell_runs=${BENCH_SHELL_RUNS:-1}
else
	sizes=${BENCH_SIZES:-1:1 10:20 100:200 500:1000 2000:4000}
	runs=${BENCH_RUNS:-5}
	shell_runs=${BENCH_SHELL_RUNS:-3}
fi
shell_max=${BENCH_SHELL_MAX:-500}
bbvirt=${BBVIRT:-$top/bbvirt}
bbvirt_event=${BBVIRT_EVENT:-$(dirname "$bbvirt")/bbvirt-event}
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive number"
[[ $shell_runs =~ ^[0-9]+$ ]] || die "BENCH_SHELL_RUNS must be a number"
[[ $shell_max =~ ^[0-9]+$ ]] || die "BENCH_SHELL_MAX must be a number"
for s in $sizes; do
	[[ $s =~ ^[1-9][0-9]*:[1-9][0-9]*$ ]] || die "BENCH_SIZES: '$s' is not G:D"
done
for t in umockdev-run virsh udevadm /usr/bin/time awk; do
	command -v "$t" >/dev/null || die "$t is missing; run 'make deps'"
done
[ -x "$bbvirt" ] || die "no $bbvirt; build it first (make)"
bbvirt=$(cd "$(dirname "$bbvirt")" && pwd)/$(basename "$bbvirt")
[ -x "$bbvirt_event" ] || die "no $bbvirt_event; build it first (make)"
bbvirt_event=$(cd "$(dirname "$bbvirt_event")" && pwd)/$(basename "$bbvirt_event")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Run private copies of the scripts, so that editing or checking out the
# tree during the run changes nothing.
cp "$here/gen" "$here/run.sh" "$tmp/"
export BBVIRT_LOCK=$tmp/lock
# The syncs here write no metrics (bench/metrics.sh measures those), and
# never the host's collector directory: this one does not exist.
export BBVIRT_METRICS_DIR=$tmp/no-metrics
unset LIBVIRT_DEFAULT_URI
results=$here/results
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv=$results/bench-$stamp.csv
echo "guests,devices,case,runs,wall_med_s,wall_min_s,wall_max_s,cpu_med_s,cpu_min_s,cpu_max_s,rss_med_kib,rss_min_kib,rss_max_kib,libvirt_calls,expected_calls" >"$csv"

start=$EPOCHREALTIME
for size in $sizes; do
	g=${size%:*} d=${size#*:}
	w=$tmp/$g-$d
	"$tmp/gen" "$g" "$d" 10 "$w"
	sr=0
	((g <= shell_max)) && sr=$shell_runs
	t0=$EPOCHREALTIME
	printf 'bench: %4d guests, %4d devices: ' "$g" "$d" >&2
	umockdev-run --device "$w/devices.umockdev" -- \
		"$tmp/run.sh" --inside "$w" "$runs" "$sr" "$bbvirt" "$bbvirt_event" </dev/null
	printf '%s s\n' "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')" >&2
	awk -v G="$g" -v D="$d" -v FACTS="$w/facts" -v EXPECT="$w/expect" '
		BEGIN {
			while ((getline l < FACTS) > 0) { split(l, f, " "); sub(/^calls-/, "", f[1]); calls[f[1]] = f[2] }
			while ((getline l < EXPECT) > 0) { split(l, f, " "); expect[f[1]] = f[2] }
		}
		{ c = $1; k = ++n[c]; if (k == 1) order[++nc] = c
		  wall[c, k] = $2; cpu[c, k] = $3 + $4; rss[c, k] = $5 }
		# stats(A, C): sorts the runs of case C into V; sets MED, MIN, MAX.
		function stats(a, c,   i, j, t, k) {
			k = n[c]
			for (i = 1; i <= k; i++) V[i] = a[c, i]
			for (i = 2; i <= k; i++)
				for (j = i; j > 1 && V[j - 1] > V[j]; j--) { t = V[j]; V[j] = V[j - 1]; V[j - 1] = t }
			MIN = V[1]; MAX = V[k]
			MED = k % 2 ? V[(k + 1) / 2] : (V[k / 2] + V[k / 2 + 1]) / 2
		}
		END {
			for (i = 1; i <= nc; i++) {
				c = order[i]
				stats(wall, c); w1 = MED; w2 = MIN; w3 = MAX
				stats(cpu, c); c1 = MED; c2 = MIN; c3 = MAX
				stats(rss, c)
				printf "%d,%d,%s,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%d,%d,%d,%s,%s\n",
					G, D, c, n[c], w1, w2, w3, c1, c2, c3, MED, MIN, MAX,
					(c in calls) ? calls[c] : "", (c in calls) ? expect["calls"] : ""
			}
		}' "$w/times" >>"$csv"
	rm -rf "$w"
done
total=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
cp "$csv" "$results/latest.csv"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
awk -F, -v CPU="$(nproc) cores, $cpu" -v RUNS="$runs" -v SRUNS="$shell_runs" '
	NR == 1 { next }
	{
		k = $1 ":" $2
		if (!(k in seen)) { seen[k] = 1; sz[++ns] = k; G[ns] = $1; D[ns] = $2 }
		has[k, $3] = 1; w[k, $3] = $5; lo[k, $3] = $6; hi[k, $3] = $7
		cpu[k, $3] = $8; rss[k, $3] = $11; rhi[k, $3] = $13; calls[k, $3] = $14; want[k, $3] = $15
	}
	function ms(x) { return x < 10 ? sprintf("%.0f", x * 1000) : sprintf("%.1fs", x) }
	function spread(k, c) { return sprintf("%s-%s", ms(lo[k, c]), ms(hi[k, c])) }
	function mib(x) { return sprintf("%.1f", x / 1024) }
	# Growth of case C from size i-1 to i, per doubling of G + D (2 = linear).
	function dbl(i, c,   a, b) {
		if (i == 1 || !has[sz[i], c] || !has[sz[i - 1], c]) return "-"
		a = w[sz[i], c] / w[sz[i - 1], c]; b = (G[i] + D[i]) / (G[i - 1] + D[i - 1])
		return sprintf("x%.2f", exp(log(a) * log(2) / log(b)))
	}
	function ratio(x, y) { return x > 0 && y > 0 ? sprintf("%.0fx", x / y) : "-" }
	END {
		printf "\nbbvirt bench: %s; medians of %d runs (shell way: %d), spread = min-max\n", CPU, RUNS, SRUNS
		printf "times in ms unless marked s; CPU = user + sys; RSS = peak, MiB; calls = libvirt calls counted by bbvirt -v\n\n"
		printf "%5s %5s | %-16s %5s %5s %5s %6s | %-16s %5s %5s | %6s %6s %6s | %8s %8s | %7s %6s %6s %6s %6s\n",
			"G", "D", "no-op sync", "CPU", "RSS", "calls", "/2x", "sync, 10% drift", "RSS", "calls",
			"status", "cfgINI", "cfgSH", "shell", "/2x", "virsh1", "udev1", "ratio", "ratioP", "ratioC"
		for (i = 1; i <= ns; i++) {
			k = sz[i]
			sh = "-"; r = "-"; rp = "-"; rc = "-"; v1 = "-"; u1 = "-"
			if (has[k, "shell"]) {
				sh = ms(w[k, "shell"]); v1 = ms(w[k, "virsh-version"]); u1 = ms(w[k, "udevadm-1"])
				r = ratio(w[k, "shell"], w[k, "sync"])
				# G + 1 virsh processes: one list, G dumpxml.
				rp = ratio(w[k, "shell"] - (G[i] + 1) * (w[k, "virsh-version"] - w[k, "virsh-version-1"]), w[k, "sync"])
				rc = ratio(w[k, "shell"] - (G[i] + 1) * w[k, "virsh-version"], w[k, "sync"])
			}
			printf "%5d %5d | %5s %-10s %5s %5s %5s %6s | %5s %-10s %5s %5s | %6s %6s %6s | %8s %8s | %7s %6s %6s %6s %6s\n",
				G[i], D[i], ms(w[k, "sync"]), "[" spread(k, "sync") "]", ms(cpu[k, "sync"]), mib(rss[k, "sync"]),
				calls[k, "sync"], dbl(i, "sync"),
				ms(w[k, "sync-drift"]), "[" spread(k, "sync-drift") "]", mib(rss[k, "sync-drift"]), calls[k, "sync-drift"],
				ms(w[k, "status"]), ms(w[k, "config-ini"]), ms(w[k, "config-bash"]),
				sh, dbl(i, "shell"), v1, u1, r, rp, rc
		}
		print ""
		print "/2x     time factor per doubling of G + D from the size above (2.00 = linear; below 2 while fixed start-up cost dominates)"
		print "shell   one virsh list, one virsh dumpxml per running guest, one udevadm info per USB device (not interfaces), in bash"
		print "virsh1  one bare `virsh -c URI version` on the same node: process start + connect (the test driver parses the whole node XML)"
		print "udev1   one bare `udevadm info` of one device, inside the testbed"
		print "ratio   shell / no-op sync, raw"
		print "ratioP  the same, less the test driver parsing the node in each of the G+1 virsh (a real libvirtd parses once): the fair ratio"
		print "ratioC  the same, less each virsh'"'"'s whole start + connect cost (virsh1 x (G+1)): a floor, it credits the shell way with free processes"
		print ""
		print "targets (printed, not pass/fail):"
		k = "500:1000"
		if (has[k, "sync"])
			printf "  no-op sync at (500, 1000) < 1 s wall, < 64 MiB peak RSS: %s ms, %s MiB (max of runs %s MiB): %s\n",
				ms(w[k, "sync"]), mib(rss[k, "sync"]), mib(rhi[k, "sync"]),
				w[k, "sync"] < 1 && rhi[k, "sync"] < 65536 ? "met" : "MISSED"
		else print "  no-op sync at (500, 1000): size not run"
		k = "100:200"
		if (has[k, "event-sort"]) {
			printf "  an unmanaged device'"'"'s event, 100 guests: bbvirt-event %.1f ms CPU (budget 20 ms): %s; %.1f ms wall\n",
				cpu[k, "event-sort"] * 1000, cpu[k, "event-sort"] <= 0.020 ? "met" : "MISSED", w[k, "event-sort"] * 1000
			printf "    a BitBabbler'"'"'s event: bbvirt-event %.1f ms CPU, then the sync it asks for; the rule'"'"'s touch %.1f ms CPU (and its mkdir -p, as much); an unplug asks for a full sync, whatever the device\n",
				cpu[k, "event-sort-managed"] * 1000, cpu[k, "event-queue"] * 1000
			printf "    before bbvirt-event, a full sync per event: %.0f ms CPU, of it the process %.0f ms (bbvirt --version), its config and USB devices %.0f ms (umockdev; the same sync on one guest, less the process), the 100 guests %.0f ms (libvirt test driver, in bbvirt'"'"'s process)\n",
				cpu[k, "event"] * 1000, cpu[k, "event-exec"] * 1000,
				(cpu[k, "event-devices"] - cpu[k, "event-exec"]) * 1000,
				(cpu[k, "event"] - cpu[k, "event-devices"]) * 1000
		} else print "  an unmanaged device'"'"'s event, 100 guests: size not run"
		worst = 0
		for (i = 2; i <= ns; i++) if (has[sz[i], "sync"] && has[sz[i - 1], "sync"]) {
			x = dbl(i, "sync"); sub(/^x/, "", x); if (x + 0 > worst) worst = x + 0
		}
		printf "  growth linear in G + D: largest factor per doubling %.2f: %s\n", worst,
			ns < 2 ? "(one size)" : (worst <= 2.2 ? "met" : "MISSED (super-linear)")
		k = "100:200"
		if (has[k, "shell"])
			printf "  >= 20x faster than the shell way at (100, 200): %s raw, %s fair (ratioP), %s floor (ratioC)\n",
				ratio(w[k, "shell"], w[k, "sync"]),
				ratio(w[k, "shell"] - 101 * (w[k, "virsh-version"] - w[k, "virsh-version-1"]), w[k, "sync"]),
				ratio(w[k, "shell"] - 101 * w[k, "virsh-version"], w[k, "sync"])
		else print "  shell way at (100, 200): size not run"
		bad = 0; nc = split("sync sync-drift status", cs, " ")
		for (i = 1; i <= ns; i++)
			for (j = 1; j <= nc; j++) {
				c = sz[i] SUBSEP cs[j]
				if (has[c] && calls[c] != want[c]) {
					printf "  calls: (%s) %s made %s libvirt calls, expected %s\n", sz[i], cs[j], calls[c], want[c]
					bad++
				}
			}
		printf "  one connection, one hostname and one list per URI, one XML fetch per running guest (calls = G + 3; shut-off guests cost none): %s\n",
			bad ? "MISSED" : "met at every size (sync, drift, status)"
	}' "$csv"
printf '\nCSV: %s\nbench: %s s in all\n' "$csv" "$total"
