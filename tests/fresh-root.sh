#!/bin/bash
# The README's first two commands on a machine that has never seen the
# project: a minimal Debian 12 root made with debootstrap from the mirror
# this machine's apt uses, the project cloned into it (HEAD, as committed),
# and each command run inside it with chroot, /proc, /sys and /dev mounted.
# With --package the package is then built there, as the README says, and
# tests/package.sh installs it beside a stand-in bit-babbler in that root.
#
# As root. Everything it mounts and writes is removed on every exit; set
# FRESH_KEEP=1 to keep the root for a look. Exit 0 when every command
# passed, 1 when one failed, 2 when the root could not be made.
set -eu
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
top=$(cd "$(dirname "$0")/.." && pwd)
package=
if [ "${1-}" = --package ]; then
	package=1
fi
suite=bookworm

log() { printf 'fresh-root: %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	log "must run as root (debootstrap, chroot, mount)" >&2
	exit 2
fi

# The first deb URI apt is configured with for $suite itself (not -updates
# or -security), from deb822 .sources files or one-line sources.list.
mirror() {
	local f
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
url=$(mirror | head -n 1)
if [ -z "$url" ]; then
	log "no deb source for $suite in apt's sources" >&2
	exit 2
fi

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap on this machine"
	apt-get install -y --no-install-recommends debootstrap >/dev/null
fi

work=$(mktemp -d /var/tmp/bbvirt-fresh.XXXXXX)
root=$work/root
mounts=()
cleanup() {
	local i m
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		m=${mounts[i]}
		umount "$m" 2>/dev/null || umount -l "$m" || true
	done
	# Never remove a tree that still has something mounted in it.
	if awk -v r="$root/" 'index($2 "/", r) == 1 { bad = 1 } END { exit !bad }' /proc/self/mounts; then
		log "left $root: something is still mounted there" >&2
		return
	fi
	if [ "${FRESH_KEEP-}" = 1 ]; then
		log "kept $root"
	else
		rm -rf --one-file-system "$work"
	fi
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

t0=$SECONDS
log "debootstrap --variant=minbase $suite from $url"
if ! debootstrap --variant=minbase "$suite" "$root" "$url" >"$work/debootstrap.log" 2>&1; then
	tail -n 20 "$work/debootstrap.log"
	log "debootstrap failed" >&2
	exit 2
fi
log "root made in $((SECONDS - t0)) s"
cp /etc/resolv.conf "$root/etc/resolv.conf"
git clone -q "$top" "$root/root/bbvirt"

for m in proc sys dev dev/pts; do
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sysfs "$root/sys" ;;
	*) mount --bind "/$m" "$root/$m" ;;
	esac
	mounts+=("$root/$m")
done

# The commands of the README's first code block, comments dropped.
mapfile -t cmds < <(awk '/^```/ { if (n++) exit; next } n { sub(/[ \t]+#.*$/, ""); if ($0 != "") print }' "$top/README.md")
if [ ${#cmds[@]} -ne 2 ]; then
	log "expected two commands at the top of README.md, found ${#cmds[@]}" >&2
	exit 1
fi

in_root() {
	chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
		/bin/bash -c "cd /root/bbvirt && $1"
}

failed=0
for c in "${cmds[@]}"; do
	t=$SECONDS
	log "running: $c"
	if in_root "$c" >"$work/step.log" 2>&1; then
		tail -n 3 "$work/step.log"
		log "passed in $((SECONDS - t)) s: $c"
	else
		tail -n 40 "$work/step.log"
		log "FAILED after $((SECONDS - t)) s: $c" >&2
		failed=1
		break
	fi
done

if [ $failed = 0 ] && [ -n "$package" ]; then
	t=$SECONDS
	log "building the package: dpkg-buildpackage -us -uc -b"
	if in_root "dpkg-buildpackage -us -uc -b" >"$work/step.log" 2>&1; then
		deb=$(ls "$root"/root/bbvirt_*.deb)
		log "built ${deb##*/} in $((SECONDS - t)) s"
		if ! "$top/tests/package.sh" "$root" "$deb"; then
			failed=1
		fi
	else
		tail -n 40 "$work/step.log"
		log "FAILED: dpkg-buildpackage" >&2
		failed=1
	fi
fi
log "$([ $failed = 0 ] && echo passed || echo FAILED) in $((SECONDS - t0)) s"
exit $failed
