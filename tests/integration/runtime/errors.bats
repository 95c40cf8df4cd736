#!/usr/bin/env bats
# Bad input and wrong states: each must fail with a non-zero status and a message that
# names the thing at fault, and must leave nothing half-created behind.
#
# Where runc 1.1.5 fails correctly but does not name the culprit (e.g. "container does not
# exist" without the id), the naming is a separate `requires berth` test.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# nothing of a failed create may remain: no container in list, no directory in --root
expect_nothing_created() {
	local left
	left=$(berth list -q 2>/dev/null)
	[ -z "$left" ] || fail_with "containers left after a failed create: $left" || return 1
	left=$(ls -A "$ROOT")
	[ -z "$left" ] || fail_with "state root not empty after a failed create: $left"
}

@test "create: a missing rootfs fails and names the path" {
	rm -rf "$ROOTFS"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming rootfs
	expect_nothing_created
}

@test "create: a config.json that is not JSON fails" {
	echo '{"ociVersion": "1.0.2", "process": {' >"$BUNDLE/config.json"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	expect_nothing_created
}

@test "create: the error for a config.json that is not JSON names config.json" {
	requires berth -- "runc 1.1.5 reports only the JSON decoder's message"
	echo '{"ociVersion": "1.0.2", "process": {' >"$BUNDLE/config.json"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming config.json
}

@test "create: a missing config.json fails and names it" {
	rm "$BUNDLE/config.json"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming config.json
	expect_nothing_created
}

@test "create: an unknown namespace type fails and names it" {
	update_config '.linux.namespaces += [{"type": "frobspace"}]'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming frobspace
	expect_nothing_created
}

@test "create: the error for an unknown namespace names its JSON path" {
	requires berth -- "runc 1.1.5 names only the type"
	update_config '.linux.namespaces += [{"type": "frobspace"}]'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "linux.namespaces[5]" frobspace
}

@test "create: an id already in use fails and keeps the first container" {
	create_container
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming exists
	[ "$(state_of "$CID")" = created ] || fail_with "the first container is no longer 'created'"
}

@test "create: the error for an id already in use names it" {
	requires berth -- "runc 1.1.5 says 'container with given ID already exists' without the id"
	create_container
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "$CID"
}

@test "create: a missing bundle directory fails and names it" {
	run berth_detached create --bundle "$TEST_TMP/no-such-bundle" "$CID"
	expect_fail_naming no-such-bundle
	expect_nothing_created
}

@test "create: an id with a slash is refused" {
	run berth_detached create --bundle "$BUNDLE" "../$CID"
	expect_failure
	expect_nothing_created
	[ ! -e "$TEST_TMP/$CID" ] || fail_with "a state dir escaped the root"
}

@test "create: a missing process.args fails and names it" {
	not_runtime crun "1.8.1 creates a container without process.args"
	update_config 'del(.process.args)'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming args
	expect_nothing_created
}

@test "start: a process that does not exist in the rootfs fails and names it" {
	set_args /bin/no-such-binary
	run berth_detached run --bundle "$BUNDLE" "$CID"
	expect_fail_naming no-such-binary
}

@test "start: starting a running container fails" {
	not_runtime crun "1.8.1 only says it cannot open exec.fifo"
	run_container
	run berth start "$CID"
	expect_fail_naming running
	[ "$(state_of "$CID")" = running ] || fail_with "container is no longer running"
}

@test "start: starting an unknown container fails and names it" {
	requires berth -- "runc 1.1.5 says 'container does not exist' without the id"
	run berth start "$CID"
	expect_fail_naming "$CID"
}

@test "kill: signalling a stopped container fails" {
	not_runtime crun "1.8.1 says 'No such process'"
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
	run berth kill "$CID" KILL
	expect_fail_naming "not running"
}

@test "kill: signalling a stopped container fails and names it" {
	requires berth -- "runc 1.1.5 says 'container not running' without the id"
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
	run berth kill "$CID" KILL
	expect_fail_naming "$CID"
}

@test "delete: deleting a running container without --force fails and names it" {
	not_runtime crun "1.8.1 says 'not in created or stopped state'"
	run_container
	run berth delete "$CID"
	expect_fail_naming "$CID" running
	[ "$(state_of "$CID")" = running ] || fail_with "container is no longer running"
}

# OCI runtime spec, delete: "Attempting to delete a container that is not stopped MUST
# generate an error". runc and crun both delete a created container (the OCI validation
# suite's delete test fails for both).
@test "delete: deleting a created container without --force fails and keeps it" {
	requires berth -- "runc 1.1.5 and crun 1.8.1 delete created containers (OCI says fail)"
	create_container
	run berth delete "$CID"
	expect_fail_naming "$CID" created
	[ "$(state_of "$CID")" = created ] || fail_with "container is no longer 'created'"
}

@test "state: an unknown id fails" {
	run berth state "no-such-$CID"
	expect_failure
}

@test "state: the error for an unknown id names it" {
	requires berth -- "runc 1.1.5 says 'container does not exist' without the id"
	run berth state "no-such-$CID"
	expect_fail_naming "no-such-$CID"
}

@test "delete: deleting an unknown id fails" {
	run berth delete "no-such-$CID"
	expect_failure
}

@test "cli: an unknown command fails and names it" {
	run berth frobnicate
	expect_fail_naming frobnicate
}

@test "cli: an unknown flag fails and names it" {
	run berth_detached create --frobnicate --bundle "$BUNDLE" "$CID"
	expect_fail_naming frobnicate
	expect_nothing_created
}

@test "cli: a command without its container id fails" {
	run berth state
	expect_failure
	run berth_detached create --bundle "$BUNDLE"
	expect_failure
	expect_nothing_created
}

@test "create: a failure during container setup leaves no state, process or cgroup" {
	add_bad_mount() {
		update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $s,
			"options": ["bind"]}]' --arg s "$TEST_TMP/no-such-source"
	}
	add_bad_mount
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	expect_nothing_created
	left=$(leftover_pids)
	[ -z "$left" ] || fail_with "processes left: $left"
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "berth-test-$CID" 2>/dev/null)
	[ -z "$left" ] || fail_with "cgroups left: $left"
}

@test "start: a stopped container cannot be started again" {
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
	run berth start "$CID"
	expect_failure
	[ "$(state_of "$CID")" = stopped ] || fail_with "container is '$(state_of "$CID")'"
}

@test "create: a mount with an unknown filesystem type fails and names it" {
	not_runtime crun "1.8.1 names the destination without its leading slash"
	update_config '.mounts += [{"destination": "/x", "type": "frobfs", "source": "none"}]'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming /x
	expect_nothing_created
}

# The docker and podman CLIs exit 127 for a command that does not exist and 126 for one
# that cannot run, when the runtime's message holds the words runc's has ("executable
# file not found" or "no such file or directory"; "permission denied"); else 125.
@test "run: a missing command's message has the words the docker CLI maps to exit 127" {
	not_runtime crun "1.8.1 says 'executable file \`X\` not found in \$PATH: No such file or directory' (docker exits 125 with crun)"
	set_args /no/such/cmd
	run_fg
	expect_fail_naming /no/such/cmd
	[[ "$output" == *"executable file not found"* || "$output" == *"no such file or directory"* ]] ||
		fail_with "neither 'executable file not found' nor 'no such file or directory' in the message"
	expect_nothing_created
}

@test "run: a command that is not executable has 'permission denied', the docker CLI's exit 126" {
	not_runtime crun "1.8.1 says 'open executable: Permission denied', without the path (docker exits 125 with crun)"
	set_args /etc/passwd
	run_fg
	expect_fail_naming /etc/passwd "permission denied"
	expect_nothing_created
}
