#!/usr/bin/env bats
# Regression tests for bugs found after the feature tests were written; each names
# how it was found. Every test here failed before its fix.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# regression: OCI conformance suite (default, mounts, process... printed no TAP): a
# profile denying close_range made the init exit 127 without a word, because the
# fds were marked close-on-exec after the filter was loaded
@test "seccomp: a profile that denies close_range still runs the process" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args echo hi
	run_fg
	expect_status 0
	expect_output "hi"
}

@test "seccomp: with noNewPrivileges a profile that denies close_range still runs the process" {
	update_config '.process.noNewPrivileges = true | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args echo hi
	run_fg
	expect_status 0
	expect_output "hi"
}
