# tests/integration/shim/scenarios.bash - what containerd + ctr do with berth-shim,
# shared by tests/compat/shim-containerd*.bats (one file per runtime the shim drives).
# Each scenario fails with a message saying what it expected and what it got.

scenario_run_rm_prints_output_and_returns_exit_code() {
	run ctr_run --rm t-rm /bin/sh -c 'echo out-line; echo err-line >&2; exit 7' </dev/null
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == *out-line* ]]
	[[ "$output" == *err-line* ]]
	# --rm removed the task and the container, and the shim exited
	[ -z "$(task_status t-rm)" ]
	! ctr_ containers ls -q | grep -qx t-rm || false
}

scenario_stdin_reaches_the_container_and_eof_ends_it() {
	run ctr_run --rm t-stdin /bin/sh -c 'cat; echo done' < <(printf 'from-stdin\n')
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *from-stdin*done* ]]
}

scenario_detached_lifecycle_exec_pause_metrics_kill_rm() {
	local spid
	run ctr_run -d t-d /bin/sleep 1000 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status t-d RUNNING
	spid=$(shim_pid t-d)
	[ "$(cat "/proc/$spid/comm")" = berth-shim ]

	run ctr_ task exec --fifo-dir "$SHIM_T/fifo" --exec-id e1 t-d /bin/sh -c 'echo exec-out; exit 5'
	echo "exec: $output"
	[ "$status" -eq 5 ]
	[[ "$output" == *exec-out* ]]

	run ctr_ task exec --fifo-dir "$SHIM_T/fifo" --exec-id e2 t-d /nonexistent-binary
	echo "exec missing binary: $output"
	[ "$status" -ne 0 ]
	[ "$(task_status t-d)" = RUNNING ]

	run ctr_ task exec --fifo-dir "$SHIM_T/fifo" --exec-id e3 t-d /bin/sh -c 'cat; echo exec-eof' < <(printf 'exec-stdin\n')
	echo "exec stdin: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *exec-stdin*exec-eof* ]]

	run script -qec "ctr -a $SHIM_T/c.sock task exec -t --fifo-dir $SHIM_T/fifo --exec-id e4 t-d /bin/sh -c 'test -t 0 && echo exec-tty; exit 4'" /dev/null </dev/null 3>&-
	echo "exec -t: $output"
	[ "$status" -eq 4 ]
	[[ "$output" == *exec-tty* ]]

	ctr_ task pause t-d
	wait_status t-d PAUSED
	ctr_ task resume t-d
	wait_status t-d RUNNING

	run ctr_ task metrics t-d
	echo "metrics: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *memory* ]]
	[[ "$output" == *pids.current* ]]

	ctr_ task exec -d --fifo-dir "$SHIM_T/fifo" --exec-id bg t-d /bin/sleep 999 </dev/null
	run ctr_ task ps t-d
	echo "ps: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(ctr_ task ls | awk '$1=="t-d"{print $2}')"* ]]
	# the exec'd process is named by its exec id (runc.v1.ProcessDetails)
	[[ "$output" == *ExecID:bg* ]]

	# a running task cannot be deleted
	run ctr_ task rm t-d
	[ "$status" -ne 0 ]
	[[ "$output" == *stopped* ]]

	ctr_ task kill --all -s KILL t-d
	wait_status t-d STOPPED
	ctr_ task rm t-d
	ctr_ containers rm t-d
	[ -z "$(task_status t-d)" ]
	local i
	for i in $(seq 50); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$spid" 2>/dev/null || { echo "shim $spid still alive after task rm"; return 1; }
	# the shim removed its socket
	[ -z "$(ls -A "$SHIM_T/s" 2>/dev/null)" ]
}

scenario_tty_gives_the_process_a_terminal() {
	local cmd
	# runc names the pty /dev/pts/N, a runtime may show it as /dev/console: test isatty
	cmd="ctr -a $SHIM_T/c.sock run --rm -t --fifo-dir $SHIM_T/fifo --rootfs --runtime $SHIM_RUNTIME_NAME $SHIM_T/rootfs t-tty /bin/sh -c 'test -t 0 && test -t 1 && echo stdio-is-a-tty; exit 3'"
	run script -qec "$cmd" /dev/null </dev/null 3>&-
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *stdio-is-a-tty* ]]
}

scenario_events_are_published_in_order() {
	( ctr_ events >"$SHIM_T/events.txt" 2>&1 & echo $! >"$SHIM_T/events.bgpid" )
	sleep 0.5 # let the subscription start; the assertion below does not depend on timing
	ctr_run --rm t-ev /bin/true </dev/null
	ctr_run -d t-ev2 /bin/sleep 100 </dev/null
	ctr_ task exec --fifo-dir "$SHIM_T/fifo" --exec-id x t-ev2 /bin/true
	ctr_ task pause t-ev2
	ctr_ task resume t-ev2
	ctr_ task kill -s KILL t-ev2
	wait_status t-ev2 STOPPED
	ctr_ task rm t-ev2
	local i
	for i in $(seq 100); do
		grep -q '/tasks/delete.*t-ev2' "$SHIM_T/events.txt" && break
		sleep 0.1
	done
	kill "$(cat "$SHIM_T/events.bgpid")"
	cat "$SHIM_T/events.txt"
	got=$(grep -o '/tasks/[a-z-]*' "$SHIM_T/events.txt" | tr '\n' ' ')
	want="/tasks/create /tasks/start /tasks/exit /tasks/delete /tasks/create /tasks/start /tasks/exec-added /tasks/exec-started /tasks/exit /tasks/paused /tasks/resumed /tasks/exit /tasks/delete "
	[ "$got" = "$want" ] || { echo "expected: $want"; echo "got:      $got"; return 1; }
	grep -q '"exit_status":137' "$SHIM_T/events.txt"
}

scenario_log_uri_writes_cri_lines() {
	run ctr_run --rm --log-uri="file://$SHIM_T/ctr.log" t-log /bin/sh -c 'echo line-one; printf tail-no-newline; echo to-err >&2' </dev/null
	[ "$status" -eq 0 ]
	cat "$SHIM_T/ctr.log"
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F line-one$' "$SHIM_T/ctr.log"
	grep -Eq ' stdout F tail-no-newline$' "$SHIM_T/ctr.log"
	grep -Eq ' stderr F to-err$' "$SHIM_T/ctr.log"
}

scenario_task_survives_containerd_kill9_and_restart() {
	ctr_run -d t-surv /bin/sleep 1000 </dev/null
	wait_status t-surv RUNNING
	local spid
	spid=$(shim_pid t-surv)
	shim_containerd_kill9
	kill -0 "$spid"
	shim_containerd_launch
	wait_status t-surv RUNNING
	ctr_ task kill -s KILL t-surv
	wait_status t-surv STOPPED
	ctr_ task rm t-surv
	ctr_ containers rm t-surv
	[ -z "$(task_status t-surv)" ]
}

scenario_runtime_errors_reach_the_client() {
	run ctr_run --rm t-err /no/such/binary </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	# the runtime's own error record from log.json, not just an exit status
	[[ "$output" == *no/such/binary* ]] || [[ "$output" == *"no such file"* ]]
	[ -z "$(task_status t-err)" ]
}

scenario_oom_kill_publishes_task_oom() {
	[ -d /sys/fs/cgroup/memory ] || skip "no cgroup v1 memory controller (TaskOOM is watched there)"
	( ctr_ events >"$SHIM_T/oom-events.txt" 2>&1 & echo $! >"$SHIM_T/oom-events.bgpid" )
	sleep 0.5 # let the subscription start; the assertion below does not depend on timing
	# busybox tail holds the endless "line" of zeros in memory until the limit kills it
	# (the kernel picks the victim, so whether sh survives to say so is not asserted)
	run ctr_run --rm --memory-limit=20000000 t-oom /bin/sh -c 'head -c 200m /dev/zero | tail >/dev/null; echo survived' </dev/null
	echo "status $status: $output"
	local i
	for i in $(seq 100); do
		grep -q '/tasks/delete.*t-oom' "$SHIM_T/oom-events.txt" && break
		sleep 0.1
	done
	kill "$(cat "$SHIM_T/oom-events.bgpid")"
	got=$(grep -o '/tasks/[a-z-]*' "$SHIM_T/oom-events.txt" | uniq | tr '\n' ' ')
	[ "$got" = "/tasks/create /tasks/start /tasks/oom /tasks/exit /tasks/delete " ] ||
		{ echo "expected create, start, oom, exit, delete; got: $got"; return 1; }
}

scenario_image_rootfs_is_mounted_by_the_shim() {
	command -v umoci >/dev/null && command -v skopeo >/dev/null || skip "umoci/skopeo not installed"
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$SHIM_T/img" --name localhost/shim-test:latest --layers 2 >/dev/null
	ctr_ images import "$SHIM_T/img/image.oci.tar" >/dev/null
	# the snapshotter's overlay reaches the shim as CreateTaskRequest.rootfs mounts
	run ctr_ run --rm --fifo-dir "$SHIM_T/fifo" --runtime "$SHIM_RUNTIME_NAME" \
		localhost/shim-test:latest t-img /bin/sh -c 'cat /data/layer2 >/dev/null && echo from-image' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *from-image* ]]
	# nothing stays mounted on the task's bundle rootfs
	! grep -q "$SHIM_T/state/io.containerd.runtime.v2.task/default/t-img" /proc/self/mounts || false
}
