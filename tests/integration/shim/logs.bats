#!/usr/bin/env bats
# berth-shim's log targets, driven directly over ttrpc (no containerd): binary:// log
# URIs (a logging process with containerd's contract: fds 3 = stdout, 4 = stderr, 5 =
# "ready", env CONTAINER_ID and CONTAINER_NAMESPACE, argv from the query), and the
# shim's own log FIFO in the bundle, whose reader may stall or go away.
# Containers run with runc ($BERTH_SHIM_RUNTIME), every path in a private temp dir.

load containerd

SHIM=$SHIM_BUILD_DIR/berth-shim
CALL=$BERTH_TOP/tests/integration/shim/ttrpc_call.py

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v runc >/dev/null || skip "runc not installed"
	[ -x "$SHIM_BUILD_DIR/berth-shim" ] || skip "build/berth-shim not built"
	local testinit=$SHIM_BUILD_DIR/tests/helpers/testinit
	[ -x "$testinit" ] || make -C "$BERTH_TOP" --no-print-directory "$testinit" >&2
	LOGS_ROOTFS_DIR=$(mktemp -d /tmp/shim-logs-rootfs.XXXXXX)
	export LOGS_ROOTFS_DIR
	BUILD=$SHIM_BUILD_DIR "$BERTH_TOP/tests/helpers/mkrootfs.sh" "$LOGS_ROOTFS_DIR/rootfs" "$testinit"
}

teardown_file() {
	[ -n "${LOGS_ROOTFS_DIR:-}" ] && rm -rf "$LOGS_ROOTFS_DIR"
	return 0
}

setup() {
	# not under $BATS_RUN_TMPDIR: <dir>/s/<64 hex> must fit the 107-byte socket path limit
	T=$(mktemp -d /tmp/shim-logs.XXXXXX)
	mkdir -p "$T/bundle"
	ADDR=$T/containerd.sock
	unset TTRPC_ADDRESS
	export BERTH_SHIM_RUNTIME=runc
	write_logger
}

teardown() {
	local p id
	for id in $(runc --root "$T/runc/testns" list -q 2>/dev/null); do
		runc --root "$T/runc/testns" delete --force "$id" >/dev/null 2>&1
	done
	p=$(cat "$T/bundle/shim.pid" 2>/dev/null) &&
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = berth-shim ] && kill -9 "$p"
	for p in "$T"/*.pid; do
		[ -e "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$T"
}

# The test logger: binary://$T/logger.sh?out=FILE[&delay=SECONDS][&hang=1][&hold=1]
# [&pidf=FILE]. It writes "env <its environment> args=<argc>", closes fd 5, appends
# "stdout <line>" and "stderr <line>" for what it reads on fds 3 and 4, and at EOF on
# both, after SECONDS, "logger-exit". With hang=1 it never becomes ready; with hold=1
# it never reads nor exits by itself. pidf: its pid goes there.
write_logger() {
	cat >"$T/logger.sh" <<-'EOF'
		#!/bin/sh
		out= delay= hang= hold= pidf= nargs=$#
		while [ $# -ge 2 ]; do
			case $1 in out) out=$2 ;; delay) delay=$2 ;; hang) hang=$2 ;; hold) hold=$2 ;; pidf) pidf=$2 ;; esac
			shift 2
		done
		[ -n "$pidf" ] && echo $$ >"$pidf"
		[ -n "$hang" ] && exec sleep 1000
		echo "env $(tr '\0' ' ' </proc/$$/environ)args=$nargs" >>"$out"
		exec 5>&-
		[ -n "$hold" ] && exec sleep 1000
		while IFS= read -r l; do echo "stdout $l"; done <&3 >>"$out" &
		while IFS= read -r l; do echo "stderr $l"; done <&4 >>"$out" &
		exec 3<&- 4<&-
		wait
		[ -n "$delay" ] && sleep "$delay"
		echo logger-exit >>"$out"
	EOF
	chmod 755 "$T/logger.sh"
}

shim_start() { # [-debug]
	(cd "$T/bundle" && "$SHIM" -namespace testns -address "$ADDR" -publish-binary /usr/bin/containerd -id c1 "$@" start </dev/null 3>&-)
}

# bundle ARGS...: config.json running ARGS in the test rootfs, no terminal
bundle() {
	(cd "$T/bundle" && runc spec)
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
	jq --arg r "$LOGS_ROOTFS_DIR/rootfs" --argjson a "$args" \
		'.root.path = $r | .process.terminal = false | .process.args = $a' \
		"$T/bundle/config.json" >"$T/c.json"
	mv "$T/c.json" "$T/bundle/config.json"
}

# call METHOD FIELD=VALUE...: a Task call; fails unless the answer is code=0
call() {
	run "$CALL" "$ADDR_SHIM" "$@"
	echo "$1: $output"
	[[ "$output" == code=0* ]]
}

# create_terminal URI: Create with terminal=true (a bool field, which ttrpc_call.py's
# FIELD=STRING arguments cannot express: its encoder is reused here)
create_terminal() {
	ADDR_SHIM=$(shim_start)
	run python3 - "$CALL" "$ADDR_SHIM" "$T/bundle" "$1" <<-'EOF'
		import socket, struct, sys
		call, path, bundle, uri = sys.argv[1:5]
		exec(open(call).read().replace("\nmain()\n", "\n"))
		payload = (field(1, b"c1") + field(2, bundle.encode()) + bytes([4 << 3, 1])
		           + field(6, uri.encode()) + field(7, uri.encode()))
		req = field(1, b"containerd.task.v2.Task") + field(2, b"Create") + field(3, payload)
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.settimeout(20)
		s.connect(path[len("unix://"):])
		s.sendall(struct.pack(">IIBB", len(req), 1, 1, 0) + req)
		hdr = s.recv(10)
		body = b""
		while len(body) < struct.unpack(">I", hdr[:4])[0]:
		    body += s.recv(4096)
		st = parse(parse(body).get(1, [b""])[0])
		print("code=%d message=%s" % (st.get(1, [0])[0], st.get(2, [b""])[0].decode()))
	EOF
	echo "Create (terminal): $output"
	[[ "$output" == code=0* ]]
}

create_with_log() { # URI
	ADDR_SHIM=$(shim_start)
	call Create id=c1 2="$T/bundle" 6="$1" 7="$1"
}

@test "binary: the logger receives stdout and stderr lines, each stream in order" {
	bundle /bin/sh -c 'echo o1; echo e1 >&2; echo o2; echo e2 >&2; echo o3; exit 3'
	create_with_log "binary://$T/logger.sh?out=$T/log.txt"
	call Start id=c1
	call Wait id=c1
	cat "$T/log.txt"
	[ "$(grep '^stdout ' "$T/log.txt" | tr '\n' ,)" = "stdout o1,stdout o2,stdout o3," ]
	[ "$(grep '^stderr ' "$T/log.txt" | tr '\n' ,)" = "stderr e1,stderr e2," ]
	call Delete id=c1
}

@test "binary: the logger's env is CONTAINER_ID and CONTAINER_NAMESPACE only, argv from the query" {
	bundle /bin/true
	create_with_log "binary://$T/logger.sh?out=$T/log.txt&delay=0"
	call Start id=c1
	call Wait id=c1
	cat "$T/log.txt"
	# containerd's shim passes exactly these two variables (no PATH); 4 args: out F delay 0
	grep -qx 'env CONTAINER_ID=c1 CONTAINER_NAMESPACE=testns args=4' "$T/log.txt" ||
		{ echo "expected 'env CONTAINER_ID=c1 CONTAINER_NAMESPACE=testns args=4' in the log"; false; }
	call Delete id=c1
}

@test "binary: output written right before exit is all logged before Wait returns (TaskExit)" {
	bundle /bin/sh -c 'seq 1 3000; echo last-line; echo last-err >&2'
	# the logger sleeps after EOF before it writes its last line: the exit must wait for it
	create_with_log "binary://$T/logger.sh?out=$T/log.txt&delay=1"
	call Start id=c1
	call Wait id=c1
	tail -3 "$T/log.txt"
	[ "$(tail -1 "$T/log.txt")" = logger-exit ] || { echo "expected logger-exit as the last line"; false; }
	[ "$(grep -c '^stdout ' "$T/log.txt")" = 3001 ]
	grep -qx 'stdout last-line' "$T/log.txt"
	grep -qx 'stderr last-err' "$T/log.txt"
	call Delete id=c1
}

@test "binary: with a terminal, the pty's output goes to the logger's stdout" {
	bundle /bin/sh -c 'test -t 1 && echo stdout-is-a-tty; echo err-via-pty >&2'
	jq '.process.terminal = true' "$T/bundle/config.json" >"$T/c.json"
	mv "$T/c.json" "$T/bundle/config.json"
	create_terminal "binary://$T/logger.sh?out=$T/log.txt"
	call Start id=c1
	call Wait id=c1
	cat -A "$T/log.txt"
	# the pty turns \n into \r\n; stderr shares the pty, the logger's fd 4 just ends
	[ "$(grep '^stdout ' "$T/log.txt" | tr -d '\r' | tr '\n' ,)" = "stdout stdout-is-a-tty,stdout err-via-pty," ]
	! grep -q '^stderr ' "$T/log.txt" || false
	[ "$(tail -1 "$T/log.txt")" = logger-exit ]
	call Delete id=c1
}

@test "binary: a logger still running after its input ended is sent SIGTERM after the timeout" {
	bundle /bin/sh -c 'echo bye'
	export BERTH_SHIM_LOGGER_TIMEOUT=1
	create_with_log "binary://$T/logger.sh?out=$T/log.txt&hold=1&pidf=$T/logger.pid"
	call Start id=c1
	# answered once the bound expired, not after the logger's 1000 s
	call Wait id=c1
	call Delete id=c1
	! kill -0 "$(cat "$T/logger.pid")" 2>/dev/null || { echo "logger still running after Delete"; false; }
}

@test "binary: a missing logger binary fails Create, names the URI and leaves nothing running" {
	bundle /bin/true
	ADDR_SHIM=$(shim_start)
	uri="binary://$T/no-such-logger?out=x"
	run "$CALL" "$ADDR_SHIM" Create id=c1 2="$T/bundle" 6="$uri" 7="$uri"
	echo "$output"
	[[ "$output" != code=0* ]]
	[[ "$output" == *"$uri"* ]]
	[[ "$output" == *"No such file"* ]]
	[ -z "$(runc --root "$T/runc/testns" list -q 2>/dev/null)" ]
	# the shim has no child left
	[ -z "$(ps -o pid= --ppid "$(cat "$T/bundle/shim.pid")")" ]
	run "$CALL" "$ADDR_SHIM" State id=c1
	[[ "$output" == code=5* ]]
}

@test "binary: a relative, host-only or non-executable logger fails Create naming the URI" {
	bundle /bin/true
	ADDR_SHIM=$(shim_start)
	chmod 644 "$T/logger.sh"
	for uri in "binary://logger.sh" "binary:logger.sh" "binary://$T/logger.sh?out=$T/x"; do
		run "$CALL" "$ADDR_SHIM" Create id=c1 2="$T/bundle" 6="$uri" 7="$uri"
		echo "$uri: $output"
		[[ "$output" != code=0* ]]
		[[ "$output" == *"'$uri'"* ]]
	done
	[[ "$output" == *"Permission denied"* ]]
	[ -z "$(runc --root "$T/runc/testns" list -q 2>/dev/null)" ]
}

@test "binary: a logger that never closes fd 5 fails Create after the timeout and is killed" {
	bundle /bin/true
	export BERTH_SHIM_LOGGER_TIMEOUT=1
	ADDR_SHIM=$(shim_start)
	uri="binary://$T/logger.sh?hang=1&pidf=$T/logger.pid"
	run "$CALL" "$ADDR_SHIM" Create id=c1 2="$T/bundle" 6="$uri" 7="$uri"
	echo "$output"
	[[ "$output" != code=0* ]]
	[[ "$output" == *"'$uri': not ready after 1 s"* ]]
	! kill -0 "$(cat "$T/logger.pid")" 2>/dev/null || false
	[ -z "$(runc --root "$T/runc/testns" list -q 2>/dev/null)" ]
}

@test "binary: stderr going elsewhere than stdout's logger is refused" {
	bundle /bin/true
	ADDR_SHIM=$(shim_start)
	run "$CALL" "$ADDR_SHIM" Create id=c1 2="$T/bundle" 6="binary://$T/logger.sh" 7="$T/other-fifo"
	echo "$output"
	[[ "$output" == *"stderr '$T/other-fifo'"* ]]
}

@test "log fifo: a reader that stalls or goes away neither blocks nor kills the shim, a new one gets its log" {
	mkfifo "$T/bundle/log"
	# hold the FIFO open for reading (as containerd does, O_RDWR) but never read it
	sleep 1000 <>"$T/bundle/log" 3>&- &
	echo $! >"$T/holder.pid"
	ADDR_SHIM=$(shim_start -debug)
	big=$(printf 'x%.0s' $(seq 8000))
	# each failed call logs a debug line naming the id: ~16 KiB per call fills the FIFO
	for i in $(seq 12); do
		run "$CALL" "$ADDR_SHIM" State id="$big$big"
		[[ "$output" == code=5* ]] || { echo "call $i with a stalled log reader: $output"; false; }
	done
	# containerd killed: no reader at all (writes fail with EPIPE)
	kill "$(cat "$T/holder.pid")"
	wait "$(cat "$T/holder.pid")" 2>/dev/null || true
	run "$CALL" "$ADDR_SHIM" State id=while-no-reader
	[[ "$output" == code=5* ]] || { echo "call without a log reader: $output"; false; }
	# containerd restarted: it opens the FIFO again (O_RDWR), the shim's fd reaches it
	exec 7<>"$T/bundle/log"
	run "$CALL" "$ADDR_SHIM" State id=after-reopen
	[[ "$output" == code=5* ]]
	run timeout 5 grep -a -m1 -o after-reopen <&7
	exec 7<&-
	[ "$output" = after-reopen ] || { echo "expected the shim's log line on the reopened FIFO, got '$output'"; false; }
}
