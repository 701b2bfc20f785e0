# Cases for tests/cli.sh: t NAME EXIT DEVICES ARGS...
# shellcheck shell=bash

# config: both syntaxes give the same assignment.
t config-bash 0 - -C ./vm.conf config --json
t config-ini 0 - -C ./vm.ini config --json
t config-text 0 - -C ./vm.ini config

# sync --dry-run is the audit: the replugged HV3ZQC moves, the rest holds.
t sync-dry-bash 3 devices.umockdev -C ./vm.conf sync --dry-run --json
t sync-dry-ini 3 devices.umockdev -C ./vm.ini sync --dry-run --json
t sync-dry-text 3 devices.umockdev -C ./vm.ini sync -n
t status-json 0 devices.umockdev -C ./vm.ini status --json
t status-text 0 devices.umockdev -C ./vm.ini status
# A 480 Mb/s device on a guest's USB 1.1 controller (the one libvirt gave
# the hostdev's bus in the live XML) is said so; a 12 Mb/s one on EHCI not.
t status-speed 0 speed.umockdev -C ./vm.ini -c test://@WORLD@/speed.xml status
t status-speed-json 0 speed.umockdev -C ./vm.ini -c test://@WORLD@/speed.xml status --json
# Busy on the host (busy.umockdev: the BitBabblers' interfaces bound to
# usbfs). GK9VZF is kvm0's QEMU's: attached. LX4QPA, whose domain is down,
# and HV3ZQC, whose guest holds its old address, are a host process's:
# status says busy, sync detaches the stale hostdev and attaches nothing,
# attach by a person exits 1 saying why, the udev forms exit 0 quietly.
t busy-status 0 busy.umockdev -C ./vm.ini status
t busy-status-json 0 busy.umockdev -C ./vm.ini status --json
t busy-sync 3 busy.umockdev -C ./vm.conf sync -n --json
t busy-attach 1 busy.umockdev -C ./vm.conf attach HV3ZQC -n
t busy-attach-down 1 busy.umockdev -C ./vm.conf attach LX4QPA -n
t busy-attach-event 0 busy.umockdev -C ./vm.conf attach HV3ZQC --busnum 005 --devnum 004 -n
t busy-attach-event-v 0 busy.umockdev -C ./vm.conf -v attach --busnum 005 --devnum 004 -n
t busy-attach-all 1 busy.umockdev -C ./vm.conf attach-all kvm1 -n --json

# sync scope, by libvirt name or config key.
t sync-scope-converged 0 devices.umockdev -C ./vm.conf sync kvm0 -n --json
t sync-scope-kvm1 3 devices.umockdev -C ./vm.conf sync kvm1 -n --json
t sync-scope-unknown 2 devices.umockdev -C ./vm.conf sync nosuch -n
# -c overrides the config's URIs. node2.xml plays another host's guests:
# libvirt's test driver reports this host's name, so the test suite names
# this host otherwise (BBVIRT_TEST_THIS_HOST); the guests there are neither
# attached to nor detached from, one warning per domain, exit 0.
BBVIRT_TEST_THIS_HOST=elsewhere.example \
	t sync-connect 0 devices.umockdev -C ./vm.conf -c test://@WORLD@/node2.xml sync -n --json
BBVIRT_TEST_THIS_HOST=elsewhere.example \
	t status-remote 0 devices.umockdev -C ./vm.conf -c test://@WORLD@/node2.xml status
BBVIRT_TEST_THIS_HOST=elsewhere.example \
	t attach-remote 2 devices.umockdev -C ./vm.conf -c test://@WORLD@/node2.xml attach GK9VZF -n
# The same daemon on this host: nothing is attached there yet.
t sync-connect-local 3 devices.umockdev -C ./vm.conf -c test://@WORLD@/node2.xml sync -n --json
# One daemon through two URI spellings (two paths of one node file): every
# guest is one guest, named by the first URI; nothing flaps.
sed "s|^DOMAIN_URI_kvm1=.*|DOMAIN_URI_kvm1=test://$world/./node.xml|" "$world/vm.conf" | conf twouris.conf
t sync-two-uris 3 devices.umockdev -C ./twouris.conf sync -n
t status-two-uris 0 devices.umockdev -C ./twouris.conf status

# attach and detach DEVICE: by serial, BUS:DEV and BUS-PORT, as the original took it.
t attach-serial 3 devices.umockdev -C ./vm.conf attach HV3ZQC -n --json
t attach-address 3 devices.umockdev -C ./vm.conf -n --json attach 5:4
t attach-port 3 devices.umockdev attach 5-2.3 -C ./vm.conf -n --json
t attach-in-place 0 devices.umockdev -C ./vm.conf attach GK9VZF -n --json
t attach-lend 3 devices.umockdev -C ./vm.conf attach LX4QPA -D kvm0 -n --json
# -D takes a config key too: db is kvm2, which is shut off.
t attach-lend-key 1 devices.umockdev -C ./vm.conf attach 3-4 -D db -n --json
t attach-held-elsewhere 2 devices.umockdev -C ./vm.conf attach GK9VZF -D kvm1 -n
t attach-domain-down 1 devices.umockdev -C ./vm.conf attach LX4QPA -n
printf '[domain "kvm0"]\nserials = GK9VZF\n' | conf kvm0only.ini
t attach-unassigned 2 devices.umockdev -C ./kvm0only.ini attach 3:9 -n
t attach-absent 2 devices.umockdev -C ./vm.conf attach QX7ABS -n
t attach-no-serial 2 devices.umockdev -C ./vm.conf attach 1:5 -n
t attach-unmanaged 2 devices.umockdev -C ./vm.conf attach 1:2 -n
t attach-no-domain 2 devices.umockdev -C ./vm.conf attach HV3ZQC -D nosuch -n
t detach-serial 3 devices.umockdev -C ./vm.conf detach GK9VZF -n --json
# After a remove event: the device is gone, udev passes its last address.
t detach-removed 3 unplugged.umockdev -C ./vm.conf detach GK9VZF -b 3 -d 7 -n --json
t detach-removed-address 3 unplugged.umockdev -C ./vm.conf detach 3:7 -n --json
t detach-not-attached 0 devices.umockdev -C ./vm.conf detach LX4QPA -n --json
# The remove event of a replug that runs after the add event: GK9VZF is at
# 3:7 now, the event names its old 3:5; the new attachment stays.
t detach-late-remove 0 devices.umockdev -C ./vm.conf detach GK9VZF -b 3 -d 5 -n --json
# A B:D that is not that serial's: another device's attachment stays.
t detach-other-address 0 devices.umockdev -C ./vm.conf detach LX4QPA -b 3 -d 7 -n --json
# The mouse an admin passed through: nothing of it is bbvirt's, it stays.
t detach-unmanaged 0 devices.umockdev -C ./vm.conf detach 1:2 -n
t attach-mismatch 2 devices.umockdev -C ./vm.conf attach GK9VZF -b 3 -d 9 -n
t attach-event 0 devices.umockdev -C ./vm.conf attach GK9VZF -b 3 -d 7 -n
t attach-all 3 devices.umockdev -C ./vm.conf attach-all -n --json
t attach-all-domain 0 devices.umockdev -C ./vm.conf attach-all kvm0 -n --json
t detach-all 3 devices.umockdev -C ./vm.conf detach-all -n --json
t detach-all-key 0 devices.umockdev -C ./vm.conf detach-all db -n --json
t detach-all-unknown 2 devices.umockdev -C ./vm.conf detach-all nosuch -n
t unplugged-sync 3 unplugged.umockdev -C ./vm.conf sync -n --json

# Usage: one line and a hint, exit 2.
t help 0 - -?
t help-long 0 - --help
t version 0 - --version
t no-command 2 - -n
t bad-command 2 - frob
t bad-option 2 - sync --frob
t bad-short-option 2 - sync -x
t missing-device 2 - attach
t two-devices 2 - attach A B
t bad-address-1 2 devices.umockdev -C ./vm.conf attach 3: -n
t bad-address-2 2 devices.umockdev -C ./vm.conf attach 3- -n
t bad-address-3 2 devices.umockdev -C ./vm.conf attach 3-1..2 -n
t bad-address-4 2 devices.umockdev -C ./vm.conf attach 99999999999:1 -n
t bad-address-5 2 devices.umockdev -C ./vm.conf -n attach -- -1:2
t bad-busnum 2 - -C ./vm.conf detach A1 -b 0 -d 3
t devnum-alone 2 - -C ./vm.conf detach A1 -d 3
t domain-with-status 2 - -C ./vm.conf status -D kvm0
t config-name 2 - -C no-such-name config

# Bad configs: one FILE:LINE line, exit 2, nothing else happens.
# shellcheck disable=SC2016 # the $(...) is the config's text, unexpanded
printf 'DOMAIN_RNG_vm=( A1 )\nDOMAIN_URI_vm=$(hostname)\n' | conf cmdsubst.conf
t config-cmdsubst 2 devices.umockdev -C ./cmdsubst.conf sync
printf 'DOMAIN_RNG_vm=( A1\n  B2\n' | conf unterminated.conf
t config-unterminated-array 2 - -C ./unterminated.conf config
printf "DOMAIN_URI_vm='qemu:///system\n" | conf quote.conf
t config-unterminated-quote 2 - -C ./quote.conf config
printf '[defaults]\nuri = a\0b\n' | conf nul.conf
t config-nul 2 - -C ./nul.conf config
printf '[defaults]\nuri = caf\xe9\n' | conf latin1.conf
t config-bad-utf8 2 - -C ./latin1.conf config
head -c 10485760 /dev/zero | tr '\0' 'A' | conf long.conf
t config-10mb-line 2 - -C ./long.conf config
# Binary data: the start of an ELF executable.
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\003\000>\000' | conf binary.conf
t config-binary 2 - -C ./binary.conf config
printf '[domain "a"]\nserials = X1\n[domain "b"]\nserials = X1\n' | conf twice.conf
t config-serial-twice 2 - -C ./twice.conf config
printf '[domain "a"]\nserials = X1\n' | conf loose.conf
chmod 0666 "$world/loose.conf"
t config-loose-mode 2 - -C ./loose.conf config
# A FIFO in the config's place is refused at once, not read (a read would wait for a writer).
mkfifo -m 0644 "$world/fifo.conf"
t config-fifo 2 - -C ./fifo.conf config
: | conf empty.conf
t config-empty 0 - -C ./empty.conf config --json

# libvirt's default URI is contacted only when something refers to it: here
# every domain names its URI, and the default leads nowhere.
LIBVIRT_DEFAULT_URI='qemu+unix:///system?socket=/nonexistent/libvirt-sock' \
	t sync-default-unused 3 devices.umockdev -C ./vm.conf sync -n
# A daemon that cannot be reached: one clear line, exit 1, in bounded time.
printf '[domain "kvm0"]\nserials = GK9VZF\n' | conf nouri.ini
LIBVIRT_DEFAULT_URI='qemu+unix:///system?socket=/nonexistent/libvirt-sock' \
	t sync-unreachable 1 devices.umockdev -C ./nouri.ini sync --timeout 5
t sync-unreachable-connect 1 devices.umockdev -C ./vm.conf -c 'qemu+unix:///system?socket=/nonexistent/libvirt-sock' sync -n

# Real runs through libvirt's test driver. No version of it attaches a USB
# hostdev to these domains: the attach fails with libvirt's reason, exit 1.
printf '[defaults]\nuri = test://%s/node.xml\n[domain "kvm0"]\nserials = GK9VZF LX4QPA\n' "$world" | conf kvm0more.ini
t sync-apply-fails 1 devices.umockdev -C ./kvm0more.ini sync kvm0 --json
t attach-lend-fails 1 devices.umockdev -C ./vm.conf attach LX4QPA -D kvm0
# The detach side, where the test driver detaches (libvirt 10.0 and later):
# HV3ZQC leaves its old address, its attach at the new one then fails; the
# failure stops nothing else.
td sync-apply 1 devices.umockdev -C ./vm.conf sync --json
# Unplugged: GK9VZF is gone, HV3ZQC assigned nowhere; both detach, exit 0.
printf '[defaults]\nuri = test://%s/node.xml\n[domain "kvm0"]\nserials = GK9VZF\n' "$world" | conf kvm0gone.ini
td sync-apply-detach 0 unplugged.umockdev -C ./kvm0gone.ini sync
td detach-apply 0 devices.umockdev -C ./vm.conf detach GK9VZF --json
# The remove event's form, with its last address.
td detach-removed-apply 0 unplugged.umockdev -C ./vm.conf detach GK9VZF -b 3 -d 7
td detach-all-apply 0 devices.umockdev -C ./vm.conf detach-all

# world2: reassigned, unassigned, adopted, lent, foreign and hostile names.
t w2-sync 3 ../world2/devices.umockdev -C ../world2/vm.ini sync -n --json
t w2-status 0 ../world2/devices.umockdev -C ../world2/vm.ini status --json
# Lending again where it already is changes nothing; lending a foreign-held device is refused.
t w2-lend-in-place 0 ../world2/devices.umockdev -C ../world2/vm.ini attach LENT1 -D alpha -n --json
t w2-detach-lent 3 ../world2/devices.umockdev -C ../world2/vm.ini detach LENT1 -n --json
t w2-status-text 0 ../world2/devices.umockdev -C ../world2/vm.ini status
# A foreign-held device: refused, naming the domain and the holder's alias.
t w2-attach-foreign 2 ../world2/devices.umockdev -C ../world2/vm.ini attach TAKEN1 -n
# detach-all DOMAIN: only from it; LENT1 (lent to alpha) and MOVED1 stay.
t w2-detach-all-domain 0 ../world2/devices.umockdev -C ../world2/vm.ini detach-all b -n --json
# attach-all: each device on its own: TAKEN1 refused, the rest planned, exit 1.
t w2-attach-all 1 ../world2/devices.umockdev -C ../world2/vm.ini attach-all -n --json
# An admin's own hostdevs survive a config that assigns nothing: sync does
# not even contact libvirt (its default URI here leads nowhere).
printf '# nothing assigned\n' | conf none.conf
LIBVIRT_DEFAULT_URI='qemu+unix:///system?socket=/nonexistent/libvirt-sock' \
	t w2-sync-nothing-assigned 0 ../world2/devices.umockdev -C ./none.conf sync -v
conf example.conf <"$top/contrib/vm.conf.example"
t w2-sync-commented-example 0 ../world2/devices.umockdev -C ./example.conf sync -n

# A daemon that accepts the connection and never answers: the run must end
# by its --timeout with one line and exit 1, not hang.
"$top/${O:-build}/tests/tools/mute-socket" "$tmp/mute.sock" 20 &
mute=$!
for _ in $(seq 100); do [ -S "$tmp/mute.sock" ] && break; sleep 0.05; done
t sync-hung-daemon 1 devices.umockdev -C ./vm.conf -c "qemu+unix:///system?socket=$tmp/mute.sock" sync -n --timeout 2
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null

# Two devices sharing a serial cannot be told apart: neither is assigned,
# and the one a guest holds stays where it is.
# kvm1 holds the clone at 3:9 (clones.xml): it stays there.
printf '[defaults]\nuri = test://%s/clones.xml\n[domain "kvm1"]\nserials = CLONE1\n[domain "kvm0"]\nserials = GK9VZF\n' "$world" | conf clones.ini
t clones-status 0 clones.umockdev -C ./clones.ini status --json
t clones-sync 0 clones.umockdev -C ./clones.ini sync -n --json
t clones-attach 2 clones.umockdev -C ./clones.ini attach CLONE1 -n

# A run that waits for the lock reads the config only once it holds it, so
# an edit made meanwhile is what it applies: flock() wakes waiters in no
# particular order, and a run holding the config from before the edit could
# otherwise come last and put the old assignment back.
printf '[defaults]\nuri = test://%s/node.xml\n[domain "kvm0"]\nserials = GK9VZF\n' "$world" | conf late.ini
exec {held}>>"$BBVIRT_LOCK"
flock "$held"
(exec {held}>&- && cd "$world" && exec umockdev-run --device "$world/devices.umockdev" -- \
	"$BBVIRT" -C ./late.ini sync >"$tmp/late.out" 2>"$tmp/late.err") &
late=$!
# The run waits in flock(): the kernel lists it in /proc/locks as a "->"
# line on the lock's inode. (Reading every process's descriptors instead
# cost a fork per descriptor on the machine: on a busy one, longer than
# the run's own timeout.)
lock_ino=$(stat -c %i "$BBVIRT_LOCK")
waiting=
for _ in $(seq 600); do
	if grep -Eq "^[0-9]+: -> FLOCK +ADVISORY +WRITE +[0-9]+ [0-9a-f]+:[0-9a-f]+:$lock_ino " /proc/locks; then
		waiting=yes
		break
	fi
	sleep 0.05
done
echo 'an edit that breaks it' | conf late.ini
exec {held}>&-
wait "$late"
rc=$?
if [ -n "$waiting" ] && [ "$rc" = 2 ] && grep -q 'late.ini:1:' "$tmp/late.err"; then
	passed=$((passed + 1))
else
	echo "FAIL sync-config-under-lock: exit $rc, expected 2 (waiting: ${waiting:-never})"
	sed 's/^/    stderr: /' "$tmp/late.err"
	failed=$((failed + 1))
fi

# --timeout bounds a run whose stdout is a pipe nobody reads: the pipe is
# filled first, so the plan's write blocks; the watchdog must still end the
# run, since it uses neither stdio nor syslog (the blocked writer holds
# stdout's lock). The outer timeout catches a run that would hang.
exec {stuck}> >(exec sleep 30)
stuck_pid=$!
head -c 65536 /dev/zero >&"$stuck"
start=$(date +%s)
(cd "$world" && exec timeout 10 umockdev-run --device "$world/devices.umockdev" -- \
	"$BBVIRT" -C ./vm.conf sync -n --json --timeout 2 1>&"$stuck" 2>"$tmp/stuck.err")
rc=$?
took=$(($(date +%s) - start))
exec {stuck}>&-
kill "$stuck_pid" 2>/dev/null
if [ "$rc" = 1 ] && [ "$took" -lt 8 ] &&
	grep -qx 'bbvirt: timed out after 2 s writing the plan' "$tmp/stuck.err"; then
	passed=$((passed + 1))
else
	echo "FAIL sync-stdout-stuck: exit $rc after ${took}s, expected 1 after ~2s"
	sed 's/^/    stderr: /' "$tmp/stuck.err"
	failed=$((failed + 1))
fi

# The udev forms (issue 14): attach|detach SERIAL -b BUS -d DEV, as the
# original's rule runs them for every device of its type. Nothing wrong,
# nothing said: assigned nowhere, domain not running, no config file.
t event-attach-unassigned 0 devices.umockdev -C ./kvm0only.ini attach LX4QPA -b 3 -d 9
t event-attach-domain-down 0 devices.umockdev -C ./vm.conf -v attach LX4QPA --busnum 003 --devnum 009
t event-attach-no-config 0 devices.umockdev -C ./nosuch.conf attach GK9VZF -b 3 -d 7
t event-detach-no-config 0 unplugged.umockdev -C ./nosuch.conf detach GK9VZF -b 3 -d 7
# Typed by a human, the same are errors.
t human-attach-no-config 2 devices.umockdev -C ./nosuch.conf attach GK9VZF
# The remove form, zero-padded as udev passes it, after the device is gone.
t event-detach-removed 3 unplugged.umockdev -C ./vm.conf detach GK9VZF --busnum 003 --devnum 007 -n --json
# The same on udev 252, which has no ID_SERIAL_SHORT once the device is
# gone: the serial's word vanishes from the rule's command line, -b and -d
# are the device, and the sync that the event also queues detaches it.
t event-detach-removed-no-serial 0 unplugged.umockdev -C ./vm.conf -v detach --busnum 003 --devnum 007
t event-attach-address 0 devices.umockdev -C ./vm.conf -v attach --busnum 003 --devnum 009
# -b alone: the device number is looked up.
t event-busnum-alone 3 devices.umockdev -C ./vm.conf attach HV3ZQC -b 5 -n --json
t event-busnum-alone-absent 3 unplugged.umockdev -C ./vm.conf detach GK9VZF -b 3 -n --json
# A one-device command contacts only its domain's URI: the hung daemon
# that db's URI names is never asked (sync asks it, and times out).
"$top/${O:-build}/tests/tools/mute-socket" "$tmp/mute2.sock" 20 &
mute=$!
for _ in $(seq 100); do [ -S "$tmp/mute2.sock" ] && break; sleep 0.05; done
sed "s|^DOMAIN_URI_db=.*|DOMAIN_URI_db='qemu+unix:///system?socket=$tmp/mute2.sock'|" "$world/vm.conf" | conf hung-db.conf
t one-uri-attach 3 devices.umockdev -C ./hung-db.conf attach HV3ZQC -n --json --timeout 5
t one-uri-sync 1 devices.umockdev -C ./hung-db.conf sync -n --timeout 2
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null
# Options as the original took them: -C NAME.conf is -C NAME; -D with every action.
t config-name-suffix 2 - -C no-such-name.conf config
t detach-domain-other 0 devices.umockdev -C ./vm.conf detach GK9VZF -D kvm1 -n --json
t detach-domain 3 devices.umockdev -C ./vm.conf detach GK9VZF -D kvm0 -n --json
t attach-all-domain-option 3 devices.umockdev -C ./vm.conf attach-all -D kvm1 -n --json
t detach-all-domain-option 0 devices.umockdev -C ./vm.conf detach-all -D db -n --json
t attach-all-two-domains 2 - -C ./vm.conf attach-all kvm0 -D kvm1 -n
t sync-domain-option 3 devices.umockdev -C ./vm.conf sync -D kvm1 -n
# --syslog logs to syslog and to stderr.
t syslog-stderr 2 devices.umockdev --syslog -C ./vm.conf attach QX7ABS
# -v: what is left alone and why; -vv: the snapshots; -vvv: the map.
t sync-verbose 3 devices.umockdev -C ./vm.ini sync -n -vvv

# bbvirt release, before the host saves its guests (issue 15): every
# hostdev bbvirt owns leaves every running guest, whatever the config says
# (none.conf assigns nothing); web's mouse, an admin's, stays. -n changes
# nothing and starts no hold.
t release-dry 3 devices.umockdev -C ./vm.conf release -n --json
t release-nothing-assigned 3 devices.umockdev -C ./none.conf release -n
t release-args 2 - -C ./vm.conf release kvm0
t reclaim-domain 2 - -C ./vm.conf reclaim -D kvm0
held=$tmp/released
check_file() {
	if [ "$2" = present ] && [ -f "$held" ] || { [ "$2" = absent ] && [ ! -e "$held" ]; }; then
		passed=$((passed + 1))
	else
		echo "FAIL $1: the hold file is not $2"; failed=$((failed + 1))
	fi
}
check_file release-dry-no-hold absent
# The hold starts before the first detach (where the test driver cannot
# detach, release still runs, exits 1 and leaves it: checked next).
td release 0 devices.umockdev -C ./vm.conf release
check_file release-holds present
touch -d '2026-12-01 03:00:00 UTC' "$held"
# While it holds, nothing is attached: sync and the udev forms do nothing
# and succeed, an attach asked for by hand fails, detaching still works.
t held-status 0 devices.umockdev -C ./vm.conf status
t held-status-json 0 devices.umockdev -C ./vm.conf status --json
t held-sync 0 devices.umockdev -C ./vm.conf sync -v
t held-sync-json 0 devices.umockdev -C ./vm.conf sync -n --json
t held-event-attach 0 devices.umockdev -C ./vm.conf -v attach HV3ZQC -b 5 -d 4
t held-attach 1 devices.umockdev -C ./vm.conf attach HV3ZQC -n
t held-attach-all 1 devices.umockdev -C ./vm.conf attach-all
t held-detach 3 devices.umockdev -C ./vm.conf detach GK9VZF -n --json
td held-detach-apply 0 devices.umockdev -C ./vm.conf detach GK9VZF
# The restore filter readdresses nothing either: GK9VZF, plugged in and
# assigned here, is parked with GONE1.
t restore-held 0 devices.umockdev -C ./vm.ini -v restore-filter kvm0 <"$top/tests/fixtures/restore/only-ours.xml"
# A second release keeps the time the hold began.
td held-release 0 devices.umockdev -C ./vm.conf release
if [ "$(stat -c %Y "$held")" = "$(date -d '2026-12-01 03:00:00 UTC' +%s)" ]; then
	passed=$((passed + 1))
else
	echo "FAIL held-release-keeps-time: $(stat -c %y "$held")"; failed=$((failed + 1))
fi
# reclaim -n shows the sync that would follow and leaves the hold; reclaim
# ends it, then syncs (here: nothing assigned, nothing to do).
t reclaim-dry 3 devices.umockdev -C ./vm.conf reclaim -n --json
check_file reclaim-dry-keeps-hold present
# A config error changes nothing (exit 2): reclaim keeps the hold.
# shellcheck disable=SC2016 # the $(...) is the config's text, unexpanded
printf 'DOMAIN_NAME_x=$(oops)\n' | conf typo.conf
t reclaim-bad-config 2 devices.umockdev -C ./typo.conf reclaim
check_file reclaim-bad-config-keeps-hold present
t reclaim 0 devices.umockdev -C ./none.conf reclaim
check_file reclaim-ends-hold absent
# But release, the shutdown's safety step, still releases what bbvirt owns
# on the URIs known without the config (-c, else libvirt's default), takes
# the hold, and exits 2 with the config error.
t release-bad-config 2 devices.umockdev -C ./typo.conf -c test://@WORLD@/node2.xml release
check_file release-bad-config-holds present
rm -f "$held"

# restore-filter (issue 15): the qemu hook pipes a restored or migrated
# guest's XML through it. stdout is the whole document with only bbvirt's
# hostdevs' <source> rewritten, or nothing for "unchanged"; it never asks
# libvirt (LIBVIRT_DEFAULT_URI leads nowhere here) nor takes the lock.
rx=$top/tests/fixtures/restore
nolibvirt='qemu+unix:///system?socket=/nonexistent/libvirt-sock'
# GK9VZF replugged (3:5 in the image, 3:7 now): readdressed; LX4QPA is db's: parked.
LIBVIRT_DEFAULT_URI=$nolibvirt t restore-moved 0 devices.umockdev -C ./vm.ini restore-filter kvm0 <"$rx/kvm0.xml"
LIBVIRT_DEFAULT_URI=$nolibvirt t restore-verbose 0 devices.umockdev -C ./vm.conf -v restore-filter <"$rx/kvm0.xml"
# The lock held by a sync does not stop it.
exec {held}>>"$BBVIRT_LOCK"
flock "$held"
t restore-locked 0 devices.umockdev -C ./vm.ini restore-filter kvm0 <"$rx/kvm0.xml"
exec {held}>&-
# HV3ZQC behind the hub, now at 5:4; CLONE1 is on two devices: parked.
t restore-clones 0 clones.umockdev -C ./vm.ini restore-filter kvm1 <"$rx/kvm1.xml"
t restore-kvm1 0 devices.umockdev -C ./vm.ini -v restore-filter kvm1 <"$rx/kvm1.xml"
# GK9VZF unplugged: parked, never left at its old address.
t restore-unplugged 0 unplugged.umockdev -C ./vm.ini restore-filter <"$rx/kvm0.xml"
# No config: nothing is assigned, so nothing of bbvirt's may reach a device.
t restore-no-config 0 devices.umockdev -C ./nosuch.conf restore-filter kvm0 <"$rx/kvm0.xml"
# Nothing to change, nothing of bbvirt's: nothing printed.
printf '[domain "kvm0"]\nserials = LX4QPA\n' | conf lx4qpa.ini
t restore-in-place 0 devices.umockdev -C ./lx4qpa.ini -v restore-filter <"$rx/in-place.xml"
t restore-not-ours 0 devices.umockdev -C ./vm.ini -vv restore-filter <"$rx/no-bbvirt.xml"
t restore-empty 0 devices.umockdev -C ./vm.ini restore-filter </dev/null
# Errors: nothing printed, the reason logged, exit non-zero (the hook exits 0).
t restore-malformed 1 devices.umockdev -C ./vm.ini restore-filter <"$rx/truncated.xml"
t restore-latin1 1 devices.umockdev -C ./vm.ini restore-filter <"$rx/latin1.xml"
t restore-other-domain 1 devices.umockdev -C ./vm.ini restore-filter kvm1 <"$rx/kvm0.xml"
t restore-bad-config 2 devices.umockdev -C ./cmdsubst.conf restore-filter <"$rx/kvm0.xml"
t restore-json 2 - restore-filter --json
t restore-two-domains 2 - restore-filter kvm0 -D kvm1
# A writer that never closes stdin: the --timeout still ends it, nothing printed.
t restore-stdin-stuck 1 - --timeout 1 restore-filter < <(exec sleep 8)
# A name that looks like an option (the hook passes "--" before it), and
# one with a newline, which the log shows escaped.
sed "s|<name>kvm0</name>|<name>-x\&#10;y</name>|" "$rx/kvm0.xml" >"$tmp/dash.xml"
t restore-dash-name 0 devices.umockdev -C ./vm.ini restore-filter -- "-x
y" <"$tmp/dash.xml"
# What the filter prints, libvirt's own parser and validation accept: the
# test driver's define runs both. They refuse, for one, two hostdevs that
# libvirt takes for one device ("Hostdev already exists in the domain
# configuration"), as two parked at device 0 would be.
for f in kvm0 kvm1 save-image compact libvirt-rules; do
	(cd "$world" && exec umockdev-run --device "$world/devices.umockdev" -- \
		"$BBVIRT" -C ./vm.ini restore-filter <"$rx/$f.xml" >"$tmp/rf.xml" 2>"$tmp/rf.err")
	rc=$?
	if [ "$rc" = 0 ] && [ -s "$tmp/rf.xml" ] &&
		virsh -q -c test:///default "define $tmp/rf.xml" >/dev/null 2>"$tmp/rf.virsh"; then
		passed=$((passed + 1))
	else
		echo "FAIL restore-libvirt-accepts-$f: exit $rc, $(wc -c <"$tmp/rf.xml") bytes printed"
		sed 's/^/    stderr: /' "$tmp/rf.err" "$tmp/rf.virsh" 2>/dev/null | head -10
		failed=$((failed + 1))
	fi
done
# An admin's hostdev by GK9VZF's vendor and product: ours names the
# address alone (libvirt would take the two for one device).
t restore-same-model 0 devices.umockdev -C ./vm.ini -v restore-filter <"$rx/libvirt-rules.xml"

# world3 (ports/): hubs, USB 2/3 peer ports, and the same tree on other
# bus numbers. status names every device's stable path, which stays the
# same when the buses are renumbered.
cp -r "$top/tests/fixtures/world3" "$world/ports"
sed -i "s|@WORLD@|$world/ports|g" "$world"/ports/*.ini
chmod 0644 "$world"/ports/*
t w3-status 0 ports/devices.umockdev -C ./ports/vm.ini status
t w3-status-json 0 ports/devices.umockdev -C ./ports/vm.ini status --json
t w3-status-renumbered 0 ports/renumbered.umockdev -C ./ports/vm.ini status
# Port and type rules in the config; conflicts name both lines.
conf ports-rules.ini <<'EOC'
[domain "lab"]
ports = 3-1.1 pci-0000:00:14.0-usb-0:1.4
devices = 0bda:8153 0403:7840/PORTBB1
[domain "sdr"]
devices = 0bda:2838
EOC
t w3-config-rules 0 - -C ./ports-rules.ini config --json
t w3-config-rules-text 0 - -C ./ports-rules.ini config
printf '[domain "lab"]\ndevices = 0bda:2838\n[domain "sdr"]\ndevices = 0bda:2838\n' | conf type-twice.ini
t w3-config-type-twice 2 - -C ./type-twice.ini sync -n
printf '[domain "lab"]\nports = 3-1.1\n[domain "sdr"]\nports = 3-1.01\n' | conf port-twice.ini
t w3-config-port-twice 2 - -C ./port-twice.ini sync -n
# Every kind of rule: the serial's, ports by stable and kernel form (the
# UPS replugged into its port: readdressed), a type with two devices of
# one serial (one held, one missing), one device of a type by serial.
t w3-rules-status 0 ports/devices.umockdev -C ./ports/rules.ini status
t w3-rules-status-json 0 ports/devices.umockdev -C ./ports/rules.ini status --json
t w3-rules-sync 3 ports/devices.umockdev -C ./ports/rules.ini sync -n
t w3-rules-sync-json 3 ports/devices.umockdev -C ./ports/rules.ini sync -n --json
# Renumbered buses: the stable path still names the CH340's port, the
# kernel form 3-1.4 names nothing now; the hostdevs' old addresses are gone.
t w3-rules-renumbered 3 ports/renumbered.umockdev -C ./ports/rules.ini sync -n
# Two halves of one connector in two domains: nowhere, and status says why.
t w3-ambiguous-status 0 ports/devices.umockdev -C ./ports/ambiguous.ini status
t w3-ambiguous-sync 3 ports/devices.umockdev -C ./ports/ambiguous.ini sync -n
t w3-ambiguous-verbose 3 ports/devices.umockdev -C ./ports/ambiguous.ini sync -n -v

# One answer to "whose device is this" (issue 20): every command asks the
# claim that sync asks. node NAME <<EOF writes a test-driver node file of
# world3's guests; w3conf NAME NODE <<EOF a config that reaches it.
node() {
	{
		echo '<node>'
		cat
		echo '</node>'
	} >"$world/ports/$1"
}
w3conf() {
	{
		printf '[defaults]\nuri = test://%s/ports/%s\n' "$world" "$2"
		cat
	} | conf "$1"
}
guest() {
	local name=$1 uuid=$2 extra=${3-}
	shift 3
	printf "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>%s</name><uuid>7d4e8b0c-2f51-4c3a-9a0e-5b1d3c6f0a%s</uuid><memory>131072</memory><os><type>hvm</type></os>%s<devices>" "$name" "$uuid" "$extra"
	local h
	for h in "$@"; do
		printf "<hostdev mode='subsystem' type='usb' managed='no'><source><address bus='%s' device='%s'/></source>" "${h%%:*}" "$(cut -d: -f2 <<<"$h" | cut -d@ -f1)"
		case $h in *@*) printf "<alias name='%s'/>" "${h#*@}" ;; esac
		printf '</hostdev>'
	done
	printf '</devices></domain>\n'
}
{ guest lab 11 ''; guest sdr 12 ''; } | node empty.xml
{ guest lab 11 ''; guest sdr 12 '' 3:6@ua-bbvirt-PORTBB1; } | node sdr-has-bb.xml
{ guest lab 11 '<test:transient/>' 3:6; guest sdr 12 ''; } | node lab-admin-bb.xml
{ guest lab 11 '' 3:3@ua-bbport-3-2d1-2e1
  guest sdr 12 '' 3:4@ua-bbtype-0bda2838-3-2d1-2e2 3:5@ua-bbtype-0bda2838-3-2d1-2e3; } | node converged.xml
{ guest lab 11 ''; guest sdr 12 '' 3:3@ua-bbport-3-2d1-2e1; } | node sdr-has-ch340.xml
# A devices = V:P/SERIAL rule names another type than PORTBB1's: the type
# rule gives it to lab, in sync and in every form of attach, bit-babbler's
# udev form too; once sdr holds it, it moves.
w3conf slash-type.ini empty.xml <<'EOC'
[domain "sdr"]
devices = 0bda:8153/PORTBB1
[domain "lab"]
devices = 0403:7840
EOC
t w3-slash-sync 3 ports/devices.umockdev -C ./slash-type.ini sync -n
for dev in PORTBB1 3:6 3-2 pci-0000:00:14.0-usb-0:2; do
	t "w3-slash-attach-${dev//[:.]/_}" 3 ports/devices.umockdev -C ./slash-type.ini attach "$dev" -n
done
t w3-slash-attach-all 3 ports/devices.umockdev -C ./slash-type.ini attach-all -n
t w3-slash-udev 3 ports/devices.umockdev -C ./slash-type.ini --syslog attach PORTBB1 --busnum 003 --devnum 006 -n
sed "s|empty.xml|sdr-has-bb.xml|" "$world/slash-type.ini" | conf slash-held.ini
t w3-slash-held-sync 3 ports/devices.umockdev -C ./slash-held.ini sync -n -v
t w3-slash-held-status 0 ports/devices.umockdev -C ./slash-held.ini status
# An admin's live hostdev of PORTBB1 in a transient lab: the config names
# PORTBB1 only by a /SERIAL rule of another type, so it is not adopted.
w3conf slash-admin.ini lab-admin-bb.xml <<'EOC'
[domain "sdr"]
devices = 0bda:8153/PORTBB1
EOC
t w3-slash-admin-sync 0 ports/devices.umockdev -C ./slash-admin.ini sync -n -v
t w3-slash-admin-status 0 ports/devices.umockdev -C ./slash-admin.ini status
# Port and type rules in the one-device commands: the CH340 (no serial)
# by its port in both spellings and by address, an RTL-SDR of a shared
# serial by its type; converged, each detaches what its rule attached.
w3conf pt.ini empty.xml <<'EOC'
[domain "lab"]
ports = 3-1.1
[domain "sdr"]
devices = 0bda:2838
EOC
for dev in 3-1.1 3:3 pci-0000:00:14.0-usb-0:1.1 3-1.3; do
	t "w3-pt-attach-${dev//[:.]/_}" 3 ports/devices.umockdev -C ./pt.ini attach "$dev" -n
done
t w3-pt-attach-all-sdr 3 ports/devices.umockdev -C ./pt.ini attach-all sdr -n
t w3-pt-status 0 ports/devices.umockdev -C ./pt.ini status
sed "s|empty.xml|converged.xml|" "$world/pt.ini" | conf pt-converged.ini
t w3-pt-converged 0 ports/devices.umockdev -C ./pt-converged.ini sync -n
t w3-pt-detach-port 3 ports/devices.umockdev -C ./pt-converged.ini detach 3-1.1 -n
t w3-pt-detach-address 3 ports/devices.umockdev -C ./pt-converged.ini detach 3:4 -n
t w3-pt-detach-all-sdr 3 ports/devices.umockdev -C ./pt-converged.ini detach-all sdr -n
t w3-pt-attach-converged 0 ports/devices.umockdev -C ./pt-converged.ini attach 3-1.3 -n
# A port rule gives PORTBB1 to lab: attach needs no -D, and -D lab lends nothing.
w3conf port-bb.ini empty.xml <<'EOC'
[domain "lab"]
ports = 3-2
EOC
t w3-port-bb-attach 3 ports/devices.umockdev -C ./port-bb.ini attach PORTBB1 -n
t w3-port-bb-attach-d 3 ports/devices.umockdev -C ./port-bb.ini attach PORTBB1 -D lab -n
# Two spellings, or the two halves of one connector, in one domain: one rule.
w3conf spellings.ini empty.xml <<'EOC'
[domain "lab"]
ports = 3-1.1 pci-0000:00:14.0-usb-0:1.1
ports = 3-3 4-2
EOC
t w3-spellings-sync 3 ports/devices.umockdev -C ./spellings.ini sync -n
t w3-spellings-config 0 - -C ./spellings.ini config
# The scoped sync frees what its domain is to get: sdr holds the CH340 by
# its port rule, which the config now gives lab in the stable spelling.
w3conf scope-free.ini sdr-has-ch340.xml <<'EOC'
[domain "lab"]
ports = pci-0000:00:14.0-usb-0:1.1
EOC
t w3-scope-free-all 3 ports/devices.umockdev -C ./scope-free.ini sync -n
t w3-scope-free-lab 3 ports/devices.umockdev -C ./scope-free.ini sync lab -n
# A hub named by a rule is never passed through, and says so.
w3conf hub.ini empty.xml <<'EOC'
[domain "lab"]
ports = 3-1
EOC
t w3-hub-status 0 ports/devices.umockdev -C ./hub.ini status
t w3-hub-attach 2 ports/devices.umockdev -C ./hub.ini attach 3-1 -n
t w3-hub-sync 0 ports/devices.umockdev -C ./hub.ini sync -n -v
# A configured serial plugged in on a type whose serials are not managed:
# status says so, rather than absent.
w3conf ups-serial.ini empty.xml <<'EOC'
[domain "lab"]
serials = UPS0001
EOC
t w3-unmanaged-serial-status 0 ports/devices.umockdev -C ./ups-serial.ini status
# Stable paths in a form udev never writes are config errors, at load.
printf '[domain "lab"]\nports = PCI-0000:00:14.0-usb-0:2\n' | conf bad-stable-1.ini
t w3-bad-stable-case 2 - -C ./bad-stable-1.ini config
printf '[domain "lab"]\nports = 0000:00:14.0-usb-0:2\n' | conf bad-stable-2.ini
t w3-bad-stable-bus 2 - -C ./bad-stable-2.ini config
printf '[domain "lab"]\nports = pci-0000:00:14.0-usb-0:2\n[domain "sdr"]\nports = pci-0000:00:14.0-usb-0:2\n' | conf stable-twice.ini
t w3-stable-twice 2 - -C ./stable-twice.ini config

# bbvirt-event (issue 16): the queue the udev rule leaves, sorted by the
# config alone. ev NAME REQUEST DEVICES CONFIG ENTRY...: queues the
# entries, runs bbvirt-event -v on them, and then the queue must be empty
# and the sync request there (REQUEST yes) or not (no).
ev() {
	local name=$1 want=$2 devs=$3 cf=$4 e got left
	shift 4
	rm -rf "$world/events" "$world/sync-requested"
	mkdir "$world/events"
	for e in "$@"; do : >"$world/events/$e"; done
	T_PROG=$BBVIRT_EVENT t "$name" 0 "$devs" -v -C "$cf" -r ./sync-requested ./events
	got=no
	[ ! -e "$world/sync-requested" ] || got=yes
	left=$(ls -A "$world/events")
	if [ "$got" != "$want" ] || [ -n "$left" ]; then
		echo "FAIL $name: sync request: $got, expected $want; left in the queue: '$left'"
		passed=$((passed - 1)) failed=$((failed + 1))
	fi
}
r3=./ports/rules.ini
# A hub, a root hub, with no port rule: nothing for the sync, however many.
ev queue-hub no ports/devices.umockdev ./ports/vm.ini add@3-1
ev queue-none-of-three no ports/devices.umockdev ./ports/vm.ini add@3-1 bind@4-1 change@usb3
# With port rules, a hub's event is a sync's: the kernel links its ports'
# other halves later than the devices behind it come.
ev queue-hub-port-rules yes ports/devices.umockdev "$r3" add@3-1
# Each kind of rule: a port by its stable path and by its kernel form, a
# type, a managed type's serial.
ev queue-port-stable yes ports/devices.umockdev "$r3" add@3-1.1
ev queue-port-kernel yes ports/devices.umockdev "$r3" bind@3-1.4
ev queue-type yes ports/devices.umockdev "$r3" add@3-1.2
ev queue-serial yes ports/devices.umockdev "$r3" change@3-2
# One event the config names among others is enough.
ev queue-one-of-three yes ports/devices.umockdev ./ports/vm.ini add@3-1 add@3-2 add@usb3
# The same CH340 and UPS with a config of serials alone: nothing to do.
ev queue-unmanaged no ports/devices.umockdev ./ports/vm.ini add@3-1.1 add@3-1.4
# A device at the USB 3 half of a connector whose USB 2 half is named.
printf '[domain "lab"]\nports = 3-3\n' | conf peer-port2.ini
ev queue-peer-device yes ports/devices.umockdev ./peer-port2.ini add@4-2
printf '[domain "lab"]\nports = 3-4\n' | conf peer-port3.ini
ev queue-peer-other no ports/devices.umockdev ./peer-port3.ini add@4-2
# A device that went, or is not there now; a name bbvirt does not know;
# a config it cannot read: when in doubt, the sync.
ev queue-remove yes ports/devices.umockdev "$r3" remove@3-1
ev queue-gone yes ports/devices.umockdev "$r3" add@3-9
ev queue-unknown yes ports/devices.umockdev "$r3" frobnicate@3-1
ev queue-bad-kernel yes ports/devices.umockdev "$r3" add@3-1x
ev queue-bad-config yes ports/devices.umockdev ./nosuch.ini add@3-1
# Nothing queued (a start by hand): nothing to do.
ev queue-empty no ports/devices.umockdev "$r3"
# Someone's directory in the queue is taken as an entry; one that cannot
# be removed fails the run, asks for the sync, and the others are taken.
rm -rf "$world/events" "$world/sync-requested"
mkdir -p "$world/events/add@3-1" "$world/events/add@3-2/x"
: >"$world/events/add@3-1.1"
T_PROG=$BBVIRT_EVENT t queue-stuck 1 ports/devices.umockdev -v -C ./ports/vm.ini -r ./sync-requested ./events
if [ -e "$world/sync-requested" ] && [ "$(ls -A "$world/events")" = add@3-2 ]; then :
else
	echo "FAIL queue-stuck: request $(ls "$world/sync-requested" 2>&1), left: $(ls -A "$world/events")"
	passed=$((passed - 1)) failed=$((failed + 1))
fi
rm -rf "$world/events"
# A request that cannot be made fails the run.
mkdir -p "$world/events" && : >"$world/events/remove@3-1"
T_PROG=$BBVIRT_EVENT t queue-no-request 1 ports/devices.umockdev -C ./ports/vm.ini -r ./nosuchdir/sync-requested ./events
T_PROG=$BBVIRT_EVENT t queue-bad-option 2 - --frob
T_PROG=$BBVIRT_EVENT t queue-help 0 - -?
# A queue that is a link is not followed (its target's files would all be
# taken), and one someone else may write is refused; both ask for a sync.
rm -rf "$world/events" "$world/elsewhere" "$world/sync-requested"
mkdir "$world/elsewhere" && : >"$world/elsewhere/keep-me"
ln -s elsewhere "$world/events"
T_PROG=$BBVIRT_EVENT t queue-link 1 ports/devices.umockdev -C ./ports/vm.ini -r ./sync-requested ./events
if [ -e "$world/elsewhere/keep-me" ] && [ -e "$world/sync-requested" ]; then :
else
	echo "FAIL queue-link: the link's target was emptied, or no sync was requested"
	passed=$((passed - 1)) failed=$((failed + 1))
fi
rm -rf "$world/events" "$world/elsewhere" "$world/sync-requested"
mkdir -m 0777 "$world/events" && : >"$world/events/add@3-1"
T_PROG=$BBVIRT_EVENT t queue-world-writable 1 ports/devices.umockdev -C ./ports/vm.ini -r ./sync-requested ./events
[ -e "$world/events/add@3-1" ] || { echo "FAIL queue-world-writable: an entry was taken"; passed=$((passed - 1)) failed=$((failed + 1)); }
rm -rf "$world/events" "$world/sync-requested"
T_PROG=$BBVIRT_EVENT t queue-two-queues 2 - ./a ./b

# seedd on the host (issue 24): its config's [Device:SERIAL] sections
# against the config's assignment. Warnings only, exit 0. seedd_conf NAME
# writes one into the world; sconf NAME SEEDD [BASE] a config that names
# it (seedd-conf in [defaults]) on the world's vm.ini or BASE.
seedd_conf() { cat >"$world/$1"; }
sconf() {
	sed "/^\\[defaults\\]/a seedd-conf = $2" "$world/${3:-vm.ini}" | conf "$1"
}
printf '# seedd, bit-babbler example\n[Service]\n kernel\n socket-group\tadm\n\n[Device:GK9VZF]\n[Device:NOTHERE]\n  fold 3\n[Device:LX4QPA]\r\n' |
	seedd_conf seedd-overlap.conf
sconf seedd-overlap.ini "$world/seedd-overlap.conf"
# config: both FILE:LINEs of each serial in both (LX4QPA's domain by its libvirt name).
t seedd-config 0 - -C ./seedd-overlap.ini config
t seedd-config-json 0 - -C ./seedd-overlap.ini config --json
# The bash syntax gets the default path ($BBVIRT_SEEDD_CONF in the tests).
BBVIRT_SEEDD_CONF=$world/seedd-overlap.conf t seedd-config-bash 0 - -C ./vm.conf config
# status says the same, and carries it in --json.
t seedd-status 0 devices.umockdev -C ./seedd-overlap.ini status
t seedd-status-json 0 devices.umockdev -C ./seedd-overlap.ini status --json
# No device section: seedd takes every BitBabbler, GK9VZF that kvm0 gets
# too; status prints the sections of those left to the host, to paste.
printf '[Service]\nkernel\n#[Device:XYZZY]\n' | seedd_conf seedd-all.conf
printf '[defaults]\nseedd-conf = %s\n[domain "kvm0"]\nserials = GK9VZF\n' "$world/seedd-all.conf" | conf seedd-all.ini
t seedd-takes-all 0 devices.umockdev -C ./seedd-all.ini status
t seedd-takes-all-json 0 devices.umockdev -C ./seedd-all.ini status --json
# config reads no devices: nothing to say of it.
t seedd-takes-all-config 0 - -C ./seedd-all.ini config
# Every BitBabbler with a serial goes to a guest: none to paste.
sconf seedd-all-given.ini "$world/seedd-all.conf"
t seedd-takes-all-none-left 0 devices.umockdev -C ./seedd-all-given.ini status
# Hostile names: not serials (a blank, control and non-UTF-8 bytes, 127
# bytes, empty, another case), yet device sections to seedd, which then
# does not take every BitBabbler; ']]' and trailing text still name
# GK9VZF; a lone CR ends a line.
{ printf '[Device:we ird]\n[Device:\001\377]\n[Device:]\n[device:LX4QPA]\n'
  printf '[Device:%s]\n' "$(head -c 127 /dev/zero | tr '\0' A)"
  printf 'kernel\r[Device:GK9VZF]] # x\n'; } | seedd_conf seedd-hostile.conf
printf '[defaults]\nseedd-conf = %s\n[domain "kvm0"]\nserials = GK9VZF\n' "$world/seedd-hostile.conf" | conf seedd-hostile.ini
t seedd-hostile 0 devices.umockdev -C ./seedd-hostile.ini status
# A header seedd refuses: seedd does not start; nothing else is checked.
printf '[Service]\nkernel\n[Device:GK9VZF\n[Device:LX4QPA]\n' | seedd_conf seedd-refused.conf
sconf seedd-refused.ini "$world/seedd-refused.conf"
t seedd-refused 0 devices.umockdev -C ./seedd-refused.ini status
# seedd-conf = none: not read, even where the default would find a file.
sconf seedd-none.ini none
BBVIRT_SEEDD_CONF=$world/seedd-overlap.conf t seedd-none 0 devices.umockdev -C ./seedd-none.ini status
# A missing file: named, a warning; the default, an info line at -v.
sconf seedd-missing.ini "$world/no-such-seedd.conf"
t seedd-missing 0 - -C ./seedd-missing.ini config
BBVIRT_SEEDD_CONF=$world/no-such-seedd.conf t seedd-default-missing 0 - -C ./vm.ini -v config
# Not a regular file: a warning, never a wait.
mkfifo "$world/seedd-fifo.conf"
sconf seedd-fifo.ini "$world/seedd-fifo.conf"
t seedd-fifo 0 - -C ./seedd-fifo.ini config
# A relative path is a config error, as for metrics.
printf '[defaults]\nseedd-conf = seedd.conf\n' | conf seedd-relative.ini
t seedd-relative 2 - -C ./seedd-relative.ini config

# Metrics (issue 23): a sync that holds the lock writes them, atomically
# and mode 0644 whatever the umask; promtool accepts them; nothing else
# writes them. prom_check NAME FILE compares FILE, its times masked, with
# tests/cli/NAME.prom.
prom_check() {
	local name=$1 f=$2 got=$tmp/got.prom want=$top/tests/cli/$1.prom out
	local tmpf=${2%/*}/.${2##*/}.tmp
	if [ ! -f "$f" ]; then
		echo "FAIL $name: no metrics in $f"; passed=$((passed - 1)) failed=$((failed + 1)); return
	fi
	sed -E -e 's/^(bbvirt_last_sync_end_timestamp_seconds|bbvirt_sync_duration_seconds) [0-9]+\.[0-9]{6}$/\1 @TIME@/' \
		-e "s|$world|@WORLD@|g" "$f" >"$got"
	[ "${BLESS:-0}" = 1 ] && cp "$got" "$want"
	if [ "$(stat -c %a "$f")" != 644 ]; then
		echo "FAIL $name: $f has mode $(stat -c %a "$f")"; passed=$((passed - 1)) failed=$((failed + 1))
	elif ! out=$(promtool check metrics <"$f" 2>&1); then
		echo "FAIL $name: promtool check metrics: $out"; passed=$((passed - 1)) failed=$((failed + 1))
	elif ! diff -u "$want" "$got"; then
		echo "FAIL $name: metrics differ"; passed=$((passed - 1)) failed=$((failed + 1))
	elif [ -n "$(find "$(dirname "$f")" -name '.*' ! -name ".${f##*/}.tmp" -o -name '*.tmp.prom')" ]; then
		echo "FAIL $name: a temporary file is left"; passed=$((passed - 1)) failed=$((failed + 1))
	elif [ -e "$tmpf" ] && [ "$(stat -c %a "$tmpf")" != 644 ]; then
		echo "FAIL $name: $tmpf has mode $(stat -c %a "$tmpf")"; passed=$((passed - 1)) failed=$((failed + 1))
	fi
}
prom=$tmp/prom
mkdir -p "$prom"
mask=$(umask)
umask 077
# The collector's directory: the scoped sync changes nothing (exit 0) and
# counts every device of the host, as status shows them.
BBVIRT_METRICS_DIR=$prom t metrics-sync 0 devices.umockdev -C ./vm.ini sync kvm0
prom_check metrics-sync "$prom/bbvirt.prom"
cp "$prom/bbvirt.prom" "$tmp/got.prom.sync"
# A sync of kvm0 whose attach fails (no test driver attaches): LX4QPA
# stays pending, and the unassigned HV3ZQC, outside the sync's scope,
# stale; the sync failed.
BBVIRT_METRICS_DIR=$prom t metrics-apply-fails 1 devices.umockdev -C ./kvm0more.ini sync kvm0
prom_check metrics-apply-fails "$prom/bbvirt.prom"
# The temporary file now holds the text before (metrics-sync's), for the
# next write to reuse; one a collector still reads is left as it is, and
# the next write takes a new one.
cmp -s "$prom/.bbvirt.prom.tmp" "$tmp/got.prom.sync" ||
	{ echo "FAIL metrics-reuse: the temporary file does not hold the text before"; passed=$((passed - 1)) failed=$((failed + 1)); }
exec 3<"$prom/.bbvirt.prom.tmp"
BBVIRT_METRICS_DIR=$prom t metrics-reader 0 devices.umockdev -C ./vm.ini sync kvm0
cmp -s /dev/fd/3 "$tmp/got.prom.sync" ||
	{ echo "FAIL metrics-reader: a file open elsewhere was written"; passed=$((passed - 1)) failed=$((failed + 1)); }
exec 3<&-
prom_check metrics-sync "$prom/bbvirt.prom"
# Neither the audit, status nor a one-device command writes them.
rm -f "$prom/bbvirt.prom"
BBVIRT_METRICS_DIR=$prom t metrics-dry 0 devices.umockdev -C ./vm.ini sync kvm0 -n
BBVIRT_METRICS_DIR=$prom t metrics-status 0 devices.umockdev -C ./vm.ini status --json
BBVIRT_METRICS_DIR=$prom t metrics-attach 0 devices.umockdev -C ./vm.conf attach GK9VZF
if [ -e "$prom/bbvirt.prom" ]; then
	echo "FAIL metrics-dry: sync -n, status or attach wrote metrics"; passed=$((passed - 1)) failed=$((failed + 1))
fi
# metrics = none: nowhere, even with the directory there.
sed '/^\[defaults\]/a metrics = none' "$world/vm.ini" | conf metrics-none.ini
BBVIRT_METRICS_DIR=$prom t metrics-none 0 devices.umockdev -C ./metrics-none.ini sync kvm0
[ ! -e "$prom/bbvirt.prom" ] || { echo "FAIL metrics-none: metrics written"; passed=$((passed - 1)) failed=$((failed + 1)); }
# metrics = PATH, with hostile domain names (quote, backslash, UTF-8; a
# config is UTF-8 text, test-metrics feeds other bytes): the file is
# still what promtool reads. A sync held
# by release writes too, with no device counts; its hold is said.
mkdir -p "$world/mine"
{ sed "/^\\[defaults\\]/a metrics = $world/mine/host.prom" "$world/vm.ini"
  printf '[domain "we\\"ird\\\\one"]\nserials = ODD1\n[domain "bad"]\nname = caf\xc3\xa9\nserials = ODD2\n'; } | conf metrics-path.ini
t metrics-path 0 devices.umockdev -C ./metrics-path.ini sync kvm0
prom_check metrics-path "$world/mine/host.prom"
: >"$tmp/released"
t metrics-held 0 devices.umockdev -C ./metrics-path.ini sync
rm -f "$tmp/released"
prom_check metrics-held "$world/mine/host.prom"
# A file that cannot be written: one warning, and the sync succeeds.
sed "/^\\[defaults\\]/a metrics = $world/nosuchdir/bbvirt.prom" "$world/vm.ini" | conf metrics-unwritable.ini
t metrics-unwritable 0 devices.umockdev -C ./metrics-unwritable.ini sync kvm0
# A relative path is a config error.
printf '[defaults]\nmetrics = bbvirt.prom\n' | conf metrics-relative.ini
t metrics-relative 2 - -C ./metrics-relative.ini config
umask "$mask"
