#!/bin/bash
# tests/private-log.sh [--journal] COMMAND [ARG...]: runs COMMAND where
# nothing it logs reaches the host's journal or syslog: in a private
# mount namespace (unshare -m, as root) with a tmpfs over
# /run/systemd/journal, where libsystemd and syslog(3) find journald's
# sockets, and /dev/null over /dev/log. bbvirt --syslog then finds no
# journal, and syslog(3) no reader.
#
# With --journal, /run/systemd/journal is there, empty, even on a host
# without one (a tmpfs over the nearest directory above it), so that a
# test can bind its own journal there (tests/journal.sh).
#
# Without a namespace (not root), COMMAND runs as it is, with a note on
# stderr; with --journal that is impossible, and the status is 77.
set -u
journal=()
if [ "${1:-}" = --journal ]; then
	journal=(--journal)
	shift
fi

if [ "${BBVIRT_PRIVATE_LOG:-}" != 1 ]; then
	if unshare -m --propagation private true 2>/dev/null; then
		BBVIRT_PRIVATE_LOG=1 exec unshare -m --propagation private "$0" "${journal[@]}" "$@"
	fi
	if [ ${#journal[@]} -gt 0 ]; then
		echo "private-log: no private mount namespace here (unshare -m needs root)" >&2
		exit 77
	fi
	echo "note: no private mount namespace (unshare -m needs root): what $1 logs with --syslog may reach this host's log" >&2
	exec "$@"
fi
unset BBVIRT_PRIVATE_LOG

d=/run/systemd/journal
if [ ${#journal[@]} -gt 0 ]; then
	for d in /run/systemd/journal /run/systemd /run; do
		[ -d "$d" ] && break
	done
fi
if [ -d "$d" ] && ! mount -t tmpfs -o mode=0755 bbvirt-private-log "$d"; then
	echo "private-log: cannot mount a tmpfs over $d" >&2
	exit 1
fi
if [ ${#journal[@]} -gt 0 ] && ! mkdir -p /run/systemd/journal; then
	exit 1
fi
# A symlink into the journal's directory dangles now; a socket of its own
# (rsyslog's) is covered.
if [ -e /dev/log ] && ! mount --bind /dev/null /dev/log; then
	echo "private-log: cannot cover /dev/log" >&2
	exit 1
fi
exec "$@"
