# shellcheck shell=bash
# The inner guests: defined, started, stopped, saved and restored through
# libvirt, the model's running[] kept in step.

define_guests() {
	local g
	for g in "${GUESTS[@]}"; do
		cat >"/tmp/$g.xml" <<-X
		<domain type='qemu'>
		  <name>$g</name>
		  <memory unit='MiB'>32</memory>
		  <vcpu>1</vcpu>
		  <os><type arch='x86_64' machine='pc'>hvm</type><bios rebootTimeout='-1'/></os>
		  <devices>
		    <emulator>/usr/bin/qemu-system-x86_64</emulator>
		    <controller type='usb' model='qemu-xhci' ports='8'/>
		    <video><model type='none'/></video>
		    <memballoon model='none'/>
		  </devices>
		</domain>
		X
		virsh define "/tmp/$g.xml" >/dev/null || return 1
	done
}

# T_STARTED: when 'virsh start' returned (libvirt runs the hook before).
start_guest() {
	mono
	T_EVENT=$MONO
	virsh start "$1" >/dev/null || return 1
	running[$1]=1
	mono
	T_STARTED=$MONO
}
stop_guest() { virsh destroy "$1" >/dev/null && unset "running[$1]" && unset "foreign[$1]"; }

ensure_running() { [ -n "${running[$1]:-}" ] || start_guest "$1"; }

# Where libvirt keeps its save images; the scenarios put theirs there too.
readonly SAVEDIR=/var/lib/libvirt/qemu/save

# domstate GUEST: "STATE (REASON)", as virsh says it.
domstate() { virsh domstate "$1" --reason 2>/dev/null | tr -d '\r' | sed '/^$/d'; }

# expect_restored GUEST: libvirt restored it from its image, not booted it.
expect_restored() {
	local st
	st=$(domstate "$1")
	[ "$st" = "running (restored)" ] || { log "$1 is '$st', not restored"; return 1; }
}

# save_timed KIND GUEST [FILE]: virsh managedsave GUEST, or virsh save
# GUEST FILE; logs the time it took.
save_timed() {
	local t0=$EPOCHREALTIME out
	if [ "$1" = managed ]; then
		out=$(virsh managedsave "$2" 2>&1)
	else
		out=$(virsh save "$2" "$3" 2>&1)
	fi || { log "virsh save ($1) of $2 failed: $out"; return 1; }
	unset "running[$2]"
	log "  $1 save of $2: $(printf '%.1f' "$(elapsed "$t0")") s"
}

# start_timed GUEST [FILE]: virsh start GUEST (its managed save), or virsh
# restore FILE; logs the time it took; the guest must run restored.
start_timed() {
	local t0=$EPOCHREALTIME out
	if [ -z "${2:-}" ]; then
		out=$(virsh start "$1" 2>&1)
	else
		out=$(virsh restore "$2" 2>&1)
	fi || { log "restore of $1 failed: $out"; return 1; }
	running[$1]=1
	log "  restore of $1: $(printf '%.1f' "$(elapsed "$t0")") s"
	expect_restored "$1"
}

# image_hostdevs GUEST [FILE]: "alias bus device" of each USB hostdev in
# the guest's managed-save image (or in FILE), sorted.
image_hostdevs() {
	local x
	if [ -z "${2:-}" ]; then
		x=$(virsh managedsave-dumpxml "$1") || return 1
	else
		x=$(virsh save-image-dumpxml "$2") || return 1
	fi
	xml_hostdevs "$x"
}
