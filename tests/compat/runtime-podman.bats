#!/usr/bin/env bats
# The berth runtime under podman 4.3 and conmon (`podman --runtime build/berth`): the
# calls conmon and podman make (create, start, state, exec, kill with bare signal
# numbers, pause, resume, delete --force), the resources podman asks for (memory
# limit, rlimits) as the container sees them, and cleanup after each container.
#
# COMPAT_RUNTIME chooses the runtime (default build/berth); `COMPAT_RUNTIME=runc bats
# tests/compat/runtime-podman.bats` runs the same tests with runc, which pass.
# One private podman per file: storage, run root, tmpdir, runtime state root and
# cgroup parent in a temp dir (see compat_podman_init in compat-helpers.bash).

load compat-helpers
bats_require_minimum_version 1.5.0

RT=${COMPAT_RUNTIME:-$COMPAT_BUILD_DIR/berth}

setup_file() {
	compat_need podman conmon umoci skopeo
	case $RT in */*) [ -x "$RT" ] || skip "$RT not built" ;; *) command -v "$RT" >/dev/null || skip "$RT not installed" ;; esac
	export COMPAT_T
	COMPAT_T=$(compat_tmpdir podman-rt)
	compat_image "$COMPAT_T/img"
	compat_podman_init "$COMPAT_T/podman" "$RT"
	cpodman load -q -i "$COMPAT_T/img/image.docker.tar" >/dev/null
}

teardown_file() {
	compat_podman_stop
	[ -n "${COMPAT_T:-}" ] && rm -rf "$COMPAT_T"
}

teardown() {
	cpodman_t 60 rm -a -f -t 0 >/dev/null 2>&1 || true
}

# state NAME FIELD: a field of podman's view of the container (.State.Status, ...)
state() {
	cpodman inspect --format "{{$2}}" "$1"
}

# rtstate ID: the runtime's own `state` of container ID, as JSON
rtstate() {
	"$RT" --root "$PODMAN_DIR/rt-root" state "$1"
}

# cg CONTROLLER ID: the container's cgroup directory in a v1 hierarchy
cg() {
	echo "$CGROUP_ROOT/$1$PODMAN_CGROUP_PARENT/libpod-$2"
}

@test "podman: run --rm prints the container's stdout and stderr and returns its exit code" {
	run cpodman_run --rm --name p-rm "$COMPAT_IMAGE" /bin/sh -c 'echo out-line; echo err-line >&2; exit 7'
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == *out-line* ]]
	[[ "$output" == *err-line* ]]
	# --rm: podman, the runtime and the cgroups forgot it
	run cpodman container exists p-rm
	[ "$status" -eq 1 ]
	[ -z "$(ls "$PODMAN_DIR/rt-root")" ]
	[ -z "$(find "$CGROUP_ROOT/memory$PODMAN_CGROUP_PARENT" -name 'libpod-*' 2>/dev/null)" ]
}

@test "podman: run -d starts a container that podman and the runtime report running, in its cgroup" {
	run cpodman_run -d --name p-d "$COMPAT_IMAGE" /bin/sleep 1000
	echo "$output"
	[ "$status" -eq 0 ]
	id=$(state p-d .Id)
	[ "$(state p-d .State.Status)" = running ]
	pid=$(state p-d .State.Pid)
	[ "$(cat "/proc/$pid/comm")" = sleep ]
	run rtstate "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = running ]
	[ "$(echo "$output" | jq -r .pid)" = "$pid" ]
	for c in memory pids cpu freezer devices; do
		grep -qx "$pid" "$(cg $c "$id")/cgroup.procs"
	done
	grep -q '^NSpid:.*[[:space:]]1$' "/proc/$pid/status"
}

@test "podman: exec runs a process in the running container and returns its output and exit code" {
	cpodman_run -d --name p-x "$COMPAT_IMAGE" /bin/sleep 1000
	run cpodman exec p-x /bin/sh -c 'echo exec-out; echo exec-err >&2; exit 5'
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *exec-out* ]]
	[[ "$output" == *exec-err* ]]
	run cpodman exec p-x /bin/cat /proc/1/comm
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = sleep ]
	[ "$(state p-x .State.Status)" = running ]
}

@test "podman: exec of a missing binary fails with 127 and the binary's name and leaves the container running" {
	cpodman_run -d --name p-xe "$COMPAT_IMAGE" /bin/sleep 1000
	# podman maps a runtime error naming a missing file to 127, as a shell does
	run -127 cpodman exec p-xe /no/such/binary
	echo "$output"
	[[ "$output" == */no/such/binary* ]]
	[ "$(state p-xe .State.Status)" = running ]
}

@test "podman: stop delivers SIGTERM (kill ID 15) and the container's exit code reaches podman" {
	cpodman_run -d --name p-s "$COMPAT_IMAGE" /bin/sh -c 'trap "exit 42" TERM; sleep 1000 & wait'
	run cpodman stop -t 30 p-s
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(state p-s .State.Status)" = exited ]
	[ "$(state p-s .State.ExitCode)" = 42 ]
}

@test "podman: stop falls back to SIGKILL for a process that ignores SIGTERM" {
	# sleep as PID 1 of its namespace ignores SIGTERM (no handler)
	cpodman_run -d --name p-s9 "$COMPAT_IMAGE" /bin/sleep 1000
	run cpodman stop -t 1 p-s9
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(state p-s9 .State.Status)" = exited ]
	[ "$(state p-s9 .State.ExitCode)" = 137 ]
}

@test "podman: pause freezes the container and unpause thaws it" {
	cpodman_run -d --name p-p "$COMPAT_IMAGE" /bin/sleep 1000
	id=$(state p-p .Id)
	run cpodman pause p-p
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(state p-p .State.Status)" = paused ]
	[ "$(cat "$(cg freezer "$id")/freezer.state")" = FROZEN ]
	[ "$(rtstate "$id" | jq -r .status)" = paused ]
	run cpodman unpause p-p
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(state p-p .State.Status)" = running ]
	[ "$(cat "$(cg freezer "$id")/freezer.state")" = THAWED ]
}

@test "podman: rm removes a stopped container with its runtime state and cgroups" {
	cpodman_run -d --name p-rm2 "$COMPAT_IMAGE" /bin/sleep 1000
	id=$(state p-rm2 .Id)
	cpodman stop -t 0 p-rm2
	run cpodman rm p-rm2
	echo "$output"
	[ "$status" -eq 0 ]
	run cpodman container exists p-rm2
	[ "$status" -eq 1 ]
	run rtstate "$id"
	[ "$status" -ne 0 ]
	for c in memory pids cpu freezer; do
		[ ! -d "$(cg $c "$id")" ]
	done
}

@test "podman: rm -f removes a running container" {
	cpodman_run -d --name p-rmf "$COMPAT_IMAGE" /bin/sleep 1000
	id=$(state p-rmf .Id)
	pid=$(state p-rmf .State.Pid)
	run cpodman rm -f -t 0 p-rmf
	echo "$output"
	[ "$status" -eq 0 ]
	run cpodman container exists p-rmf
	[ "$status" -eq 1 ]
	[ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]
	[ ! -d "$(cg memory "$id")" ]
}

@test "podman: --memory 64m is the container's memory cgroup limit, seen inside and on the host" {
	run cpodman_run --rm --memory 64m "$COMPAT_IMAGE" /bin/cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 67108864 ]
	cpodman_run -d --name p-mem --memory 64m "$COMPAT_IMAGE" /bin/sleep 1000
	[ "$(cat "$(cg memory "$(state p-mem .Id)")/memory.limit_in_bytes")" = 67108864 ]
}

@test "podman: --ulimit values are the container process's rlimits" {
	run cpodman_run --rm "$COMPAT_IMAGE" /bin/sh -c 'ulimit -n; ulimit -u'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 20000 ]
	[ "${lines[1]}" = 32768 ]
}

@test "podman: run -t gives the process a terminal" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	cmd="CONTAINERS_CONF=$PODMAN_DIR/conf/containers.conf CONTAINERS_STORAGE_CONF=$PODMAN_DIR/conf/storage.conf podman --root $PODMAN_DIR/root --runroot $PODMAN_DIR/runroot --tmpdir $PODMAN_DIR/tmp --cgroup-manager cgroupfs --events-backend file --runtime $PODMAN_RUNTIME_WRAPPER run --rm -t $PODMAN_RUN_FLAGS --cgroup-parent $PODMAN_CGROUP_PARENT $COMPAT_IMAGE /bin/sh -c 'tty; exit 4'"
	run script -qec "$cmd" /dev/null </dev/null 3>&-
	echo "$output"
	[ "$status" -eq 4 ]
	echo "$output" | tr -d '\r' | grep -o '/dev/[a-z0-9/]*' | grep -Eqx '/dev/pts/[0-9]+'
}

@test "podman: a missing binary fails the run with exit code 127 and the binary's name" {
	run -127 cpodman_run --rm --name p-err "$COMPAT_IMAGE" /no/such/binary
	echo "$output"
	[[ "$output" == */no/such/binary* ]]
	[ -z "$(ls "$PODMAN_DIR/rt-root")" ]
}
