#!/usr/bin/env bats
# The command line as runc 1.1.5 parses it, and the exit statuses it gives, since tools
# written against runc rely on both (issue #15): a command's flags may follow the container
# id (urfave/cli moves them first), `kill ID 0` checks that the process exists, an exec
# that fails exits 255 so the caller can tell it from the process's own status.
#
# crun 1.8.1 stops at the first positional argument, so the tests of flags after the id do
# not run against it.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "update: a flag after the container id applies (update ID --pids-limit N)" {
	requires cgroup_v1
	not_runtime crun "takes no flags after the container id"
	run_container
	run berth update "$CID" --pids-limit 42
	expect_status 0
	run cat "$(host_cgroup_dir pids "$(container_pid)")/pids.max"
	expect_output 42
	run berth update "$CID" --pids-limit=43
	expect_status 0
	run cat "$(host_cgroup_dir pids "$(container_pid)")/pids.max"
	expect_output 43
}

@test "kill: --all after the container id and the signal applies" {
	not_runtime crun "takes no flags after the container id"
	run_container
	run berth kill "$CID" KILL --all
	expect_status 0
	wait_for_state "$CID" stopped
}

@test "delete: --force after the container id deletes a running container" {
	not_runtime crun "takes no flags after the container id"
	run_container
	run berth delete "$CID" --force
	expect_status 0
	run berth state "$CID"
	expect_failure
}

# create and run re-execute berth with its argv: the flags after the id must survive that
@test "create: --bundle and --pid-file after the container id apply" {
	not_runtime crun "takes no flags after the container id"
	cd "$TEST_TMP"
	run berth_detached create "$CID" --bundle "$BUNDLE" --pid-file "$TEST_TMP/after.pid"
	expect_status 0
	[ -f "$TEST_TMP/after.pid" ] || fail_with "no pid file at $TEST_TMP/after.pid"
	[ "$(cat "$TEST_TMP/after.pid")" = "$(container_pid)" ] ||
		fail_with "pid file says $(cat "$TEST_TMP/after.pid"), state says $(container_pid)"
	[ "$(state_of "$CID")" = created ] || fail_with "state is '$(state_of "$CID")'"
	[ ! -e "$TEST_TMP/$CID" ] || fail_with "a file named after the id appeared in the cwd"
}

@test "run: -d and --bundle after the container id apply" {
	not_runtime crun "takes no flags after the container id"
	cd "$TEST_TMP"
	run berth_detached run "$CID" -d --bundle "$BUNDLE"
	expect_status 0
	wait_for_state "$CID" running
}

@test "kill: an unknown flag before the container id is refused and named" {
	run_container
	run berth kill --frobnicate "$CID" KILL
	expect_fail_naming frobnicate
	[ "$(state_of "$CID")" = running ] || fail_with "the container did not survive a refused kill"
}

@test "exec: what follows the container id is the process's, flags included" {
	run_container
	run berth exec "$CID" /bin/testinit echo --tty -d --env
	expect_status 0
	expect_output "--tty -d --env"
}

@test "kill: signal 0 succeeds for a created and a running container, fails for a stopped one" {
	create_container
	run berth kill "$CID" 0
	expect_status 0
	run berth start "$CID"
	expect_status 0
	wait_for_state "$CID" running
	run berth kill "$CID" 0
	expect_status 0
	[ "$(state_of "$CID")" = running ] || fail_with "signal 0 changed the container's state"
	run berth kill "$CID" KILL
	expect_status 0
	wait_for_state "$CID" stopped
	run berth kill "$CID" 0
	expect_status 1
	# crun says "kill container: No such process"
	[ "$(runtime_name)" = crun ] || expect_output_contains "not running"
}

@test "exit status: an unknown container is 1 for state, start, kill, pause, delete" {
	local cmd
	for cmd in state start kill pause delete; do
		run berth $cmd nosuch-"$CID"
		[ "$status" -eq 1 ] || fail_with "'$cmd' of an unknown container: expected status 1" || return 1
		# crun names the state file it could not open
		[ "$(runtime_name)" = crun ] || expect_output_contains "does not exist" || return 1
	done
}

@test "exit status: a missing or extra argument is 1" {
	run berth kill
	expect_status 1
	run berth state a b
	expect_status 1
	run berth start
	expect_status 1
}

@test "exec: a process that cannot be started exits 255, its own status passes through" {
	run_container
	run berth exec "$CID" /nonexistent
	expect_status 255
	run berth exec "$CID" /bin/testinit exit 7
	expect_status 7
}

@test "exec: into an unknown or a stopped container exits 255" {
	not_runtime crun "exits 1 when the container is missing or stopped"
	run berth exec nosuch-"$CID" /bin/testinit id
	expect_status 255
	run_container
	run berth kill "$CID" KILL
	wait_for_state "$CID" stopped
	run berth exec "$CID" /bin/testinit id
	expect_status 255
	expect_output_contains "stopped"
}

@test "exit status: an unknown command is 3, no command prints the help and is 0" {
	not_runtime crun "exits 1 for both"
	run berth frobnicate
	expect_status 3
	run berth
	expect_status 0
	expect_output_contains "USAGE"
}
