#!/usr/bin/env bats
# berthctl's container basics (issue #14): every container has lo up and its own hostname
# (its short id, as docker); inspect, wait, restart, pause/unpause, top, create, container
# prune. Against a private berthd, or containerd 1.6 with BERTHCTL_PEER=containerd.

load ../helpers
load ../../compat/compat-helpers
load berthctl-peer

bats_require_minimum_version 1.5.0

IMAGE=localhost/berth-ctr:latest

setup_file() {
	ctl_peer_setup_file || return 1
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$T/img" --layers 1 --name "$IMAGE" >/dev/null
	bctl images import "$T/img/image.oci.tar" >/dev/null
}

teardown_file() {
	ctl_peer_teardown_file
}

setup() {
	ctl_peer_setup
}

teardown() {
	ctl_peer_teardown
}

# wait_state NAME STATUS: inspect's .State.Status reaches STATUS (20 s at most)
wait_state() {
	for _ in $(seq 200); do
		[ "$(bctl inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "$1 never got to $2: $(bctl inspect -f '{{.State.Status}}' "$1" 2>&1)"
	return 1
}

@test "every container has lo up (127.0.0.1 answers) and the short id as hostname" {
	# regression: issue #14 (lo was down and the host's hostname showed)
	run bctl run -d --name net "$IMAGE" sh -c 'ip link show lo; ip addr show lo; hostname; sleep 60'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	id=$output
	for _ in $(seq 100); do
		bctl logs net | grep -q "^${id:0:12}$" && break
		sleep 0.1
	done
	run bctl logs net
	echo "$output"
	[[ "${lines[0]}" == *"<LOOPBACK,UP,LOWER_UP>"* ]]
	[[ "$output" == *"inet 127.0.0.1/8"* ]]
	grep -qx "${id:0:12}" <<<"$output"
	[ "${id:0:12}" != "$(hostname)" ]
	# --hostname wins; an exec sees the same
	run bctl run --rm --hostname myhost "$IMAGE" hostname
	[ "$output" = myhost ]
	run bctl exec net hostname
	[ "$output" = "${id:0:12}" ]
	# and a restarted task (start) gets lo up again
	bctl kill net
	bctl start net
	run bctl exec net ip link show lo
	[[ "$output" == *"<LOOPBACK,UP,LOWER_UP>"* ]] || { echo "$output"; false; }
}

@test "inspect: docker-shaped State, Config and Mounts; -f field paths and json" {
	mkdir -p "$T/m"
	bctl run -d --name in1 -e A=1 -v "$T/m:/m:ro" --label team=x "$IMAGE" sh -c 'sleep 60'
	run bctl inspect in1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo "$output" | jq -e '.[0] | .Name == "/in1" and (.Id | length) == 64' >/dev/null
	echo "$output" | jq -e '.[0].State | .Status == "running" and .Running and .Pid > 0
		and .ExitCode == 0 and (.StartedAt | startswith("20")) and .FinishedAt == "0001-01-01T00:00:00Z"
		and .OOMKilled == false' >/dev/null || { echo "$output"; false; }
	echo "$output" | jq -e '.[0].Config | (.Env | index("A=1")) and .Cmd == ["sh","-c","sleep 60"]
		and .Labels.team == "x" and .Image == "localhost/berth-ctr:latest"' >/dev/null
	echo "$output" | jq -e --arg s "$T/m" '.[0].Mounts == [{"Type":"bind","Source":$s,"Destination":"/m","RW":false}]' >/dev/null ||
		{ echo "$output" | jq '.[0].Mounts'; false; }
	run bctl inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.Name}}' in1
	[ "$output" = "running 0 /in1" ] || { echo "$output"; false; }
	run bctl inspect --format '{{json .Config.Labels}}' in1
	[ "$output" = '{"team":"x"}' ] || { echo "$output"; false; }
	run bctl inspect --format json in1
	echo "$output" | jq -e '.State.Running' >/dev/null
	run bctl inspect -f '{{.State.Nope}}' in1
	[ "$status" -eq 2 ]
	[[ "$output" == *"no field '.State.Nope'"* ]]
	# an exited container: its exit code and FinishedAt
	bctl run -d --name in2 "$IMAGE" sh -c 'exit 3'
	wait_state in2 exited
	run bctl inspect -f '{{.State.ExitCode}} {{.State.Running}} {{.State.Pid}}' in2
	[ "$output" = "3 false 0" ] || { echo "$output"; false; }
	run bctl inspect -f '{{.State.FinishedAt}}' in2
	[[ "$output" == 20* ]] || { echo "$output"; false; }
	run bctl inspect in1 nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: 'nosuch'"* ]]
}

@test "inspect: OOMKilled is true for a container the memory limit killed" {
	[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "no memory cgroup"
	bctl run -d --name oom -m 8m --memory-swap 8m "$IMAGE" sh -c 'x=a; while :; do x=$x$x$x$x; done'
	wait_state oom exited
	run bctl inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' oom
	[ "$output" = "true 137" ] || { echo "$output"; false; }
}

@test "wait prints the exit status; restart, pause and unpause change the state" {
	bctl run -d --name w1 "$IMAGE" sh -c 'sleep 1; exit 4'
	run bctl wait w1
	[ "$output" = 4 ] || { echo "$output"; false; }
	bctl run -d --name p1 "$IMAGE" sh -c 'echo started; sleep 60'
	run bctl pause p1
	[ "$output" = p1 ]
	wait_state p1 paused
	run bctl pause p1
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
	bctl unpause p1
	wait_state p1 running
	pid1=$(bctl inspect -f '{{.State.Pid}}' p1)
	run bctl restart -t 1 p1
	[ "$output" = p1 ] || { echo "$output"; false; }
	wait_state p1 running
	pid2=$(bctl inspect -f '{{.State.Pid}}' p1)
	[ "$pid1" != "$pid2" ]
	run bctl logs p1
	[ "$output" = "$(printf 'started\nstarted')" ] || { echo "$output"; false; }
	run bctl wait nosuch w1
	[ "$status" -eq 1 ]
	[ "${lines[-1]}" = 4 ] || { echo "$output"; false; }
}

@test "top lists the container's processes" {
	bctl run -d --name t1 "$IMAGE" sh -c 'sleep 61 & sleep 62'
	for _ in $(seq 50); do
		bctl top t1 | grep -q 'sleep 61' && break
		sleep 0.1
	done
	run bctl top t1
	[ "${lines[0]}" = "$(printf '%-8s %-8s %-8s %s' UID PID PPID CMD)" ] || { echo "$output"; false; }
	[[ "$output" == *"sleep 61"* ]] && [[ "$output" == *"sleep 62"* ]] || { echo "$output"; false; }
}

@test "create makes a container that start runs; container prune removes the stopped ones" {
	run bctl create --name c1 "$IMAGE" sh -c 'echo created-then-started'
	[ "$status" -eq 0 ] && [ ${#output} -eq 64 ] || { echo "$output"; false; }
	run bctl inspect -f '{{.State.Status}}' c1
	[ "$output" = created ]
	bctl start c1
	wait_state c1 exited
	run bctl logs c1
	[ "$output" = created-then-started ]
	bctl run -d --name keep "$IMAGE" sleep 60
	run bctl container prune -f
	[ "$status" -eq 0 ]
	run bctl ps -a
	grep -qw keep <<<"$output"
	run ! grep -qw c1 <<<"$output"
}

@test "per-command --help prints the usage and exits 0" {
	for cmd in run create ps exec stop kill start restart rm logs attach inspect wait pause unpause top container images pull push login logout; do
		run bctl "$cmd" --help
		[ "$status" -eq 0 ] || { echo "$cmd: $status $output"; false; }
		[[ "$output" == Usage:* ]] || { echo "$cmd: $output"; false; }
	done
}
