#!/usr/bin/env bats
# The Docker Engine on berthd: Debian's dockerd (docker.io 20.10) started with
# --containerd=<a private berthd's socket> and berth offered as a runtime
# ("runtimes": {"berth": {"path": build/berth}} in daemon.json; dockerd runs it through
# containerd's runc v2 shim with berth as the runc binary). Debian's docker client drives
# it: load of a locally built image, run --rm (exit codes), -i, -t, -d, logs, exec,
# stop/start, kill, rm -f, pause/unpause, --memory/--cpus/--pids-limit, top, stats, a
# restart policy, and a restart of berthd under a running container, every container
# with --runtime berth.
#
# The same file, as tests/compat/dockerd-containerd.bats (a symlink), runs against a
# private containerd 1.6 instead of berthd: the reference, every test passes on both.
# DOCKERD_CONTAINERD=containerd|berthd chooses too.
# One berthd (or containerd) and one dockerd serve the whole file, on private temp dirs,
# with a cgroup parent of their own; the containers of each test are removed in teardown.

bats_require_minimum_version 1.5.0
load compat-helpers

BERTHD=${BERTHD:-$COMPAT_BUILD_DIR/berthd}
DOCKER=/usr/bin/docker # Debian's client (another may come first on PATH)
IMG=localhost/berth-compat:latest

setup_file() {
	compat_need ctr containerd containerd-shim-runc-v2
	[ -x /usr/sbin/dockerd ] && [ -x "$DOCKER" ] || skip "needs dockerd (Debian package docker.io)"
	export T SOCK BERTHD_PID DK CGPARENT BACKEND=${DOCKERD_CONTAINERD:-berthd}
	[ "$(basename "$BATS_TEST_FILENAME")" != dockerd-containerd.bats ] ||
		BACKEND=${DOCKERD_CONTAINERD:-containerd}
	T=$(compat_tmpdir dockerd)
	DK=$T/d
	CGPARENT=/berth-dockerd-$(basename "$T" | tr -cd 'a-zA-Z0-9')
	mkdir -p "$DK"
	if [ "$BACKEND" = containerd ]; then
		compat_containerd_start "$T/ctrd"
		SOCK=$CTRD_DIR/c.sock
	else
		SOCK=$T/b.sock
		start_berthd
	fi
	cat >"$DK/daemon.json" <<-JSON
		{"runtimes": {"berth": {"path": "$COMPAT_BUILD_DIR/berth"}},
		 "cgroup-parent": "$CGPARENT"}
	JSON
	# flags for this host: no iptables, no bridge, cgroupfs (no systemd)
	setsid /usr/sbin/dockerd --containerd="$SOCK" --data-root "$DK/root" --exec-root "$DK/exec" \
		-H "unix://$DK/docker.sock" --pidfile "$DK/docker.pid" --iptables=false \
		--ip-masq=false --bridge=none --exec-opt native.cgroupdriver=cgroupfs \
		--config-file "$DK/daemon.json" </dev/null >"$T/dockerd.log" 2>&1 3>&- &
	echo $! >"$T/dockerd.pid"
	for _ in $(seq 300); do
		dk version >/dev/null 2>&1 && break
		kill -0 "$(cat "$T/dockerd.pid")" 2>/dev/null || break
		sleep 0.1
	done
	dk version >/dev/null 2>&1 || {
		echo "dockerd did not start on $BACKEND; its log:"
		tail -20 "$T/dockerd.log"
		false
	}
	compat_image "$T/img" "$IMG"
	dk load -i "$T/img/image.docker.tar"
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	local pid i
	timeout 60 "$DOCKER" -H "unix://$DK/docker.sock" rm -f $(timeout 20 "$DOCKER" -H "unix://$DK/docker.sock" ps -aq 2>/dev/null) >/dev/null 2>&1
	pid=$(cat "$T/dockerd.pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	fi
	if [ "$BACKEND" = containerd ]; then
		compat_containerd_stop
	else
		[ ! -f "$T/berthd.pid" ] || BERTHD_PID=$(cat "$T/berthd.pid")
		stop_berthd
	fi
	compat_kill_procs_under "$T"
	compat_cgroup_remove "$CGPARENT"
	compat_umount_under "$T"
	rm -rf --one-file-system "$T"
}

setup() {
	NAMES=()
}

teardown() {
	local n
	for n in "${NAMES[@]}"; do
		timeout 60 "$DOCKER" -H "unix://$DK/docker.sock" rm -f "$n" >/dev/null 2>&1
	done
	return 0
}

dk() {
	timeout 120 "$DOCKER" -H "unix://$DK/docker.sock" "$@" 3>&-
}

# name SUFFIX: a container name for this test, removed in teardown
name() {
	NAMES+=("t$BATS_TEST_NUMBER-$1")
	echo "t$BATS_TEST_NUMBER-$1"
}

# state_is NAME TEMPLATE WANT: waits (bounded) until `inspect -f TEMPLATE` prints WANT
state_is() {
	local got
	for _ in $(seq 100); do
		got=$(dk inspect -f "$2" "$1" 2>&1)
		[ "$got" = "$3" ] && return 0
		sleep 0.1
	done
	echo "container $1: '$2' is '$got', expected '$3'"
	return 1
}

# logs_have NAME TEXT COUNT: waits (bounded) until `docker logs` has COUNT lines TEXT
logs_have() {
	local n
	for _ in $(seq 100); do
		n=$(dk logs "$1" 2>&1 | grep -cx "$2")
		[ "$n" -ge "$3" ] && return 0
		sleep 0.1
	done
	echo "container $1: $n lines '$2' in its logs, expected $3:"
	dk logs "$1" 2>&1
	return 1
}

# run_d NAME ARGS...: `docker run -d --runtime berth --name NAME IMG ARGS...`
run_d() {
	local n=$1
	shift
	run dk run -d --runtime berth --name "$n" "$IMG" "$@"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	state_is "$n" '{{.State.Status}}' running
}

@test "dockerd: starts on $BACKEND and lists berth as a runtime" {
	run dk info --format '{{json .Runtimes}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *'"berth"'* ]]
	run dk images --format '{{.Repository}}:{{.Tag}}'
	[ "$status" -eq 0 ]
	grep -qx "$IMG" <<<"$output"
}

@test "docker run --rm --runtime berth: output and the exit code of the command" {
	run dk run --rm --runtime berth "$IMG" sh -c 'echo hello from berth; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = "hello from berth" ]
	run dk run --rm --runtime berth "$IMG" true
	[ "$status" -eq 0 ]
	# the container is gone
	[ -z "$(dk ps -aq --filter ancestor="$IMG" --filter status=exited)" ]
}

@test "docker run --rm: a command that does not exist is exit code 127" {
	run -127 dk run --rm --runtime berth "$IMG" /no/such/cmd
	[[ "$output" == *"/no/such/cmd"* ]]
}

@test "docker run -d, logs: the detached container's output" {
	n=$(name logs)
	run_d "$n" sh -c 'echo started; echo to-stderr >&2; sleep 1000'
	logs_have "$n" started 1
	run dk logs "$n"
	[[ "$output" == *to-stderr* ]]
	[ "$(dk inspect -f '{{.HostConfig.Runtime}}' "$n")" = berth ]
}

@test "docker exec: output and exit code of a process in the running container" {
	n=$(name exec)
	run_d "$n" sleep 1000
	run dk exec "$n" sh -c 'echo $((6 * 7))'
	[ "$status" -eq 0 ]
	[ "$output" = 42 ]
	run dk exec "$n" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run dk exec -e FOO=bar "$n" sh -c 'echo $FOO'
	[ "$output" = bar ]
}

@test "docker stop, start: the container stops, starts again and runs its command again" {
	n=$(name stopstart)
	run_d "$n" sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'
	logs_have "$n" started 1
	run dk stop -t 10 "$n"
	[ "$status" -eq 0 ]
	state_is "$n" '{{.State.Status}} {{.State.ExitCode}}' "exited 0"
	run dk start "$n"
	[ "$status" -eq 0 ]
	state_is "$n" '{{.State.Status}}' running
	logs_have "$n" started 2
}

@test "docker kill: SIGKILL by default (exit 137), or the signal given" {
	n=$(name kill)
	run_d "$n" sleep 1000
	run dk kill "$n"
	[ "$status" -eq 0 ]
	state_is "$n" '{{.State.Status}} {{.State.ExitCode}}' "exited 137"
	m=$(name killsig)
	run_d "$m" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
	run dk kill -s USR1 "$m"
	[ "$status" -eq 0 ]
	state_is "$m" '{{.State.Status}} {{.State.ExitCode}}' "exited 42"
}

@test "docker rm -f: a running container is killed and removed" {
	n=$(name rmf)
	run_d "$n" sleep 1000
	pid=$(dk inspect -f '{{.State.Pid}}' "$n")
	[ "$pid" -gt 0 ]
	run dk rm -f "$n"
	[ "$status" -eq 0 ]
	run dk inspect "$n"
	[ "$status" -ne 0 ]
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null || false
}

@test "docker pause, unpause: a paused container's processes are frozen, then run on" {
	n=$(name pause)
	run_d "$n" sh -c 'while :; do date +%s%N >/tmp/tick; sleep 0.05; done'
	run dk pause "$n"
	[ "$status" -eq 0 ]
	state_is "$n" '{{.State.Status}} {{.State.Paused}}' "paused true"
	# frozen: the tick file the loop writes every 50 ms does not change
	pid=$(dk inspect -f '{{.State.Pid}}' "$n")
	t1=$(cat "/proc/$pid/root/tmp/tick")
	sleep 0.5
	t2=$(cat "/proc/$pid/root/tmp/tick")
	[ "$t1" = "$t2" ] || { echo "the paused container ticked: $t1 -> $t2"; false; }
	run dk exec "$n" true
	[ "$status" -ne 0 ]
	run dk unpause "$n"
	[ "$status" -eq 0 ]
	state_is "$n" '{{.State.Status}} {{.State.Paused}}' "running false"
	for _ in $(seq 100); do
		[ "$(cat "/proc/$pid/root/tmp/tick")" != "$t2" ] && break
		sleep 0.1
	done
	[ "$(cat "/proc/$pid/root/tmp/tick")" != "$t2" ] || { echo "no tick after unpause"; false; }
	run dk exec "$n" true
	[ "$status" -eq 0 ]
}

@test "docker run -i: stdin reaches the container; -t: the process has a terminal" {
	run bash -c 'echo piped-in | "$0" -H "unix://$1/docker.sock" run --rm -i --runtime berth "$2" cat' \
		"$DOCKER" "$DK" "$IMG"
	[ "$status" -eq 0 ]
	[ "$output" = piped-in ]
	run dk run --rm -t --runtime berth "$IMG" sh -c 'tty; [ -t 1 ] && echo is-a-tty'
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *is-a-tty* ]]
}

@test "docker run --memory --cpus --pids-limit: the container's cgroup has the limits" {
	run dk run --rm --runtime berth --memory 64m --cpus 0.5 --pids-limit 50 "$IMG" sh -c '
		for f in memory/memory.limit_in_bytes memory.max pids/pids.max pids.max \
			cpu/cpu.cfs_quota_us cpu.max; do
			[ -f /sys/fs/cgroup/$f ] && echo "$f $(cat /sys/fs/cgroup/$f)"
		done; true'
	[ "$status" -eq 0 ]
	[[ "$output" == *"memory/memory.limit_in_bytes 67108864"* || "$output" == *"memory.max 67108864"* ]]
	[[ "$output" == *"pids/pids.max 50"* || "$output" == *"pids.max 50"* ]]
	[[ "$output" == *"cpu/cpu.cfs_quota_us 50000"* || "$output" == *"cpu.max 50000 100000"* ]]
}

@test "docker top, stats: the container's processes and figures" {
	n=$(name top)
	run_d "$n" sleep 1000
	run dk top "$n"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 1000"* ]]
	run dk stats --no-stream --format '{{.Name}} {{.PIDs}}' "$n"
	[ "$status" -eq 0 ]
	[ "$output" = "$n 1" ]
}

@test "docker run --restart on-failure:2: the container is restarted twice, then stays exited" {
	n=$(name restartpol)
	run dk run -d --runtime berth --name "$n" --restart on-failure:2 "$IMG" sh -c 'echo run; exit 1'
	[ "$status" -eq 0 ]
	state_is "$n" '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "2 exited 1"
	logs_have "$n" run 3
}

# restart_backend: stops berthd (or containerd) under the running containers and starts
# it again on the same root and state; the shims keep running
restart_backend() {
	local pid
	# started by setup_file, so not a child of this shell: no `wait`
	if [ "$BACKEND" = containerd ]; then pid=$(cat "$CTRD_DIR/containerd.pid"); else pid=$BERTHD_PID; fi
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null || { echo "$BACKEND $pid did not stop"; return 1; }
	if [ "$BACKEND" = containerd ]; then
		compat_containerd_start "$CTRD_DIR"
	else
		start_berthd
		echo "$BERTHD_PID" >"$T/berthd.pid" # for teardown_file, which sees setup_file's
	fi
}

# dockerd reconnects and asks grpc.health.v1.Health/Check until its containerd answers
# SERVING before it goes on (berthd without the health service left dockerd retrying).
@test "docker after a restart of its containerd under a running container: exec, stop, start" {
	n=$(name restart)
	run_d "$n" sh -c 'trap "exit 0" TERM; echo started; while :; do sleep 0.1; done'
	logs_have "$n" started 1
	restart_backend
	# dockerd notices the restart and reconnects within a few seconds (30 s at most)
	local end=$((SECONDS + 30))
	while :; do
		run timeout 10 "$DOCKER" -H "unix://$DK/docker.sock" exec "$n" echo after-restart
		[ "$status" -eq 0 ] || [ $SECONDS -ge $end ] && break
		sleep 0.2
	done
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = after-restart ]
	run dk stop -t 10 "$n"
	[ "$status" -eq 0 ]
	state_is "$n" '{{.State.Status}} {{.State.ExitCode}}' "exited 0"
	run dk start "$n"
	[ "$status" -eq 0 ]
	logs_have "$n" started 2
}
