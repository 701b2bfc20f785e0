#!/bin/bash
# Build the outer VM's initramfs: busybox and the few modules needed to
# mount the root's /usr and /etc over virtio-9p (read-only, each under a
# tmpfs overlay so the VM can install bbvirt and edit its config) and the
# read-write share, then switch_root into /share/stage2.
#
# The root itself is a tmpfs: sharing this machine's / would bring its
# /proc and /sys along, and libvirt fails inside on the mixed-up sysfs.
#
# Usage: initramfs.sh KERNEL-VERSION OUT.cpio.gz [ROOT]
# ROOT (default: this machine's) holds the kernel's modules. busybox is
# always this machine's: it is static.
set -euo pipefail

usage='usage: initramfs.sh KERNEL-VERSION OUT.cpio.gz [ROOT]'
kver=${1:?$usage}
out=$(realpath -m "${2:?$usage}")
root=${3:-}
moddir=$root/usr/lib/modules/$kver

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,mod,proc,sys,dev,root}
cp /bin/busybox "$tmp/bin/busybox"

# What the init below needs, and what they need, in load order: insmod
# resolves nothing, so each module comes after its dependencies (from
# modules.dep; the order differs between kernels: 6.1 has fscache apart,
# 6.12 has it in netfs). A module built into the kernel is not there and
# needs no loading. Compressed modules are decompressed here: busybox's
# insmod takes them plain.
declare -A dep=() path=() seen=()
while IFS=: read -r m ds; do
	n=${m##*/}
	n=${n%%.ko*}
	n=${n//-/_}
	path[$n]=$m
	dep[$n]=$ds
done <"$moddir/modules.dep"
order=()
need() {
	local n=${1//-/_} d
	[ -z "${seen[$n]:-}" ] || return 0
	seen[$n]=1
	[ -n "${path[$n]:-}" ] || return 0
	for d in ${dep[$n]}; do
		d=${d##*/}
		need "${d%%.ko*}"
	done
	order+=("$n")
}
for m in virtio_pci 9pnet_virtio 9p overlay xhci_pci; do
	need "$m"
	[ -n "${path[$m]:-}" ] || grep -q "/$m.ko" "$moddir/modules.builtin" ||
		{ echo "initramfs.sh: no module $m for $kver" >&2; exit 1; }
done
for n in "${order[@]}"; do
	case ${path[$n]} in
	*.ko) cp "$moddir/${path[$n]}" "$tmp/mod/$n.ko" ;;
	*.ko.xz) xz -dc "$moddir/${path[$n]}" >"$tmp/mod/$n.ko" ;;
	*.ko.zst) zstd -qdc "$moddir/${path[$n]}" >"$tmp/mod/$n.ko" ;;
	*.ko.gz) gzip -dc "$moddir/${path[$n]}" >"$tmp/mod/$n.ko" ;;
	*) echo "initramfs.sh: cannot load ${path[$n]}" >&2; exit 1 ;;
	esac
done

cat >"$tmp/init" <<EOT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${order[*]}; do
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
