# shellcheck shell=bash
# name: 6 config change
# function: sc_config
# reference: 11 s
# needs: sc_identical
#
# 6. The config moves one device and drops another; a sync follows.

sc_config() {
	assign[SN02]=g3
	unset 'assign[SN06]'
	write_config
	expect_rc 3 bbvirt sync --dry-run >/dev/null || return 1
	expect_rc 0 bbvirt sync || return 1
	converged || return 1
	expect_rc 0 bbvirt sync --dry-run
}
