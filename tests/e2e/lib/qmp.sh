# shellcheck shell=bash
# The outer QEMU's USB devices: QMP device_add and device_del, asked of
# run.sh through /share/req, and the kernel's view of them in sysfs.

reqn=0
# qmp JSON: one QMP command, executed by run.sh on the outer QEMU.
qmp() {
	local n=$((++reqn)) out dl
	printf '%s\n' "$1" >"/share/req/$n.tmp"
	mv "/share/req/$n.tmp" "/share/req/$n.json"
	deadline dl 30
	until [ -e "/share/req/$n.out" ] || past "$dl"; do sleep 0.05; done
	out=$(cat "/share/req/$n.out" 2>/dev/null) || {
		log "no answer from the outer QEMU to: $1"
		return 1
	}
	rm -f "/share/req/$n.out"
	[[ $out == *'"return"'* ]] || {
		log "QMP refused $1: $out"
		return 1
	}
}

# sysdev SERIAL [ATTR]: the sysfs directory of the USB device whose ATTR
# (serial unless told) holds that value.
# Read with bash's own read: these run in every wait loop, and a fork of
# cat per device costs tens of milliseconds here.
sysdev() {
	local f v
	for f in /sys/bus/usb/devices/*/"${2:-serial}"; do
		v=
		{ read -r v <"$f"; } 2>/dev/null
		[ "$v" = "$1" ] && { echo "${f%/*}"; return 0; }
	done
	return 1
}

# addr SERIAL: "BUS DEV" of the device now.
addr() {
	local d b n
	d=$(sysdev "$1") || return 1
	{ read -r b <"$d/busnum" && read -r n <"$d/devnum"; } 2>/dev/null || return 1
	echo "$b $n"
}

# wait_kernel SERIAL present|absent [ATTR]: until the kernel has enumerated
# (or forgotten) the device and udev is done with it. QMP answers device_add
# before the guest kernel has seen anything, so settling alone is not enough.
wait_kernel() {
	local dl d
	deadline dl 30
	while :; do
		if [ "$2" = present ]; then
			d=$(sysdev "$1" "${3:-serial}") && [ -e "$d/driver" ] && break
		else
			sysdev "$1" "${3:-serial}" >/dev/null || break
		fi
		past "$dl" && { log "device $1 not $2 in sysfs after $(scaled 30) s"; return 1; }
		sleep 0.1
	done
	[ -n "${UDEV_HELD:-}" ] || udevadm settle --timeout="$T_SETTLE"
}

# The outer QEMU's two xhci controllers (run.sh): QMP bus name, PCI slot.
readonly XHCI_QMP=(xhci.0 xhc2.0) XHCI_PCI=(0000:00:05.0 0000:00:06.0)

# xhci_bus I: the kernel's bus number of controller I's USB 2 half (its
# ports are BUS-1 .. BUS-15, QMP's ports 1 .. 15).
xhci_bus() {
	local r s
	for r in "/sys/bus/pci/devices/${XHCI_PCI[$1]}"/usb*; do
		{ read -r s <"$r/speed"; } 2>/dev/null || continue
		[ "$s" = 480 ] && { echo "${r##*/usb}"; return 0; }
	done
	log "no USB 2 root hub under ${XHCI_PCI[$1]}"
	return 1
}
# xhci_free I: the number of controller I's USB 2 ports with no device.
xhci_free() {
	local b n c=0
	b=$(xhci_bus "$1") || return 1
	for ((n = 1; n <= 15; n++)); do
		[ -e "/sys/bus/usb/devices/$b-$n" ] || c=$((c + 1))
	done
	echo "$c"
}
# plug_bus: the QMP bus a device without a chosen port goes on.
plug_bus() {
	local c
	c=$(xhci_free 0) || return 1
	if ((c > 0)); then echo "${XHCI_QMP[0]}"; else echo "${XHCI_QMP[1]}"; fi
}
# plug SERIAL: a usb-kbd with that serial, on the first controller while
# it has a free port, in the model.
plug() {
	local s=$1 id=k$1 bus
	[[ $s =~ ^[A-Z0-9]+$ ]] || return 1
	bus=$(plug_bus) || return 1
	mono
	T_EVENT=$MONO
	qmp '{"execute":"device_add","arguments":{"driver":"usb-kbd","bus":"'"$bus"'","serial":"'"$s"'","id":"'"$id"'"}}' || return 1
	plugged["$s"]=$id
	wait_kernel "$s" present
}

# unplug SERIAL: pulled out. A device the model does not hold is a
# failure of the scenario, not of the runner (set -u ends the runner on
# an unset key, as 'plugged[$s]: unbound variable' once did).
unplug() {
	local s=$1
	[ -n "${plugged[$s]:-}" ] || { log "unplug $s: not plugged (in the model)"; return 1; }
	mono
	T_EVENT=$MONO
	qmp '{"execute":"device_del","arguments":{"id":"'"${plugged[$s]}"'"}}' || return 1
	unset "plugged[$s]" "lent[$s]"
	wait_kernel "$s" absent
}

# free_port [BUSY...]: a port of the second controller's USB 2 half with
# no device and none of BUSY, from its top down (plug() fills it from the
# bottom up, and only when the first is full). Earlier scenarios leave
# devices on the ports QEMU chose.
free_port() {
	local n b bus
	bus=$(xhci_bus 1) || return 1
	for ((n = 15; n >= 1; n--)); do
		[ -e "/sys/bus/usb/devices/$bus-$n" ] && continue
		for b in "$@"; do [ "$b" = "$n" ] && continue 2; done
		echo "$n"
		return 0
	done
	log "no free port on the second xhci (bus $bus): $(cd /sys/bus/usb/devices && echo "$bus"-*)"
	return 1
}
# port_plug SERIAL PORT, port_unplug SERIAL: a usb-kbd on that port of
# the second controller, not in the model (the port rule's scenario keeps
# its own).
port_plug() {
	mono
	T_EVENT=$MONO
	qmp '{"execute":"device_add","arguments":{"driver":"usb-kbd","bus":"'"${XHCI_QMP[1]}"'","port":"'"$2"'","serial":"'"$1"'","id":"p'"$1"'"}}' || return 1
	wait_kernel "$1" present
}
port_unplug() {
	mono
	T_EVENT=$MONO
	qmp '{"execute":"device_del","arguments":{"id":"p'"$1"'"}}' || return 1
	wait_kernel "$1" absent
}
