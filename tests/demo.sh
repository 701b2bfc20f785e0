#!/bin/bash
# make demo: bbvirt's main job on the bundled example host, with real
# libudev (umockdev devices) and real libvirt (the test driver's guests).
set -eu
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r tests/fixtures/world "$tmp/world"
sed -i "s|@WORLD@|$tmp/world|g" "$tmp/world/vm.conf" "$tmp/world/vm.ini"
chmod 0644 "$tmp/world"/*
export BBVIRT_LOCK=$tmp/lock
bb() {
	echo "\$ bbvirt $*"
	umockdev-run --device "$tmp/world/devices.umockdev" -- "$top/bbvirt" "$@" || echo "(exit status $?)"
	echo
}
echo "The example host: tests/fixtures/world (devices.umockdev, node.xml, vm.conf)."
echo
bb -C "$tmp/world/vm.conf" config
bb -C "$tmp/world/vm.conf" status
bb -C "$tmp/world/vm.conf" sync --dry-run
