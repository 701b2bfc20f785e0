#!/bin/bash
# Runs every unit test (cmocka, under ASan/UBSan) and the command-line
# tests, and closes with one "N passed, N failed" line.
# Usage: O=build BBVIRT=build/san/bbvirt tests/run-tests.sh test-a test-b ...
set -u
export LC_ALL=C TZ=UTC
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
O=${O:-build}
passed=0 failed=0 failures=()

for t in "$@"; do
	out=$("$O/san/tests/$t" 2>&1); rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
	passed=$((passed + p)) failed=$((failed + f))
	printf '  %-6s %s: %d passed, %d failed\n' TEST "$t" "$p" "$f"
	if [ "$f" -ne 0 ]; then
		failures+=("$t")
		printf '%s\n' "$out" | tail -60
	fi
done

# Script suites end with "NAME-summary PASSED FAILED". They run where
# what bbvirt logs cannot reach this host's journal or syslog.
for suite in cli contrib metrics journal; do
	out=$(tests/private-log.sh tests/$suite.sh 2>&1); rc=$?
	printf '%s\n' "$out" | grep -v "^$suite-summary"
	p=$(sed -n "s/^$suite-summary \([0-9]*\) \([0-9]*\)\$/\1/p" <<<"$out")
	f=$(sed -n "s/^$suite-summary \([0-9]*\) \([0-9]*\)\$/\2/p" <<<"$out")
	p=${p:-0} f=${f:-1}
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$suite")
	printf '  %-6s %s: %d passed, %d failed\n' TEST "$suite" "$p" "$f"
done

[ ${#failures[@]} -eq 0 ] || echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
