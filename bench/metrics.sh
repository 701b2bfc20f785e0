#!/bin/bash
# bench/metrics.sh: what the metrics file (issue 23) adds to a sync at
# (100 guests, 200 devices), measured inside one process: bench/metrics.c
# on the 10% drift host of bench/gen, inside umockdev. Figures, not
# pass/fail; the goal, under 1 ms, is printed beside them. See
# bench/README.
#
# Environment:
#   BENCH_METRICS       the program (default build/bench/bench-metrics)
#   BENCH_METRICS_SIZE  "G:D" (default 100:200)
#   BENCH_METRICS_RUNS  runs (default 51)
#   BENCH_METRICS_TMP   where the file is written, in a new directory
#                       (default /var/tmp: a disk, as /var/lib is, where
#                       /tmp may be memory); never the collector's own
#   BENCH_METRICS_CALLGRIND=1  also count each part's instructions under
#                       valgrind's callgrind, per run: what a loaded
#                       machine does not change (user space only: the
#                       write's cost is the kernel's)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
prog=${BENCH_METRICS:-$top/build/bench/bench-metrics}
size=${BENCH_METRICS_SIZE:-100:200}
runs=${BENCH_METRICS_RUNS:-51}
[[ $size =~ ^[1-9][0-9]*:[1-9][0-9]*$ ]] || { echo "bench: BENCH_METRICS_SIZE '$size' is not G:D" >&2; exit 1; }
[ -x "$prog" ] || { echo "bench: no $prog; run 'make $prog'" >&2; exit 1; }
prog=$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")
command -v umockdev-run >/dev/null || { echo "bench: umockdev-run is missing; run 'make deps'" >&2; exit 1; }
tmp=$(mktemp -d)
out=$(mktemp -d "${BENCH_METRICS_TMP:-/var/tmp}/bbvirt-bench.XXXXXX")
trap 'rm -rf "$tmp" "$out"' EXIT
"$here/gen" "${size%:*}" "${size#*:}" 10 "$tmp/w"
echo
echo "bbvirt bench, metrics at (${size%:*} guests, ${size#*:} devices, 10% drift), written to $(df --output=fstype "$out" | tail -n1) in $out:"
cd "$tmp/w"
umockdev-run --device devices.umockdev -- "$prog" ./drift.ini "$out" "$runs" </dev/null
if [ "${BENCH_METRICS_CALLGRIND:-0}" = 1 ]; then
	command -v valgrind >/dev/null || { echo "bench: valgrind is missing" >&2; exit 1; }
	umockdev-run --device devices.umockdev -- valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/cg" "$prog" ./drift.ini "$out" 5 </dev/null >/dev/null 2>&1
	echo "instructions per run (callgrind, user space, inclusive):"
	callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$tmp/cg" |
		awk '{ for (f = 1; f <= 3; f++) if (index($0, ":" fn[f] " [")) {
			gsub(",", "", $1); printf "  %-52s %9.0f\n", fn[f], $1 / 5 } }
		BEGIN { fn[1] = "status_build_with"; fn[2] = "metrics_render"; fn[3] = "metrics_file_write" }'
fi
