#!/bin/bash
# The wiring: make install's layout and modes, the units as systemd reads
# them, the hook's behaviour (with a systemctl that records its calls),
# and the udev rule against the managed ids. Prints "contrib-summary P F".
set -u
export LC_ALL=C
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
no() { echo "FAIL contrib: $*"; failed=$((failed + 1)); }

# make install into a scratch root, with Debian's paths; the rule, the
# units and the tmpfiles snippet where this release's udev.pc and
# systemd.pc say (/lib on Debian 12, /usr/lib on 13), as make finds them.
udevdir=$(pkg-config --variable=udevdir udev)
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
tmpfilesdir=$(pkg-config --variable=tmpfilesdir systemd)
if [ -z "$udevdir" ] || [ -z "$unitdir" ] || [ -z "$tmpfilesdir" ]; then
	no "pkg-config names no udevdir, systemdsystemunitdir or tmpfilesdir"
fi
d=$tmp/root
if make -s install DESTDIR="$d" PREFIX=/usr SYSCONFDIR=/etc >"$tmp/install.log" 2>&1; then ok
else no "make install failed"; cat "$tmp/install.log"; fi
while read -r mode path; do
	if [ ! -f "$d$path" ]; then no "missing $path"; continue; fi
	m=$(stat -c %a "$d$path")
	if [ "$m" = "$mode" ]; then ok; else no "$path has mode $m, expected $mode"; fi
done <<LIST
755 /usr/bin/bbvirt
755 /usr/libexec/bbvirt-event
644 /usr/share/man/man1/bbvirt.1
644 /usr/share/man/man5/bbvirt.conf.5
644 $udevdir/rules.d/60-bbvirt.rules
644 $unitdir/bbvirt-sync.service
644 $unitdir/bbvirt-sync.path
644 $unitdir/bbvirt-sync.timer
644 $unitdir/bbvirt-shutdown.service
644 $unitdir/bbvirt-event.service
644 $unitdir/bbvirt-event.path
755 /etc/libvirt/hooks/qemu.d/bbvirt
644 $tmpfilesdir/bbvirt.conf
644 /usr/share/bash-completion/completions/bbvirt
644 /usr/share/doc/bbvirt/examples/vm.conf
644 /usr/share/doc/bbvirt/examples/bbvirt.rules.yml
755 /usr/share/doc/bbvirt/examples/qemu-hook
644 /etc/bit-babbler/vm.conf
LIST
if grep -q '^ExecStart=/usr/bin/bbvirt sync --syslog$' "$d$unitdir/bbvirt-sync.service"; then ok
else no "ExecStart does not point at the installed binary"; fi
if grep -qx 'ExecStart=/usr/libexec/bbvirt-event --syslog' "$d$unitdir/bbvirt-event.service"; then ok
else no "bbvirt-event.service does not run the installed bbvirt-event"; fi
# bbvirt-event loads neither libvirt nor libxml2: its start is the cost of
# every USB event of a device no rule names.
if ! ldd "$d/usr/libexec/bbvirt-event" | grep -qE 'libvirt|libxml2'; then ok
else no "bbvirt-event links libvirt or libxml2: $(ldd "$d/usr/libexec/bbvirt-event" | grep -E 'libvirt|libxml2')"; fi
u=$d$unitdir/bbvirt-shutdown.service
if grep -qx 'ExecStop=/usr/bin/bbvirt release --syslog --timeout 240' "$u" &&
	grep -qx 'ExecStart=-/usr/bin/bbvirt reclaim --syslog --timeout 120' "$u"; then ok
else no "the shutdown unit does not run the installed release and reclaim (whatever reclaim returns)"; fi
# An existing config is never overwritten.
echo "# mine" >"$d/etc/bit-babbler/vm.conf"
make -s install DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
if [ "$(cat "$d/etc/bit-babbler/vm.conf")" = "# mine" ]; then ok; else no "install overwrote vm.conf"; fi
# The hook is replaced while it is the copy the last install left (an
# older release's), and never once an admin has edited it.
hook=$d/etc/libvirt/hooks/qemu.d/bbvirt
echo "# older release" | tee -a "$hook" >>"$d/usr/share/bbvirt/qemu-hook"
make -s install DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
if cmp -s "$hook" contrib/qemu-hook; then ok; else no "install kept an unedited older hook"; fi
echo "# mine" >>"$hook"
out=$(make -s install DESTDIR="$d" PREFIX=/usr 2>&1)
if tail -n 1 "$hook" | grep -qx '# mine' && grep -q "left in place: $hook (edited)" <<<"$out"; then ok
else no "install overwrote an edited hook: $out"; fi
make -s uninstall DESTDIR="$d" PREFIX=/usr SYSCONFDIR=/etc >/dev/null 2>&1
if [ -e "$hook" ]; then ok; else no "uninstall removed an edited hook"; fi
rm -f "$hook"
make -s install DESTDIR="$d" PREFIX=/usr >/dev/null 2>&1
# The completion and the manuals name the config directory of the build.
if grep -q '/etc/bit-babbler/\*\.conf' "$d/usr/share/bash-completion/completions/bbvirt" &&
	! grep -q '@CONFDIR@' "$d/usr/share/bash-completion/completions/bbvirt"; then ok
else no "completion does not name /etc/bit-babbler"; fi
# The example config is valid.
chmod 0644 "$d/usr/share/doc/bbvirt/examples/vm.conf"
if ./bbvirt -C "$d/usr/share/doc/bbvirt/examples/vm.conf" config >/dev/null; then ok; else no "example config is invalid"; fi
make -s uninstall DESTDIR="$d" PREFIX=/usr SYSCONFDIR=/etc >/dev/null 2>&1
left=$(find "$d" -type f | sed "s|^$d||" | grep -v '^/etc/bit-babbler/vm.conf$')
if [ -z "$left" ]; then ok; else no "uninstall left: $left"; fi

# The units that run a sync may write its metrics to the collector's
# directory, and nothing else may write anywhere new.
for u in bbvirt-sync.service bbvirt-shutdown.service bbvirt-event.service; do
	got=$(grep '^ReadWritePaths=' "contrib/$u" | tr '\n' ' ')
	want='ReadWritePaths=/run/bbvirt ReadWritePaths=-/var/lib/prometheus/node-exporter '
	[ "$u" = bbvirt-event.service ] && want='ReadWritePaths=/run/bbvirt '
	if [ "$got" = "$want" ]; then ok; else no "$u: $got, expected $want"; fi
done

# systemd reads the units; the binary path must exist for verify.
mkdir -p "$tmp/units"
units=(bbvirt-sync.service bbvirt-sync.path bbvirt-sync.timer bbvirt-shutdown.service
	bbvirt-event.service bbvirt-event.path)
for u in "${units[@]}"; do
	sed -e "s|@BINDIR@|$top|" -e "s|@LIBEXECDIR@|$top|" "contrib/$u" >"$tmp/units/$u"
done
# Units this machine may lack (no libvirt installed): systemd says so.
absent_ok() { grep -v -E -e '(libvirtd|virtqemud|virtproxyd)\.s' -e 'libvirt-guests\.service'; }
if out=$(cd "$tmp/units" && systemd-analyze verify --man=no "${units[@]/#/./}" 2>&1) &&
	! absent_ok <<<"$out" | grep -q .; then ok
else no "systemd-analyze verify: $out"; fi
# A boot that starts them all with libvirt-guests, as multi-user.target
# does, has no ordering cycle: the shutdown unit is after libvirt-guests
# (after basic.target) and before the path unit (no longer before
# paths.target, which comes before basic.target). systemd would break a
# cycle by dropping a job, and say so.
printf '[Unit]\nDescription=boot\nWants=basic.target libvirt-guests.service %s\n' "${units[*]}" \
	>"$tmp/units/bbvirt-boot.target"
if out=$(cd "$tmp/units" && systemd-analyze verify --man=no ./bbvirt-boot.target "${units[@]/#/./}" 2>&1) &&
	! absent_ok <<<"$out" | grep -q .; then ok
else no "systemd-analyze verify of a boot: $out"; fi
# Stop order is the reverse of start order: the shutdown unit starts
# after libvirt-guests and the daemons (so it stops before them) and
# before the sync units (so it stops after them).
after=$(sed -n 's/^After=//p' contrib/bbvirt-shutdown.service | tr '\n' ' ')
before=$(sed -n 's/^Before=//p' contrib/bbvirt-shutdown.service | tr '\n' ' ')
want_after="libvirt-guests.service libvirtd.service virtqemud.service virtproxyd.service
libvirtd.socket virtqemud.socket virtproxyd.socket"
ordered=1
for x in $want_after; do [[ " $after " == *" $x "* ]] || ordered=0; done
for x in bbvirt-sync.service bbvirt-sync.path bbvirt-sync.timer; do [[ " $before " == *" $x "* ]] || ordered=0; done
if [ $ordered = 1 ]; then ok; else no "shutdown unit ordering: After=$after Before=$before"; fi
# The sync starts after whichever daemon the host runs, monolithic or modular.
after=$(sed -n 's/^After=//p' contrib/bbvirt-sync.service | tr '\n' ' ')
ordered=1
for x in libvirtd.service virtqemud.service virtproxyd.service; do [[ " $after " == *" $x "* ]] || ordered=0; done
if [ $ordered = 1 ]; then ok; else no "sync service ordering: After=$after"; fi

# The hook queues on started and reconnect, and only then, at once; on
# restore and migrate begin it runs the filter. A stand-in bbvirt records
# its arguments and stdin, and prints and exits as $tmp/filter says.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "$*" >>"%s/calls"\n' "$tmp" >"$tmp/bin/systemctl"
printf '#!/bin/sh\necho "touch $*" >>"%s/calls"\n' "$tmp" >"$tmp/bin/touch"
cat >"$tmp/bin/bbvirt" <<EOF
#!/bin/sh
echo "bbvirt \$*" >>"$tmp/calls"
cat >"$tmp/filter-stdin"
. "$tmp/filter"
EOF
chmod +x "$tmp/bin/systemctl" "$tmp/bin/touch" "$tmp/bin/bbvirt"
echo 'exit 0' >"$tmp/filter"
for hook in qemu-hook qemu-hook-legacy; do
	for op in prepare start started stopped release migrate restore reconnect attach; do
		: >"$tmp/calls"
		out=$(PATH=$tmp/bin:$PATH timeout 5 sh "contrib/$hook" vm1 "$op" begin - </dev/null)
		rc=$?
		case $op in
		started|reconnect) want="touch /run/bbvirt/sync-requested
--no-block start bbvirt-sync.service" ;;
		restore|migrate) want="bbvirt --syslog --timeout 10 restore-filter -- vm1" ;;
		*) want="" ;;
		esac
		if [ $rc -eq 0 ] && [ -z "$out" ] && [ "$(cat "$tmp/calls")" = "$want" ]; then ok
		else no "$hook on '$op': exit $rc, calls '$(cat "$tmp/calls")', printed '$out'"; fi
	done
	# Only the begin of a restore or migration is filtered.
	: >"$tmp/calls"
	if out=$(PATH=$tmp/bin:$PATH timeout 5 sh "contrib/$hook" vm1 restore end - </dev/null) &&
		[ -z "$out" ] && [ ! -s "$tmp/calls" ]; then ok
	else no "$hook on 'restore end' ran '$(cat "$tmp/calls")'"; fi
	# The XML reaches the filter; what it prints on success is the hook's
	# output; on failure, whatever it printed, the hook prints nothing and
	# exits 0, so libvirt keeps the XML as it was.
	printf '<domain>\n  <name>vm1</name>\n</domain>\n' >"$tmp/in.xml"
	for mode in rewrite silent fail-after-output fail; do
		case $mode in
		rewrite) printf '%s\n' "printf '<domain><name>new</name></domain>\\n'; exit 0" ;;
		silent) echo 'exit 0' ;;
		fail-after-output) echo "printf '<domain><na'; exit 1" ;;
		fail) echo 'exit 2' ;;
		esac >"$tmp/filter"
		rm -f "$tmp/filter-stdin"
		PATH=$tmp/bin:$PATH timeout 5 sh "contrib/$hook" vm1 migrate begin - <"$tmp/in.xml" >"$tmp/hook.out"
		rc=$?
		want=
		[ $mode = rewrite ] && want='<domain><name>new</name></domain>'
		if [ $rc -eq 0 ] && [ "$(cat "$tmp/hook.out")" = "$want" ] &&
			cmp -s "$tmp/in.xml" "$tmp/filter-stdin"; then ok
		else no "$hook with a filter that does '$mode': exit $rc, printed '$(cat "$tmp/hook.out")'"; fi
	done
	echo 'exit 0' >"$tmp/filter"
done
# They never call libvirt: bbvirt only as the filter, which never does.
# shellcheck disable=SC2016 # "$1" is the hook's text, unexpanded
if ! cat contrib/qemu-hook contrib/qemu-hook-legacy | grep -v '^[[:space:]]*#' |
	grep -v 'bbvirt --syslog --timeout 10 restore-filter -- "$1"' |
	grep -qE 'virsh|bbvirt '; then ok
else no "a hook calls libvirt"; fi

# The udev rule queues every USB device event, whatever the type (issue
# 16): its only conditions are the subsystem, the device type and the four
# actions, so a new type needs the config and nothing else. (The e2e
# manages 0627:0001 with this rule unedited.)
conds=$(grep -v -e '^#' -e '^$' -e '^RUN+=' -e '^LABEL=' contrib/60-bbvirt.rules)
want='SUBSYSTEM!="usb", GOTO="bbvirt_end"
ENV{DEVTYPE}!="usb_device", GOTO="bbvirt_end"
ACTION!="add|bind|change|remove", GOTO="bbvirt_end"'
if [ "$conds" = "$want" ]; then ok
else no "udev rule has other conditions than usb_device and its actions: $conds"; fi
runs=$(sed -n 's/^RUN+="\(.*\)"$/\1/p' contrib/60-bbvirt.rules)
# shellcheck disable=SC2016 # $env{ACTION} is the rule's text, unexpanded
want='/usr/bin/mkdir -p /run/bbvirt/events
/usr/bin/touch /run/bbvirt/events/$env{ACTION}@%k'
if [ "$runs" = "$want" ]; then ok
else no "udev rule does not just queue the event: $runs"; fi
# Its commands, as udev would run them for an add of 3-2.1, in a scratch
# /run without /run/bbvirt (coldplug may come before tmpfiles): the queue
# is made, and the entry is the name bbvirt-event takes.
queue=$tmp/run/bbvirt/events
rule_cmds() {   # ACTION KERNEL: the rule's commands, one a line, for that event
	local c
	while read -r c; do
		c=${c//\/run\/bbvirt/$tmp/run/bbvirt}
		c=${c//\$env\{ACTION\}/$1}
		echo "${c//%k/$2}"
	done <<<"$runs"
}
mkdir -p "$tmp/run"
if (set -e; while read -r c; do $c; done < <(rule_cmds add 3-2.1)) &&
	[ "$(ls -A "$queue")" = add@3-2.1 ] && [ ! -s "$queue/add@3-2.1" ] &&
	./bbvirt-event -C /dev/null -r "$tmp/run/bbvirt/sync-requested" "$queue" 2>/dev/null &&
	[ -z "$(ls -A "$queue")" ]; then ok
else no "the rule's commands do not queue an event bbvirt-event takes: $(rule_cmds add 3-2.1)"; fi
# bbvirt-event may take an entry while the rule's command makes it: the
# command never fails for that (udev would log a failure).
(for ((i = 0; i < 400; i++)); do ./bbvirt-event -C /dev/null -r "$tmp/req" "$queue" 2>/dev/null; done) &
taker=$!
fails=0
for ((i = 0; i < 400; i++)); do
	while read -r c; do $c 2>/dev/null || fails=$((fails + 1)); done < <(rule_cmds add "3-$((i % 9 + 1))")
done
wait "$taker"
if [ "$fails" = 0 ]; then ok; else no "the rule's commands failed $fails times beside bbvirt-event"; fi
# It never runs libvirt or bbvirt.
if ! grep -E '^RUN' contrib/60-bbvirt.rules | grep -qE 'virsh|bbvirt '; then ok
else no "udev rule runs libvirt"; fi
# udev takes no comment after a rule on the same line.
if ! grep -qE '^[^#].*[[:space:]]#' contrib/60-bbvirt.rules; then ok
else no "udev rule has a comment after a rule"; fi
# Nor systemctl: bbvirt-event.path starts the service for the queue.
if ! grep -E '^RUN' contrib/60-bbvirt.rules | grep -q systemctl; then ok
else no "udev rule calls systemctl"; fi

echo "contrib-summary $passed $failed"
[ "$failed" -eq 0 ]
