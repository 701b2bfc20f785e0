#!/bin/bash
# bench/restore-filter.sh: what the qemu hook's restore filter costs
# (issue 15, point 5). Figures, not pass/fail. libvirt runs the hook on
# every restore and incoming migration; for a guest without bbvirt's
# hostdevs the filter must not make that measurably slower.
#
# Usage: bench/restore-filter.sh   (make bench runs it after bench/run.sh)
# Environment: BENCH_RUNS (timed runs per case, default 20), BBVIRT.
#
# Cases, each on the same big domain XML (BENCH_DISKS disks, default 2000,
# and a few admin hostdevs; about 0.5 MB), inside one umockdev testbed
# with the example host's devices (tests/fixtures/world/devices.umockdev):
#   true          /bin/true with the XML on stdin: the exec every hook
#                 costs anyway, the floor
#   none          restore-filter on the XML without any alias of bbvirt's:
#                 no parse, no config, no udev (exit 0, prints nothing)
#   foreign-ua    the same XML with one unrelated "ua-bbvirt-" text in a
#                 <description>: parsed, still no config and no udev
#   ours          the XML with three bbvirt hostdevs (one moved, one in
#                 place, one assigned elsewhere): parse, config, udev,
#                 rewrite, read back, print
# Wall is bash's clock, CPU user + sys of the child (TIMEFORMAT %3R %3U
# %3S); median, min and max of the runs are printed.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
bbvirt=${BBVIRT:-$top/bbvirt}
runs=${BENCH_RUNS:-20}
disks=${BENCH_DISKS:-2000}
[ -x "$bbvirt" ] || { echo "bench: no $bbvirt; build it first (make)" >&2; exit 1; }
bbvirt=$(cd "$(dirname "$bbvirt")" && pwd)/$(basename "$bbvirt")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# domain FILE EXTRA_HOSTDEVS DESCRIPTION: a domain with $disks disks.
domain() {
	{
		printf "<domain type='kvm'>\n  <name>kvm0</name>\n"
		printf "  <description>%s</description>\n" "$3"
		printf "  <memory unit='KiB'>1048576</memory>\n  <devices>\n"
		for ((i = 0; i < disks; i++)); do
			printf "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n      <source file='/var/lib/libvirt/images/d%d.qcow2' index='%d'/>\n      <target dev='vd%d' bus='virtio'/>\n      <alias name='virtio-disk%d'/>\n    </disk>\n" "$i" "$i" "$i" "$i"
		done
		printf "    <hostdev mode='subsystem' type='usb' managed='yes'>\n      <source>\n        <vendor id='0x046d'/>\n        <product id='0xc52b'/>\n      </source>\n      <alias name='hostdev0'/>\n    </hostdev>\n"
		printf "%s" "$2"
		printf "  </devices>\n</domain>\n"
	} >"$1"
}
hd() {  # hd SERIAL BUS DEV
	printf "    <hostdev mode='subsystem' type='usb' managed='no'>\n      <source>\n        <address bus='%s' device='%s'/>\n      </source>\n      <alias name='ua-bbvirt-%s'/>\n    </hostdev>\n" "$2" "$3" "$1"
}
domain "$tmp/none.xml" "" "plain"
domain "$tmp/foreign-ua.xml" "" "not a hostdev: ua-bbvirt-X"
domain "$tmp/ours.xml" "$(hd GK9VZF 3 5; hd HV3ZQC 5 4; hd LX4QPA 3 9)" "plain"
printf '[domain "kvm0"]\nserials = GK9VZF\nserials = HV3ZQC\n[domain "db"]\nname = kvm2\nserials = LX4QPA\n' >"$tmp/vm.ini"
chmod 0644 "$tmp/vm.ini"

cat >"$tmp/inside.sh" <<'INSIDE'
#!/bin/bash
# inside.sh TMP BBVIRT RUNS: each case once, checked, then RUNS timed runs.
set -euo pipefail
tmp=$1 bbvirt=$2 runs=$3
TIMEFORMAT='%3R %3U %3S'
check() {       # check CASE WANT_STDOUT_BYTES: 0 for none, - for some
	local name=$1 want=$2 n
	n=$(wc -c <"$tmp/out")
	if { [ "$want" = 0 ] && [ "$n" != 0 ]; } || { [ "$want" = - ] && [ "$n" = 0 ]; }; then
		echo "bench: $name printed $n bytes" >&2; exit 1
	fi
}
for c in true none foreign-ua ours; do
	xml=$tmp/$c.xml
	[ "$c" = true ] && xml=$tmp/none.xml
	cmd=("$bbvirt" -C "$tmp/vm.ini" restore-filter kvm0)
	[ "$c" = true ] && cmd=(/bin/true)
	"${cmd[@]}" <"$xml" >"$tmp/out" 2>"$tmp/err"
	case $c in ours) check "$c" - ;; *) check "$c" 0 ;; esac
	for ((r = 0; r < runs; r++)); do
		{ time "${cmd[@]}" <"$xml" >/dev/null 2>&1; } 2>>"$tmp/t-$c"
	done
done
INSIDE
chmod +x "$tmp/inside.sh"
umockdev-run --device "$top/tests/fixtures/world/devices.umockdev" -- \
	"$tmp/inside.sh" "$tmp" "$bbvirt" "$runs" </dev/null

printf '\nrestore filter (issue 15), %d runs each, XML of %d bytes (%d disks):\n' \
	"$runs" "$(wc -c <"$tmp/none.xml")" "$disks"
printf '  %-11s %11s %10s %10s %10s\n' case wall_med wall_min wall_max cpu_med
# med FILE: the median, min and max of one number a line, in ms.
med() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%8.1f ms %7.1f ms %7.1f ms", 1000 * v[int((NR + 1) / 2)], 1000 * v[1], 1000 * v[NR] }'
}
for c in true none foreign-ua ours; do
	awk '{ print $1 }' "$tmp/t-$c" >"$tmp/w"
	awk '{ print $2 + $3 }' "$tmp/t-$c" >"$tmp/c"
	printf '  %-11s %s %s\n' "$c" "$(med "$tmp/w")" "$(med "$tmp/c" | awk '{ print $1, $2 }')"
done
