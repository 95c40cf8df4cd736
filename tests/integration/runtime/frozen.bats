#!/usr/bin/env bats
# Frozen cgroups never hang the runtime (regression: issue #15): delete --force of a
# paused container thaws, kills and reaps it; so does delete --force when someone else
# froze the container's cgroup through its freezer file; create and run into a cgroup
# that is already frozen are refused with a clear error, as runc does. Every runtime
# call here runs under BERTH_TIMEOUT, so a hang fails the test (status 124) instead of
# blocking the suite. The v1 freezer is this host's; cgroup2-only.bats has the
# cgroup.freeze versions.

load ../helpers

setup() {
	requires root cgroup_v1 -- freezes cgroups of the host
	setup_bundle
	BERTH_TIMEOUT=60
}

teardown() {
	teardown_bundle
}

# gone_or_zombie PID: the process is dead (a zombie until its parent, pid 1 here, reaps it)
gone_or_zombie() {
	local i st
	for ((i = 0; i < 50; i++)); do
		st=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && return 0
		sleep 0.1
	done
	fail_with "process $1 is still alive (state $st)"
}

# wait_frozen DIR: DIR's freezer.state reads FROZEN (FREEZING passes in a moment)
wait_frozen() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -qx FROZEN "$1/freezer.state" && return 0
		sleep 0.1
	done
	fail_with "'$1' is $(cat "$1/freezer.state"), not FROZEN"
}

freezer_dir() {
	host_cgroup_dir freezer "$(container_pid)"
}

# the freezer cgroup named by cgroupsPath /berth-test-$CID[/SUB], made and frozen here
frozen_cgroup() {
	local d=/sys/fs/cgroup/freezer/berth-test-$CID
	mkdir -p "$d"
	echo FROZEN >"$d/freezer.state"
	wait_frozen "$d"
}

@test "frozen: delete --force of a paused container thaws, kills and reaps it" {
	set_args pause
	run_container
	local pid
	pid=$(container_pid)
	run berth pause "$CID"
	expect_status 0
	wait_frozen "$(freezer_dir)"
	run berth delete --force "$CID"
	expect_status 0
	gone_or_zombie "$pid"
	run berth state "$CID"
	expect_failure
}

@test "frozen: delete --force when someone else froze the container's cgroup" {
	set_args pause
	run_container
	local pid dir
	pid=$(container_pid)
	dir=$(freezer_dir)
	echo FROZEN >"$dir/freezer.state"
	wait_frozen "$dir"
	[ "$(state_of "$CID")" = paused ] || fail_with "state '$(state_of "$CID")', not paused"
	run berth delete --force "$CID"
	expect_status 0
	gone_or_zombie "$pid"
	[ ! -d "$dir" ] || fail_with "the cgroup '$dir' is still there"
}

@test "frozen: kill --all KILL of a paused container ends it" {
	set_args pause
	run_container
	run berth pause "$CID"
	expect_status 0
	run berth kill --all "$CID" KILL
	expect_status 0
	wait_for_state "$CID" stopped 100 || fail_with "not stopped"
}

@test "frozen: create into a pre-existing frozen cgroup is refused, naming it" {
	not_runtime crun "1.8.1 hangs there (crun refuses a frozen cgroup only since its PR #2243)"
	frozen_cgroup
	update_config '.linux.cgroupsPath = $p' --arg p "/berth-test-$CID"
	set_args /bin/sh -c 'echo RAN'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ "$status" != 124 ] || fail_with "create hung"
	if [ "$(runtime_name)" = berth ]; then
		expect_output_contains "berth-test-$CID" "frozen"
	else
		expect_output_contains "frozen"
	fi
	run berth state "$CID"
	expect_failure
	# the cgroup was not ours: it is still there, still frozen
	grep -qx FROZEN "/sys/fs/cgroup/freezer/berth-test-$CID/freezer.state" ||
		fail_with "the frozen cgroup changed"
}

@test "frozen: run into a pre-existing frozen cgroup is refused" {
	not_runtime crun "1.8.1 hangs there (crun refuses a frozen cgroup only since its PR #2243)"
	frozen_cgroup
	update_config '.linux.cgroupsPath = $p' --arg p "/berth-test-$CID"
	set_args /bin/sh -c 'echo RAN'
	run_fg
	expect_failure
	[ "$status" != 124 ] || fail_with "run hung"
	expect_output_not_contains "RAN"
	expect_output_contains "frozen"
}

@test "frozen: create in a new cgroup under a frozen parent is refused" {
	requires berth -- "runc 1.1.5 hangs in this case"
	frozen_cgroup
	update_config '.linux.cgroupsPath = $p' --arg p "/berth-test-$CID/berth-test-$CID-c"
	set_args /bin/sh -c 'echo RAN'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ "$status" != 124 ] || fail_with "create hung"
	expect_output_contains "berth-test-$CID-c" "frozen (by an ancestor)"
	[ ! -d "/sys/fs/cgroup/freezer/berth-test-$CID/berth-test-$CID-c" ] ||
		fail_with "the new cgroup was left behind"
}

@test "frozen: delete --force when an ancestor froze the container fails with a clear error, without hanging" {
	requires berth -- "asserts berth's error for a freeze it cannot undo"
	update_config '.linux.cgroupsPath = $p' --arg p "/berth-test-$CID/berth-test-$CID-c"
	set_args pause
	run_container
	echo FROZEN >"/sys/fs/cgroup/freezer/berth-test-$CID/freezer.state"
	wait_frozen "/sys/fs/cgroup/freezer/berth-test-$CID"
	run berth delete --force "$CID"
	expect_failure
	[ "$status" != 124 ] || fail_with "delete hung"
	expect_output_contains "ancestor"
	# once the ancestor thaws, delete --force works
	echo THAWED >"/sys/fs/cgroup/freezer/berth-test-$CID/freezer.state"
	run berth delete --force "$CID"
	expect_status 0
}

# A prestart hook (run by the runtime, in its own namespaces) freezes the container's
# cgroup while the init is still setting up: create must notice within its bound, kill
# the init (thawing it first) and leave nothing behind, not wait forever.
@test "frozen: a cgroup frozen during create makes create fail, naming it, and leaves nothing" {
	requires berth -- "runc 1.1.5 and crun 1.8.1 hang"
	cat >"$TEST_TMP/freeze-hook" <<'HOOK'
#!/bin/sh
pid=$(jq -r .pid)
dir=$(awk -F: '$2 ~ /(^|,)freezer(,|$)/ { print $3 }' "/proc/$pid/cgroup")
echo FROZEN >"/sys/fs/cgroup/freezer$dir/freezer.state"
HOOK
	chmod +x "$TEST_TMP/freeze-hook"
	update_config '.hooks.prestart = [{"path": $p}]' --arg p "$TEST_TMP/freeze-hook"
	set_args /bin/sh -c 'echo RAN'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ "$status" != 124 ] || fail_with "create hung"
	expect_output_contains "frozen"
	run berth state "$CID"
	expect_failure
	[ -z "$(find /sys/fs/cgroup/freezer -maxdepth 3 -type d -name "*$CID*")" ] ||
		fail_with "a cgroup of the container is left"
}
