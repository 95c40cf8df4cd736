#!/usr/bin/env bats
# The runtime core beyond the shared lifecycle suite: the pid-recycling guard, create
# races, signal forwarding of a foreground run, the exec fifo handshake, runc's flag
# spellings, stale state, cgroup placement of the init, exec into a pid namespace.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	[ -n "${STRANGER:-}" ] && kill -9 "$STRANGER" 2>/dev/null
	teardown_bundle
}

# The state file of a container (berth's own layout: <root>/<id>/state.json).
state_file() {
	echo "$ROOT/${1:-$CID}/state.json"
}

@test "state: a recorded pid that now names another process reads as stopped and is never signalled" {
	requires berth -- "edits berth's own state.json to simulate pid reuse"
	set_args pause
	run_container
	# a stranger takes the container's pid number: same pid, another start time
	sleep 1000 &
	STRANGER=$!
	jq --argjson p "$STRANGER" '.pid = $p' "$(state_file)" >"$TEST_TMP/s" && mv "$TEST_TMP/s" "$(state_file)"
	[ "$(state_of "$CID")" = stopped ] || fail_with "status is '$(state_of "$CID")', expected stopped"
	run berth kill "$CID" KILL
	expect_fail_naming "$CID" "not running"
	run berth delete --force "$CID"
	expect_status 0
	kill -0 "$STRANGER" || fail_with "the stranger process $STRANGER was signalled"
}

@test "create: concurrent creates of one id: exactly one succeeds, the others say it exists" {
	local i ok=0 exists=0 pids=()
	for i in 1 2 3 4 5 6; do
		"$BERTH" --root "$ROOT" create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/c$i.out" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	for i in 1 2 3 4 5 6; do
		if [ ! -s "$TEST_TMP/c$i.out" ]; then
			ok=$((ok + 1))
		elif grep -q "container '$CID' already exists" "$TEST_TMP/c$i.out"; then
			exists=$((exists + 1))
		else
			cat "$TEST_TMP/c$i.out" >&2
		fi
	done
	[ "$ok" = 1 ] && [ "$exists" = 5 ] || fail_with "$ok succeeded, $exists said 'already exists' (want 1 and 5)"
	[ "$(state_of "$CID")" = created ] || fail_with "the winner is '$(state_of "$CID")'"
}

@test "run: a signal sent to a foreground run reaches the container and the run returns 128+N" {
	set_args pause
	# the binary itself, not the berth() shell function: $! must be the runtime's pid
	"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>&1 &
	local pid=$!
	wait_for_output "pause: ready"
	kill -USR1 "$pid"
	status=0
	wait "$pid" || status=$?
	output=$(cat "$CTR_OUT")
	expect_status 138
	expect_output_contains "pause: got signal 10"
	[ -z "$(berth list -q)" ] || fail_with "the run left '$(berth list -q)' behind"
}

@test "run: a container killed by SIGKILL makes the foreground run exit 137" {
	set_args pause
	"$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >"$CTR_OUT" 2>&1 &
	local pid=$!
	wait_for_output "pause: ready"
	run berth kill "$CID" KILL
	expect_status 0
	status=0
	wait "$pid" || status=$?
	expect_status 137
}

# regression: start failed with "process N: No such process" when the container's
# process had exited before start looked at it (start took the pidfd after opening the
# fifo, which already let the process run)
@test "start: a process that exits at once still starts cleanly" {
	set_args exit 0
	local i
	for i in 1 2 3 4 5; do
		run berth_detached create --bundle "$BUNDLE" "$CID"
		expect_status 0
		run berth start "$CID"
		expect_status 0
		run berth delete --force "$CID"
		expect_status 0
	done
}

@test "cli: global flags work in runc's spellings: -root, --root=DIR, --log-format=json" {
	create_container
	run "$BERTH" -root "$ROOT" state "$CID"
	expect_status 0
	run "$BERTH" --root="$ROOT" --log-format=json --log="$TEST_TMP/log.json" state "$CID"
	expect_status 0
	run "$BERTH" --root "$ROOT" kill -a "$CID" 9
	expect_status 0
	wait_for_state "$CID" stopped
}

@test "log: a failing command writes one error record; a successful one writes none" {
	create_container
	run berth --log "$TEST_TMP/log.json" --log-format json state "$CID"
	expect_status 0
	[ ! -s "$TEST_TMP/log.json" ] || fail_with "log after success: $(cat "$TEST_TMP/log.json")"
	run berth --log "$TEST_TMP/log.json" --log-format json start nosuch
	expect_failure
	[ "$(grep -c '"level":"error"' "$TEST_TMP/log.json")" = 1 ] ||
		fail_with "log: $(cat "$TEST_TMP/log.json")"
	jq -e '.msg | test("nosuch")' "$TEST_TMP/log.json" >/dev/null || fail_with "record does not name the id"
}

@test "delete --force: an unknown id succeeds, as in runc" {
	run berth delete --force nosuch
	expect_status 0
	run berth delete nosuch
	expect_fail_naming nosuch
}

@test "delete --force: a state directory a crashed create left behind is removed" {
	requires berth -- "berth's own state layout"
	mkdir -p "$ROOT/$CID"
	run berth create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "already exists"
	run berth delete --force "$CID"
	expect_status 0
	[ ! -e "$ROOT/$CID" ] || fail_with "'$ROOT/$CID' is still there"
	create_container
}

@test "create: a config without process creates; start fails, says there is nothing to run, and leaves it stopped" {
	requires berth -- "runc fails the create"
	update_config 'del(.process)'
	create_container
	[ "$(state_of "$CID")" = created ] || fail_with "status '$(state_of "$CID")'"
	run berth start "$CID"
	expect_fail_naming "$CID" "no process" "now stopped"
	wait_for_state "$CID" stopped
	run berth start "$CID"
	expect_fail_naming "$CID" "stopped"
	run berth delete "$CID"
	expect_status 0
}

@test "cgroup: the init is in the container's cgroup of every hierarchy" {
	set_args pause
	run_container
	local pid line bad=
	pid=$(container_pid)
	while IFS= read -r line; do
		case $line in
		*":/berth-test-$CID") ;;
		*) bad="$bad [$line]" ;;
		esac
	done <"/proc/$pid/cgroup"
	[ -z "$bad" ] || fail_with "not in the container's cgroup:$bad"
}

@test "exec: the process joins the container's pid namespace" {
	set_args pause
	run_container
	run berth exec "$CID" /bin/testinit pid
	expect_status 0
	[[ "$output" =~ ^pid=([0-9]+) ]] || fail_with "no pid line"
	[ "${BASH_REMATCH[1]}" -lt 100 ] || fail_with "pid ${BASH_REMATCH[1]} is a host pid"
}

@test "exec: a missing command fails and names it; the container keeps running" {
	set_args pause
	run_container
	run berth exec "$CID" /bin/nosuch
	expect_fail_naming /bin/nosuch
	[ "$(state_of "$CID")" = running ] || fail_with "status '$(state_of "$CID")'"
}

@test "create: LISTEN_FDS passes the listen fds and sets LISTEN_PID=1" {
	set_args env
	LISTEN_FDS=1 berth_keep_fds run --bundle "$BUNDLE" "$CID" 3<"$BUNDLE/config.json" </dev/null >"$CTR_OUT" 2>&1
	output=$(cat "$CTR_OUT")
	expect_output_contains "LISTEN_FDS=1" "LISTEN_PID=1"
}

@test "kill: a created container can be signalled; status then reads stopped" {
	create_container
	run berth kill "$CID" SIGKILL
	expect_status 0
	wait_for_state "$CID" stopped
	run berth delete "$CID"
	expect_status 0
}
