#!/bin/bash
# Journal entries as libsystemd sends them (issue 23): bbvirt, bbvirt-event
# and the qemu hook run on the worlds of tests/cli.sh (umockdev devices,
# libvirt's test driver) in a private mount namespace, where a tmpfs hides
# the host's /run/systemd/journal (and /dev/null covers /dev/log) and
# tests/tools/journal-recv plays journald: it binds the socket, runs the
# command and decodes each datagram. Nothing reaches the host's journal.
# Without such a namespace (not root), it says SKIP.
#
# Each case runs twice, with --syslog as the units run it: with stderr as
# the journal ($JOURNAL_STREAM names it), where stderr must stay empty,
# and with stderr a file, where each line must be one entry's MESSAGE, in
# order. Every entry names its program (SYSLOG_IDENTIFIER), and every
# MESSAGE_ID is one of basic/log.h's, listed in bbvirt(1). Then the
# fields of each entry are checked (want).
# shellcheck source-path=SCRIPTDIR
set -u
export LC_ALL=C TZ=UTC
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# umockdev's preload comes before ASan's runtime, which ASan refuses otherwise.
export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1
unset JOURNAL_STREAM

# Run again where the host's journal is out of reach and the directory
# of this one is ready (tests/private-log.sh --journal).
if [ "${BBVIRT_JOURNAL_TEST:-}" != 1 ]; then
	BBVIRT_JOURNAL_TEST=1 tests/private-log.sh --journal "$0" "$@"
	rc=$?
	if [ $rc -eq 77 ]; then
		echo "SKIP journal: no private mount namespace (unshare -m needs root): journal entries not checked"
		echo "journal-summary 0 0"
		exit 0
	fi
	exit $rc
fi

O=${O:-build}
BBVIRT=$(realpath "${BBVIRT:-./bbvirt}")
BBVIRT_EVENT=$(realpath "${BBVIRT_EVENT:-$(dirname "$BBVIRT")/bbvirt-event}")
RECV=$(realpath "$O/tests/tools/journal-recv")
top=$(pwd)
sock=/run/systemd/journal/socket
passed=0 failed=0
if [ -e "$sock" ] || [ -n "$(ls -A /run/systemd/journal)" ]; then
	echo "FAIL journal-namespace: /run/systemd/journal is not this test's own"
	echo "journal-summary 0 1"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
world=$tmp/world
cp -r tests/fixtures/world "$world"
cp -r tests/fixtures/world2 "$tmp/world2"
cp -r tests/fixtures/world3 "$world/ports"
sed -i "s|@WORLD@|$world|g" "$world"/vm.conf "$world"/vm.ini
sed -i "s|@WORLD@|$tmp/world2|g" "$tmp/world2/vm.ini"
sed -i "s|@WORLD@|$world/ports|g" "$world"/ports/*.ini
chmod 0644 "$world"/* "$tmp/world2"/* "$world"/ports/*
export BBVIRT_LOCK=$tmp/lock
export BBVIRT_METRICS_DIR=$tmp/no-metrics
export LIBVIRT_DEFAULT_URI=test://$world/node.xml
held=$tmp/released
printf '# nothing assigned\n' >"$world/none.conf"

# The kinds of message, from basic/log.h: mid ATTACHED prints its id.
mid() { sed -n "s/^#define LOG_MESSAGE_$1 *\"\([0-9a-f]*\)\"\$/\1/p" "$top/basic/log.h"; }
ids=$(sed -n 's/^#define LOG_MESSAGE_[A-Z_]* *"\([0-9a-f]*\)"$/\1/p' basic/log.h)
for id in $ids; do
	if [ ${#id} -eq 32 ] && grep -q "^\.It Li $id\$" man/bbvirt.1; then
		passed=$((passed + 1))
	else
		echo "FAIL message-id-documented: $id is not a 128-bit id listed in man/bbvirt.1"
		failed=$((failed + 1))
	fi
done

# As tests/cli.sh asks libvirt's test driver: can it detach here?
if virsh -q -c "test://$world/node.xml" detach-device-alias kvm0 ua-bbvirt-GK9VZF --live >/dev/null 2>&1; then
	detach_result='done' detach_id=$(mid DETACHED) detach_rc=0
else
	detach_result='failed' detach_id=$(mid FAILED) detach_rc=1
fi

fail() { echo "FAIL $case: $*"; ok=0; }

# runj MODE DEVICES CMD...: CMD in the world under umockdev and the
# receiver, stdin from $IN (default /dev/null). MODE journal: stderr is
# the journal; terminal: it is not. Leaves $tmp/MODE.{journal,out,err,rc}.
runj() {
	local mode=$1 devs=$2 b=$tmp/$1 run=(umockdev-run)
	shift 2
	[ "$devs" = - ] || run+=(--device "$world/$devs")
	: >"$b.err"
	local env=(env -u JOURNAL_STREAM)
	[ "$mode" = terminal ] || env=(env "JOURNAL_STREAM=$(stat -c %d:%i "$b.err")")
	(cd "$world" && exec "${env[@]}" "$RECV" "$sock" "$b.journal" \
		timeout 60 "${run[@]}" -- "$@" <"${IN:-/dev/null}" >"$b.out" 2>>"$b.err")
	echo $? >"$b.rc"
	sed -i "s|$world|@WORLD@|g" "$b.journal" "$b.err"
}

# MESSAGE of every entry of FILE, one a line.
messages() { awk -v RS= -F '\n' '{ for (i = 1; i <= NF; i++) if ($i ~ /^MESSAGE=/) print substr($i, 9) }' "$1"; }
# Entry N of FILE.
entry() { awk -v RS= -v n="$2" 'NR == n' "$1"; }
# Entries of FILE.
entries() { awk -v RS= 'END { print NR }' "$1"; }

# jcase NAME PROGRAM EXIT DEVICES CMD...: PROGRAM is the identifier its
# entries must carry; $SETUP, if set, runs before each of the two runs.
jcase() {
	local prog=$2 want=$3 devs=$4 n i id
	case=$1 ok=1
	shift 4
	for m in journal terminal; do
		${SETUP:-:}
		runj "$m" "$devs" "$@"
		[ "$(cat "$tmp/$m.rc")" = "$want" ] || fail "$m: exit $(cat "$tmp/$m.rc"), expected $want"
	done
	[ -s "$tmp/journal.err" ] && fail "stderr is the journal, yet written to: $(head -3 "$tmp/journal.err")"
	cmp -s "$tmp/journal.journal" "$tmp/terminal.journal" ||
		fail "the entries differ with stderr the journal and not: $(diff "$tmp/journal.journal" "$tmp/terminal.journal" | head -6)"
	# One entry a message: the same lines as stderr, without the prefix.
	if ! diff <(sed "s/^$prog: //" "$tmp/terminal.err") <(messages "$tmp/terminal.journal") >"$tmp/diff"; then
		fail "entries are not stderr's lines, one each:"; cat "$tmp/diff"
	fi
	n=$(entries "$tmp/journal.journal")
	[ "$n" -gt 0 ] || fail "no entry"
	for ((i = 1; i <= n; i++)); do
		entry "$tmp/journal.journal" "$i" >"$tmp/entry"
		grep -qx "SYSLOG_IDENTIFIER=$prog" "$tmp/entry" || fail "entry $i: not SYSLOG_IDENTIFIER=$prog"
		grep -qx 'PRIORITY=[0-7]' "$tmp/entry" || fail "entry $i: no PRIORITY"
		grep -qx 'SYSLOG_FACILITY=3' "$tmp/entry" || fail "entry $i: not SYSLOG_FACILITY=3"
		grep -q '^!malformed' "$tmp/entry" && fail "entry $i: malformed"
		id=$(sed -n 's/^MESSAGE_ID=//p' "$tmp/entry")
		[ -z "$id" ] || grep -qw -- "$id" <<<"$ids" || fail "entry $i: unknown MESSAGE_ID=$id"
		[ "$(grep -c '^MESSAGE=' "$tmp/entry")" = 1 ] || fail "entry $i: not one MESSAGE"
	done
	finish
}

finish() {
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		sed 's/^/    journal: /' "$tmp/journal.journal" | head -40
	fi
}

# want N FIELD=VALUE...: entry N of the last case has each field (a
# field may be there more than once); FIELD=- means it has none.
want() {
	local n=$1 f
	shift
	case=$case:$n ok=1
	entry "$tmp/journal.journal" "$n" >"$tmp/entry"
	[ -s "$tmp/entry" ] || fail "no entry $n"
	for f in "$@"; do
		case $f in
		*=-) grep -q "^${f%=-}=" "$tmp/entry" && fail "has ${f%=-}" ;;
		*) grep -qxF -- "$f" "$tmp/entry" || fail "lacks $f" ;;
		esac
	done
	case=${case%:*}
	finish
}
# count N: the last case logged N entries.
count() {
	case=$case:count ok=1
	[ "$(entries "$tmp/journal.journal")" = "$1" ] || fail "$(entries "$tmp/journal.journal") entries, expected $1"
	case=${case%:*}
	finish
}

# An attach libvirt refuses (no USB controller, on every version): the
# rule that gives the device its domain, the reason, libvirt's error.
printf '[defaults]\nuri = test://%s/node.xml\n[domain "kvm0"]\nserials = GK9VZF LX4QPA\n' "$world" >"$world/kvm0more.ini"
jcase attach-fails bbvirt 1 devices.umockdev "$BBVIRT" --syslog -C ./kvm0more.ini sync kvm0
count 1
error=$(entry "$tmp/journal.journal" 1 | sed -n 's/^BBVIRT_ERROR=//p')
want 1 MESSAGE_ID="$(mid FAILED)" PRIORITY=3 BBVIRT_ACTION=attach BBVIRT_RESULT=failed \
	BBVIRT_REASON=missing BBVIRT_DOMAIN=kvm0 BBVIRT_SERIAL=LX4QPA BBVIRT_PORT=3-4 \
	BBVIRT_ADDRESS=3:9 BBVIRT_USB_ID=0403:7840 BBVIRT_RULE=./kvm0more.ini:4 \
	"MESSAGE=cannot attach 'LX4QPA' (3:9) to 'kvm0': ${error:-(no BBVIRT_ERROR)}"

# A detach of an unplugged device: done where the test driver detaches
# (libvirt 10 and later), failed where it cannot (9.0): the fields alike.
printf '[defaults]\nuri = test://%s/node.xml\n[domain "kvm0"]\nserials = GK9VZF\n' "$world" >"$world/kvm0gone.ini"
jcase detach bbvirt "$detach_rc" unplugged.umockdev \
	"$BBVIRT" --syslog -C ./kvm0gone.ini sync
want 1 MESSAGE_ID="$detach_id" BBVIRT_ACTION=detach BBVIRT_RESULT=$detach_result \
	BBVIRT_REASON=absent BBVIRT_DOMAIN=kvm0 BBVIRT_SERIAL=GK9VZF BBVIRT_ADDRESS=3:7 \
	BBVIRT_PORT=- BBVIRT_RULE=-
[ "$detach_rc" = 0 ] && want 1 PRIORITY=5 "MESSAGE=detached 'GK9VZF' (3:7) from 'kvm0': absent"

# -v: devices left alone, each with why and who holds it.
jcase left-alone bbvirt 3 ../world2/devices.umockdev "$BBVIRT" --syslog -C ../world2/vm.ini sync -n
want 2 MESSAGE_ID="$(mid LEFT_ALONE)" PRIORITY=6 BBVIRT_ACTION=left-alone BBVIRT_REASON=foreign \
	BBVIRT_DOMAIN=alpha BBVIRT_SERIAL=OLD1 BBVIRT_ADDRESS=2:5 BBVIRT_RESULT=-
want 3 MESSAGE_ID="$(mid LEFT_ALONE)" BBVIRT_SERIAL=TAKEN1 BBVIRT_DOMAIN=alpha BBVIRT_REASON=foreign
jcase left-alone-ambiguous bbvirt 3 ports/devices.umockdev "$BBVIRT" --syslog -C ./ports/ambiguous.ini sync -n
want 2 MESSAGE_ID="$(mid LEFT_ALONE)" BBVIRT_ACTION=left-alone BBVIRT_REASON=ambiguous \
	BBVIRT_PORT=4-2 BBVIRT_ADDRESS=4:4 BBVIRT_RULE=./ports/ambiguous.ini:7 \
	BBVIRT_RULE=./ports/ambiguous.ini:10 BBVIRT_SERIAL=- BBVIRT_DOMAIN=-

# Refusals: a mistake (exit 2), and a udev event's nothing-to-do.
jcase refused bbvirt 2 devices.umockdev "$BBVIRT" --syslog -C ./vm.conf attach QX7ABS
count 1
want 1 MESSAGE_ID="$(mid REFUSED)" PRIORITY=3 BBVIRT_ACTION=refused BBVIRT_REASON=not-plugged \
	BBVIRT_RESULT=usage-error BBVIRT_SERIAL=QX7ABS
jcase refused-event bbvirt 0 devices.umockdev "$BBVIRT" --syslog -C ./vm.conf -v attach LX4QPA --busnum 003 --devnum 009
want 2 MESSAGE_ID="$(mid REFUSED)" PRIORITY=6 BBVIRT_ACTION=refused BBVIRT_REASON=domain-down \
	BBVIRT_RESULT=nothing-to-do BBVIRT_SERIAL=LX4QPA BBVIRT_DOMAIN=kvm2

# The restore filter, as the qemu hook runs it (its own command line,
# bbvirt found in PATH, with this world's config): one entry a hostdev.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexec "%s" -C "%s/vm.conf" -v "$@"\n' "$BBVIRT" "$world" >"$tmp/bin/bbvirt"
chmod 0755 "$tmp/bin/bbvirt"
IN=$top/tests/fixtures/restore/kvm0.xml LIBVIRT_DEFAULT_URI='qemu+unix:///system?socket=/nonexistent/libvirt-sock' \
	jcase restore-hook bbvirt 0 devices.umockdev env PATH="$tmp/bin:$PATH" "$top/contrib/qemu-hook" kvm0 restore begin -
count 4
want 1 MESSAGE_ID="$(mid RESTORE)" PRIORITY=5 BBVIRT_ACTION=readdress BBVIRT_REASON=assigned \
	BBVIRT_RESULT=changed BBVIRT_DOMAIN=kvm0 BBVIRT_SERIAL=GK9VZF BBVIRT_ADDRESS=3:7 \
	BBVIRT_USB_ID=0403:7840
want 2 MESSAGE_ID="$(mid RESTORE)" BBVIRT_ACTION=block BBVIRT_REASON=elsewhere \
	BBVIRT_SERIAL=LX4QPA BBVIRT_ADDRESS=3:128
want 3 MESSAGE_ID="$(mid RESTORE)" PRIORITY=6 BBVIRT_ACTION=keep BBVIRT_REASON=foreign \
	BBVIRT_RESULT=unchanged BBVIRT_SERIAL=- BBVIRT_ADDRESS=-

# bbvirt-event's triage: the device that asks for the sync, or none.
queue() { rm -rf "$world/events" "$world/sync-requested"; mkdir "$world/events"; : >"$world/events/$QUEUED"; }
QUEUED=change@3-2 SETUP=queue jcase event-sync bbvirt-event 0 ports/devices.umockdev \
	"$BBVIRT_EVENT" --syslog -C ./ports/rules.ini -r ./sync-requested ./events
count 1
want 1 MESSAGE_ID="$(mid EVENT_SYNC)" PRIORITY=5 BBVIRT_ACTION=triage BBVIRT_RESULT=sync-requested \
	BBVIRT_REASON=managed BBVIRT_EVENT=change@3-2 BBVIRT_PORT=3-2 BBVIRT_SERIAL=PORTBB1 \
	BBVIRT_USB_ID=0403:7840
QUEUED=remove@3-1 SETUP=queue jcase event-remove bbvirt-event 0 ports/devices.umockdev \
	"$BBVIRT_EVENT" --syslog -v -C ./ports/rules.ini -r ./sync-requested ./events
want 1 MESSAGE_ID="$(mid EVENT_SYNC)" BBVIRT_REASON=removed BBVIRT_PORT=3-1 BBVIRT_SERIAL=- BBVIRT_ADDRESS=-
QUEUED=add@3-1 SETUP=queue jcase event-none bbvirt-event 0 ports/devices.umockdev \
	"$BBVIRT_EVENT" --syslog -v -C ./ports/vm.ini -r ./sync-requested ./events
want 1 MESSAGE_ID="$(mid EVENT_NONE)" BBVIRT_ACTION=triage BBVIRT_RESULT=no-sync BBVIRT_EVENT=-

# release starts the hold before its detaches; reclaim ends it.
unhold() { rm -f "$held"; }
SETUP=unhold jcase release bbvirt "$detach_rc" devices.umockdev \
	"$BBVIRT" --syslog -C ./vm.conf release
want 1 MESSAGE_ID="$(mid RELEASED)" PRIORITY=5 BBVIRT_ACTION=release
want 2 MESSAGE_ID="$detach_id" BBVIRT_ACTION=detach BBVIRT_REASON=released BBVIRT_RESULT=$detach_result \
	BBVIRT_SERIAL=GK9VZF BBVIRT_DOMAIN=kvm0 BBVIRT_RULE=./vm.conf:3
hold() { : >"$held"; }
SETUP=hold jcase reclaim bbvirt 0 devices.umockdev "$BBVIRT" --syslog -C ./none.conf reclaim
want 1 MESSAGE_ID="$(mid RECLAIMED)" BBVIRT_ACTION=reclaim
rm -f "$held"

# Without --syslog, stderr the journal: the same one entry, nothing else.
case=stderr-journal ok=1
runj journal devices.umockdev "$BBVIRT" -C ./vm.conf attach QX7ABS
[ "$(cat "$tmp/journal.rc")" = 2 ] || fail "exit $(cat "$tmp/journal.rc"), expected 2"
[ -s "$tmp/journal.err" ] && fail "stderr written to: $(cat "$tmp/journal.err")"
[ "$(entries "$tmp/journal.journal")" = 1 ] || fail "not one entry"
grep -qx "MESSAGE_ID=$(mid REFUSED)" "$tmp/journal.journal" || fail "not the refusal's MESSAGE_ID"
finish

# No journal (no socket): stderr as before, with the level when it is the journal.
case=no-journal ok=1
: >"$tmp/nj.err"
stream=$(stat -c %d:%i "$tmp/nj.err")
(cd "$world" && JOURNAL_STREAM=$stream umockdev-run --device devices.umockdev -- \
	"$BBVIRT" -C ./vm.conf attach QX7ABS 2>>"$tmp/nj.err")
[ "$(cat "$tmp/nj.err")" = "<3>no device 'QX7ABS' is plugged in" ] || fail "stderr the journal: $(cat "$tmp/nj.err")"
(cd "$world" && umockdev-run --device devices.umockdev -- \
	"$BBVIRT" --syslog -C ./vm.conf attach QX7ABS 2>"$tmp/nj.err")
[ "$(cat "$tmp/nj.err")" = "bbvirt: no device 'QX7ABS' is plugged in" ] || fail "--syslog: $(cat "$tmp/nj.err")"
finish

echo "journal-summary $passed $failed"
[ "$failed" -eq 0 ]
