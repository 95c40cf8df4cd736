#!/usr/bin/env bats
# process.scheduler (sched_setattr) and process.ioPriority (ioprio_set): applied to the
# container's process before it execs, and to an exec'd process. Observed from the host on
# the container's pid: /proc/PID/stat (field 19 nice, 40 rt_priority, 41 policy), `chrt -p`
# for the reset-on-fork flag and `ionice -p` for the I/O class and priority.

load ../helpers

setup() {
	setup_bundle
	# runc gained process.scheduler and process.ioPriority in 1.2; 1.1 ignores both
	[ "$BATS_TEST_DESCRIPTION" = "scheduler: no scheduler object leaves the runtime's policy and nice" ] ||
		not_runtime runc "1.1 ignores process.scheduler and process.ioPriority (added in runc 1.2)"
}

teardown() {
	teardown_bundle
}

# stat_field PID N: field N of /proc/PID/stat, counted after the parenthesised comm
stat_field() {
	sed 's/^.*) //' "/proc/$1/stat" | awk -v n="$2" '{ print $(n - 2) }'
}

# expect_sched PID POLICY NICE RTPRIO: the policy number, nice and rt_priority of PID
expect_sched() {
	local got
	got="$(stat_field "$1" 41) $(stat_field "$1" 19) $(stat_field "$1" 40)"
	[ "$got" = "$2 $3 $4" ] ||
		fail_with "expected policy, nice, rt_priority '$2 $3 $4' for pid $1, got '$got'"
}

@test "scheduler: SCHED_OTHER with nice 7 gives the process nice 7" {
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "nice": 7}'
	run_container
	expect_sched "$(container_pid)" 0 7 0
}

@test "scheduler: SCHED_BATCH is the process's policy" {
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 3}'
	run_container
	expect_sched "$(container_pid)" 3 3 0
}

@test "scheduler: SCHED_IDLE is the process's policy" {
	update_config '.process.scheduler = {"policy": "SCHED_IDLE"}'
	run_container
	expect_sched "$(container_pid)" 5 0 0
}

@test "scheduler: SCHED_FIFO with priority 12 sets the real-time priority" {
	# a new v1 cpu cgroup has cpu.rt_runtime_us 0, where no real-time task may run
	requires_rt_budget 10000
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 12}
		| .linux.resources.cpu.realtimeRuntime = 10000'
	run_container
	expect_sched "$(container_pid)" 1 0 12
}

@test "scheduler: SCHED_RR with SCHED_FLAG_RESET_ON_FORK shows the flag in chrt" {
	requires_rt_budget 10000
	update_config '.process.scheduler = {"policy": "SCHED_RR", "priority": 3,
		"flags": ["SCHED_FLAG_RESET_ON_FORK"]}
		| .linux.resources.cpu.realtimeRuntime = 10000'
	run_container
	run chrt -p "$(container_pid)"
	expect_status 0
	expect_output_contains "SCHED_RR|SCHED_RESET_ON_FORK" "priority: 3"
}

# The two real-time tests above need 10000 us of the machine's real-time budget for the
# container's cgroup; when other cgroups hold it they skip with the reason instead of
# failing in the runtime. Here the budget of a parent cgroup of our own is taken by a
# sibling: the probe says so, and the runtime does fail there as the probe predicts.
@test "scheduler: a taken real-time budget is detected before the runtime fails on it" {
	requires cgroup_v1
	[ -f /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "no RT group scheduling (no cpu.rt_runtime_us)"
	requires_rt_budget 20000
	local parent=/sys/fs/cgroup/cpu/berth-test-$CID-rt
	mkdir "$parent" "$parent/berth-test-$CID-hog"
	echo 20000 >"$parent/cpu.rt_runtime_us"
	run rt_budget_free 10000 "$parent"
	expect_status 0
	echo 20000 >"$parent/berth-test-$CID-hog/cpu.rt_runtime_us"
	run rt_budget_free 10000 "$parent"
	expect_status 1
	expect_output_contains "real-time budget of '$parent' is taken" "hold 20000 of its 20000 us" "cpu.rt_runtime_us 10000"
	update_config '.process.scheduler = {"policy": "SCHED_FIFO", "priority": 12}
		| .linux.resources.cpu.realtimeRuntime = 10000
		| .linux.cgroupsPath = "/berth-test-'"$CID"'-rt/'"$CID"'"'
	run_fg
	expect_failure
	[ "$(runtime_name)" != berth ] || expect_output_contains "rt_runtime_us"
}

@test "scheduler: SCHED_DEADLINE takes runtime, deadline and period" {
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE",
		"runtime": 1000000, "deadline": 5000000, "period": 10000000}'
	run_container
	pid=$(container_pid)
	[ "$(stat_field "$pid" 41)" = 6 ] || fail_with "policy of pid $pid is $(stat_field "$pid" 41), expected 6"
	run chrt -p "$pid"
	expect_output_contains "SCHED_DEADLINE" "1000000/5000000/10000000"
}

@test "scheduler: no scheduler object leaves the runtime's policy and nice" {
	run_container
	expect_sched "$(container_pid)" 0 "$(stat_field $$ 19)" 0
}

@test "scheduler: an exec'd process gets process.json's scheduler" {
	run_container
	jq '.process | .args = ["/bin/testinit", "pause"]
		| .scheduler = {"policy": "SCHED_BATCH", "nice": 9}' \
		"$BUNDLE/config.json" >"$TEST_TMP/proc.json"
	run berth_detached exec --detach --pid-file "$TEST_TMP/exec.pid" --process "$TEST_TMP/proc.json" "$CID"
	expect_status 0
	expect_sched "$(cat "$TEST_TMP/exec.pid")" 3 9 0
}

@test "scheduler: an unknown policy fails and names the field" {
	update_config '.process.scheduler = {"policy": "SCHED_FAST"}'
	run_fg
	expect_fail_naming "scheduler" "SCHED_FAST"
}

@test "scheduler: an unknown flag fails and names it" {
	update_config '.process.scheduler = {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_NOPE"]}'
	run_fg
	expect_fail_naming "SCHED_FLAG_NOPE"
}

@test "scheduler: SCHED_DEADLINE without a runtime fails at sched_setattr" {
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE"}'
	run_fg
	expect_failure
	[ "$(runtime_name)" != berth ] || expect_output_contains "sched_setattr"
}

@test "ioPriority: IOPRIO_CLASS_BE priority 6 is the process's I/O priority" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	run_container
	run ionice -p "$(container_pid)"
	expect_status 0
	expect_output "best-effort: prio 6"
}

@test "ioPriority: IOPRIO_CLASS_IDLE is the process's I/O class" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run_container
	run ionice -p "$(container_pid)"
	expect_status 0
	expect_output "idle"
}

@test "ioPriority: IOPRIO_CLASS_RT priority 2 is the process's I/O priority" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_RT", "priority": 2}'
	run_container
	run ionice -p "$(container_pid)"
	expect_status 0
	expect_output "realtime: prio 2"
}

@test "ioPriority: an exec'd process gets process.json's ioPriority" {
	run_container
	jq '.process | .args = ["/bin/testinit", "pause"]
		| .ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 1}' \
		"$BUNDLE/config.json" >"$TEST_TMP/proc.json"
	run berth_detached exec --detach --pid-file "$TEST_TMP/exec.pid" --process "$TEST_TMP/proc.json" "$CID"
	expect_status 0
	run ionice -p "$(cat "$TEST_TMP/exec.pid")"
	expect_output "best-effort: prio 1"
}

@test "ioPriority: an unknown class fails and names it" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_FAST", "priority": 0}'
	run_fg
	expect_fail_naming "IOPRIO_CLASS_FAST"
}
