#!/bin/bash
# The house rules the build enforces: layering and banned calls (STYLE.md).
set -u
cd "$(dirname "$0")/.." || exit 2
rc=0
fail() { echo "lint: $*"; rc=1; }
mapfile -t src < <(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^tests/')
[ ${#src[@]} -gt 0 ] ||
	mapfile -t src < <(find . -path ./tests -prune -o -path ./build -prune -o -name '*.[ch]' -print | sed 's|^\./||')

only() {        # only() HEADER FILE... : nothing else may include HEADER
	local h=$1; shift
	while IFS= read -r f; do
		case " $* " in *" $f "*) ;; *) fail "$f includes <$h>, reserved to $*";; esac
	done < <(grep -l "#include <$h" "${src[@]}")
}
only libudev.h state/udevsnap.c
only libvirt/ state/virtconn.c state/virtsnap.c reconcile/apply.c
only libxml/ parsers/domxml.c
only json-c/ cli/report.c
only ini.h parsers/ini.c
# The planner is pure: libc and our own headers only, no I/O, no logging.
# request.c and status.c format messages and addresses into memory
# (asprintf), metrics.c the metrics text (vsnprintf), and seeddclaim.c
# its warnings (asprintf), and only that:
# they may include stdio.h, never write.
pure=(reconcile/world.c reconcile/plan.c reconcile/request.c reconcile/status.c reconcile/restore.c reconcile/event.c reconcile/claim.c reconcile/command.c reconcile/metrics.c reconcile/seeddclaim.c)
grep -nE '#include <(stdio|unistd|fcntl|syslog)\.h>' reconcile/world.c reconcile/plan.c reconcile/restore.c reconcile/event.c reconcile/claim.c reconcile/command.c && fail "the planner does I/O"
grep -nE '#include <(unistd|fcntl|syslog)\.h>|#include "log\.h"' "${pure[@]}" && fail "the planner does I/O"
grep -nE '\b(printf|fprintf|fputs|puts|fwrite|fopen|write|read|open)[[:space:]]*\(' "${pure[@]}" && fail "the planner does I/O"
grep -nE '\blog_(error|warning|notice|info|debug)' "${pure[@]}" && fail "the planner logs"

banned='\b(strcpy|strcat|sprintf|vsprintf|strncpy|strtok|gets|atoi|atol|alloca|system|popen)[[:space:]]*\('
grep -nE "$banned" "${src[@]}" tests/*.c tests/fuzz/*.c && fail "banned call"
grep -nE '\bgoto\b' "${src[@]}" && fail "goto"
grep -nE '^\s*//' "${src[@]}" && fail "C++ comment"
# A function fits on a screen (STYLE.md §8): at most 80 lines between the
# braces of its definition, counted in every C file outside tests/.
long=$(for f in "${src[@]}"; do
	case $f in *.c) ;; *) continue;; esac
	awk -v f="$f" -v max=80 '
		/^[a-zA-Z_][a-zA-Z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
		/^\{/ { start = NR }
		/^\}/ && start { n = NR - start - 1
			if (n > max) printf "%s:%d: %s() is %d lines\n", f, start, name, n
			start = 0 }' "$f"
done)
[ -z "$long" ] || fail "functions over 80 lines:
$long"
exit $rc
