#!/usr/bin/env bats
# berthctl run / ps / exec / stop / kill / start / rm against berthd, docker-style: the
# image is imported with `berthctl images import` (not unpacked: run unpacks it), tasks run
# on berth's shim (io.containerd.berth.v2) unless a test says otherwise.
#
# One berthd per file (setup_file) on a private temp dir $T (root, state, socket), in a
# namespace unique to this run, so the containers' cgroups (/<ns>/<id>) are found and
# removed in teardown_file even when a test fails. Each test removes its containers.

load ../helpers
load ../../compat/compat-helpers

IMAGE=localhost/berth-run:latest

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	export T SOCK NS BERTHD_PID BERTHCTL_ROOT
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ctlrun-XXXXXX")
	BERTHCTL_ROOT=$T/ctl-root # container logs (run -d), never /var/lib/berthctl
	SOCK=$T/berthd.sock
	NS=ctlrun-$(echo "$T" | md5sum | cut -c1-10)
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$T/img" --layers 2 --name "$IMAGE" >/dev/null
	BERTHD=$BUILD_DIR/berthd start_berthd || return 1
	"$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" images import "$T/img/image.oci.tar" >/dev/null 3>&-
}

teardown_file() {
	[ -n "${T:-}" ] || return 0
	if [ -n "${BERTHD_PID:-}" ]; then
		kill -TERM "$BERTHD_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	compat_kill_procs_under "$T"
	compat_cgroup_remove "$NS"
	compat_umount_under "$T"
	rm -rf --one-file-system "$T"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	unset BERTH_ADDRESS BERTH_NAMESPACE CONTAINERD_ADDRESS CONTAINERD_NAMESPACE
}

teardown() {
	local id
	for id in $(bctl_t 20 ps -a -q 2>/dev/null); do
		bctl_t 30 rm -f "$id" >/dev/null 2>&1
	done
	return 0
}

# bctl ARGS...: berthctl against this file's berthd, in $NS, killed after 60 s
bctl() {
	bctl_t 60 "$@"
}

bctl_t() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" "$@" 3>&-
}

ctr_b() {
	timeout -k 5 60 ctr -a "$SOCK" -n "$NS" "$@" 3>&-
}

# ps_status NAME: the STATUS column of `berthctl ps -a` for the container named NAME
ps_status() {
	bctl ps -a | awk -v n="$1" '$NF == n' | sed -E 's/.* ago +//; s/ +[^ ]+$//'
}

# wait_status NAME STATUS: polls ps -a until NAME has STATUS (10 s at most)
wait_status() {
	local st
	for _ in $(seq 100); do
		st=$(ps_status "$1")
		[ "$st" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1: expected status '$2', got '$st'"
	return 1
}

# active_snapshots: the Active snapshots' keys
active_snapshots() {
	bctl snapshots ls | awk '$NF == "Active" { print $1 }'
}

@test "run --rm: prints the command's stdout and stderr and exits with its status" {
	run bctl run --rm "$IMAGE" sh -c 'echo hi; echo oops >&2; exit 7'
	[ "$status" -eq 7 ] || { echo "status $status: $output"; cat "$T/berthd.log"; false; }
	[[ "$output" == *hi* ]]
	[[ "$output" == *oops* ]]
	run bctl run --rm "$IMAGE" echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
}

@test "run --rm: no container, task or active snapshot is left behind" {
	run bctl run --rm "$IMAGE" true
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(ctr_b containers ls -q)" ]
	[ -z "$(ctr_b tasks ls -q)" ]
	[ -z "$(active_snapshots)" ] || { bctl snapshots ls; false; }
	# the image's layers stay unpacked (committed), for the next run
	bctl snapshots ls | grep -q Committed
}

@test "run: -e, -w and -u reach the process; PATH is set" {
	run bctl run --rm -e FOO=bar -e PATH=/bin -w /data -u 7:8 "$IMAGE" \
		sh -c 'echo "$FOO $PATH"; pwd; id'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = "bar /bin" ]
	[ "${lines[1]}" = /data ]
	[ "${lines[2]}" = "uid=7 gid=8" ]
	run bctl run --rm "$IMAGE" sh -c 'echo $PATH; id -u'
	[ "${lines[0]}" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
	[ "${lines[1]}" = 0 ]
}

@test "run: --hostname, --read-only and --entrypoint shape the container" {
	run bctl run --rm --hostname box1 --read-only "$IMAGE" \
		sh -c 'cat /proc/sys/kernel/hostname; mkdir /x'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = box1 ]
	[[ "$output" == *"Read-only file system"* ]] || { echo "$output"; false; }
	run bctl run --rm --entrypoint /bin/echo "$IMAGE" via entrypoint
	[ "$output" = "via entrypoint" ]
}

@test "run -i and exec -i: berthctl's stdin reaches the process; without -i stdin is empty" {
	run bash -c "printf 'a\nb\n' | $BUILD_DIR/berthctl -a $SOCK -n $NS run --rm -i $IMAGE \
		sh -c 'cat; echo end' 3>&-"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = "$(printf 'a\nb\nend')" ]
	run bash -c "echo lost | $BUILD_DIR/berthctl -a $SOCK -n $NS run --rm $IMAGE cat 3>&-"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	bctl run -d --name in1 "$IMAGE" sleep 1000
	run bash -c "echo to-exec | $BUILD_DIR/berthctl -a $SOCK -n $NS exec -i in1 cat 3>&-"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$output" = to-exec ]
}

@test "run -d: prints the id; ps shows the container running under its name" {
	run bctl run -d --name web "$IMAGE" sleep 1000
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" =~ ^[0-9a-f]{64}$ ]] || { echo "$output"; false; }
	id=$output
	run bctl ps
	echo "$output" | grep -E "^${id:0:12} +$IMAGE +\"sleep 1000\" .* running +web$" ||
		{ echo "$output"; false; }
	run bctl ps -q
	[ "$output" = "${id:0:12}" ]
	# the task is berthd's: ctr sees it running too
	ctr_b tasks ls | grep -E "^$id +[0-9]+ +RUNNING"
}

@test "ps: without -a only running containers; -a also stopped ones with their exit status" {
	bctl run --name done1 "$IMAGE" sh -c 'exit 3' || true
	bctl run -d --name up1 "$IMAGE" sleep 1000
	run bctl ps
	[[ "$output" == *up1* ]]
	[[ "$output" != *done1* ]] || { echo "$output"; false; }
	[ "$(ps_status done1)" = "exited (3)" ]
	[ "$(ps_status up1)" = running ]
}

@test "exec: output and exit status of a command in a running container, with -e -w -u" {
	bctl run -d --name ex1 "$IMAGE" sleep 1000
	run bctl exec ex1 sh -c 'echo in-exec; exit 5'
	[ "$status" -eq 5 ] || { echo "status $status: $output"; false; }
	[ "$output" = in-exec ]
	run bctl exec -e V=1 -w /tmp -u 1000:1000 ex1 sh -c 'echo $V; pwd; id'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = "uid=1000 gid=1000" ]
	# the container's own process is untouched
	[ "$(ps_status ex1)" = running ]
}

@test "stop: SIGTERM first, exited (143); a process ignoring it is killed after -t: exited (137)" {
	bctl run -d --name st1 "$IMAGE" sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done'
	bctl run -d --name st2 "$IMAGE" sleep 1000 # pid 1 without a handler ignores SIGTERM
	run bctl stop st1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(ps_status st1)" = "exited (143)" ]
	run bctl stop -t 1 st2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(ps_status st2)" = "exited (137)" ]
}

@test "a paused container shows as paused; stop and rm -f still end it" {
	id=$(bctl run -d --name pz1 "$IMAGE" sh -c 'trap "exit 143" TERM; while :; do sleep 0.1; done')
	ctr_b tasks pause "$id"
	[ "$(ps_status pz1)" = paused ]
	run bctl stop pz1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(ps_status pz1)" = "exited (143)" ]
	id=$(bctl run -d --name pz2 "$IMAGE" sleep 1000)
	ctr_b tasks pause "$id"
	run bctl rm -f pz2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(ctr_b containers ls -q | grep "$id")" ]
}

@test "start: a stopped container runs again as a new process" {
	id=$(bctl run -d --name re1 "$IMAGE" sleep 1000)
	pid1=$(ctr_b tasks ls | awk -v id="$id" '$1 == id { print $2 }')
	bctl stop -t 0 re1
	[ "$(ps_status re1)" = "exited (137)" ]
	run bctl start re1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "$(ps_status re1)" = running ]
	pid2=$(ctr_b tasks ls | awk -v id="$id" '$1 == id { print $2 }')
	[ -n "$pid2" ] && [ "$pid2" != "$pid1" ]
	[ "$(cat "/proc/$pid2/comm")" = sleep ]
}

@test "kill -s: the signal reaches the container's process" {
	bctl run -d --name k1 "$IMAGE" sh -c 'trap "exit 42" USR1; while :; do sleep 0.1; done'
	run bctl kill -s USR1 k1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	wait_status k1 "exited (42)"
	# a stopped container cannot be signalled; a bad signal is named
	run bctl kill k1
	[ "$status" -eq 1 ]
	[[ "$output" == *"container 'k1' is not running"* ]] || { echo "$output"; false; }
	run bctl kill -s SIGNOPE k1
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid signal 'SIGNOPE'"* ]]
}

@test "rm: refuses a running container; rm -f kills it and removes container and snapshot" {
	id=$(bctl run -d --name rm1 "$IMAGE" sleep 1000)
	run bctl rm rm1
	[ "$status" -eq 1 ]
	[[ "$output" == *"is running"* ]] || { echo "$output"; false; }
	[ "$(ps_status rm1)" = running ]
	run bctl rm -f rm1
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -z "$(bctl ps -a -q)" ]
	[ -z "$(ctr_b containers ls -q)" ]
	[ -z "$(active_snapshots)" ]
	[ ! -e "$T/state/io.containerd.runtime.v2.task/$NS/$id" ]
}

@test "run --memory and --pids-limit: the limits are in the container's cgroups" {
	id=$(bctl run -d --memory 64m --pids-limit 50 "$IMAGE" sleep 1000)
	if [ -f "/sys/fs/cgroup/memory/$NS/$id/memory.limit_in_bytes" ]; then
		[ "$(cat "/sys/fs/cgroup/memory/$NS/$id/memory.limit_in_bytes")" = 67108864 ]
		[ "$(cat "/sys/fs/cgroup/pids/$NS/$id/pids.max")" = 50 ]
	else
		[ "$(cat "/sys/fs/cgroup/$NS/$id/memory.max")" = 67108864 ]
		[ "$(cat "/sys/fs/cgroup/$NS/$id/pids.max")" = 50 ]
	fi
}

@test "system prune keeps the unpacked layers and a container's snapshot" {
	id=$(bctl run -d "$IMAGE" sleep 1000)
	bctl system prune
	[ "$(active_snapshots)" = "$id" ]
	[ "$(bctl snapshots ls | grep -c Committed)" -eq 2 ] # the image's two layers
	run bctl exec "${id:0:12}" echo still-here
	[ "$output" = still-here ]
}

@test "run --name: a name already in use is refused and nothing is created" {
	bctl run -d --name dup "$IMAGE" sleep 1000
	run bctl run -d --name dup "$IMAGE" sleep 1000
	[ "$status" -eq 1 ]
	[[ "$output" == *"container name 'dup' is already in use"* ]] || { echo "$output"; false; }
	[ "$(bctl ps -a -q | wc -l)" -eq 1 ]
	[ "$(active_snapshots | wc -l)" -eq 1 ]
}

@test "run: an unknown image, a bad --memory or a missing runtime fail clearly and leave nothing" {
	run bctl run --rm localhost/nosuch:1 true
	[ "$status" -eq 1 ]
	[[ "$output" == *"image 'localhost/nosuch:1': not found"* ]] || { echo "$output"; false; }
	run bctl run --rm --memory 12q "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--memory: invalid size '12q'"* ]] || { echo "$output"; false; }
	run bctl run --rm --runtime io.containerd.nope.v2 "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"io.containerd.nope.v2"* ]] || { echo "$output"; false; }
	[ -z "$(ctr_b containers ls -q)" ]
	[ -z "$(active_snapshots)" ]
}

@test "exec, stop, start, rm: an unknown container is named in the error" {
	for cmd in "exec ghost true" "stop ghost" "start ghost" "kill ghost" "rm ghost"; do
		run bctl $cmd
		[ "$status" -eq 1 ] || { echo "$cmd: status $status"; false; }
		[[ "$output" == *"no such container: 'ghost'"* ]] || { echo "$cmd: $output"; false; }
	done
}

@test "run: SIGTERM and SIGINT to a foreground berthctl run reach the process" {
	# berthctl itself, not through bctl: $! must be its pid
	"$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" run --rm "$IMAGE" \
		sh -c 'trap "echo got-term; exit 143" TERM; echo ready; while :; do sleep 0.1; done' \
		>"$T/out1" 2>&1 3>&- &
	pid=$!
	# the trap is set once "ready" came through
	for _ in $(seq 100); do grep -q ready "$T/out1" && break; sleep 0.1; done
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 143 ] || { echo "status $st"; cat "$T/out1"; false; }
	grep -q got-term "$T/out1"
	"$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" run --rm "$IMAGE" \
		sh -c 'trap "echo got-int; exit 130" INT; echo ready; while :; do sleep 0.1; done' \
		>"$T/out2" 2>&1 3>&- &
	pid=$!
	for _ in $(seq 100); do grep -q ready "$T/out2" && break; sleep 0.1; done
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ] || { echo "status $st"; cat "$T/out2"; false; }
	grep -q got-int "$T/out2"
}

@test "run --runtime io.containerd.runc.v2: Debian's runc shim through berthd" {
	command -v containerd-shim-runc-v2 >/dev/null || skip "needs containerd-shim-runc-v2"
	command -v runc >/dev/null || skip "needs runc"
	run bctl run --rm --runtime io.containerd.runc.v2 "$IMAGE" sh -c 'echo via runc; exit 4'
	[ "$status" -eq 4 ] || { echo "status $status: $output"; cat "$T/berthd.log"; false; }
	[ "$output" = "via runc" ]
	rm -rf "/run/containerd/runc/$NS"
}
