#!/bin/bash
# Build bbvirt inside an e2e root (tests/e2e/root.sh) with that release's
# own compiler, headers and libraries, and install it as a package built
# there would be placed: PREFIX=/usr, the udev and systemd directories
# from the root's pkg-config (/usr/lib/... on Debian 13, /lib/... on 12).
#
# Usage: build-in-root.sh ROOT SRC DEST
#
# SRC is the working tree as it is (what 'make e2e' tests here too), copied
# into ROOT/tmp and removed after, with ROOT's /proc and /dev mounted for
# the build's time. DEST receives the installed tree. Prints the compiler
# and the seconds it took; exit 1 when the build failed.
set -euo pipefail
export LC_ALL=C

root=$(realpath -e "${1:?usage: build-in-root.sh ROOT SRC DEST}")
src=$(realpath -e "${2:?usage: build-in-root.sh ROOT SRC DEST}")
dest=$(realpath -m "${3:?usage: build-in-root.sh ROOT SRC DEST}")
t0=$EPOCHREALTIME
in=/tmp/bbvirt-e2e-src
out=/tmp/bbvirt-e2e-dest

mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || :
	done
	rm -rf "${root:?}$in" "${root:?}$out"
}
trap cleanup EXIT
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
mount --bind /dev "$root/dev" && mounts+=("$root/dev")

rm -rf "${root:?}$in" "${root:?}$out"
mkdir -p "$root$in"
# The sources, without this machine's objects, binaries and e2e work.
tar -C "$src" --exclude=./.git --exclude=./build --exclude='./tests/e2e/work*' \
	--exclude=./bbvirt --exclude=./bbvirt-event -cf - . | tar -C "$root$in" -xf -
chroot "$root" /bin/sh -c "cd $in && make -s bbvirt bbvirt-event &&
	make -s install DESTDIR=$out PREFIX=/usr >/dev/null" || exit 1
rm -rf "$dest"
mkdir -p "$dest"
tar -C "$root$out" -cf - . | tar -C "$dest" -xf -
printf 'e2e: bbvirt built in %s with %s in %.1f s\n' "$root" \
	"$(chroot "$root" cc --version | head -n 1)" "$(echo "$EPOCHREALTIME - $t0" | bc)"
