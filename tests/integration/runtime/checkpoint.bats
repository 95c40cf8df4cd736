#!/usr/bin/env bats
# `checkpoint` and `restore`: berth has no CRIU support; both commands check their
# arguments like runc and then say so clearly, changing nothing.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "checkpoint: answers that berth was built without CRIU support" {
	requires berth -- runc tries to run criu
	run_container
	run berth checkpoint --image-path "$TEST_TMP/img" "$CID"
	expect_status 1
	expect_output "berth: checkpoint: not supported (berth was built without CRIU support)"
	[ "$(state_of "$CID")" = running ] || fail_with "container is '$(state_of "$CID")', expected running"
	[ ! -e "$TEST_TMP/img" ] || fail_with "checkpoint created '$TEST_TMP/img'"
}

@test "restore: answers that berth was built without CRIU support" {
	requires berth -- runc tries to run criu
	run berth restore --bundle "$BUNDLE" --image-path "$TEST_TMP/img" --detach "$CID"
	expect_status 1
	expect_output "berth: restore: not supported (berth was built without CRIU support)"
	[ -z "$(berth list -q)" ] || fail_with "restore left a container: $(berth list -q)"
}

@test "checkpoint: a missing container id is a usage error" {
	run berth checkpoint
	expect_failure
	expect_output_contains "checkpoint" "1 argument"
}

@test "restore: an unknown flag is refused and named" {
	run berth restore --no-such-flag "$CID"
	expect_fail_naming no-such-flag
}

@test "checkpoint and restore: --help prints the usage" {
	run berth checkpoint --help
	expect_status 0
	expect_output_contains "--image-path" "--leave-running"
	run berth restore --help
	expect_status 0
	expect_output_contains "--image-path" "--bundle"
}
