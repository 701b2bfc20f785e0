#!/bin/bash
# Command-line tests against real parts: libudev reads umockdev devices,
# libvirt's test driver holds the guests. Each case compares the exit
# status, stdout with tests/cli/NAME.out and stderr with tests/cli/NAME.err;
# a missing file means that stream must be empty (BLESS=1 writes them, and
# removes those of empty streams); paths of the scratch world read as
# @WORLD@. Every case runs under an outer timeout, so a hang fails it.
set -u
export LC_ALL=C TZ=UTC
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# umockdev's preload comes before ASan's runtime, which ASan refuses otherwise.
export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1
BBVIRT=$(realpath "${BBVIRT:-./bbvirt}")
BBVIRT_EVENT=$(realpath "${BBVIRT_EVENT:-$(dirname "$BBVIRT")/bbvirt-event}")
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
world=$tmp/world
cp -r tests/fixtures/world "$world"
cp -r tests/fixtures/world2 "$tmp/world2"
sed -i "s|@WORLD@|$world|g" "$world"/vm.conf "$world"/vm.ini
sed -i "s|@WORLD@|$tmp/world2|g" "$tmp/world2/vm.ini"
chmod 0644 "$world"/* "$tmp/world2"/*
export BBVIRT_LOCK=$tmp/lock
export LIBVIRT_DEFAULT_URI=test://$world/node.xml
passed=0 failed=0

# conf NAME <<EOF: writes a config into the world, mode 0644.
conf() { cat >"$world/$1"; chmod 0644 "$world/$1"; }

# t NAME EXIT DEVICES ARGS...: DEVICES is a umockdev file in the world, or -.
# The program is bbvirt, or T_PROG.
t() {
	local name=$1 want=$2 devs=$3 rc ok=1
	shift 3
	local run=(umockdev-run) args=() a
	[ "$devs" = - ] || run+=(--device "$world/$devs")
	for a in "$@"; do args+=("${a//@WORLD@/$world}"); done
	set -- "${args[@]}"
	(cd "$world" && exec timeout "${CLI_TIMEOUT:-60}" "${run[@]}" -- "${T_PROG:-$BBVIRT}" "$@" >"$tmp/out" 2>"$tmp/err")
	rc=$?
	[ "$rc" -ne 124 ] || echo "bbvirt: killed by the test's outer timeout" >>"$tmp/err"
	sed -i -e "s|$tmp/world2|@WORLD2@|g" -e "s|$world|@WORLD@|g" "$tmp/out" "$tmp/err"
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $name: exit $rc, expected $want"; ok=0
	fi
	for s in out err; do
		local want_file=$top/tests/cli/$name.$s
		# BLESS=1 records what ran as the expectation, to be read before committing.
		if [ "${BLESS:-0}" = 1 ]; then
			if [ -s "$tmp/$s" ]; then cp "$tmp/$s" "$want_file"; else rm -f "$want_file"; fi
		fi
		[ -f "$want_file" ] || want_file=/dev/null
		if ! diff -u "$want_file" "$tmp/$s" >"$tmp/diff"; then
			echo "FAIL $name: std$s differs"; cat "$tmp/diff"; ok=0
		fi
	done
	if [ $ok = 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		sed 's/^/    stderr: /' "$tmp/err" | head -20
	fi
}

. "$top/tests/cli-cases.sh"

echo "cli-summary $passed $failed"
[ "$failed" -eq 0 ]
