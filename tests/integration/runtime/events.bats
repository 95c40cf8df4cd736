#!/usr/bin/env bats
# `events`: runc's stats record (`--stats`, what containerd's shim asks for) and the stream
# of stats and OOM records. Validated against runc 1.1.5:
#   BERTH=runc bats tests/integration/runtime/events.bats

load ../helpers

setup() {
	setup_bundle
	EVENTS_PID=
}

teardown() {
	if [ -n "$EVENTS_PID" ]; then
		kill "$EVENTS_PID" 2>/dev/null || true
		wait "$EVENTS_PID" 2>/dev/null || true
	fi
	teardown_bundle
}

# events_bg ARGS...: `events ARGS $CID` in the background, bounded by a timeout; its output
# goes to $EVENTS_OUT, its pid to $EVENTS_PID. fd 3 (bats') is closed so bats never waits
# for it.
events_bg() {
	EVENTS_OUT=$TEST_TMP/events.out
	timeout 60 "$BERTH" --root "$ROOT" events "$@" "$CID" >"$EVENTS_OUT" 2>&1 3>&- &
	EVENTS_PID=$!
}

# wait_for_records TYPE N: waits (up to 30 s) until $EVENTS_OUT holds N records of TYPE.
wait_for_records() {
	local i n=0
	for ((i = 0; i < 300; i++)); do
		n=$(grep -c "\"type\":\"$1\"" "$EVENTS_OUT" || true)
		[ "$n" -ge "$2" ] && return 0
		sleep 0.1
	done
	output=$(cat "$EVENTS_OUT")
	fail_with "expected $2 '$1' records from events, got $n"
}

# expect_json JQ_EXPR: $output is one JSON document for which JQ_EXPR is true.
expect_json() {
	jq -e "$1" <<<"$output" >/dev/null || fail_with "expected JSON with: $1"
}

@test "events: --stats prints one stats record with memory usage and pid count" {
	run_container
	run berth events --stats "$CID"
	expect_status 0
	[ "$(wc -l <<<"$output")" -eq 1 ] || fail_with "expected one line"
	jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<<"$output" >/dev/null ||
		fail_with "not a stats record for '$CID'"
	expect_json '.data.memory.usage.usage > 0'
	expect_json '.data.pids.current >= 1'
}

@test "events: --stats uses runc's key names" {
	run_container
	run berth events --stats "$CID"
	expect_status 0
	expect_json '.data | has("cpu") and has("memory") and has("pids") and has("blkio") and has("hugetlb")'
	expect_json '.data.cpu.usage | has("kernel") and has("user")'
	expect_json '.data.memory.usage | has("limit") and has("failcnt")'
	expect_json '.data.memory | has("swap") and has("raw")'
}

@test "events: --stats reports the memory limit of the container" {
	requires cgroup_v1
	update_config '.linux.resources.memory = {"limit": 67108864}'
	run_container
	run berth events --stats "$CID"
	expect_status 0
	expect_json '.data.memory.usage.limit == 67108864'
}

@test "events: --stats reports the pids limit of the container" {
	update_config '.linux.resources.pids = {"limit": 77}'
	run_container
	run berth events --stats "$CID"
	expect_status 0
	expect_json '.data.pids.limit == 77'
}

@test "events: --stats works on a paused container" {
	run_container
	run berth pause "$CID"
	expect_status 0
	run berth events --stats "$CID"
	expect_status 0
	expect_json '.type == "stats"'
	run berth resume "$CID"
	expect_status 0
}

@test "events: --stats of a stopped container fails" {
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
	run berth events --stats "$CID"
	expect_fail_naming "not running"
}

@test "events: --stats of a container that does not exist fails" {
	run berth events --stats "nosuch-$CID"
	expect_fail_naming "does not exist"
}

@test "events: --interval 1s streams one stats record per interval" {
	run_container
	events_bg --interval 1s
	wait_for_records stats 2
	grep '"type":"stats"' "$EVENTS_OUT" | head -n 2 | jq -e --arg id "$CID" \
		'.id == $id and .data.pids.current >= 1' >/dev/null ||
		fail_with "bad stats records: $(head -c 400 "$EVENTS_OUT")"
}

@test "events: an OOM kill in the container is reported as an oom record" {
	requires cgroup_v1
	local cg=/sys/fs/cgroup/memory/berth-test-$CID
	if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
		update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	else
		update_config '.linux.resources.memory = {"limit": 33554432}'
	fi
	# the shell keeps 100 MB of output in memory: more than the limit
	set_args /bin/sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived'
	create_container
	events_bg --interval 10s
	run berth start "$CID"
	expect_status 0
	wait_for_records oom 1
	grep -q '^oom_kill [1-9]' "$cg/memory.oom_control" ||
		fail_with "the kernel counted no OOM kill: $(cat "$cg/memory.oom_control")"
	grep '"type":"oom"' "$EVENTS_OUT" | head -n 1 | jq -e --arg id "$CID" '.id == $id' >/dev/null ||
		fail_with "bad oom record: $(cat "$EVENTS_OUT")"
	if grep -q survived "$CTR_OUT"; then
		fail_with "the process was not killed"
	fi
}

@test "events: the stream ends when the container stops" {
	requires berth -- runc 1.1 keeps watching until the cgroup is removed at delete
	run_container
	events_bg --interval 1s
	# the stream must be open before the kill (under load `events` could start after it
	# and rightly refuse a stopped container)
	wait_for_records stats 1
	run berth kill "$CID" KILL
	expect_status 0
	status=0
	wait "$EVENTS_PID" || status=$?
	EVENTS_PID=
	expect_status 0
}

@test "events: SIGTERM ends the stream with status 0" {
	requires berth -- runc dies of the signal
	run_container
	events_bg --interval 1s
	wait_for_records stats 1
	kill -TERM "$EVENTS_PID"
	status=0
	wait "$EVENTS_PID" || status=$?
	EVENTS_PID=
	expect_status 0
	# every line written is a whole record
	jq -e . "$EVENTS_OUT" >/dev/null || fail_with "not JSON lines: $(cat "$EVENTS_OUT")"
}

@test "events: a zero --interval is refused" {
	run_container
	run berth events --interval 0s "$CID"
	expect_fail_naming interval
}

@test "events: an --interval that is not a duration is refused" {
	run_container
	run berth events --interval soon "$CID"
	expect_fail_naming soon
}

@test "events: --help prints the usage" {
	run berth events --help
	expect_status 0
	expect_output_contains "--stats" "--interval"
}
