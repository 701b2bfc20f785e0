#!/bin/bash
# The README's first two commands on a machine that has never seen the
# project: a minimal Debian root (--suite: bookworm, Debian 12, or trixie,
# Debian 13; this machine's own release by default) made with debootstrap
# from the mirror this machine's apt uses (tests/apt-mirror.sh), the
# project cloned into it (HEAD, as committed), and each command run inside
# it with chroot, /proc, /sys and /dev mounted. With --package the package
# is then built there, as the README says, lintian (installed for this)
# must report no error on it, and tests/package.sh installs it beside a
# stand-in bit-babbler in that root.
#
# Usage: tests/fresh-root.sh [--package] [--suite SUITE]
# As root. Everything it mounts and writes is removed on every exit; set
# FRESH_KEEP=1 to keep the root for a look, FRESH_DEBS=DIR to copy the
# built .deb there. FRESH_CACHE=DIR keeps the downloaded .deb files of
# debootstrap and of apt in the root in DIR/SUITE for the next run: the
# root is still made anew and every command still runs whole (apt checks
# each cached file against the root's own signed indices); only the
# downloads are saved. Exit 0 when every command passed, 1 when one failed,
# 2 when the root could not be made.
set -eu
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
top=$(cd "$(dirname "$0")/.." && pwd)
package=
# shellcheck source=/dev/null # the host's, not the tree's
suite=$(. /etc/os-release && echo "${VERSION_CODENAME-}")
while [ $# -gt 0 ]; do
	case $1 in
	--package) package=1 ;;
	--suite) [ $# -gt 1 ] || { echo "$0: --suite needs a SUITE" >&2; exit 2; }
		suite=$2; shift ;;
	*) echo "usage: $0 [--package] [--suite SUITE]" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$suite" ] || suite=bookworm

log() { printf 'fresh-root: %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	log "must run as root (debootstrap, chroot, mount)" >&2
	exit 2
fi

url=$("$top/tests/apt-mirror.sh" "$suite") || exit 2

if ! command -v debootstrap >/dev/null; then
	log "installing debootstrap on this machine"
	apt-get install -y --no-install-recommends debootstrap >/dev/null
fi

work=$(mktemp -d /var/tmp/bbvirt-fresh.XXXXXX)
root=$work/root
mounts=()
# shellcheck disable=SC2317 # run by the trap below, which shellcheck does not follow
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

# A debootstrap older than the suite builds it by sid's script, as Debian's
# own do for a suite they predate.
script=()
[ -e "/usr/share/debootstrap/scripts/$suite" ] || script=(/usr/share/debootstrap/scripts/sid)
t0=$SECONDS
cache_opt=()
if [ -n "${FRESH_CACHE-}" ]; then
	cache=$(realpath -m "$FRESH_CACHE/$suite")
	mkdir -p "$cache/debootstrap" "$cache/apt/partial"
	cache_opt=(--cache-dir="$cache/debootstrap")
fi
log "debootstrap --variant=minbase $suite from $url"
if ! debootstrap --variant=minbase "${cache_opt[@]}" "$suite" "$root" "$url" "${script[@]}" \
	>"$work/debootstrap.log" 2>&1; then
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
if [ ${#cache_opt[@]} -gt 0 ]; then
	mount --bind "$cache/apt" "$root/var/cache/apt/archives"
	mounts+=("$root/var/cache/apt/archives")
fi

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
		# The tests' own word on what they could not run here.
		grep '^SKIP ' "$work/step.log" || true
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
		grep '^SKIP ' "$work/step.log" || true
		log "built ${deb##*/} in $((SECONDS - t)) s"
		if [ -n "${FRESH_DEBS-}" ]; then
			mkdir -p "$FRESH_DEBS" && cp "$deb" "$FRESH_DEBS/" &&
				log "copied ${deb##*/} to $FRESH_DEBS"
		fi
	else
		tail -n 40 "$work/step.log"
		log "FAILED: dpkg-buildpackage" >&2
		failed=1
	fi
fi
# lintian of the same release: no error on what was built (.changes: the
# .deb and the .buildinfo). Its warnings and the rest are shown.
if [ $failed = 0 ] && [ -n "$package" ]; then
	t=$SECONDS
	log "lintian on ${deb##*/}"
	if ! in_root "apt-get install -y --no-install-recommends lintian" >"$work/step.log" 2>&1; then
		tail -n 20 "$work/step.log"
		log "FAILED: cannot install lintian" >&2
		failed=1
	elif in_root "lintian --fail-on error --tag-display-limit 0 ../bbvirt_*.changes" >"$work/step.log" 2>&1; then
		cat "$work/step.log"
		# shellcheck disable=SC2016 # the root's shell expands it, not this one
		log "lintian: no error, in $((SECONDS - t)) s ($(in_root 'dpkg-query -W -f="\${Version}" lintian'))"
	else
		cat "$work/step.log"
		log "FAILED: lintian reports errors" >&2
		failed=1
	fi
fi
if [ $failed = 0 ] && [ -n "$package" ]; then
	t=$SECONDS
	if "$top/tests/package.sh" "$root" "$deb"; then
		log "package tests passed in $((SECONDS - t)) s"
	else
		failed=1
	fi
fi
log "$suite: $([ $failed = 0 ] && echo passed || echo FAILED) in $((SECONDS - t0)) s"
exit $failed
