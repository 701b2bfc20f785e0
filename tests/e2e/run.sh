#!/bin/bash
# make e2e: bbvirt on a real (virtual) host. Boots an outer QEMU VM with
# this machine's kernel, /usr and /etc, installs bbvirt into it with
# 'make install', lets systemd bring up udev and libvirtd, and runs the
# scenarios in tests/e2e/runner there. This side plugs and unplugs USB
# devices through the outer QEMU's QMP socket when the runner asks, and
# prints the results.
#
# Environment: E2E_SEQUENCES (randomized sequences, default 10), E2E_SEED,
# E2E_ACCEL (kvm, tcg or auto), E2E_TIMEOUT (seconds for the whole VM,
# default 1140), E2E_WORK (work directory, default tests/e2e/work).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${E2E_WORK:-$here/work}
limit=${E2E_TIMEOUT:-1140}

die() { echo "e2e: $*" >&2; exit 1; }
say() { echo "e2e: $*"; }

[ "$(id -u)" = 0 ] || die "run as root (the outer VM shares /usr and /etc)"
for t in qemu-system-x86_64 socat busybox cpio bc xmllint; do
	command -v "$t" >/dev/null || die "$t is missing; run 'make e2e-deps'"
done
# The newest kernel that has both its image and its modules here.
kver=
for k in $(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V); do
	[ -r "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k/kernel/fs/9p" ] && kver=$k
done
[ -n "$kver" ] || die "no kernel with its modules in /boot and /lib/modules; run 'make e2e-deps'"
kernel=/boot/vmlinuz-$kver
if [ ! -e /etc/libvirt/qemu.conf ] || [ ! -x /usr/sbin/libvirtd ]; then
	die "libvirt's QEMU daemon is missing; run 'make e2e-deps'"
fi

rm -rf "$work"
mkdir -p "$work/share/req" "$work/share/results"

# bbvirt, built and installed the way a package would place it.
make -s -C "$top" bbvirt
make -s -C "$top" install DESTDIR="$work/dest" PREFIX=/usr \
	UDEVDIR=/lib/udev SYSTEMDUNITDIR=/lib/systemd/system >/dev/null
tar -C "$work/dest" -cf "$work/share/root.tar" .
install -m 0755 "$here/stage2" "$here/runner" "$work/share/"
"$here/initramfs.sh" "$kver" "$work/initramfs.cpio.gz"
printf 'E2E_SEQUENCES=%s\nE2E_SEED=%s\n' "${E2E_SEQUENCES:-10}" \
	"${E2E_SEED:-$((RANDOM * 32768 + RANDOM))}" >"$work/share/env"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || :; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || :; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# KVM where it exists and works, TCG otherwise. A nested KVM that cannot
# run this kernel (seen: an MSR the host refuses) must not fail the test,
# so a kernel boot to its first panic decides, within a bounded time.
accel=tcg
cpu=max
if [ "${E2E_ACCEL:-auto}" = kvm ] || { [ "${E2E_ACCEL:-auto}" = auto ] && [ -w /dev/kvm ]; }; then
	(timeout 30 qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none \
		-no-reboot -kernel "$kernel" -append 'console=ttyS0 panic=-1' \
		-serial file:"$work/kvm-probe.log" || :) >/dev/null 2>&1
	if grep -q 'Kernel panic' "$work/kvm-probe.log" 2>/dev/null; then
		accel=kvm
		cpu=host
	elif [ "${E2E_ACCEL:-auto}" = kvm ]; then
		die "KVM does not boot this kernel here (see $work/kvm-probe.log)"
	else
		say "/dev/kvm exists but cannot boot this kernel; using TCG"
	fi
fi

t0=$EPOCHREALTIME
qemu-system-x86_64 -accel "$accel" -machine q35 -cpu "$cpu" -m 2048 -smp 2 \
	-display none -no-reboot -serial file:"$work/console.log" \
	-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 loglevel=4 usbcore.autosuspend=-1 panic=-1 systemd.show_status=false" \
	-device qemu-xhci,id=xhci,p2=15,p3=15 \
	-virtfs local,path=/usr,mount_tag=hostusr,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path=/etc,mount_tag=hostetc,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$work/share",mount_tag=share,security_model=none \
	-qmp unix:"$work/qmp.sock",server=on,wait=off &
vm=$!
pids+=("$vm")
say "outer VM started (pid $vm, $accel, kernel $kver); console: $work/console.log"

for ((i = 0; i < 100; i++)); do
	[ -S "$work/qmp.sock" ] && break
	kill -0 "$vm" 2>/dev/null || die "the outer VM exited at once; see $work/console.log"
	sleep 0.1
done

# One QMP connection for the whole run.
coproc QMP { exec socat - UNIX-CONNECT:"$work/qmp.sock"; }
pids+=("$QMP_PID")
qin=${QMP[1]}
qout=${QMP[0]}
read -r -t 10 line <&"$qout" || die "no QMP greeting"
echo '{"execute":"qmp_capabilities"}' >&"$qin"
read -r -t 10 line <&"$qout" || die "no answer to qmp_capabilities"

# qmp_call JSON: send one command, print its reply (events are skipped).
qmp_call() {
	local line
	printf '%s\n' "$1" >&"$qin"
	while read -r -t 30 line <&"$qout"; do
		case $line in
		*'"event"'*) continue ;;
		*) printf '%s\n' "$line"; return 0 ;;
		esac
	done
	echo '{"error":"no reply"}'
}

booted=
deadline=$(echo "$t0 + $limit" | bc)
while kill -0 "$vm" 2>/dev/null; do
	if [ -z "$booted" ] && [ -e "$work/share/results/runner-start" ]; then
		booted=$(echo "$EPOCHREALTIME - $t0" | bc)
		say "outer host up, scenarios running ($(printf '%.1f' "$booted") s)"
	fi
	for f in "$work/share/req"/*.json; do
		[ -e "$f" ] || continue
		reply=$(qmp_call "$(cat "$f")")
		printf '%s\n' "$reply" >"${f%.json}.tmp"
		mv "${f%.json}.tmp" "${f%.json}.out"
		rm -f "$f"
	done
	if (($(echo "$EPOCHREALTIME > $deadline" | bc))); then
		say "the VM did not finish within $limit s; stopping it"
		break
	fi
	sleep 0.02
done
total=$(echo "$EPOCHREALTIME - $t0" | bc)
cleanup
pids=()

res=$work/share/results
status=$(cat "$res/status" 2>/dev/null || echo "FAIL (no result; see $work/console.log)")
# On failure, what the runner saw: its log says which step of which
# scenario failed and how the guests differed from the model.
if [ "$status" != PASS ]; then
	grep -a 'E2E-FAIL' "$work/console.log" || :
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
echo "bbvirt end-to-end ($accel, $(nproc) cores on this machine, kernel $kver)"
printf '  %-34s %7.1f s\n' "outer VM boot to scenarios" "${booted:-0}"
[ -e "$res/table" ] && sed 's/^/  /' "$res/table"
stats() {
	[ -s "$res/$1" ] || return 0
	sort -n "$res/$1" | awk -v what="$2" '
		{ v[NR] = $1 }
		END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "  %-34s median %.2f s, max %.2f s (%d events)\n", what, m, v[NR], NR
		}'
}
stats lat-attach "plug -> attached in the guest"
stats lat-detach "unplug -> detached from the guest"
stats lat-start "guest start -> attached (hook)"
stats lat-reconnect "libvirtd back -> attached (hook)"
printf '  %-34s %7.1f s\n' "total" "$total"
echo "e2e: $status"
[ "$status" = PASS ]
