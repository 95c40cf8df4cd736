#!/usr/bin/env bats
# seccomp notify (runtime-spec config-linux.md, "listenerPath"): for every process that
# loads a filter with SCMP_ACT_NOTIFY rules, the runtime sends the agent listening at
# linux.seccomp.listenerPath one message: the ContainerProcessState JSON with the notify fd
# as SCM_RIGHTS. tests/helpers/seccompagent logs each message and answers every notified
# syscall with errno 123 (ENOMEDIUM, which mkdir never gives on its own).

load ../helpers

AGENT=$BUILD_DIR/tests/helpers/seccompagent

setup() {
	setup_bundle
	[ -x "$AGENT" ] || make -C "$BERTH_TOP" --no-print-directory BUILD="$BUILD_DIR" "$AGENT" >&2
	SOCK=$TEST_TMP/agent.sock
	ALOG=$TEST_TMP/agent.log
	"$AGENT" "$SOCK" "$ALOG" 123 3>&- &
	AGENT_PID=$!
	for ((i = 0; i < 50; i++)); do
		[ -S "$SOCK" ] && break
		sleep 0.1
	done
	[ -S "$SOCK" ] || fail_with "the agent did not listen on '$SOCK'"
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $s,
		"listenerMetadata": "meta-x",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' --arg s "$SOCK"
}

teardown() {
	[ -n "${AGENT_PID:-}" ] && kill "$AGENT_PID" 2>/dev/null
	teardown_bundle
}

# agent_msg N: the Nth message the agent received (1-based), as one JSON line
agent_msg() {
	grep '^{' "$ALOG" | sed -n "${1}p"
}

# wait_msgs N: until the agent logged N messages
wait_msgs() {
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c '^{' "$ALOG" 2>/dev/null)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail_with "the agent got $(grep -c '^{' "$ALOG" 2>/dev/null) messages, expected $1: $(cat "$ALOG" 2>/dev/null)"
}

@test "seccomp notify: the init's notify fd reaches the agent with the container's state" {
	set_args syscall mkdir /x
	run_fg
	expect_status 0
	expect_output_contains "mkdir: errno 123"
	wait_msgs 1
	msg=$(agent_msg 1)
	jq -e --arg id "$CID" '.fds == ["seccompFd"] and .metadata == "meta-x" and .pid > 0
		and .state.id == $id and (.ociVersion | type) == "string"' <<<"$msg" >/dev/null ||
		fail_with "agent message: $msg"
	grep -qx "fds 1" "$ALOG" || fail_with "agent log: $(cat "$ALOG")"
}

# regression: issue #15 (an exec'd process's notified syscalls failed with ENOSYS)
@test "seccomp notify: an exec'd process's notify fd reaches the agent too" {
	not_runtime crun "1.8.1 sends pid 0 and bundle '.' in an exec'd process's message"
	run_container
	wait_msgs 1
	run berth exec --pid-file "$TEST_TMP/exec.pid" "$CID" /bin/testinit syscall mkdir /y
	expect_status 0
	expect_output_contains "mkdir: errno 123"
	wait_msgs 2
	msg=$(agent_msg 2)
	jq -e --arg id "$CID" --argjson init "$(container_pid)" --argjson pid "$(cat "$TEST_TMP/exec.pid")" \
		'.fds == ["seccompFd"] and .metadata == "meta-x" and .pid == $pid and .pid != $init
		and .state.id == $id and .state.status == "running"' <<<"$msg" >/dev/null ||
		fail_with "agent message: $msg"
	[ "$(grep -cx "fds 1" "$ALOG")" = 2 ] || fail_with "agent log: $(cat "$ALOG")"
}

@test "seccomp notify: an agent that is not listening fails create, naming listenerPath" {
	kill "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	rm -f "$SOCK"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ "$(runtime_name)" = berth ] || return 0
	expect_output_contains listenerPath "$SOCK"
}
