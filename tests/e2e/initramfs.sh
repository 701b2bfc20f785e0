#!/bin/bash
# Build the outer VM's initramfs: busybox and the few modules needed to
# mount this machine's /usr and /etc over virtio-9p (read-only, each under
# a tmpfs overlay so the VM can install bbvirt and edit its config) and the
# read-write share, then switch_root into /share/stage2.
#
# The root itself is a tmpfs: sharing this machine's / would bring its
# /proc and /sys along, and libvirt fails inside on the mixed-up sysfs.
#
# Usage: initramfs.sh KERNEL-VERSION OUT.cpio.gz
set -euo pipefail

kver=${1:?usage: initramfs.sh KERNEL-VERSION OUT.cpio.gz}
out=$(realpath -m "${2:?usage: initramfs.sh KERNEL-VERSION OUT.cpio.gz}")
moddir=/lib/modules/$kver/kernel

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,mod,proc,sys,dev,root}
cp /bin/busybox "$tmp/bin/busybox"

# In dependency order: insmod does not resolve dependencies.
mods=(
	virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev
	virtio/virtio_pci_legacy_dev virtio/virtio_pci
	../fs/netfs/netfs ../fs/fscache/fscache
	../net/9p/9pnet ../net/9p/9pnet_virtio ../fs/9p/9p
	../fs/overlayfs/overlay
	usb/common/usb-common usb/core/usbcore usb/host/xhci-hcd usb/host/xhci-pci
)
names=()
for m in "${mods[@]}"; do
	cp "$moddir/drivers/$m.ko" "$tmp/mod/"
	names+=("${m##*/}")
done

cat >"$tmp/init" <<EOT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${names[*]}; do
	insmod /mod/\$m.ko || echo "E2E-FAIL insmod \$m"
done
r=/root
mount -t tmpfs -o size=1g,mode=0755 tmpfs \$r
mkdir -p \$r/.lower/usr \$r/.lower/etc \$r/.upper/usr \$r/.upper/etc \
	\$r/.work/usr \$r/.work/etc \$r/usr \$r/etc \$r/share
o=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o \$o,ro,cache=loose hostusr \$r/.lower/usr || echo "E2E-FAIL 9p usr"
mount -t 9p -o \$o,ro hostetc \$r/.lower/etc || echo "E2E-FAIL 9p etc"
mount -t 9p -o \$o share \$r/share || echo "E2E-FAIL 9p share"
for d in usr etc; do
	mount -t overlay overlay \
		-o lowerdir=\$r/.lower/\$d,upperdir=\$r/.upper/\$d,workdir=\$r/.work/\$d \
		\$r/\$d || echo "E2E-FAIL overlay \$d"
done
mkdir -p \$r/proc \$r/sys \$r/dev \$r/run \$r/tmp \$r/root \$r/var/lib \
	\$r/var/log \$r/var/cache \$r/var/tmp
chmod 1777 \$r/tmp \$r/var/tmp
for d in bin sbin lib lib64; do ln -s usr/\$d \$r/\$d; done
ln -s ../run \$r/var/run
ln -s ../run/lock \$r/var/lock
mount --move /proc \$r/proc
mount --move /sys \$r/sys
mount --move /dev \$r/dev
exec switch_root \$r /share/stage2
EOT
chmod 0755 "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
