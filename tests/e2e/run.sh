#!/bin/bash
# make e2e: bbvirt on a real (virtual) host. Boots an outer QEMU VM with
# this machine's kernel, /usr and /etc, installs bbvirt into it with
# 'make install', lets systemd bring up udev and libvirtd, and runs the
# scenarios in tests/e2e/runner there (with its lib/ and scenarios/).
# This side plugs and unplugs USB devices through the outer QEMU's QMP
# socket when the runner asks, watches the VM, and prints the results.
#
# Time. The whole run, build included, ends within E2E_CAP seconds of
# wall clock, whatever the machine. Within that, nothing waits on a
# constant tuned on a fast machine: a probe (the kernel's boot to its
# first panic) measures the machine before the VM starts, the runner
# measures it again (the boot, scenario 1, every later scenario) and
# stretches every deadline by what it found, and the random sequences run
# until a time budget, stretched the same way, is spent (at least three).
# See "time: measured, never assumed" in the runner.
#
# Exit status and the last line:
#   0  "e2e: PASS"      every scenario passed.
#   1  "e2e: FAIL"      bbvirt did not do what a scenario expects, on a VM
#                       that made progress: a bbvirt failure (or a scenario
#                       that is wrong), with the runner's log.
#   2  "e2e: HARNESS FAILURE (not a verdict on bbvirt): WHY"
#                       the machine could not run the test: a kernel stall
#                       or lockup in the outer VM (soft lockup, RCU stall,
#                       hung task, panic: the console lines are printed),
#                       a VM that made no progress (its heartbeat stopped)
#                       or overran the budget it planned, a machine too
#                       slow for the cap, or a missing tool. Whatever the
#                       scenarios said. Never retried: a run that stalled
#                       is not passed by a luckier second one.
#   130 interrupted.
#
# The outer host. By default this machine's own: its kernel, /usr and
# /etc. E2E_SUITE=SUITE (bookworm, trixie): a Debian SUITE root that
# tests/e2e/root.sh builds with debootstrap at
# /var/tmp/bbvirt-e2e-root-SUITE, or reuses when it is complete there;
# the VM boots that release's kernel, systemd, udev, libvirt and QEMU,
# and bbvirt is built inside it (chroot) with that release's compiler
# and libraries, installed where its pkg-config says. E2E_ROOT=DIR: that
# root instead (built there when E2E_SUITE is set too; used as it is when
# not). The root's build counts against E2E_CAP.
#
# Environment: E2E_CAP (seconds for the whole run, default 2640; .ci/run
# passes each e2e step's own), E2E_SET (full, the default: every
# scenario and the random sequences; core: the core scenarios only, see
# CORE in the runner), E2E_SEQUENCES (run exactly that many
# random sequences instead of filling the budget), E2E_RANDOM_MIN (the
# fewest random sequences the budget must leave room for, default 3;
# .ci/run passes 0), E2E_FIRST (run only
# the first N scenarios, to try the harness itself), E2E_ONLY (run only
# the scenarios whose functions it lists: "sc_a sc_b"), E2E_SEED, E2E_ACCEL
# (kvm, tcg or auto), E2E_WORK (work directory, default tests/e2e/work).
set -euo pipefail

t_start=$EPOCHREALTIME
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${E2E_WORK:-$here/work}
cap=${E2E_CAP:-2640}
if ! [[ $cap =~ ^[0-9]+$ ]] || ((cap < 300)); then
	echo "e2e: E2E_CAP must be at least 300 seconds" >&2
	exit 2
fi
cap_end=$((${t_start%.*} + cap))
# What this side needs after the VM: stopping it, the report.
readonly RESERVE=30

# Reference figures, from the machine the runner's are from (see there):
# the probe's boot to panic under TCG, the VM's uptime when stage2 starts
# and when the runner starts (wall clock here: QEMU's own start included).
readonly REF_PROBE=7 REF_STAGE2=8 REF_RUNNER=20
# How much slower than the reference a figure may be before it is no
# longer slowness but a stuck VM.
readonly MARGIN=4
# The heartbeat beats every second; a VM silent this long (reference
# seconds) makes no progress.
readonly REF_SILENCE=30

# The harness's failure, before the VM: say why, exit 2.
die() {
	echo "e2e: HARNESS FAILURE (not a verdict on bbvirt): $*"
	exit 2
}
say() { echo "e2e: $*"; }
now() { echo "${EPOCHREALTIME%.*}"; }
# fmul SECONDS: SECONDS stretched by the speed (thousandths), rounded up.
speed_m=1000
fmul() { echo $((($1 * speed_m + 999) / 1000)); }

[ "$(id -u)" = 0 ] || die "run as root (the outer VM shares /usr and /etc)"
for t in qemu-system-x86_64 socat busybox cpio bc xmllint timeout; do
	command -v "$t" >/dev/null || die "$t is missing; run 'make e2e-deps'"
done
set_=${E2E_SET:-full}
case $set_ in
full | core) ;;
*) die "E2E_SET must be full or core, not '$set_'" ;;
esac
suite=${E2E_SUITE:-}
root=${E2E_ROOT:-}
[ -z "$suite" ] || [[ $suite =~ ^[a-z]+$ ]] || die "E2E_SUITE must be a Debian codename, not '$suite'"
[ -z "$suite" ] || [ -n "$root" ] || root=/var/tmp/bbvirt-e2e-root-$suite
if [ -n "$suite" ]; then
	# Half the cap at most: a root that takes longer leaves too little
	# for the scenarios.
	t_root=$EPOCHREALTIME
	timeout $((cap / 2)) "$here/root.sh" "$suite" "$root" ||
		die "the $suite root could not be made at $root (tests/e2e/root.sh; exit $?)"
	t_root=$(echo "$EPOCHREALTIME - $t_root" | bc)
fi
if [ -n "$root" ]; then
	root=$(realpath -e "$root") || die "E2E_ROOT: no such directory"
	[ "$root" != / ] || root=
fi
# What the release is called, for the report.
# shellcheck source=/dev/null
release=$(. "$root/etc/os-release" && echo "${VERSION_CODENAME:-$VERSION_ID}")
[ -n "$root" ] || release+=", this machine's root"
# The newest kernel that has both its image and its modules there.
kver=
for k in $(find "$root/usr/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V); do
	[ -r "$root/boot/vmlinuz-$k" ] && [ -e "$root/usr/lib/modules/$k/modules.dep" ] && kver=$k
done
[ -n "$kver" ] || die "no kernel with its modules in $root/boot and $root/usr/lib/modules; run 'make e2e-deps'"
kernel=$root/boot/vmlinuz-$kver
if [ ! -e "$root/etc/libvirt/qemu.conf" ] || [ ! -x "$root/usr/sbin/libvirtd" ]; then
	die "libvirt's QEMU daemon is missing in ${root:-/}; run 'make e2e-deps'"
fi

rm -rf "$work"
mkdir -p "$work/share/req" "$work/share/results"

# bbvirt, built and installed the way a package would place it: here with
# this machine's compiler and libraries, or inside the root with its own
# (and the paths its pkg-config gives, as a package built there would).
if [ -z "$root" ]; then
	make -s -C "$top" bbvirt
	make -s -C "$top" install DESTDIR="$work/dest" PREFIX=/usr \
		UDEVDIR=/lib/udev SYSTEMDUNITDIR=/lib/systemd/system >/dev/null
else
	t_build=$EPOCHREALTIME
	"$here/build-in-root.sh" "$root" "$top" "$work/dest" ||
		die "bbvirt did not build in the $release root (tests/e2e/build-in-root.sh)"
	t_build=$(echo "$EPOCHREALTIME - $t_build" | bc)
fi
tar -C "$work/dest" -cf "$work/share/root.tar" .
install -m 0755 "$here/stage2" "$here/runner" "$work/share/"
# The runner's library and scenarios, beside it (tests/e2e/runner).
mkdir -p "$work/share/lib" "$work/share/scenarios"
install -m 0644 "$here"/lib/*.sh "$work/share/lib/"
install -m 0644 "$here"/scenarios/*.sh "$work/share/scenarios/"
"$here/initramfs.sh" "$kver" "$work/initramfs.cpio.gz" "$root"

pids=()
cleanup() {
	local p
	# CONT too: a stopped QEMU would hold the TERM, and the wait with it.
	for p in "${pids[@]}"; do
		if kill "$p" 2>/dev/null; then kill -CONT "$p" 2>/dev/null || :; fi
	done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || :; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# probe ACCEL CPU LIMIT: boot the kernel alone to its first panic (it finds
# no root), the first measure of the machine. Prints the seconds it took,
# or fails if it did not panic within LIMIT seconds.
probe() {
	local t0=$EPOCHREALTIME log=$work/probe-$1.log
	timeout "$3" qemu-system-x86_64 -accel "$1" -cpu "$2" -m 256 \
		-display none -no-reboot -kernel "$kernel" \
		-append 'console=ttyS0 panic=-1' -serial file:"$log" >/dev/null 2>&1 || :
	grep -q 'Kernel panic' "$log" 2>/dev/null || return 1
	echo "$EPOCHREALTIME - $t0" | bc
}

# TCG first: it always works, and it is the measure. Its bound is a share
# of the cap, not a speed: a machine that cannot boot a kernel in a
# twentieth of the cap cannot run the test within the cap either.
probe_s=$(probe tcg max $((cap / 20))) ||
	die "the kernel did not boot to its first panic under TCG within $((cap / 20)) s (see $work/probe-tcg.log): this machine is too slow for a ${cap}-s cap"
speed_m=$(echo "$probe_s * 1000 / $REF_PROBE" | bc)
((speed_m >= 1000)) || speed_m=1000
say "probe: the kernel boots to its first panic in $(printf '%.1f' "$probe_s") s under TCG (reference $REF_PROBE s)"

# KVM where it exists and works, TCG otherwise. A nested KVM that cannot
# run this kernel (seen: an MSR the host refuses, or a guest that hangs
# without a word) must not fail the test. A KVM that does not reach the
# panic as fast as TCG did is no gain either.
accel=tcg
cpu=max
if [ "${E2E_ACCEL:-auto}" = kvm ] || { [ "${E2E_ACCEL:-auto}" = auto ] && [ -w /dev/kvm ]; }; then
	if kvm_s=$(probe kvm host "$(echo "$probe_s / 1 + 1" | bc)"); then
		accel=kvm
		cpu=host
		say "probe: $(printf '%.1f' "$kvm_s") s under KVM; using KVM"
	elif [ "${E2E_ACCEL:-auto}" = kvm ]; then
		die "KVM does not boot this kernel here (see $work/probe-kvm.log)"
	else
		say "/dev/kvm exists but does not boot this kernel as fast as TCG; using TCG"
	fi
fi

cat >"$work/share/env" <<EOF
E2E_SEQUENCES=${E2E_SEQUENCES:-}
E2E_RANDOM_MIN=${E2E_RANDOM_MIN:-3}
E2E_FIRST=${E2E_FIRST:-}
E2E_ONLY="${E2E_ONLY:-}"
E2E_SET=$set_
E2E_SEED=${E2E_SEED:-$((RANDOM * 32768 + RANDOM))}
E2E_CAP_END=$((cap_end - RESERVE))
E2E_SPEED_M=$speed_m
EOF

# Two xhci controllers at fixed PCI slots: the scenarios leave devices
# plugged, and 15 USB 2 ports fill up in a full run. plug() takes the
# first controller's ports while it has one free, then the second's; the
# scenarios that name a port take the second's from its top (runner's
# free_port).
t0=$EPOCHREALTIME
qemu-system-x86_64 -accel "$accel" -machine q35 -cpu "$cpu" -m 2048 -smp 2 \
	-display none -no-reboot -serial file:"$work/console.log" \
	-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 loglevel=4 usbcore.autosuspend=-1 panic=-1 systemd.show_status=false" \
	-device qemu-xhci,id=xhci,p2=15,p3=15,addr=0x5 \
	-device qemu-xhci,id=xhc2,p2=15,p3=15,addr=0x6 \
	-virtfs local,path="$root/usr",mount_tag=hostusr,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$root/etc",mount_tag=hostetc,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$work/share",mount_tag=share,security_model=none \
	-qmp unix:"$work/qmp.sock",server=on,wait=off &
vm=$!
pids+=("$vm")
say "outer VM started (pid $vm, $accel, kernel $kver); console: $work/console.log"

qdl=$(($(now) + $(fmul 10)))
until [ -S "$work/qmp.sock" ]; do
	kill -0 "$vm" 2>/dev/null || die "the outer VM exited at once; see $work/console.log"
	(($(now) < qdl)) || die "the outer QEMU opened no QMP socket within $(fmul 10) s"
	sleep 0.1
done

# One QMP connection for the whole run.
coproc QMP { exec socat - UNIX-CONNECT:"$work/qmp.sock"; }
pids+=("$QMP_PID")
qin=${QMP[1]}
qout=${QMP[0]}
t_qmp=$(fmul 10)
read -r -t "$t_qmp" line <&"$qout" || die "no QMP greeting within $t_qmp s"
echo '{"execute":"qmp_capabilities"}' >&"$qin"
read -r -t "$t_qmp" line <&"$qout" || die "no answer to qmp_capabilities within $t_qmp s"

# qmp_call JSON: send one command, print its reply (events are skipped).
qmp_call() {
	local line
	printf '%s\n' "$1" >&"$qin"
	while read -r -t "$t_qmp" line <&"$qout"; do
		case $line in
		*'"event"'*) continue ;;
		*) printf '%s\n' "$line"; return 0 ;;
		esac
	done
	echo '{"error":"no reply"}'
}

# What the outer kernel prints when it stalls or worse. Kernel lines only:
# the runner's and the services' lines reach the console too, as
# "[time] name[pid]: ...".
readonly STALL='soft lockup|hard LOCKUP|rcu: INFO:|detected stalls? on CPU|self-detected stall|blocked for more than [0-9]+ seconds|Kernel panic|BUG: |Oops: |general protection fault'
stall_lines() {
	grep -a -E "$STALL" "$work/console.log" 2>/dev/null |
		grep -a -v -E '^\[ *[0-9.]+\] [^ ]+\[[0-9]+\]: ' || :
}

res=$work/share/results
booted=
harness=
stage2_dl=$(($(now) + MARGIN * $(fmul $REF_STAGE2)))
runner_dl=$(($(now) + MARGIN * $(fmul $REF_RUNNER)))
hb=
hb_at=$(now)
hb_gap=0
next_scan=0
while kill -0 "$vm" 2>/dev/null; do
	t=$(now)
	for f in "$work/share/req"/*.json; do
		[ -e "$f" ] || continue
		reply=$(qmp_call "$(cat "$f")")
		printf '%s\n' "$reply" >"${f%.json}.tmp"
		mv "${f%.json}.tmp" "${f%.json}.out"
		rm -f "$f"
	done
	if [ -z "$booted" ] && [ -e "$res/runner-start" ]; then
		booted=$(echo "$EPOCHREALTIME - $t0" | bc)
		say "outer host up, scenarios running ($(printf '%.1f' "$booted") s)"
	fi
	((t >= next_scan)) || { sleep 0.02; continue; }
	next_scan=$((t + 1))

	# The runner's measure of the machine, once it has one.
	if [ -s "$res/speed" ]; then
		m=$(cat "$res/speed")
		[[ $m =~ ^[0-9]+$ ]] && ((m > speed_m)) && speed_m=$m
	fi
	# The heartbeat, from stage2 on (see there).
	if [ -s "$work/share/heartbeat" ]; then
		h=$(cat "$work/share/heartbeat" 2>/dev/null) || h=$hb
		if [ "$h" != "$hb" ]; then
			[ -z "$hb" ] || ((t - hb_at <= hb_gap)) || hb_gap=$((t - hb_at))
			hb=$h
			hb_at=$t
		fi
	fi
	if [ -n "$(stall_lines)" ]; then
		harness="the outer VM's kernel reported a stall (console lines below)"
	elif [ -z "$hb" ] && ! grep -aq '^E2E stage2' "$work/console.log" && ((t > stage2_dl)); then
		harness="the outer VM did not reach stage2 within $((stage2_dl - ${t0%.*})) s (the kernel's boot, its initramfs)"
	elif [ -z "$booted" ] && ((t > runner_dl)); then
		harness="the outer host did not start the scenarios within $((runner_dl - ${t0%.*})) s (systemd, udev, libvirtd)"
	elif [ -n "$hb" ] && ((t - hb_at > $(fmul $REF_SILENCE))); then
		harness="the outer VM made no progress: its heartbeat stopped for $((t - hb_at)) s (allowed: $(fmul $REF_SILENCE) s at this machine's speed)"
	elif [ -s "$res/plan" ] && ((t > $(cat "$res/plan"))); then
		harness="the outer VM overran the budget it planned from the machine's speed ($(($(cat "$res/plan") - ${t0%.*})) s from its start)"
	elif ((t > cap_end - RESERVE)); then
		harness="the run reached its cap of $cap s"
	fi
	if [ -n "$harness" ]; then
		say "$harness; stopping the VM"
		break
	fi
	sleep 0.02
done
total=$(echo "$EPOCHREALTIME - $t0" | bc)
# A VM stopped for its silence: that silence is its longest gap.
if [ -n "$harness" ] && [ -n "$hb" ] && (($(now) - hb_at > hb_gap)); then
	hb_gap=$(($(now) - hb_at))
fi
cleanup
pids=()

status=$(cat "$res/status" 2>/dev/null || echo)
stalls=$(stall_lines)
if [ -n "$stalls" ]; then
	harness="the outer VM's kernel reported a stall (console lines below)"
elif [ -z "$harness" ] && [ -z "$status" ]; then
	harness="the outer VM ended without a result (see the console's end below)"
elif [ -z "$harness" ] && [[ $status == HARNESS* ]]; then
	harness=${status#HARNESS }
fi

if [ -n "$harness" ] || [ "$status" != PASS ]; then
	grep -a 'E2E-FAIL' "$work/console.log" || :
	if [ -n "$stalls" ]; then
		echo "--- the outer kernel's stall reports ($work/console.log), the first with what follows it"
		first=$(grep -a -n -F -x -e "$(head -n 1 <<<"$stalls")" "$work/console.log" | head -n 1 | cut -d: -f1)
		sed -n "${first},$((first + 15))p" "$work/console.log"
		echo "--- all of them"
		printf '%s\n' "$stalls"
	elif [ -n "$harness" ]; then
		echo "--- the console's last 20 lines ($work/console.log)"
		tail -n 20 "$work/console.log"
	fi
	# What the runner saw: its log says which step of which scenario
	# failed and how the guests differed from the model.
	if [ -s "$work/share/log" ]; then
		echo "--- the runner's log (last 80 lines of $work/share/log)"
		tail -n 80 "$work/share/log"
	fi
	if [ -s "$work/share/bbvirt-sync.log" ]; then
		echo "--- bbvirt-sync.service (last 30 lines of $work/share/bbvirt-sync.log)"
		tail -n 30 "$work/share/bbvirt-sync.log"
	fi
fi

echo
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "bbvirt end-to-end on $release ($set_ set, $accel, kernel $kver)"
printf '  %-44s %s\n' "machine" "$cpu_model, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -z "$root" ] || printf '  %-44s %s\n' "outer host's root" "$root"
[ -z "${t_root:-}" ] || printf '  %-44s %7.1f s\n' "root: built or reused" "$t_root"
[ -z "${t_build:-}" ] || printf '  %-44s %7.1f s\n' "bbvirt built in the root" "$t_build"
printf '  %-44s %7.1f s (reference %d s)\n' "probe: kernel boot to panic (TCG)" "$probe_s" "$REF_PROBE"
printf '  %-44s %7.1f s (reference %d s)\n' "outer VM boot to scenarios" "${booted:-0}" "$REF_RUNNER"
printf '  %-44s   x%s (deadlines and budget)\n' "measured slowness" "$(echo "scale=2; $speed_m / 1000" | bc)"
printf '  %-44s %7d s\n' "longest heartbeat gap" "$hb_gap"
[ -e "$res/table" ] && sed 's/^/  /' "$res/table"

# stats FILE COLUMN WHAT: median and max of one column ('-': no figure).
stats() {
	[ -s "$res/$1" ] || return 0
	awk -v c="$2" '$c != "-" { print $c }' "$res/$1" | sort -n | awk -v what="$3" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) exit
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "  %-44s median %5.2f s, max %5.2f s (%d)\n", what, m, v[NR], NR
		}'
}
stats lat-attach 1 "plug -> attached in the guest"
# Where that time went (split_latency in the runner says how each mark
# is taken): the outer QEMU and kernel, udev, systemd, bbvirt, libvirt
# and the inner QEMU, and the harness's own poll.
stats split-attach 1 "  QMP device_add -> kernel enumerated"
stats split-attach 2 "  -> sync started (udev, systemd)"
stats split-attach 3 "  -> attach issued (bbvirt: start, snapshot)"
stats split-attach 4 "  -> attached (libvirt, inner QEMU)"
stats split-attach 5 "  -> listed by 'info usb' (the poll)"
stats split-attach 7 "  (udev done with the event, after kernel)"
stats lat-detach 1 "unplug -> detached from the guest"
stats lat-start 1 "guest start -> attached (hook)"
stats split-start 1 "  (virsh start returned)"
stats split-start 2 "  virsh start -> sync started (hook)"
stats split-start 3 "  -> attach issued (bbvirt: start, snapshot)"
stats split-start 4 "  -> attached (libvirt, inner QEMU)"
stats split-start 5 "  -> listed by 'info usb' (the poll)"
stats lat-reconnect 1 "libvirtd back -> attached (hook)"
printf '  %-44s %7.1f s (cap %d s)\n' "total (the VM)" "$total" "$cap"
printf '  %-44s %7.1f s\n' "total (make e2e)" "$(echo "$EPOCHREALTIME - $t_start" | bc)"
if [ -n "$harness" ]; then
	echo "e2e: HARNESS FAILURE (not a verdict on bbvirt): $harness"
	exit 2
fi
# What ran: the set, the scenarios that passed (the boot and the random
# sequences apart), the sequences.
ran=$(grep -c '^PASS' "$res/table" 2>/dev/null) || ran=0
grep -q '^PASS  boot and wiring' "$res/table" 2>/dev/null && ran=$((ran - 1))
seqs=$(sed -n 's/^PASS  12 random (\([0-9]*\) sequences).*/\1/p' "$res/table" 2>/dev/null)
[ -z "$seqs" ] || ran=$((ran - 1))
what="$set_: $ran scenarios${seqs:+, $seqs random sequences}"
if [ "$status" = PASS ] && [ -n "${E2E_FIRST:-}${E2E_ONLY:-}" ] && grep -q '^SKIP' "$res/table" 2>/dev/null; then
	echo "e2e: PASS on $release ($what; but only some scenarios: E2E_FIRST=${E2E_FIRST:-} E2E_ONLY=${E2E_ONLY:-})"
	exit 0
fi
echo "e2e: $status on $release ($what)"
[ "$status" = PASS ]
