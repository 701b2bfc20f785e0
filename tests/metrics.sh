#!/bin/bash
# The metrics file as Prometheus reads it: promtool (Debian's prometheus
# package, a test dependency) checks the text of a range of hostile
# worlds that test-metrics renders, the example alerting rules, and what
# those rules make of a host over time. The metrics a real sync writes
# are checked in tests/cli-cases.sh. Prints "metrics-summary P F".
set -u
export LC_ALL=C TZ=UTC
O=${O:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
no() { echo "FAIL metrics: $*"; failed=$((failed + 1)); }

if ! command -v promtool >/dev/null; then
	no "promtool is missing: run 'make deps' (Debian's prometheus package)"
	echo "metrics-summary $passed $failed"
	exit 1
fi
if BBVIRT_METRICS_OUT=$tmp "$O/san/tests/test-metrics" >"$tmp/log" 2>&1; then ok
else no "test-metrics failed"; tail -20 "$tmp/log"; fi
n=0
for f in "$tmp"/world-*.prom; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	# Lint warnings fail too: promtool prints them and exits non-zero.
	if out=$(promtool check metrics <"$f" 2>&1); then ok
	else no "promtool check metrics ${f##*/}: $out"; head -c 2000 "$f"; fi
done
if [ "$n" -ge 40 ]; then ok; else no "only $n worlds rendered"; fi
if out=$(promtool check rules contrib/bbvirt.rules.yml 2>&1); then ok
else no "promtool check rules: $out"; fi
if out=$(promtool test rules tests/fixtures/rules-test.yml 2>&1); then ok
else no "promtool test rules: $out"; fi
echo "metrics-summary $passed $failed"
[ "$failed" -eq 0 ]
