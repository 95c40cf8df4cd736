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
