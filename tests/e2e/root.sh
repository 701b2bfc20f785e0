#!/bin/bash
# The outer host's root for 'make e2e E2E_SUITE=SUITE': a Debian SUITE
# tree made with debootstrap from the mirror this machine's apt uses,
# holding what the outer VM runs (its kernel and modules, systemd, udev,
# libvirt's daemon and clients, QEMU, the runner's tools) and what builds
# bbvirt there with that release's own compiler and libraries.
#
# Usage: root.sh SUITE DIR
#
# DIR is reused when it is complete: made by this script for SUITE with
# the same package list (DIR/.bbvirt-e2e-root says so). Otherwise it is
# built beside, in DIR.new, and renamed to DIR only once complete, so an
# interrupted build never passes for a root. As root. Prints the seconds
# it took and whether it reused; exit 0 with DIR ready, 2 when it could
# not be made (run.sh reports that as the harness's failure).
set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

suite=${1:?usage: root.sh SUITE DIR}
dir=$(realpath -m "${2:?usage: root.sh SUITE DIR}")
t0=$EPOCHREALTIME

log() { printf 'e2e: root: %s\n' "$*"; }
die() { log "$*" >&2; exit 2; }

# What the outer host runs (the runner's tools included; node_exporter
# and curl for the metrics' scenario), then what
# builds bbvirt (the Makefile's DEPS; systemd-dev, where a release has it,
# holds udev.pc and systemd.pc, which place the installed files).
PACKAGES=(
	linux-image-amd64 kmod systemd udev dbus
	libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
	qemu-system-x86 bc jq socat libxml2-utils procps
	prometheus-node-exporter curl
	make gcc libc6-dev pkg-config libvirt-dev libudev-dev libsystemd-dev libinih-dev
	libxml2-dev libjson-c-dev
)
[ "$suite" = bookworm ] || PACKAGES+=(systemd-dev)
stamp="suite=$suite packages=${PACKAGES[*]}"

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"
if [ -r "$dir/.bbvirt-e2e-root" ] && [ "$(cat "$dir/.bbvirt-e2e-root")" = "$stamp" ]; then
	log "reusing $dir ($suite, $(printf '%.1f' "$(echo "$EPOCHREALTIME - $t0" | bc)") s)"
	exit 0
fi

# The deb URI apt is configured with for SUITE itself (not -updates or
# -security), from deb822 .sources files or one-line sources.list; as
# tests/fresh-root.sh reads it.
mirror_for() {
	local f suite=$1
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		awk -v suite="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && uris != "")
					{ split(uris, u, " "); print u[1]; found = 1; exit }
				types = suites = uris = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
			END { if (!found) flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -e "$f" ] || continue
		awk -v suite="$suite" '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == suite) { print $i; exit }
		}' "$f"
	done
}
# SUITE's own source if apt has one; else the archive that serves this
# machine's release, which serves the other releases too. The same for
# the security archive.
# shellcheck source=/dev/null
here_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
url=$(mirror_for "$suite" | head -n 1)
[ -n "$url" ] || url=$(mirror_for "$here_suite" | head -n 1)
[ -n "$url" ] || die "no deb source for $suite or $here_suite in apt's sources"
sec=$(mirror_for "$suite-security" | head -n 1)
[ -n "$sec" ] || sec=$(mirror_for "$here_suite-security" | head -n 1)

command -v debootstrap >/dev/null ||
	apt-get install -y --no-install-recommends debootstrap >/dev/null ||
	die "debootstrap is missing and could not be installed"
[ -e "/usr/share/debootstrap/scripts/$suite" ] ||
	die "this machine's debootstrap does not know $suite"

new=$dir.new
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || :
	done
}
trap cleanup EXIT
if [ -e "$new" ]; then
	# Never remove a tree that still has something mounted in it.
	if awk -v r="$new/" 'index($2 "/", r) == 1 { bad = 1 } END { exit !bad }' /proc/self/mounts; then
		die "$new has something mounted in it; not removing it"
	fi
	rm -rf "$new"
fi
log "building $dir from $url ($suite); log: $new.log"
mkdir -p "$(dirname "$new")"
debootstrap --variant=minbase "$suite" "$new" "$url" >"$new.log" 2>&1 ||
	die "debootstrap failed (last lines of $new.log:)$(printf '\n'; tail -n 5 "$new.log")"
t_boot=$(echo "$EPOCHREALTIME - $t0" | bc)

{
	echo "deb $url $suite main"
	echo "deb $url $suite-updates main"
	[ -z "$sec" ] || echo "deb $sec $suite-security main"
} >"$new/etc/apt/sources.list"
# Nothing starts in the chroot; no documentation.
printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
chmod 0755 "$new/usr/sbin/policy-rc.d"
cat >"$new/etc/dpkg/dpkg.cfg.d/bbvirt-e2e" <<'X'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/info/*
X
for m in proc sys dev dev/pts; do
	case $m in
	proc) mount -t proc proc "$new/proc" ;;
	sys) mount -t sysfs sysfs "$new/sys" ;;
	dev) mount --bind /dev "$new/dev" ;;
	dev/pts) mount -t devpts devpts "$new/dev/pts" ;;
	esac
	mounts+=("$new/$m")
done
{
	chroot "$new" apt-get update &&
		chroot "$new" apt-get install -y --no-install-recommends "${PACKAGES[@]}"
} >>"$new.log" 2>&1 ||
	die "installing the packages failed (last lines of $new.log:)$(printf '\n'; tail -n 5 "$new.log")"
chroot "$new" apt-get clean
cleanup
mounts=()
rm -f "$new/usr/sbin/policy-rc.d"
# The outer VM boots without an initrd of its own (initramfs.sh makes
# one): the release's, made by its kernel's postinst, is only weight.
rm -f "$new"/boot/initrd.img-*

ls "$new"/boot/vmlinuz-* >/dev/null 2>&1 || die "no kernel in $new/boot"
echo "$stamp" >"$new/.bbvirt-e2e-root"
if [ -e "$dir" ]; then
	awk -v r="$dir/" 'index($2 "/", r) == 1 { bad = 1 } END { exit !bad }' /proc/self/mounts &&
		die "$dir has something mounted in it; not replacing it"
	rm -rf "$dir"
fi
mv "$new" "$dir"
mv "$new.log" "$dir.log"
log "built $dir in $(printf '%.0f' "$(echo "$EPOCHREALTIME - $t0" | bc)") s (debootstrap $(printf '%.0f' "$t_boot") s), $(du -sm "$dir" | cut -f1) MiB"
