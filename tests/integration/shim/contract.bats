#!/usr/bin/env bats
# berth-shim's binary contract with containerd (start, delete, the daemon's lifetime),
# exercised directly, without containerd: a temp bundle as cwd, a fake containerd
# address in the temp dir, and a small ttrpc client (ttrpc_call.py) for the daemon.

load containerd

SHIM=$SHIM_BUILD_DIR/berth-shim
CALL=$BERTH_TOP/tests/integration/shim/ttrpc_call.py

setup() {
	[ -x "$SHIM" ] || skip "build/berth-shim not built"
	# not under $BATS_RUN_TMPDIR: <dir>/s/<64 hex> must fit the 107-byte socket path limit
	T=$(mktemp -d /tmp/shim-contract.XXXXXX)
	mkdir -p "$T/bundle"
	ADDR=$T/containerd.sock
	unset TTRPC_ADDRESS
	export BERTH_SHIM_RUNTIME=runc
}

teardown() {
	local p
	p=$(cat "$T/bundle/shim.pid" 2>/dev/null) &&
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = berth-shim ] && kill -9 "$p"
	rm -rf "$T"
}

shim_start() { # ID
	(cd "$T/bundle" && "$SHIM" -namespace testns -address "$ADDR" -publish-binary /usr/bin/containerd -id "$1" start </dev/null 3>&-)
}

wait_gone() { # PID
	local i
	for i in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}

@test "start: prints only the socket address next to the containerd address and writes it to the bundle" {
	run shim_start c1
	[ "$status" -eq 0 ]
	hex=$(printf '%s' "$ADDR/testns/c1" | sha256sum | cut -d' ' -f1)
	[ "$output" = "unix://$T/s/$hex" ] || { echo "expected unix://$T/s/$hex, got '$output'"; false; }
	[ "$(cat "$T/bundle/address")" = "$output" ]
	[ -S "$T/s/$hex" ]
	[ "$(cat "/proc/$(cat "$T/bundle/shim.pid")/comm")" = berth-shim ]
}

@test "start: the daemon leaves its own session and holds none of start's stdio" {
	run shim_start c1
	pid=$(cat "$T/bundle/shim.pid")
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" ]
	for fd in 0 1 2; do
		[ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ] || [ "$fd" = 2 ]
	done
	# nothing but stdio, the listener and the daemon's own fds
	! ls -l "/proc/$pid/fd" | grep -q pipe: || false
}

@test "start: a second start for the same id reuses the running shim" {
	run shim_start c1
	first=$output
	pid=$(cat "$T/bundle/shim.pid")
	run shim_start c1
	[ "$status" -eq 0 ]
	[ "$output" = "$first" ]
	[ "$(cat "$T/bundle/shim.pid")" = "$pid" ]
}

@test "daemon: unknown task ids are NotFound, Checkpoint is Unimplemented, Connect answers" {
	addr=$(shim_start c1)
	run "$CALL" "$addr" State id=nope
	[[ "$output" == code=5* ]] || { echo "State: $output"; false; }
	run "$CALL" "$addr" Kill id=nope
	[[ "$output" == code=5* ]]
	run "$CALL" "$addr" Checkpoint id=c1
	[[ "$output" == code=12* ]]
	run "$CALL" "$addr" Nope id=c1
	[[ "$output" == code=12* ]]
	run "$CALL" "$addr" Connect id=c1
	[[ "$output" == code=0* ]]
}

@test "daemon: Create with a bundle that does not exist fails and names it" {
	addr=$(shim_start c1)
	run "$CALL" "$addr" Create id=c1 2="$T/no-such-bundle"
	echo "$output"
	[[ "$output" != code=0* ]]
	[[ "$output" == *no-such-bundle* ]]
}

@test "daemon: Shutdown with no task makes the shim exit and remove its socket" {
	addr=$(shim_start c1)
	pid=$(cat "$T/bundle/shim.pid")
	run "$CALL" "$addr" Shutdown id=c1
	[[ "$output" == code=0* ]]
	wait_gone "$pid"
	[ ! -e "${addr#unix://}" ]
}

@test "delete: idempotent, prints a DeleteResponse with exit status 137 even with no task" {
	for i in 1 2; do
		run bash -c "cd '$T/bundle' && '$SHIM' -namespace testns -address '$ADDR' -id c1 -bundle '$T/bundle' delete 2>/dev/null | od -An -tx1 | tr -d ' \n'"
		[ "$status" -eq 0 ]
		# field 2 (exit_status) = varint 137: 10 89 01
		[[ "$output" == *108901* ]] || { echo "DeleteResponse bytes: $output"; false; }
	done
}

@test "flags: an unknown flag or action fails with usage and exit status 2" {
	run "$SHIM" -namespace x -address "$ADDR" -id c1 -bogus 1 start
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown flag '-bogus'"* ]]
	run "$SHIM" -namespace x -address "$ADDR" -id c1 frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown action 'frobnicate'"* ]]
}

@test "start: a socket path over the unix limit fails and says how to fix it" {
	long=$T/$(printf 'd%.0s' $(seq 80))
	run bash -c "cd '$T/bundle' && '$SHIM' -namespace testns -address '$long/c.sock' -id c1 start"
	[ "$status" -ne 0 ]
	[[ "$output" == *BERTH_SHIM_SOCKET_DIR* ]]
	[ ! -e "$T/bundle/address" ]
}
