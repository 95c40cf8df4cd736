#!/usr/bin/env bats
# berthctl run -d / logs / -d --rm (issue #14): a detached container's output goes to its
# log file through berthctl as the shim's binary:// logger, and `logs` gives it back per
# stream, with --tail, -t and -f; `run -d --rm` leaves a helper that removes the container
# when it exits. Against a private berthd, or containerd 1.6 with BERTHCTL_PEER=containerd.

load ../helpers
load ../../compat/compat-helpers
load berthctl-peer

bats_require_minimum_version 1.5.0

IMAGE=localhost/berth-logs:latest

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

# wait_exited NAME: until NAME is no longer running (ps without -a), 20 s at most
wait_exited() {
	for _ in $(seq 200); do
		bctl ps | awk '{ print $NF }' | grep -qx "$1" || return 0
		sleep 0.1
	done
	echo "$1 still running"
	return 1
}

# wait_gone NAME: until ps -a no longer lists NAME, 30 s at most
wait_gone() {
	for _ in $(seq 300); do
		bctl ps -a | awk '{ print $NF }' | grep -qx "$1" || return 0
		sleep 0.1
	done
	echo "$1 still there"
	return 1
}

@test "run -d: stdout and stderr go to the log; logs gives each back on its stream" {
	# regression: issue #14 (run -d sent the output to /dev/null)
	bctl run -d --name l1 "$IMAGE" sh -c 'echo out1; echo err1 >&2; echo out2'
	wait_exited l1
	run --separate-stderr bctl logs l1
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'out1\nout2')" ] || { echo "stdout: $output"; false; }
	[ "$stderr" = err1 ] || { echo "stderr: $stderr"; false; }
}

@test "logs: output written after berthctl run -d exited is logged (the logger is the shim's)" {
	bctl run -d --name l2 "$IMAGE" sh -c 'sleep 1; echo late'
	run bctl logs l2
	[ -z "$output" ] || [ "$output" = late ]
	wait_exited l2
	run bctl logs l2
	[ "$output" = late ] || { echo "$output"; false; }
	# the log lives in the client's state dir, in CRI k8s-file records
	grep -E '^[0-9T:.-]+Z stdout F late$' "$BERTHCTL_ROOT"/logs/"$NS"/*.log
}

@test "logs --tail N gives the last N lines, -t their times, and a partial line stays partial" {
	bctl run -d --name l3 "$IMAGE" sh -c 'for i in 1 2 3 4 5; do echo line$i; done; printf tail-no-newline'
	wait_exited l3
	run bctl logs --tail 2 l3
	[ "$output" = "$(printf 'line5\ntail-no-newline')" ] || { echo "$output"; false; }
	run bctl logs --tail 0 l3
	[ -z "$output" ]
	bctl logs l3 | tail -c 16 | od -c | grep -q 'e   w   l   i   n   e' # no newline after it
	run bctl logs -t --tail 2 l3
	[[ "${lines[0]}" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ line5 ]] || { echo "$output"; false; }
	run bctl logs --tail x l3
	[ "$status" -eq 2 ]
}

@test "logs -f follows the log until the container exits" {
	bctl run -d --name l4 "$IMAGE" sh -c 'echo first; sleep 2; echo second'
	run timeout 30 "$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" logs -f l4
	[ "$status" -eq 0 ] || { echo "$status: $output"; false; }
	[ "$output" = "$(printf 'first\nsecond')" ] || { echo "$output"; false; }
}

@test "start appends a new run's output to the same log; rm removes the log" {
	bctl run -d --name l5 "$IMAGE" echo again
	wait_exited l5
	bctl start l5
	wait_exited l5
	run bctl logs l5
	[ "$output" = "$(printf 'again\nagain')" ] || { echo "$output"; false; }
	ls "$BERTHCTL_ROOT/logs/$NS/" | grep -q '\.log$'
	bctl rm l5
	run ls "$BERTHCTL_ROOT/logs/$NS/"
	[ -z "$output" ] || { echo "left: $output"; false; }
}

@test "run -d --rm: the container is removed when it exits, after berthctl is gone" {
	# regression: issue #14 (-d and --rm were refused together)
	run bctl run -d --rm --name r1 "$IMAGE" sh -c 'sleep 1'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ ${#output} -eq 64 ]
	id=$output
	bctl ps | awk '{ print $NF }' | grep -qx r1
	wait_gone r1
	run ls "$BERTHCTL_ROOT/logs/$NS/"
	[ -z "$output" ] || { echo "left: $output"; false; }
	run bctl snapshots ls
	[ "$status" -eq 0 ]
	run ! grep -q "$id" <<<"$output"
}

@test "run -d --rm: a container removed by hand first leaves the helper nothing to do" {
	bctl run -d --rm --name r2 "$IMAGE" sleep 30
	bctl rm -f r2
	wait_gone r2
	# the helper ends (its command line names this file's namespace)
	for _ in $(seq 100); do
		pgrep -af '[_]_reap' | grep -qF -- "-n $NS " || break
		sleep 0.1
	done
	run ! sh -c "pgrep -af '[_]_reap' | grep -F -- '-n $NS '"
	echo "$output"
}

@test "logs of an unknown container fails naming it" {
	run bctl logs nosuch
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container: 'nosuch'"* ]]
}

@test "run -d --rm: the helper waits through a berthd restart and still removes the container" {
	[ "$PEER" = berthd ] || skip "restarts the daemon (berthd only)"
	bctl run -d --rm --name rr "$IMAGE" sleep 4
	# berthd is setup_file's child, not this shell's: stop it by pid and poll
	kill -TERM "$BERTHD_PID"
	for _ in $(seq 100); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$BERTHD_PID" 2>/dev/null || false
	BERTHD=$BUILD_DIR/berthd start_berthd
	export BERTHD_PID # teardown_file stops the new one
	bctl ps | awk '{ print $NF }' | grep -qx rr # still running after the restart
	wait_gone rr
}
