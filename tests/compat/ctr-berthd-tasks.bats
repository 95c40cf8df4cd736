#!/usr/bin/env bats
# berthd's Tasks service driven by Debian's ctr (the containerd 1.6 client): ctr run (--rm and
# -d), task ls/ps/exec/pause/resume/kill/rm/metrics, checkpoint refused, events of a task's
# life, errors of the raw API, and a berthd restart with a running task. Tasks run on berth's
# own shim (build/containerd-shim-berth-v2, runtime io.containerd.berth.v2, which runs
# build/berth); one test uses Debian's containerd-shim-runc-v2 + runc.
#
# Each test starts its own berthd on a private temp dir $T (root, state, sockets, shim sockets
# $T/s, runtime state $T/berth, ctr FIFOs $T/fifo) in a namespace unique to the test, so the
# containers' cgroups (/<ns>/<id>) are found and removed in teardown even when a test fails.

load compat-helpers

BERTHD=${BERTHD:-$COMPAT_BUILD_DIR/berthd}
IMAGE=localhost/berth-tasks:latest
BERTH_RT=io.containerd.berth.v2

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	export IMG_TMP
	IMG_TMP=$(compat_tmpdir tasks-img)
	compat_image "$IMG_TMP/img" "$IMAGE"
}

teardown_file() {
	[ -n "${IMG_TMP:-}" ] && rm -rf "$IMG_TMP"
	return 0
}

setup() {
	compat_need ctr
	T=$(compat_tmpdir tasks)
	SOCK=$T/berthd.sock
	NS=berth-tasks-$(echo "$T" | md5sum | cut -c1-10)
	mkdir -p "$T/fifo"
	start_berthd -l debug
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
}

teardown() {
	local id
	if [ -n "${BERTHD_PID:-}" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
		for id in $(ctr_t 10 task ls -q 2>/dev/null); do
			ctr_t 10 task resume "$id" >/dev/null 2>&1
			ctr_t 10 task kill -s KILL "$id" >/dev/null 2>&1
			ctr_t 20 task rm -f "$id" >/dev/null 2>&1
		done
	fi
	stop_berthd
	# what a failed test may leave: shims (their command line names $T), container
	# processes (in the namespace's cgroups), mounts, runc's state for the runc shim
	compat_kill_procs_under "$T"
	compat_cgroup_remove "$NS"
	compat_umount_under "$T"
	rm -rf "/run/containerd/runc/$NS"
	rm -rf --one-file-system "$T"
}

ctr_b() {
	ctr_t 60 "$@"
}

# ctr_t SECS ARGS...: ctr against this berthd in $NS, killed after SECS seconds
ctr_t() {
	local secs=$1
	shift
	timeout -k 5 "$secs" ctr -a "$SOCK" -n "$NS" "$@" 3>&-
}

# run_d ID CMD...: a detached task on berth's shim
run_d() {
	local id=$1
	shift
	ctr_b run -d --fifo-dir "$T/fifo" --runtime "$BERTH_RT" "$IMAGE" "$id" "$@"
}

# task_status ID: the STATUS column of `ctr task ls` for ID
task_status() {
	ctr_b task ls | awk -v id="$1" '$1 == id { print $3 }'
}

# wait_status ID STATUS: polls `ctr task ls` until ID has STATUS (10 s at most)
wait_status() {
	local st
	for _ in $(seq 100); do
		st=$(task_status "$1")
		[ "$st" = "$2" ] && return 0
		sleep 0.1
	done
	echo "task $1: expected status $2, got '$st'"
	return 1
}

# raw_call METHOD HEXBYTES: one Tasks call with a hand-encoded request, prints "CODE: details"
raw_call() {
	/usr/bin/python3 - "$SOCK" "$NS" "$1" "$2" <<-'EOF'
		import sys, grpc
		sock, ns, method, payload = sys.argv[1:5]
		ch = grpc.insecure_channel("unix:" + sock)
		f = ch.unary_unary("/containerd.services.tasks.v1.Tasks/" + method)
		try:
		    f(bytes.fromhex(payload), metadata=[("containerd-namespace", ns)], timeout=30)
		    print("OK")
		except grpc.RpcError as e:
		    print("%s: %s" % (e.code().name, e.details()))
	EOF
}

# pb_field FIELD HEX: hex of a length-delimited protobuf field (< 128 bytes) holding HEX
pb_field() {
	printf '%02x%02x%s' $(($1 << 3 | 2)) $((${#2} / 2)) "$2"
}

# pb_string FIELD STRING: hex of a protobuf string field
pb_string() {
	pb_field "$1" "$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')"
}

needs_grpcio() {
	/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio"
}

@test "ctr run --rm: prints the command's output and exits with its status" {
	run ctr_b run --rm --fifo-dir "$T/fifo" --runtime "$BERTH_RT" --snapshotter overlayfs \
		"$IMAGE" rm1 sh -c 'echo hello from berth; exit 7'
	[ "$status" -eq 7 ] || { echo "status $status: $output"; cat "$T/berthd.log"; false; }
	[ "$output" = "hello from berth" ]
	# --rm: task, container and bundle are gone
	[ -z "$(ctr_b task ls -q)" ]
	[ -z "$(ctr_b containers ls -q)" ]
	[ ! -e "$T/state/io.containerd.runtime.v2.task/$NS/rm1" ]
}

@test "ctr run -d: task ls shows the task RUNNING and task ps lists its init pid" {
	run_d d1 sleep 1000
	run ctr_b task ls
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq '^d1 +[0-9]+ +RUNNING$' || { echo "$output"; false; }
	pid=$(echo "$output" | awk '$1 == "d1" { print $2 }')
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	run ctr_b task ps d1
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq "^$pid " || { echo "$output"; false; }
	# the bundle berthd made for the shim
	b=$T/state/io.containerd.runtime.v2.task/$NS/d1
	[ -p "$b/log" ]
	jq -e '.process.args == ["sleep", "1000"]' "$b/config.json"
	grep -q '^unix://' "$b/address"
}

@test "ctr task exec: the exec'd process's output and exit status reach ctr" {
	run_d x1 sleep 1000
	run ctr_b task exec --fifo-dir "$T/fifo" --exec-id e1 x1 sh -c 'echo in-exec; exit 5'
	[ "$status" -eq 5 ] || { echo "status $status: $output"; false; }
	[ "$output" = "in-exec" ]
	# the exec is deleted after it ran: the same id can be used again
	run ctr_b task exec --fifo-dir "$T/fifo" --exec-id e1 x1 true
	[ "$status" -eq 0 ]
}

@test "ctr run -t: the process runs on a terminal and its exit status comes back" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	run timeout 60 script -qec "ctr -a '$SOCK' -n '$NS' run --rm -t --fifo-dir '$T/fifo' \
		--runtime $BERTH_RT $IMAGE tty1 sh -c 'tty; exit 6'" /dev/null
	[ "$status" -eq 6 ] || { echo "status $status: $output"; false; }
	[[ "$output" == *"/dev/pts/"* ]] || { echo "$output"; false; }
}

@test "ctr task pause/resume: the task is PAUSED, then RUNNING again" {
	run_d p1 sleep 1000
	ctr_b task pause p1
	[ "$(task_status p1)" = PAUSED ]
	ctr_b task resume p1
	[ "$(task_status p1)" = RUNNING ]
}

@test "ctr task kill: a ctr run waiting on its task exits with the task's status 143" {
	ctr_b run --fifo-dir "$T/fifo" --runtime "$BERTH_RT" "$IMAGE" k1 \
		sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done' &
	runpid=$!
	wait_status k1 RUNNING
	ctr_b task kill k1
	st=0
	wait "$runpid" || st=$?
	[ "$st" -eq 143 ] || { echo "ctr run exited $st"; cat "$T/berthd.log"; false; }
	# ctr run removed the task after its Wait returned
	[ -z "$(ctr_b task ls -q)" ]
}

@test "ctr task kill -d task: STOPPED in task ls; task rm reports exit code 143" {
	run_d k2 sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done'
	wait_status k2 RUNNING
	ctr_b task kill k2
	wait_status k2 STOPPED
	run ctr_b task rm k2
	[ "$status" -eq 0 ]
	[[ "$output" == *"exit code 143"* ]] || { echo "$output"; false; }
	[ -z "$(ctr_b task ls -q)" ]
	[ ! -e "$T/state/io.containerd.runtime.v2.task/$NS/k2" ]
	ctr_b containers rm k2
}

@test "ctr task rm: a running task is refused; rm -f kills and removes it" {
	run_d f1 sleep 1000
	run ctr_b task rm f1
	[ "$status" -ne 0 ]
	[[ "$output" == *"must be stopped"* ]]
	[ "$(task_status f1)" = RUNNING ]
	run ctr_b task rm -f f1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(ctr_b task ls -q)" ]
	# no shim is left for the task (it exits after Shutdown)
	for _ in $(seq 50); do
		pgrep -f -- "-id f1 .*$SOCK" >/dev/null || break
		sleep 0.1
	done
	! pgrep -f -- "-id f1 .*$SOCK" >/dev/null || false
}

@test "ctr task metrics: memory usage and pid count of the task" {
	run_d m1 sleep 1000
	run ctr_b task metrics m1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output" | grep -E '^m1 '
	echo "$output" | grep -Eq '^memory\.usage_in_bytes +[1-9][0-9]*|^memory\.usage +[1-9]' ||
		{ echo "$output"; false; }
	echo "$output" | grep -Eq '^pids\.current +1 *$' || { echo "$output"; false; }
}

@test "ctr task checkpoint: Unimplemented, and the task keeps running" {
	run_d cp1 sleep 1000
	run ctr_b task checkpoint cp1
	[ "$status" -ne 0 ]
	[[ "$output" == *"checkpoint is not supported"* ]] || { echo "$output"; false; }
	[ "$(task_status cp1)" = RUNNING ]
}

@test "ctr events: a task's life publishes /tasks/create, start, exit and delete" {
	timeout 30 ctr -a "$SOCK" events >"$T/events" 2>&1 3>&- &
	evpid=$!
	sleep 0.5
	ctr_b run --rm --fifo-dir "$T/fifo" --runtime "$BERTH_RT" "$IMAGE" ev1 true
	for _ in $(seq 50); do grep -q /tasks/delete "$T/events" && break; sleep 0.1; done
	kill "$evpid"
	wait "$evpid" || true
	for topic in /tasks/create /tasks/start /tasks/exit /tasks/delete; do
		grep -E "^.* $NS $topic \{.*\"container_id\":\"ev1\"" "$T/events" ||
			{ echo "missing $topic in:"; cat "$T/events"; false; }
	done
}

@test "berthd publish: an event piped to the -publish-binary reaches ctr events" {
	timeout 30 ctr -a "$SOCK" events >"$T/events" 2>&1 3>&- &
	evpid=$!
	sleep 0.5
	any=$(pb_string 1 containerd.events.TaskOOM)$(pb_field 2 "$(pb_string 1 oom1)")
	printf '%b' "$(echo "$any" | sed 's/../\\x&/g')" |
		"$BERTHD" --address "$SOCK" publish --topic /tasks/oom --namespace "$NS"
	for _ in $(seq 50); do grep -q /tasks/oom "$T/events" && break; sleep 0.1; done
	kill "$evpid"
	wait "$evpid" || true
	grep -E " $NS /tasks/oom \{\"container_id\":\"oom1\"\}" "$T/events" || { cat "$T/events"; false; }
	# bad input is refused and named
	run "$BERTHD" --address "$SOCK" publish --topic /tasks/oom --namespace "$NS" <<<"garbage"
	[ "$status" -eq 1 ]
	[[ "$output" == *"stdin: not a packed google.protobuf.Any"* ]] || { echo "$output"; false; }
	run "$BERTHD" --address "$SOCK" publish --topic /tasks/oom </dev/null
	[ "$status" -eq 2 ]
}

@test "Tasks.Create: a container that does not exist is NotFound naming it" {
	needs_grpcio
	run raw_call Create "$(pb_string 1 ghost)"
	[ "$output" = "NOT_FOUND: container 'ghost': not found" ] || { echo "$output"; false; }
	[ ! -e "$T/state/io.containerd.runtime.v2.task/$NS/ghost" ]
}

@test "Tasks.Create: a second task for one container is AlreadyExists" {
	needs_grpcio
	run_d a1 sleep 1000
	run raw_call Create "$(pb_string 1 a1)"
	[ "$output" = "ALREADY_EXISTS: task 'a1': already exists" ] || { echo "$output"; false; }
	[ "$(task_status a1)" = RUNNING ]
}

@test "Tasks.Delete: a running task is FailedPrecondition and keeps running" {
	needs_grpcio
	run_d r1 sleep 1000
	run raw_call Delete "$(pb_string 1 r1)"
	[ "$output" = "FAILED_PRECONDITION: task 'r1' must be stopped before deletion: running" ] ||
		{ echo "$output"; false; }
	[ "$(task_status r1)" = RUNNING ]
	run raw_call Get "$(pb_string 1 nothere)"
	[ "$output" = "NOT_FOUND: container 'nothere': not found" ]
}

@test "Tasks.Update: new resources reach the task's cgroup (pids limit in task metrics)" {
	needs_grpcio
	run_d u1 sleep 1000
	res=$(pb_string 1 types.containerd.io/opencontainers/runtime-spec/1/LinuxResources)
	res=$res$(pb_string 2 '{"pids":{"limit":42}}')
	run raw_call Update "$(pb_string 1 u1)$(pb_field 2 "$res")"
	[ "$output" = OK ] || { echo "$output"; false; }
	run ctr_b task metrics u1
	echo "$output" | grep -Eq '^pids\.limit +42 *$' || { echo "$output"; false; }
}

@test "Tasks: a container without a task is NotFound naming the task" {
	needs_grpcio
	ctr_b containers create --runtime "$BERTH_RT" "$IMAGE" notask
	run raw_call Start "$(pb_string 1 notask)"
	[ "$output" = "NOT_FOUND: task 'notask' not found" ] || { echo "$output"; false; }
}

@test "berthd restart: a running task stays reachable (ls, exec, kill, rm)" {
	run_d rs1 sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done'
	pid=$(ctr_b task ls | awk '$1 == "rs1" { print $2 }')
	stop_berthd
	kill -0 "$pid" # the shim kept the container running
	start_berthd -l debug
	grep -q "task 'rs1' (namespace '$NS'): shim reconnected" "$T/berthd.log"
	run ctr_b task ls
	echo "$output" | grep -Eq "^rs1 +$pid +RUNNING$" || { echo "$output"; false; }
	run ctr_b task exec --fifo-dir "$T/fifo" --exec-id after rs1 echo still-here
	[ "$output" = still-here ]
	ctr_b task kill rs1
	wait_status rs1 STOPPED
	run ctr_b task rm rs1
	[[ "$output" == *"exit code 143"* ]] || { echo "$output"; false; }
}

@test "berthd restart: a bundle whose shim died is cleaned up" {
	run_d gone1 sleep 1000
	b=$T/state/io.containerd.runtime.v2.task/$NS/gone1
	stop_berthd
	compat_kill_procs_under "$T"
	compat_cgroup_remove "$NS"
	start_berthd -l debug
	grep -q "task 'gone1' (namespace '$NS'): shim gone" "$T/berthd.log"
	[ ! -e "$b" ]
	[ -z "$(ctr_b task ls -q)" ]
}

@test "a shim killed under a running task: berthd cleans up and publishes exit and delete" {
	run_d sd1 sleep 1000
	pid=$(ctr_b task ls | awk '$1 == "sd1" { print $2 }')
	shim=$(pgrep -f -- "-id sd1 .*$SOCK")
	[ -n "$shim" ]
	timeout 30 ctr -a "$SOCK" events >"$T/events" 2>&1 3>&- &
	evpid=$!
	sleep 0.5
	kill -9 "$shim"
	for _ in $(seq 100); do [ -z "$(ctr_b task ls -q)" ] && break; sleep 0.1; done
	[ -z "$(ctr_b task ls -q)" ] || { ctr_b task ls; cat "$T/berthd.log"; false; }
	grep -q "task 'sd1' (namespace '$NS'): shim died: cleaning up" "$T/berthd.log"
	# the bundle goes after `<shim> delete` ran (the task left the table first)
	b=$T/state/io.containerd.runtime.v2.task/$NS/sd1
	for _ in $(seq 100); do [ -e "$b" ] || break; sleep 0.1; done
	[ ! -e "$b" ]
	for _ in $(seq 50); do grep -q /tasks/delete "$T/events" && break; sleep 0.1; done
	kill "$evpid"
	wait "$evpid" || true
	grep -E " $NS /tasks/exit \{.*\"container_id\":\"sd1\"" "$T/events" || { cat "$T/events"; false; }
	grep -E " $NS /tasks/delete \{.*\"container_id\":\"sd1\"" "$T/events"
	# `<shim> delete` removed the container: its process is gone
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null || false
	ctr_b containers rm sd1
}

@test "berthd stops on SIGTERM while a ctr run waits on its task" {
	ctr_b run --fifo-dir "$T/fifo" --runtime "$BERTH_RT" "$IMAGE" wt1 sleep 1000 &
	runpid=$!
	wait_status wt1 RUNNING
	kill -TERM "$BERTHD_PID"
	for _ in $(seq 100); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$BERTHD_PID" 2>/dev/null || false
	wait "$BERTHD_PID" || true
	BERTHD_PID=
	wait "$runpid" || true
	# the task outlives berthd; the next berthd finds it
	start_berthd -l debug
	[ "$(task_status wt1)" = RUNNING ]
}

@test "ctr run --rm on Debian's containerd-shim-runc-v2 (io.containerd.runc.v2) through berthd" {
	command -v containerd-shim-runc-v2 >/dev/null || skip "needs containerd-shim-runc-v2"
	command -v runc >/dev/null || skip "needs runc"
	run ctr_b run --rm --fifo-dir "$T/fifo" "$IMAGE" runc1 sh -c 'echo via runc; exit 4'
	[ "$status" -eq 4 ] || { echo "status $status: $output"; cat "$T/berthd.log"; false; }
	[ "$output" = "via runc" ]
}
