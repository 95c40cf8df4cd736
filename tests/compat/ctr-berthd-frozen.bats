#!/usr/bin/env bats
# No gRPC worker of berthd waits on a shim: with four shims frozen (SIGSTOP) under pending
# Tasks calls, the other services still answer ctr (Version, Images, Containers). Each of
# those is bounded with `timeout 5`: a hang fails the test; nothing else is timed.
# Tasks run on berth's own shim (io.containerd.berth.v2), as in ctr-berthd-tasks.bats.

load compat-helpers

BERTHD=${BERTHD:-$COMPAT_BUILD_DIR/berthd}
IMAGE=localhost/berth-frozen:latest
BERTH_RT=io.containerd.berth.v2

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	export IMG_TMP
	IMG_TMP=$(compat_tmpdir frozen-img)
	compat_image "$IMG_TMP/img" "$IMAGE"
}

teardown_file() {
	[ -n "${IMG_TMP:-}" ] && rm -rf "$IMG_TMP"
	return 0
}

setup() {
	compat_need ctr
	T=$(compat_tmpdir frozen)
	SOCK=$T/berthd.sock
	NS=berth-frozen-$(echo "$T" | md5sum | cut -c1-10)
	mkdir -p "$T/fifo"
	start_berthd
	ctr_t 60 images import "$IMG_TMP/img/image.oci.tar" >/dev/null
}

teardown() {
	local id p
	# thaw first: a frozen shim would stall every cleanup step below
	for p in $(cat "$T/frozen" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; done
	for p in $(cat "$T/pending" 2>/dev/null); do wait "$p" 2>/dev/null; done
	if [ -n "${BERTHD_PID:-}" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
		for id in $(ctr_t 10 task ls -q 2>/dev/null); do
			ctr_t 10 task kill -s KILL "$id" >/dev/null 2>&1
			ctr_t 20 task rm -f "$id" >/dev/null 2>&1
		done
	fi
	stop_berthd
	compat_kill_procs_under "$T"
	compat_cgroup_remove "$NS"
	compat_umount_under "$T"
	rm -rf --one-file-system "$T"
}

# ctr_t SECS ARGS...: ctr against this berthd in $NS, killed after SECS seconds
ctr_t() {
	local secs=$1
	shift
	timeout -k 2 "$secs" ctr -a "$SOCK" -n "$NS" "$@" 3>&-
}

# shim_pid ID: the shim of task ID (the parent of the task's init process)
shim_pid() {
	local pid
	pid=$(ctr_t 10 task ls | awk -v id="$1" '$1 == id { print $2 }')
	[ -n "$pid" ] || return 1
	ps -o ppid= -p "$pid" | tr -d ' '
}

@test "four frozen shims under pending Tasks calls: Version, Images, Containers still answer" {
	local id p
	for id in f1 f2 f3 f4; do
		ctr_t 60 run -d --fifo-dir "$T/fifo" --runtime "$BERTH_RT" "$IMAGE" "$id" sleep 1000
	done
	for id in f1 f2 f3 f4; do
		p=$(shim_pid "$id")
		[ -n "$p" ] && grep -q shim "/proc/$p/cmdline" || { echo "no shim for $id: '$p'"; false; }
		echo "$p" >>"$T/frozen"
		kill -STOP "$p"
	done
	# two calls per frozen shim: more than berthd's shared workers (4)
	for id in f1 f2 f3 f4 f1 f2 f3 f4; do
		ctr_t 120 task ps "$id" >/dev/null 2>&1 &
		echo $! >>"$T/pending"
	done
	sleep 1 # let the calls reach berthd (not an assertion: the bounds below are)
	for p in $(cat "$T/pending"); do
		kill -0 "$p" || { echo "a Tasks call did not wait on its frozen shim"; false; }
	done
	run ctr_t 5 version
	[ "$status" -eq 0 ] || { echo "ctr version: status $status: $output"; false; }
	[[ "$output" == *"Server:"* ]]
	run ctr_t 5 images ls -q
	[ "$status" -eq 0 ] || { echo "ctr images ls: status $status: $output"; false; }
	[[ "$output" == *"$IMAGE"* ]]
	run ctr_t 5 containers ls -q
	[ "$status" -eq 0 ] || { echo "ctr containers ls: status $status: $output"; false; }
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "f1 f2 f3 f4 " ]
	# thawed, the pending calls end and the tasks answer again
	for p in $(cat "$T/frozen"); do kill -CONT "$p"; done
	for p in $(cat "$T/pending"); do wait "$p"; done
	: >"$T/pending"
	run ctr_t 10 task ps f1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
}
