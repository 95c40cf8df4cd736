#!/usr/bin/env bats
# berthd as a daemon: flags, config file, lockfile, socket, signals, meta.db schema.
# Each test runs its own berthd on private temp dirs and stops it in teardown.

load ../helpers
load ../berthd

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-berthd-XXXXXX")
	SOCK=$T/berthd.sock
	echo '{}' >"$T/berthd.json"
	BERTHD=$BUILD_DIR/berthd
}

teardown() {
	for p in ${PIDS:-}; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -n "${T:-}" ] && rm -rf "$T"
}

# start [ARGS...]: start_berthd (tests/integration/berthd.bash) with $T paths (ARGS
# override); teardown stops every daemon a test started.
start() {
	start_berthd "$@" || return 1
	PID=$BERTHD_PID
	PIDS="${PIDS:-} $PID"
}

@test "berthd --version and --help" {
	run "$BERTHD" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "berthd 0.1.0"* ]]
	run "$BERTHD" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--root DIR"* ]]
	run "$BERTHD" --bogus
	[ "$status" -eq 2 ]
}

@test "berthd: an explicit config file that does not exist is an error naming it" {
	run "$BERTHD" --root "$T/root" -a "$SOCK" -c "$T/missing.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$T/missing.json"* ]]
	[ ! -e "$T/root" ]
}

@test "berthd: an unknown config key is an error naming the key" {
	echo '{"root": "/x", "gc_intervall": 5}' >"$T/berthd.json"
	run "$BERTHD" --root "$T/root" -a "$SOCK" -c "$T/berthd.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown key 'gc_intervall'"* ]]
}

@test "berthd: a config value of the wrong type is an error naming the key" {
	echo '{"log_level": "loud"}' >"$T/berthd.json"
	run "$BERTHD" -c "$T/berthd.json" --root "$T/root" -a "$SOCK"
	[ "$status" -eq 1 ]
	[[ "$output" == *"log_level"*"loud"* ]]
	echo '{"root": "relative/dir"}' >"$T/berthd.json"
	run "$BERTHD" -c "$T/berthd.json" -a "$SOCK"
	[ "$status" -eq 1 ]
	[[ "$output" == *"root: want an absolute path"* ]]
}

@test "berthd: config file paths are used, flags override them" {
	cat >"$T/berthd.json" <<-JSON
	{"root": "$T/croot", "state": "$T/cstate", "address": "$T/other.sock", "log_level": "debug"}
	JSON
	"$BERTHD" -c "$T/berthd.json" -a "$SOCK" </dev/null >>"$T/berthd.log" 2>&1 3>&- &
	PID=$!
	PIDS=$PID
	for _ in $(seq 100); do
		ctr -a "$SOCK" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	[ -f "$T/croot/meta.db" ]
	[ -d "$T/cstate" ]
	[ -S "$SOCK" ]
	[ ! -e "$T/other.sock" ]
	ctr -a "$SOCK" namespaces ls
	# failed calls are logged at debug level only. (ctr, like containerd's, exits 0 when
	# the namespace to remove is NotFound: the debug line is what shows the call failed)
	ctr -a "$SOCK" namespaces rm no-such-ns
	grep -q "debug: rpc: .*no-such-ns" "$T/berthd.log"
}

@test "berthd: a relative --root is refused" {
	run "$BERTHD" --root rel -a "$SOCK" -c "$T/berthd.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--root 'rel': want an absolute path"* ]]
}

@test "berthd: a second berthd on the same socket fails clearly and the first keeps serving" {
	start
	ctr -a "$SOCK" namespaces create kept
	run "$BERTHD" --root "$T/root2" --state "$T/state2" -a "$SOCK" -c "$T/berthd.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another server is running on '$SOCK'"* ]]
	run ctr -a "$SOCK" namespaces ls -q
	[ "$status" -eq 0 ]
	[[ "$output" == *kept* ]]
}

@test "berthd: the socket is 0660 and the lockfile sits next to it" {
	start
	[ "$(stat -c %a "$SOCK")" = 660 ]
	[ -f "$SOCK.lock" ]
}

@test "berthd: SIGINT stops it with status 0 and state survives a restart" {
	start
	ctr -a "$SOCK" namespaces create survivor owner=me
	kill -INT "$PID"
	wait "$PID"
	[ "$?" -eq 0 ]
	PIDS=
	grep -q "shutting down" "$T/berthd.log"
	start
	run ctr -a "$SOCK" namespaces ls
	echo "$output" | grep -E '^survivor +owner=me'
}

@test "berthd: meta.db is WAL, passes integrity_check and records its schema version" {
	command -v sqlite3 >/dev/null || skip "needs sqlite3"
	start
	ctr -a "$SOCK" namespaces create x
	[ "$(sqlite3 "$T/root/meta.db" 'PRAGMA journal_mode')" = wal ]
	[ "$(sqlite3 "$T/root/meta.db" 'PRAGMA integrity_check')" = ok ]
	[ "$(sqlite3 "$T/root/meta.db" 'PRAGMA user_version')" -ge 1 ]
	[ "$(sqlite3 "$T/root/meta.db" "SELECT name FROM namespaces WHERE name='x'")" = x ]
}
