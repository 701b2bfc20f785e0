# shellcheck shell=bash
# The runner's basics: its log, the programs it calls (virsh, bbvirt)
# under their stretched timeouts, and the checks of an exit status.

# To stderr, the journal and the console: stdout may be a pipe.
log() { echo "E2E $*" >&2; echo "$*" >>/share/log; }

# virsh: this host's libvirtd, or the one on_far names.
virsh() {
	local rc
	timeout "$T_VIRSH" virsh -q -c "${VIRSH_URI:-$URI}" "$@"
	rc=$?
	((rc != 124)) || log "virsh $1 did not answer within $T_VIRSH s"
	return $rc
}
bbvirt() { command bbvirt --timeout="$T_BBVIRT" "$@"; }

# expect_rc WANT COMMAND...: COMMAND exits WANT, or the log says what
# it did.
expect_rc() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	[ "$rc" = "$want" ] || { log "'$*' exited $rc, expected $want"; return 1; }
}

# harness WHY: the machine, not bbvirt, keeps the test from passing.
HARNESS_WHY=
harness() { HARNESS_WHY=$*; log "HARNESS: $*"; }
