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
