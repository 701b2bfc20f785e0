#!/bin/bash
# The .deb beside bit-babbler, installed for real in a throwaway Debian root.
# A stand-in bit-babbler package is built here: it owns /usr/bin/bbvirt and
# its manual (which ours diverts aside), /usr/bin/seedd, its udev rule and
# a vm.conf. Both install orders are run, in two dpkg runs and in one, then
# removal and purge; after each step the files at both names are compared
# with the two packages' own copies, and dpkg's view with what it should be.
#
# Usage, as root:
#   tests/package.sh ROOT DEB          in an existing root (a chroot
#                                      directory) that already holds DEB's
#                                      dependencies; leaves it as it found it
#   tests/package.sh --new-root [--suite SUITE] DEB
#                                      debootstraps its own root (minbase of
#                                      SUITE, default bookworm, from the
#                                      mirror tests/apt-mirror.sh names),
#                                      removes it afterwards
# The udev rules directory is the one DEB ships its rule in (where the
# build's udev.pc said): the stand-in's rule goes there too.
# Prints PASS/FAIL lines and ends with "N passed, N failed".
set -u
export LC_ALL=C
export DEBIAN_FRONTEND=noninteractive
PATH=/usr/sbin:/usr/bin:/sbin:/bin

usage() {
	echo "usage: $0 ROOT DEB | $0 --new-root [--suite SUITE] DEB" >&2
	exit 2
}
suite=bookworm
if [ "${1-}" = --new-root ] && [ "${2-}" = --suite ] && [ $# -eq 4 ]; then
	suite=$3
	set -- "$1" "$4"
fi
[ $# -eq 2 ] || usage
[ "$(id -u)" -eq 0 ] || { echo "$0: must run as root (chroot, mount, dpkg)" >&2; exit 2; }
deb=$(realpath -e "$2") || usage
case $deb in *.deb) ;; *) usage ;; esac

new_root=0 root='' work='' scratch='' mounted=()
if [ "$1" = --new-root ]; then
	new_root=1
else
	root=$(realpath -e "$1") || usage
	[ -x "$root/usr/bin/dpkg" ] || { echo "$0: $root has no dpkg" >&2; exit 2; }
	[ "$root" != / ] || { echo "$0: refusing to use / as the root" >&2; exit 2; }
fi

# Everything this script made goes, whatever the way out: the packages and
# the scratch directory it put in an existing root, every mount it made,
# and a root it made itself.
cleanup() {
	local m left
	trap - EXIT INT TERM HUP
	if [ -n "$root" ] && [ $new_root -eq 0 ] && [ -n "$scratch" ]; then
		for p in bbvirt bit-babbler bbvirt-test-filler; do
			if [ "$(pkg_status $p)" != not-installed ]; then
				in_root dpkg --purge $p >/dev/null 2>&1 ||
					echo "cleanup: could not purge $p from $root" >&2
			fi
		done
		rm -rf "${root:?}/$scratch"
	fi
	for m in "${mounted[@]}"; do
		umount "$m" || umount -l "$m" || echo "cleanup: could not unmount $m" >&2
	done
	if [ $new_root -eq 1 ] && [ -n "$root" ] && [ -d "$root" ]; then
		# Whatever is mounted in a root this script made is its own (or
		# an interrupted debootstrap's), deepest first.
		for m in $(mounts_under "$root" | sort -r); do
			umount "$m" || umount -l "$m"
		done
		left=$(mounts_under "$root")
		if [ -n "$left" ]; then
			echo "cleanup: still mounted, $root left in place: $left" >&2
		else
			rm -rf --one-file-system "$root"
		fi
	fi
	[ -z "$work" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mounts_under() {
	awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts
}

# mount_in DIR ARGS...: mounts ARGS on ROOT/DIR unless something already is.
mount_in() {
	local dir=$root/$1
	shift
	mountpoint -q "$dir" && return 0
	mount "$@" "$dir" || return 1
	mounted=("$dir" "${mounted[@]}")
}

in_root() {
	chroot "$root" "$@" </dev/null
}

pkg_status() {
	local s
	# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
	s=$(in_root dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)
	echo "${s:-not-installed}"
}

work=$(mktemp -d)
if [ $new_root -eq 1 ]; then
	mirror=$("$(dirname "$0")/apt-mirror.sh" "$suite") || exit 2
	root=$(mktemp -d "${TMPDIR:-/var/tmp}/bbvirt-package.XXXXXX")
	echo "making a $suite root in $root from $mirror"
	script=
	[ -e "/usr/share/debootstrap/scripts/$suite" ] || script=/usr/share/debootstrap/scripts/sid
	if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" $script \
		>"$work/debootstrap.log" 2>&1; then
		tail -20 "$work/debootstrap.log"
		echo "$0: debootstrap failed" >&2
		exit 2
	fi
fi
if ! { mount_in proc -t proc proc && mount_in sys -t sysfs sysfs &&
	mount_in dev --bind /dev; }; then
	echo "$0: cannot mount /proc, /sys, /dev in $root" >&2
	exit 2
fi
if [ $new_root -eq 1 ]; then
	depends=$(dpkg-deb -f "$deb" Depends)
	echo "installing bbvirt's dependencies: $depends"
	if ! { in_root apt-get update &&
		in_root apt-get satisfy -y --no-install-recommends "$depends"; } \
		>"$work/apt.log" 2>&1; then
		tail -20 "$work/apt.log"
		echo "$0: could not install the dependencies" >&2
		exit 2
	fi
fi
for p in bbvirt bit-babbler bbvirt-test-filler; do
	if [ "$(pkg_status $p)" != not-installed ]; then
		echo "$0: $p is already in $root ($(pkg_status $p)); use a root without it" >&2
		exit 2
	fi
done
scratch=$(in_root mktemp -d /tmp/bbvirt-package.XXXXXX) || exit 2
scratch=${scratch#/}

# Where the build's udev.pc put our rule: /lib/udev/rules.d on Debian 12,
# /usr/lib/udev/rules.d on 13. The stand-in's goes beside it, as the
# bit-babbler of that release puts its own.
rules_dir=$(dpkg-deb -c "$deb" | awk '{ print $NF }' |
	sed -n 's|^\.\(/.*/rules\.d\)/60-bbvirt\.rules$|\1|p')
[ -n "$rules_dir" ] || { echo "$0: $deb ships no 60-bbvirt.rules" >&2; exit 2; }
echo "udev rules in $rules_dir"

# The stand-in: bit-babbler's paths that matter here, with recognisable
# contents.
t=$work/theirs
mkdir -p "$t/DEBIAN" "$t/usr/bin" "$t/usr/share/man/man1" "$t$rules_dir" \
	"$t/etc/bit-babbler"
cat >"$t/DEBIAN/control" <<'EOF'
Package: bit-babbler
Version: 0.9~standin
Architecture: all
Maintainer: bbvirt tests <bbvirt@example.org>
Section: misc
Priority: optional
Description: stand-in for bit-babbler in bbvirt's package test
 Owns the paths of bit-babbler's package that bbvirt's package meets.
EOF
echo /etc/bit-babbler/vm.conf >"$t/DEBIAN/conffiles"
printf '#!/bin/sh\necho "bbvirt of the bit-babbler stand-in"\n' >"$t/usr/bin/bbvirt"
printf '#!/bin/sh\necho "seedd of the bit-babbler stand-in"\n' >"$t/usr/bin/seedd"
chmod 0755 "$t/usr/bin/bbvirt" "$t/usr/bin/seedd"
printf '.TH BBVIRT 1\n.SH NAME\nbbvirt \\- the bit-babbler stand-in\n' |
	gzip -9n >"$t/usr/share/man/man1/bbvirt.1.gz"
cat >"$t$rules_dir/60-bit-babbler.rules" <<'EOF'
# The invocation of bit-babbler's rule; it matches no device in this root.
ACTION=="add|change", SUBSYSTEM=="usb", ATTR{idVendor}=="0403", ATTR{idProduct}=="7840", RUN+="/usr/bin/bbvirt --syslog attach $attr{serial} --busnum $attr{busnum} --devnum $attr{devnum}"
EOF
printf '# DOMAIN_RNG_kvm0=( GK9VZF )\n' >"$t/etc/bit-babbler/vm.conf"
chmod -R go-w "$t"
dpkg-deb --root-owner-group -Zgzip --build "$t" "$work/bit-babbler.deb" >/dev/null ||
	{ echo "$0: cannot build the stand-in" >&2; exit 2; }
# Any other package, to unpack after ours in the same dpkg run.
f=$work/filler
mkdir -p "$f/DEBIAN" "$f/usr/share/doc/bbvirt-test-filler"
cat >"$f/DEBIAN/control" <<'EOF'
Package: bbvirt-test-filler
Version: 1
Architecture: all
Maintainer: bbvirt tests <bbvirt@example.org>
Section: misc
Priority: optional
Description: a package for bbvirt's package test to install beside bbvirt
 It holds one file of its own.
EOF
echo "filler" >"$f/usr/share/doc/bbvirt-test-filler/README"
chmod -R go-w "$f"
dpkg-deb --root-owner-group -Zgzip --build "$f" "$work/filler.deb" >/dev/null ||
	{ echo "$0: cannot build the filler package" >&2; exit 2; }
cp "$deb" "$root/$scratch/bbvirt.deb"
cp "$work/bit-babbler.deb" "$work/filler.deb" "$root/$scratch/"
mkdir "$work/ours"
dpkg-deb -x "$deb" "$work/ours"

passed=0 failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
check() {   # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

BIN=/usr/bin/bbvirt BIN_AWAY=/usr/bin/bbvirt.bit-babbler
MAN=/usr/share/man/man1/bbvirt.1.gz MAN_AWAY=/usr/share/man/man1/bbvirt.bit-babbler.1.gz
HOOK=/etc/libvirt/hooks/qemu.d/bbvirt
OUR_RULE=$rules_dir/60-bbvirt.rules THEIR_RULE=$rules_dir/60-bit-babbler.rules

# dpkg_do DESCRIPTION DPKG-ARGS...: a step; a failed step is shown.
dpkg_do() {
	local what=$1
	shift
	if timeout 300 chroot "$root" dpkg "$@" </dev/null >"$work/dpkg.log" 2>&1; then
		pass "$what"
	else
		fail "$what"
		sed 's/^/    /' "$work/dpkg.log" | tail -20
	fi
}
install_ours() { dpkg_do "$1" -i "/$scratch/bbvirt.deb"; }
install_theirs() { dpkg_do "$1" -i "/$scratch/bit-babbler.deb"; }

# File checks: the path in the root holds ours, or theirs (theirs_at
# THEIR-PATH WHERE).
ours_at() { cmp -s "$root$1" "$work/ours$1"; }
theirs_at() { cmp -s "$root$2" "$t$1"; }
absent() { [ ! -e "$root$1" ] && [ ! -L "$root$1" ]; }
diverted() {   # diverted PATH TO: by our package, to TO
	[ "$(in_root dpkg-divert --listpackage "$1")" = bbvirt ] &&
		[ "$(in_root dpkg-divert --truename "$1")" = "$2" ]
}
not_diverted() { [ -z "$(in_root dpkg-divert --listpackage "$1")" ]; }
# dpkg --verify PKG finds nothing, but the hook this test edits.
verifies() {
	local out
	out=$(in_root dpkg --verify "$1" 2>&1 | grep -v "^..5...... c $HOOK\$")
	[ -z "$out" ] || { printf '    %s\n' "$out"; return 1; }
}
runs_as() {   # runs_as OUTPUT-PATTERN COMMAND...
	local pat=$1
	shift
	in_root "$@" 2>&1 | grep -q -- "$pat"
}

ours_in_place() { ours_at "$BIN" && ours_at "$MAN"; }
theirs_in_place() { theirs_at "$BIN" "$BIN" && theirs_at "$MAN" "$MAN"; }
theirs_aside() { theirs_at "$BIN" "$BIN_AWAY" && theirs_at "$MAN" "$MAN_AWAY"; }
nothing_aside() { absent "$BIN_AWAY" && absent "$MAN_AWAY"; }
both_diverted() { diverted "$BIN" "$BIN_AWAY" && diverted "$MAN" "$MAN_AWAY"; }
none_diverted() { not_diverted "$BIN" && not_diverted "$MAN"; }
theirs_others() {
	theirs_at /usr/bin/seedd /usr/bin/seedd &&
		theirs_at "$THEIR_RULE" "$THEIR_RULE"
}
both_verify() { verifies bbvirt && verifies bit-babbler; }
# dpkg still has bit-babbler installed, owning its two paths (a package
# whose every file another one takes is dropped: "disappears").
theirs_owned() {
	[ "$(pkg_status bit-babbler)" = installed ] &&
		in_root dpkg-query -L bit-babbler >"$work/list" &&
		grep -qx "$BIN" "$work/list" && grep -qx "$MAN" "$work/list"
}
nothing_left() { absent "$BIN" && absent "$MAN" && nothing_aside && none_diverted; }
only_our_rule_gone() { absent "$OUR_RULE" && theirs_at "$THEIR_RULE" "$THEIR_RULE"; }

both_installed() {   # what holds while both are installed, in either order
	local when=$1
	check "$when: /usr/bin/bbvirt and bbvirt(1) are ours" ours_in_place
	check "$when: bit-babbler's are kept as $BIN_AWAY and $MAN_AWAY" theirs_aside
	check "$when: both diversions are bbvirt's" both_diverted
	check "$when: dpkg has bit-babbler installed, owning both paths" theirs_owned
	check "$when: bbvirt runs ours" runs_as "^bbvirt [0-9]" bbvirt --version
	check "$when: bbvirt.bit-babbler runs theirs" runs_as "bit-babbler stand-in" bbvirt.bit-babbler
	check "$when: seedd and 60-bit-babbler.rules are theirs" theirs_others
	check "$when: 60-bbvirt.rules is ours" ours_at "$OUR_RULE"
	check "$when: dpkg --verify finds both packages' files intact" both_verify
}

theirs_alone() {   # bit-babbler as if ours had never been there
	local when=$1
	check "$when: /usr/bin/bbvirt and bbvirt(1) are bit-babbler's again" theirs_in_place
	check "$when: nothing is left at the diverted names" nothing_aside
	check "$when: no diversion is left" none_diverted
	check "$when: dpkg has bit-babbler installed, owning both paths" theirs_owned
	check "$when: dpkg --verify finds bit-babbler intact" verifies bit-babbler
	check "$when: our udev rule is gone, theirs stays" only_our_rule_gone
}

# What the package is, before it is installed anywhere.
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$work" ./conffiles ./postinst 2>/dev/null
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\.||' >"$work/contents"
tmpfiles_once() { [ "$(grep -c 'systemd-tmpfiles.*--create' "$work/postinst")" = 1 ]; }
no_file_of_theirs() {
	! grep -qx -e /usr/bin/seedd -e "$THEIR_RULE" -e /etc/bit-babbler/vm.conf "$work/contents"
}
no_relation() { ! dpkg-deb -f "$deb" Conflicts Breaks Replaces | grep -q bit-babbler; }
check "the hook $HOOK is a conffile" grep -qx "$HOOK" "$work/conffiles"
check "postinst runs systemd-tmpfiles --create once" tmpfiles_once
check "the package ships none of bit-babbler's files but the two it diverts" no_file_of_theirs
check "the package neither conflicts with, breaks nor replaces bit-babbler" no_relation

echo "--- bit-babbler, then bbvirt"
install_theirs "theirs then ours: bit-babbler installs"
check "theirs then ours: /usr/bin/bbvirt is bit-babbler's" theirs_in_place
install_ours "theirs then ours: bbvirt installs beside it"
both_installed "theirs then ours"
check "theirs then ours: /run/bbvirt is made" test -d "$root/run/bbvirt"
# Enabled as systemctl enable would (deb-systemd-helper, no systemd needed).
enabled() { [ -L "$root/etc/systemd/system/$1.wants/$2" ]; }
check "theirs then ours: bbvirt-sync.path is enabled" enabled multi-user.target bbvirt-sync.path
check "theirs then ours: bbvirt-event.path is enabled" enabled multi-user.target bbvirt-event.path
check "theirs then ours: bbvirt-sync.timer is enabled" enabled timers.target bbvirt-sync.timer
check "theirs then ours: /run/bbvirt/events is made" test -d "$root/run/bbvirt/events"
check "theirs then ours: bbvirt-event is installed" test -x "$root/usr/libexec/bbvirt-event"
check "theirs then ours: bbvirt-shutdown.service is enabled" enabled multi-user.target bbvirt-shutdown.service
if [ -f "$root$HOOK" ]; then
	echo "# edited by the admin" >>"$root$HOOK"
	cp "$root$HOOK" "$work/hook.edited"
fi
install_ours "theirs then ours: bbvirt reinstalls"
hook_edited() { cmp -s "$root$HOOK" "$work/hook.edited"; }
check "theirs then ours: the reinstall kept the edited hook" hook_edited
both_installed "after the reinstall"
dpkg_do "remove ours: dpkg --remove bbvirt" --remove bbvirt
theirs_alone "after removing ours"
check "after removing ours: the edited hook stays until purge" hook_edited
dpkg_do "purge ours: dpkg --purge bbvirt" --purge bbvirt
theirs_alone "after purging ours"
check "after purging ours: the hook is gone" absent $HOOK
dpkg_do "bit-babbler purges" --purge bit-babbler

echo "--- bbvirt, then bit-babbler"
install_ours "ours then theirs: bbvirt installs alone"
check "ours then theirs: /usr/bin/bbvirt and bbvirt(1) are ours" ours_in_place
check "ours then theirs: the diversions are in place before bit-babbler" both_diverted
check "ours then theirs: nothing at the diverted names yet" nothing_aside
install_theirs "ours then theirs: bit-babbler installs beside it"
both_installed "ours then theirs"
install_theirs "ours then theirs: bit-babbler reinstalls"
both_installed "after bit-babbler's reinstall"
dpkg_do "purge ours at once: dpkg --purge bbvirt" --purge bbvirt
theirs_alone "after purging ours"

# As apt install ./bit-babbler.deb ./bbvirt.deb does: one dpkg run.
echo "--- both in one dpkg run"
dpkg_do "one run, theirs first: both install" -i "/$scratch/bit-babbler.deb" "/$scratch/bbvirt.deb"
both_installed "one run, theirs first"
dpkg_do "purge ours" --purge bbvirt
theirs_alone "after purging ours"
dpkg_do "bit-babbler purges" --purge bit-babbler
dpkg_do "one run, ours first: both install" -i "/$scratch/bbvirt.deb" "/$scratch/bit-babbler.deb"
both_installed "one run, ours first"
dpkg_do "one run: both purge" --purge bbvirt bit-babbler
check "after purging both: nothing at either name, no diversion" nothing_left
# A run that goes on after ours, as apt's do when they pull dependencies:
# dpkg then checks whether ours replaced every file of bit-babbler's.
install_theirs "bit-babbler installs"
dpkg_do "one run: bbvirt, then another package" -i "/$scratch/bbvirt.deb" "/$scratch/filler.deb"
both_installed "after bbvirt and another package"
dpkg_do "one run: all three purge" --purge bbvirt bbvirt-test-filler bit-babbler
check "after purging all three: nothing at either name, no diversion" nothing_left

echo "--- bit-babbler goes first"
install_ours "bbvirt installs again beside bit-babbler"
dpkg_do "bit-babbler purges while bbvirt stays" --purge bit-babbler
check "after purging theirs: /usr/bin/bbvirt and bbvirt(1) are ours" ours_in_place
check "after purging theirs: nothing at the diverted names" nothing_aside
check "after purging theirs: bbvirt runs" runs_as "^bbvirt [0-9]" bbvirt --version
dpkg_do "bbvirt purges" --purge bbvirt
check "at the end: nothing at either name, no diversion" nothing_left

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
