#!/usr/bin/env bats
# The berth runtime under a real containerd 1.6 and its own runc shim (runtime
# io.containerd.runc.v2), driven by ctr with `--runc-binary build/berth`: the calls the
# shim makes (create, start, state, kill, delete, exec, ps, pause, resume) and what
# containerd reads from the cgroups berth set up (metrics).
#
# COMPAT_RUNTIME chooses the runtime (default build/berth); `COMPAT_RUNTIME=runc bats
# tests/compat/runtime-containerd.bats` runs the same tests with runc, which pass.
# One private containerd per file (temp dir, unique namespace; its containers' cgroups
# are /<namespace>/<id>); each test removes its containers in teardown.

load compat-helpers

RT=${COMPAT_RUNTIME:-$COMPAT_BUILD_DIR/berth}

setup_file() {
	compat_need containerd ctr umoci skopeo
	case $RT in */*) [ -x "$RT" ] || skip "$RT not built" ;; *) command -v "$RT" >/dev/null || skip "$RT not installed" ;; esac
	export COMPAT_T
	COMPAT_T=$(compat_tmpdir ctrd-rt)
	compat_image "$COMPAT_T/img"
	compat_containerd_start "$COMPAT_T/ctrd"
	cctr images import "$COMPAT_T/img/image.oci.tar" >/dev/null
}

teardown_file() {
	compat_containerd_stop
	[ -n "${COMPAT_T:-}" ] && rm -rf "$COMPAT_T"
}

setup() {
	RT_STATE=$CTRD_RUNC_ROOT/$CTRD_NS
}

teardown() {
	local id
	for id in $(cctr_t 20 containers ls -q 2>/dev/null); do compat_containerd_rm "$id"; done
}

# crun_ [--opt[=value]...] ID CMD...: ctr run with the runtime under test and the test
# image (options that take a value must use the --opt=value form)
crun_() {
	local opts=()
	while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
		opts+=("$1")
		shift
	done
	local id=$1
	shift
	cctr run "${opts[@]}" --runc-binary "$RT" --runc-root "$CTRD_RUNC_ROOT" \
		--fifo-dir "$CTRD_DIR/fifo" "$COMPAT_IMAGE" "$id" "$@"
}

# task_status ID: RUNNING, PAUSED, STOPPED, CREATED or nothing
task_status() {
	cctr task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

# wait_status ID STATUS: polls (bounded) until the task reports STATUS
wait_status() {
	local i
	for i in $(seq 100); do
		[ "$(task_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "task $1: expected status $2, got '$(task_status "$1")'" >&2
	return 1
}

# cg CONTROLLER ID: the container's cgroup directory in a v1 hierarchy
cg() {
	echo "$CGROUP_ROOT/$1/$CTRD_NS/$2"
}

@test "containerd: ctr run --rm prints the container's stdout and stderr and returns its exit code" {
	run crun_ --rm t-rm /bin/sh -c 'echo out-line; echo err-line >&2; exit 7' </dev/null
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == *out-line* ]]
	[[ "$output" == *err-line* ]]
	# --rm removed container, task, runtime state and cgroup
	[ -z "$(cctr containers ls -q | grep -x t-rm)" ]
	[ ! -e "$RT_STATE/t-rm" ]
	[ ! -d "$(cg memory t-rm)" ]
}

@test "containerd: ctr run -d starts a task the runtime reports running, in cgroup /<namespace>/<id>" {
	run crun_ -d t-d /bin/sleep 1000 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status t-d RUNNING
	pid=$(cctr task ls | awk '$1 == "t-d" { print $2 }')
	[ "$pid" -gt 0 ]
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	# the runtime's own view (`state` is what the shim asks it)
	run "$RT" --root "$RT_STATE" state t-d
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = running ]
	[ "$(echo "$output" | jq -r .pid)" = "$pid" ]
	# the process sits in the cgroup containerd asked for, in every v1 controller
	for c in memory pids cpu freezer devices; do
		grep -qx "$pid" "$(cg $c t-d)/cgroup.procs"
	done
	# and is PID 1 of a new pid namespace
	[ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
	grep -q '^NSpid:.*[[:space:]]1$' "/proc/$pid/status"
}

@test "containerd: ctr task exec runs a process in the running container and returns its output and exit code" {
	crun_ -d t-x /bin/sleep 1000 </dev/null
	wait_status t-x RUNNING
	run cctr task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e1 t-x \
		/bin/sh -c 'echo exec-out; echo exec-err >&2; exit 5'
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *exec-out* ]]
	[[ "$output" == *exec-err* ]]
	# the exec'd process shares the container's pid namespace: it sees sleep as PID 1
	run cctr task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e2 t-x /bin/cat /proc/1/comm
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = sleep ]
	# the task keeps running after its execs
	[ "$(task_status t-x)" = RUNNING ]
}

@test "containerd: ctr task exec of a missing binary fails and leaves the task running" {
	crun_ -d t-xe /bin/sleep 1000 </dev/null
	wait_status t-xe RUNNING
	run cctr task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id bad t-xe /no/such/binary
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == */no/such/binary* ]]
	[ "$(task_status t-xe)" = RUNNING ]
}

@test "containerd: ctr task exec -t gives the exec'd process a pty of the container's devpts" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	crun_ -d t-xt /bin/sleep 1000 </dev/null
	wait_status t-xt RUNNING
	cmd="ctr -a $CTRD_DIR/c.sock -n $CTRD_NS task exec -t --fifo-dir $CTRD_DIR/fifo --exec-id tt t-xt /bin/sh -c 'tty; exit 3'"
	run script -qec "$cmd" /dev/null </dev/null 3>&-
	echo "$output"
	[ "$status" -eq 3 ]
	echo "$output" | tr -d '\r' | grep -o '/dev/[a-z0-9/]*' | grep -Eqx '/dev/pts/[0-9]+'
}

@test "containerd: ctr run -t gives the process a pty of the container's own devpts (/dev/pts/0), as runc does" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	cmd="ctr -a $CTRD_DIR/c.sock -n $CTRD_NS run --rm -t --runc-binary $RT --runc-root $CTRD_RUNC_ROOT --fifo-dir $CTRD_DIR/fifo $COMPAT_IMAGE t-tty /bin/sh -c 'tty; exit 4'"
	run script -qec "$cmd" /dev/null </dev/null 3>&-
	echo "$output"
	[ "$status" -eq 4 ]
	# (script(1) prints "^@" before the output; \r comes from the terminal)
	[ "$(echo "$output" | tr -d '\r' | grep -o '/dev/[a-z0-9/]*')" = /dev/pts/0 ]
}

@test "containerd: ctr task kill sends SIGTERM by default and the exit status reaches containerd" {
	crun_ -d t-k /bin/sh -c 'trap "exit 42" TERM; sleep 1000 & wait' </dev/null
	wait_status t-k RUNNING
	run cctr task kill t-k
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status t-k STOPPED
	run cctr task rm t-k
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"exit code 42"* ]]
}

@test "containerd: ctr task kill -s KILL stops a task that ignores SIGTERM" {
	# sleep as PID 1 of its namespace ignores SIGTERM (no handler)
	crun_ -d t-k9 /bin/sleep 1000 </dev/null
	wait_status t-k9 RUNNING
	cctr task kill -s KILL t-k9
	wait_status t-k9 STOPPED
}

@test "containerd: ctr task kill --all kills the exec'd processes too" {
	crun_ -d t-ka /bin/sleep 1000 </dev/null
	wait_status t-ka RUNNING
	cctr task exec -d --fifo-dir "$CTRD_DIR/fifo" --exec-id bg t-ka /bin/sleep 999 </dev/null
	for _ in $(seq 50); do
		[ "$(wc -l <"$(cg pids t-ka)/cgroup.procs")" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$(cg pids t-ka)/cgroup.procs")" -eq 2 ]
	run cctr task kill --all -s KILL t-ka
	echo "$output"
	[ "$status" -eq 0 ]
	wait_status t-ka STOPPED
	for _ in $(seq 50); do
		[ ! -s "$(cg pids t-ka)/cgroup.procs" ] && break
		sleep 0.1
	done
	[ ! -s "$(cg pids t-ka)/cgroup.procs" ]
}

@test "containerd: ctr task pause freezes the container's cgroup and resume thaws it" {
	crun_ -d t-p /bin/sleep 1000 </dev/null
	wait_status t-p RUNNING
	run cctr task pause t-p
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(task_status t-p)" = PAUSED ]
	[ "$(cat "$(cg freezer t-p)/freezer.state")" = FROZEN ]
	[ "$("$RT" --root "$RT_STATE" state t-p | jq -r .status)" = paused ]
	run cctr task resume t-p
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(task_status t-p)" = RUNNING ]
	[ "$(cat "$(cg freezer t-p)/freezer.state")" = THAWED ]
	[ "$("$RT" --root "$RT_STATE" state t-p | jq -r .status)" = running ]
}

@test "containerd: ctr task metrics reads the limits the runtime set in the container's cgroups" {
	crun_ -d --memory-limit=67108864 t-m /bin/sleep 1000 </dev/null
	wait_status t-m RUNNING
	[ "$(cat "$(cg memory t-m)/memory.limit_in_bytes")" = 67108864 ]
	run cctr task metrics t-m
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq '^memory\.limit_in_bytes +67108864 *$'
	echo "$output" | grep -Eq '^pids\.current +1 *$'
	usage=$(echo "$output" | awk '$1 == "memory.usage_in_bytes" { print $2 }')
	[ "$usage" -gt 0 ]
}

@test "containerd: ctr task ps lists the container's processes" {
	crun_ -d t-ps /bin/sleep 1000 </dev/null
	wait_status t-ps RUNNING
	pid=$(cctr task ls | awk '$1 == "t-ps" { print $2 }')
	run cctr task ps t-ps
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | awk 'NR > 1 { print $1 }' | grep -qx "$pid"
}

@test "containerd: ctr task rm refuses a running task, then removes a stopped one with its state and cgroup" {
	crun_ -d t-rm2 /bin/sleep 1000 </dev/null
	wait_status t-rm2 RUNNING
	run cctr task rm t-rm2
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"must be stopped"* ]]
	[ "$(task_status t-rm2)" = RUNNING ]
	cctr task kill -s KILL t-rm2
	wait_status t-rm2 STOPPED
	run cctr task rm t-rm2
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(task_status t-rm2)" ]
	# the runtime forgot the container and removed its cgroups
	run "$RT" --root "$RT_STATE" state t-rm2
	[ "$status" -ne 0 ]
	for c in memory pids cpu freezer; do
		[ ! -d "$(cg $c t-rm2)" ]
	done
	cctr containers rm t-rm2
	[ -z "$(cctr containers ls -q | grep -x t-rm2)" ]
}

@test "containerd: a runtime error (missing binary) reaches ctr with the runtime's message" {
	run crun_ --rm t-err /no/such/binary </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no/such/binary"* ]]
	[ -z "$(task_status t-err)" ]
	[ ! -d "$(cg memory t-err)" ]
}
