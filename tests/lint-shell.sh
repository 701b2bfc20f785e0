#!/bin/bash
# Runs shellcheck over every shell script of the tree (make lint-shell,
# part of make check), at its default severity: any finding fails. A
# check is disabled only on the line it is wrong about, with the reason
# beside it.
#
# The scripts are the tree's files that start with a sh or bash #!. A file
# that is only sourced is checked with what sources it, so that shellcheck
# sees the variables and functions it uses: tests/cli-cases.sh through
# tests/cli.sh, the e2e runner's lib/ through the runner, and its
# scenarios, which the runner finds at run time, through a list that
# sources them after it as the runner does. bash-completion sources
# contrib/bbvirt.bash-completion into bash.
#
# make deps installs shellcheck; without it (a package build, whose
# Build-Depends do not ask for it) the lint says it is skipped and passes.
set -u
cd "$(dirname "$0")/.." || exit 2
export LC_ALL=C

if ! command -v shellcheck >/dev/null; then
	echo "  LINT   shell: skipped, no shellcheck here (apt-get install shellcheck)"
	exit 0
fi

mapfile -t all < <(git ls-files 2>/dev/null)
[ ${#all[@]} -gt 0 ] ||
	mapfile -t all < <(find . \( -path ./.git -o -path ./build -o -path ./tests/e2e/work \) -prune \
		-o -type f -print | sed 's|^\./||' | sort)

scripts=()
for f in "${all[@]}"; do
	case $f in
	# Checked with what sources them (below).
	tests/cli-cases.sh | tests/e2e/runner | tests/e2e/lib/*.sh | tests/e2e/scenarios/*.sh) continue ;;
	esac
	[ -f "$f" ] || continue
	IFS= read -r first <"$f" || continue
	case $first in
	'#!/bin/sh'* | '#!/bin/bash'* | '#!/usr/bin/env sh'* | '#!/usr/bin/env bash'*) scripts+=("$f") ;;
	*.sh) echo "lint-shell: $f has no #! line" ;;
	esac
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The e2e runner, then its scenarios, as it sources them.
{
	echo '#!/bin/bash'
	echo '# shellcheck source=tests/e2e/runner'
	echo '. tests/e2e/runner'
	for f in tests/e2e/scenarios/*.sh; do
		echo "# shellcheck source=$f"
		echo ". $f"
	done
} >"$tmp/e2e"

rc=0
shellcheck -f gcc -x -a "${scripts[@]}" || rc=1
shellcheck -f gcc -x -a -P tests/e2e "$tmp/e2e" || rc=1
shellcheck -f gcc -s bash contrib/bbvirt.bash-completion || rc=1
sourced=(tests/cli-cases.sh tests/e2e/runner tests/e2e/lib/*.sh tests/e2e/scenarios/*.sh
	contrib/bbvirt.bash-completion)
printf '  %-6s %s\n' LINT "shell (${#scripts[@]} scripts, ${#sourced[@]} sourced files)"
exit $rc
