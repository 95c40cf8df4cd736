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
	! ctr_ containers ls -q | grep -qx t-rm
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

	ctr_ task pause t-d
	wait_status t-d PAUSED
	ctr_ task resume t-d
	wait_status t-d RUNNING

	run ctr_ task metrics t-d
	echo "metrics: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *memory* ]]
	[[ "$output" == *pids.current* ]]

	run ctr_ task ps t-d
	echo "ps: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(ctr_ task ls | awk '$1=="t-d"{print $2}')"* ]]

	# a running task cannot be deleted
	run ctr_ task rm t-d
	[ "$status" -ne 0 ]
	[[ "$output" == *stopped* ]]

	ctr_ task kill -s KILL t-d
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
	cmd="ctr -a $SHIM_T/c.sock run --rm -t --fifo-dir $SHIM_T/fifo --rootfs --runtime $SHIM_RUNTIME_NAME $SHIM_T/rootfs t-tty /bin/sh -c 'tty; exit 3'"
	run script -qec "$cmd" /dev/null </dev/null 3>&-
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == */dev/pts/* ]]
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
