#!/bin/bash
# Usage: tests/apt-mirror.sh SUITE
# Prints the Debian mirror to debootstrap SUITE from: the first deb URI this
# machine's apt takes SUITE itself from (not -updates or -security), in its
# deb822 .sources files or one-line sources.list; else the URI it takes its
# own release from (VERSION_CODENAME in /etc/os-release), since one Debian
# archive serves every release: a Debian 12 machine whose sources name only
# bookworm gives its mirror for trixie. No host name is written anywhere;
# exit 1 when apt names no such source.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 SUITE" >&2; exit 2; }

# uris_for SUITE: the deb URIs of enabled entries that name SUITE.
uris_for() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$1" '
		function flush() {
			if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") &&
			    enabled != "no" && uris != "") {
				split(uris, u, " "); print u[1]
			}
			types = suites = uris = enabled = ""
		}
		/^#/ { next }
		/^[ \t]*$/ { flush(); next }
		{
			key = tolower($1); sub(/:$/, "", key)
			val = $0; sub(/^[^:]*:[ \t]*/, "", val)
			if (key == "types") types = val
			else if (key == "suites") suites = val
			else if (key == "uris") uris = val
			else if (key == "enabled") enabled = tolower(val)
		}
		END { flush() }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v suite="$1" '$1 == "deb" && $3 == suite { print $2 }'
	done
}

url=$(uris_for "$1" | head -n 1)
if [ -z "$url" ]; then
	# shellcheck source=/dev/null # the host's, not the tree's
	own=$(. /etc/os-release && echo "${VERSION_CODENAME-}")
	[ -z "$own" ] || url=$(uris_for "$own" | head -n 1)
fi
[ -n "$url" ] || { echo "$0: apt names no deb source for $1 nor for this machine's release" >&2; exit 1; }
echo "$url"
