#!/bin/bash
# Command-line tests against real parts: libudev reads umockdev devices,
# libvirt's test driver holds the guests. Each case compares the exit
# status, stdout with tests/cli/NAME.out and stderr with tests/cli/NAME.err;
# a missing file means that stream must be empty (BLESS=1 writes them, and
# removes those of empty streams); paths of the scratch world read as
# @WORLD@, and libvirt's reason for a failed action reads @LIBVIRT-ERROR@
# (libvirt_words below). Every case runs under an outer timeout, so a hang
# fails it. One golden file a case, whatever libvirt's version: a case
# needing what a version's test driver cannot do runs as td (below) and is
# named, once, where it cannot.
# shellcheck source-path=SCRIPTDIR
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
# Never the machine's collector directory: this one does not exist, so a
# sync writes no metrics unless a case says where (tests/cli-cases.sh).
export BBVIRT_METRICS_DIR=$tmp/no-metrics
# Nor the machine's seedd config (/etc/bit-babbler/seedd.conf): this one
# does not exist, so only the cases that name one read one.
export BBVIRT_SEEDD_CONF=$tmp/no-seedd.conf
export LIBVIRT_DEFAULT_URI=test://$world/node.xml
passed=0 failed=0

# conf NAME <<EOF: writes a config into the world, mode 0644.
conf() { cat >"$world/$1"; chmod 0644 "$world/$1"; }

# libvirt_words FILE...: the one filter for what differs by libvirt's
# version. Where bbvirt reports a failed action (its "cannot attach|detach
# 'SERIAL' (B:D) to|from 'DOMAIN': REASON" line, the JSON "error" field),
# a REASON in libvirt's words reads @LIBVIRT-ERROR@: libvirt 9.0 says "this
# function is not supported by the connection driver: ...", 11.3
# "unsupported configuration: ... Domain has no USB bus support" for the
# same refused attach. bbvirt's own reasons stay, to be compared: "not
# tried: ..." and "the guest did not release ..." (reconcile/apply.c).
libvirt_words() {
	perl -pi -e '
		my $own = qr/(?:not tried: |the guest did not release )/;
		s/^(bbvirt: cannot (?:attach|detach) \x27[^\x27]*\x27 \(\d+:\d+\) (?:to|from) \x27[^\x27]*\x27: )(?!$own).*$/$1\@LIBVIRT-ERROR\@/;
		s/("error": ")(?!$own)(?:[^"\\]|\\.)*"/$1\@LIBVIRT-ERROR\@"/g;
	' "$@"
}

# What libvirt's test driver can do here, asked once with virsh (libvirt's
# own client), never with bbvirt: libvirt 9.0 (Debian 12) hotplugs
# nothing; 10.0 and later detach a USB hostdev by alias (Debian 13: 11.3).
# None attaches one to these domains (they have no USB controller), so a
# refused attach is a case for every version. Another answer than done or
# "not supported" fails the run: a broken probe skips nothing.
probe=$(virsh -q -c "test://$world/node.xml" detach-device-alias kvm0 ua-bbvirt-GK9VZF --live 2>&1)
case $? in
0) td_detach=yes ;;
*)
	td_detach=no
	if ! grep -q 'not supported' <<<"$probe"; then
		echo "FAIL test-driver-probe: virsh detach-device-alias: $probe"
		failed=$((failed + 1))
	fi
	;;
esac
td_skipped=()

# td NAME EXIT DEVICES ARGS...: t, for a case whose actions include a
# detach through the test driver. Where it cannot detach, the command
# still runs, for what later cases need of it (release's hold), but its
# output is not compared: the case is named in one SKIP line at the end
# and counted neither passed nor failed.
td() {
	if [ "$td_detach" = yes ]; then
		t "$@"
		return
	fi
	td_skipped+=("$1")
	local devs=$3 run=(umockdev-run) args=() a
	shift 3
	[ "$devs" = - ] || run+=(--device "$world/$devs")
	for a in "$@"; do args+=("${a//@WORLD@/$world}"); done
	(cd "$world" && exec timeout "${CLI_TIMEOUT:-60}" "${run[@]}" -- "${T_PROG:-$BBVIRT}" "${args[@]}" >/dev/null 2>&1)
}

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
	libvirt_words "$tmp/out" "$tmp/err"
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

# shellcheck source=cli-cases.sh
. "$top/tests/cli-cases.sh"

if [ ${#td_skipped[@]} -gt 0 ]; then
	echo "SKIP ${#td_skipped[@]} cases, not compared: libvirt $(virsh --version)'s test driver cannot detach a hostdev (virsh: ${probe##*$'\n'error: }): ${td_skipped[*]}"
fi

echo "cli-summary $passed $failed"
[ "$failed" -eq 0 ]
