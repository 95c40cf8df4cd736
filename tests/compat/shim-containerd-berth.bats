#!/usr/bin/env bats
# berth-shim under a real containerd 1.6 (runtime io.containerd.berth.v2), driven by
# ctr, with the shim running build/berth as its OCI runtime (shim-containerd.bats runs the
# same scenarios with runc; a failure only here points at berth, not at the shim).

load ../integration/shim/containerd
load ../integration/shim/scenarios

setup_file() {
	command -v containerd >/dev/null || skip "containerd not installed"
	[ -x "$SHIM_BUILD_DIR/containerd-shim-berth-v2" ] || skip "build/containerd-shim-berth-v2 not built"
	[ -x "$SHIM_BUILD_DIR/berth" ] || skip "build/berth not built"
	shim_containerd_start "$SHIM_BUILD_DIR/berth"
	local why
	why=$(runtime_smoke "$SHIM_BUILD_DIR/berth") || skip "build/berth cannot run a container by itself yet ($why)"
}

# requires_verb VERB: skips while build/berth does not know VERB yet (the runc file
# covers the shim's side of it)
requires_verb() {
	"$SHIM_BUILD_DIR/berth" "$1" --help 2>&1 | grep -q "unknown command" &&
		skip "build/berth has no '$1' command yet"
	return 0
}

teardown_file() {
	shim_containerd_stop
}

@test "shim+berth: ctr run --rm prints the output and returns the exit code" {
	scenario_run_rm_prints_output_and_returns_exit_code
}

@test "shim+berth: stdin reaches the container and its EOF ends cat" {
	scenario_stdin_reaches_the_container_and_eof_ends_it
}

@test "shim+berth: run -d, exec, pause/resume, metrics, ps, kill, rm" {
	requires_verb exec
	scenario_detached_lifecycle_exec_pause_metrics_kill_rm
}

@test "shim+berth: ctr run -t gives the process a terminal" {
	scenario_tty_gives_the_process_a_terminal
}

@test "shim+berth: ctr events shows the task events in order" {
	requires_verb exec
	scenario_events_are_published_in_order
}

@test "shim+berth: --log-uri file:// writes CRI log lines" {
	scenario_log_uri_writes_cri_lines
}

# write_test_logger: $SHIM_T/logger.sh, a logger with containerd's contract (fds 3/4 =
# stdout/stderr, closes fd 5 when ready) for binary://$SHIM_T/logger.sh?out=FILE: it
# writes "env <its environment>", then "stdout <line>" / "stderr <line>", and
# "logger-exit" once both streams ended
write_test_logger() {
	cat >"$SHIM_T/logger.sh" <<-'EOF'
		#!/bin/sh
		out=
		while [ $# -ge 2 ]; do
			[ "$1" = out ] && out=$2
			shift 2
		done
		echo "env $(tr '\0' ' ' </proc/$$/environ)" >>"$out"
		exec 5>&-
		while IFS= read -r l; do echo "stdout $l"; done <&3 >>"$out" &
		while IFS= read -r l; do echo "stderr $l"; done <&4 >>"$out" &
		exec 3<&- 4<&-
		wait
		echo logger-exit >>"$out"
	EOF
	chmod 755 "$SHIM_T/logger.sh"
}

@test "shim+berth: ctr run --log-uri binary:// hands stdout and stderr to the logging binary" {
	write_test_logger
	run ctr_run --rm --log-uri="binary://$SHIM_T/logger.sh?out=$SHIM_T/binlog.txt" t-binlog \
		/bin/sh -c 'echo to-out-1; echo to-err >&2; echo to-out-2; exit 4' </dev/null
	echo "ctr: $output"
	[ "$status" -eq 4 ]
	cat "$SHIM_T/binlog.txt"
	grep -qx 'env CONTAINER_ID=t-binlog CONTAINER_NAMESPACE=default ' "$SHIM_T/binlog.txt"
	[ "$(grep '^stdout ' "$SHIM_T/binlog.txt" | tr '\n' ,)" = "stdout to-out-1,stdout to-out-2," ]
	grep -qx 'stderr to-err' "$SHIM_T/binlog.txt"
	# the exit was published after the logger had written everything and exited
	[ "$(tail -1 "$SHIM_T/binlog.txt")" = logger-exit ]
	[ -z "$(task_status t-binlog)" ]
}

@test "shim+berth: ctr task exec --log-uri binary:// starts a logger named by the exec id" {
	requires_verb exec
	write_test_logger
	ctr_run -d t-binexec /bin/sleep 1000 </dev/null
	wait_status t-binexec RUNNING
	run ctr_ task exec --exec-id e-log --log-uri "binary://$SHIM_T/logger.sh?out=$SHIM_T/execlog.txt" \
		t-binexec /bin/sh -c 'echo exec-out; echo exec-err >&2; exit 3'
	echo "exec: $output"
	[ "$status" -eq 3 ]
	cat "$SHIM_T/execlog.txt"
	# containerd's shim gives an exec's logger the exec id as CONTAINER_ID
	grep -qx 'env CONTAINER_ID=e-log CONTAINER_NAMESPACE=default ' "$SHIM_T/execlog.txt"
	grep -qx 'stdout exec-out' "$SHIM_T/execlog.txt"
	grep -qx 'stderr exec-err' "$SHIM_T/execlog.txt"
	[ "$(tail -1 "$SHIM_T/execlog.txt")" = logger-exit ]
	ctr_ task kill -s KILL t-binexec
	wait_status t-binexec STOPPED
	ctr_ task rm t-binexec
	ctr_ containers rm t-binexec
}

@test "shim+berth: a task survives kill -9 of containerd and is killable and deletable after restart" {
	scenario_task_survives_containerd_kill9_and_restart
}

@test "shim+berth: a runtime error reaches ctr with the runtime's message" {
	scenario_runtime_errors_reach_the_client
}

@test "shim+berth: an OOM kill in the container publishes /tasks/oom between start and exit" {
	scenario_oom_kill_publishes_task_oom
}

@test "shim+berth: ctr run of an imported image mounts the snapshot as the rootfs" {
	scenario_image_rootfs_is_mounted_by_the_shim
}
