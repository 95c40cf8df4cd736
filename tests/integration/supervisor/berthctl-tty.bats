#!/usr/bin/env bats
# berthctl run -t / -it, exec -t and attach (issue #14): a pty made by the shim (the
# containerd API's Terminal=true), berthctl's window size from the start and on SIGWINCH
# (Tasks.ResizePty), berthctl's terminal raw while stdin is copied, the exit status back.
# berthctl runs on a pty of its own (tests/helpers/ptyrun.py), as at a user's terminal.
# Against a private berthd, or containerd 1.6 with BERTHCTL_PEER=containerd.

load ../helpers
load ../../compat/compat-helpers
load berthctl-peer

bats_require_minimum_version 1.5.0

IMAGE=localhost/berth-tty:latest

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
	command -v python3 >/dev/null || skip "needs python3"
}

teardown() {
	ctl_peer_teardown
}

# onpty [PTYRUN OPTIONS] -- BERTHCTL ARGS...: berthctl on a new pty (60 s at most)
onpty() {
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	"$BERTH_TOP/tests/helpers/ptyrun.py" --timeout 60 "${opts[@]}" -- \
		"$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" "$@"
}

@test "run -t: the process has a terminal of berthctl's size, TERM=xterm, and its exit status" {
	run onpty --size 33x101 -- run --rm -t "$IMAGE" sh -c 'tty; stty size; echo "$TERM"; exit 3'
	[ "$status" -eq 3 ] || { echo "$status: $output"; false; }
	[[ "$output" == *"/dev/pts/"* ]] || { echo "$output"; false; }
	[[ "$output" == *"33 101"* ]] || { echo "$output"; false; }
	[[ "$output" == *xterm* ]]
}

@test "run -t without a terminal still gives the process one" {
	run bctl run --rm -t "$IMAGE" sh -c 'test -t 0 && test -t 1 && echo has-tty'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *has-tty* ]]
	# without -t there is none
	run bctl run --rm "$IMAGE" sh -c 'test -t 1 || echo no-tty'
	[ "$output" = no-tty ]
}

@test "run -it: typed input reaches the shell through the pty and exit ends berthctl" {
	run onpty --send 'echo sum-$((40+2))\n' --send 'exit 7\n' -- run --rm -it "$IMAGE" sh
	[ "$status" -eq 7 ] || { echo "$status: $output"; false; }
	[[ "$output" == *sum-42* ]] || { echo "$output"; false; }
}

@test "run -it: a window change reaches the container (SIGWINCH -> ResizePty)" {
	run onpty --size 30x100 --resize-on READY --resize 50x132 --until '50 132' -- \
		run --rm -it "$IMAGE" sh -c 'stty size; echo READY; while read x; do
			case $(stty size) in "50 132") stty size; exit 0;; esac; done'
	[ "$status" -eq 0 ] || { echo "$status: $output"; false; }
	[[ "$output" == *"30 100"* ]] || { echo "$output"; false; }
	[[ "$output" == *"50 132"* ]] || { echo "$output"; false; }
}

@test "exec -t / -it: a terminal in a running container, with the exit status" {
	bctl run -d --name tx "$IMAGE" sleep 60
	run onpty --size 40x90 -- exec -t tx sh -c 'tty; stty size; exit 4'
	[ "$status" -eq 4 ] || { echo "$status: $output"; false; }
	[[ "$output" == *"/dev/pts/"* ]] && [[ "$output" == *"40 90"* ]] || { echo "$output"; false; }
	run onpty --send 'echo in-exec\n' --send 'exit\n' -- exec -it tx sh
	[ "$status" -eq 0 ] || { echo "$status: $output"; false; }
	[[ "$output" == *in-exec* ]]
}

@test "run -d -t: the terminal's output goes to the log" {
	bctl run -d -t --name dt "$IMAGE" sh -c 'tty; echo done'
	for _ in $(seq 100); do
		bctl logs dt | grep -q done && break
		sleep 0.1
	done
	run bctl logs dt
	[[ "$output" == *"/dev/pts/"* ]] && [[ "$output" == *done* ]] || { echo "$output"; false; }
}

@test "attach: follows a detached container's output until it exits, with its status" {
	bctl run -d --name at "$IMAGE" sh -c 'echo before-attach
		while [ ! -e /tmp/go ]; do echo tick; sleep 0.2; done; echo after-attach; exit 6'
	bctl attach at >"$T/attach.out" 2>&1 &
	pid=$!
	# attach follows: ticks arrive; then let the container finish
	for _ in $(seq 150); do
		grep -q tick "$T/attach.out" && break
		sleep 0.2
	done
	bctl exec at sh -c ": >/tmp/go"
	wait "$pid" || st=$?
	[ "${st:-0}" -eq 6 ] || { echo "status ${st:-0}"; cat "$T/attach.out"; false; }
	grep -q after-attach "$T/attach.out"
	run ! grep -q before-attach "$T/attach.out"
	run bctl attach at
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
}

@test "run -d -i, then attach: berthctl's stdin reaches the container; its end is not the container's EOF" {
	bctl run -d -i --name ai "$IMAGE" sh -c 'read a; echo got-$a; read b; echo got-$b; exit 5'
	# the first attach ends when its input does not (the container runs on): bounded
	echo one | timeout 5 "$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" attach ai >/dev/null || true
	# its input ended, yet the container still runs, waiting for b
	for _ in $(seq 100); do
		bctl logs ai | grep -q got-one && break
		sleep 0.1
	done
	run bctl inspect -f '{{.State.Status}}' ai
	[ "$output" = running ] || { echo "$output"; bctl logs ai; false; }
	run sh -c "echo two | timeout 30 '$BUILD_DIR/berthctl' -a '$SOCK' -n '$NS' attach ai"
	[ "$status" -eq 5 ] || { echo "$status: $output"; false; }
	[[ "$output" == *got-two* ]] || { echo "$output"; false; }
	run bctl logs ai
	[ "$output" = "$(printf 'got-one\ngot-two')" ] || { echo "$output"; false; }
}

@test "run -dit, then attach on a terminal: an interactive shell, with its exit status" {
	bctl run -dit --name sh1 "$IMAGE" sh
	run onpty --send 'echo via-$((6*7))\n' --send 'exit 9\n' -- attach sh1
	[ "$status" -eq 9 ] || { echo "$status: $output"; false; }
	[[ "$output" == *via-42* ]] || { echo "$output"; false; }
}
