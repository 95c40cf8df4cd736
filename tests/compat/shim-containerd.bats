#!/usr/bin/env bats
# berth-shim under a real containerd 1.6 (runtime io.containerd.berth.v2), driven by
# ctr, with the shim running runc as its OCI runtime (so these results do not depend on
# the berth runtime; shim-containerd-berth.bats runs the same scenarios with berth).

load ../integration/shim/containerd
load ../integration/shim/scenarios

setup_file() {
	command -v containerd >/dev/null || skip "containerd not installed"
	[ -x "$SHIM_BUILD_DIR/containerd-shim-berth-v2" ] || skip "build/containerd-shim-berth-v2 not built"
	shim_containerd_start runc
}

teardown_file() {
	shim_containerd_stop
}

@test "shim+runc: ctr run --rm prints the output and returns the exit code" {
	scenario_run_rm_prints_output_and_returns_exit_code
}

@test "shim+runc: stdin reaches the container and its EOF ends cat" {
	scenario_stdin_reaches_the_container_and_eof_ends_it
}

@test "shim+runc: run -d, exec, pause/resume, metrics, ps, kill, rm" {
	scenario_detached_lifecycle_exec_pause_metrics_kill_rm
}

@test "shim+runc: ctr run -t gives the process a terminal" {
	scenario_tty_gives_the_process_a_terminal
}

@test "shim+runc: ctr events shows the task events in order" {
	scenario_events_are_published_in_order
}

@test "shim+runc: --log-uri file:// writes CRI log lines" {
	scenario_log_uri_writes_cri_lines
}

@test "shim+runc: a task survives kill -9 of containerd and is killable and deletable after restart" {
	scenario_task_survives_containerd_kill9_and_restart
}

@test "shim+runc: a runtime error reaches ctr with the runtime's message" {
	scenario_runtime_errors_reach_the_client
}

@test "shim+runc: an OOM kill in the container publishes /tasks/oom between start and exit" {
	scenario_oom_kill_publishes_task_oom
}

@test "shim+runc: ctr run of an imported image mounts the snapshot as the rootfs" {
	scenario_image_rootfs_is_mounted_by_the_shim
}
