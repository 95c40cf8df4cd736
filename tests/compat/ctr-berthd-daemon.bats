#!/usr/bin/env bats
# berthd as a daemon under stress, driven by Debian's ctr: the namespace of every event is
# the caller's (no use of a call after its reply), every method survives malformed requests,
# shim sockets stay short whatever the depth of berthd's socket, and a berthd killed with
# -9 in the middle of `ctr run -d` finds, reattaches or cleans every shim on restart.
#
# PEER=containerd runs the tests whose behaviour is protocol against a private containerd
# 1.6 instead (tests/compat/compat-helpers.bash); berthd-only tests skip then.
# Every path is in a private temp dir $T; the namespace is unique to the test.

load compat-helpers

BERTHD=${BERTHD:-$COMPAT_BUILD_DIR/berthd}
IMAGE=localhost/berth-daemon:latest
PEER=${PEER:-berthd}

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	export IMG_TMP
	IMG_TMP=$(compat_tmpdir daemon-img)
	compat_image "$IMG_TMP/img" "$IMAGE"
}

teardown_file() {
	[ -n "${IMG_TMP:-}" ] && rm -rf "$IMG_TMP"
	return 0
}

setup() {
	compat_need ctr
	T=$(compat_tmpdir daemon)
	mkdir -p "$T/fifo"
	if [ "$PEER" = containerd ]; then
		compat_need containerd
		compat_containerd_start "$T/c"
		ADDR=$CTRD_DIR/c.sock
		NS=$CTRD_NS
		RT=io.containerd.runc.v2
	else
		SOCK=$T/berthd.sock
		ADDR=$SOCK
		NS=berth-daemon-$(echo "$T" | md5sum | cut -c1-10)
		RT=io.containerd.berth.v2
		start_berthd -l debug
	fi
}

teardown() {
	local id
	if [ "$PEER" = containerd ]; then
		compat_containerd_stop
	else
		if [ -n "${BERTHD_PID:-}" ] && kill -0 "$BERTHD_PID" 2>/dev/null; then
			for id in $(ctr_t 10 task ls -q 2>/dev/null); do
				ctr_t 10 task kill -s KILL "$id" >/dev/null 2>&1
				ctr_t 20 task rm -f "$id" >/dev/null 2>&1
			done
		fi
		stop_berthd
	fi
	[ -n "${EVPID:-}" ] && { kill "$EVPID" 2>/dev/null; wait "$EVPID" 2>/dev/null; }
	compat_kill_procs_under "$T"
	compat_cgroup_remove "$NS"
	compat_umount_under "$T"
	rm -rf --one-file-system "$T"
}

berthd_only() {
	[ "$PEER" = berthd ] || skip "berthd's own behaviour ($1)"
}

# ctr_t SECS ARGS...: ctr against the peer in $NS, killed after SECS seconds
ctr_t() {
	local secs=$1
	shift
	timeout -k 5 "$secs" ctr -a "$ADDR" -n "$NS" "$@" 3>&-
}

ctr_b() {
	ctr_t 60 "$@"
}

# events_start FILE: `ctr events` (every namespace) into FILE until it shows an event
events_start() {
	timeout -k 5 300 ctr -a "$ADDR" events >"$1" 2>&1 3>&- &
	EVPID=$!
	for _ in $(seq 100); do
		grep -q . "$1" 2>/dev/null && return 0
		ctr_b namespaces create "probe-$RANDOM" >/dev/null 2>&1
		sleep 0.1
	done
	echo "ctr events saw nothing"
	return 1
}

# wait_event FILE TOPIC N: until FILE holds N events of TOPIC (30 s at most)
wait_event() {
	for _ in $(seq 300); do
		[ "$(grep -cF " $2 " "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	echo "expected $3 events $2, got:"
	cat "$1"
	return 1
}

@test "ctr events: the namespace of snapshot, container, content and image events is the caller's" {
	events_start "$T/events"
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
	for i in $(seq 15); do
		ctr_b snapshots prepare "k$i"
		ctr_b snapshots commit "n$i" "k$i"
		ctr_b snapshots view "v$i" "n$i" >/dev/null
		# containerd's collector may take an unleased view first: that is no failure
		ctr_b snapshots rm "v$i" 2>/dev/null || [ "$PEER" = containerd ]
		ctr_b snapshots rm "n$i" 2>/dev/null || [ "$PEER" = containerd ]
		ctr_b containers create "$IMAGE" "c$i"
		ctr_b containers label "c$i" "round=$i" >/dev/null
		ctr_b containers rm "c$i"
	done
	ctr_b images label "$IMAGE" probe=1 >/dev/null
	d=$(ctr_b content ls -q | head -1)
	[ -n "$d" ]
	ctr_b content rm "$d"
	ctr_b images rm "$IMAGE"
	wait_event "$T/events" /images/delete 1
	wait_event "$T/events" /containers/delete 15
	kill "$EVPID"
	wait "$EVPID" || true
	EVPID=
	# columns: date time zone UTC namespace topic event
	for topic in /snapshot/prepare /snapshot/commit /snapshot/remove /containers/create \
		/containers/update /containers/delete /images/create /images/update /images/delete \
		/content/delete; do
		[ "$(grep -cF " $topic " "$T/events")" -ge 1 ] || { echo "no $topic"; cat "$T/events"; false; }
	done
	# 15 rounds: 2 prepares (prepare, view), a commit, 2 or 3 removes, 3 container events
	[ "$(grep -cF " /snapshot/prepare " "$T/events")" -ge 30 ]
	[ "$(grep -cF " /snapshot/remove " "$T/events")" -ge 15 ]
	bad=$(awk -v ns="$NS" '$6 ~ /^\/(snapshot|containers|content|images)\// && $5 != ns' \
		"$T/events")
	[ -z "$bad" ] || { echo "events with another namespace than $NS:"; echo "$bad"; false; }
}

# pb_string FIELD STRING: hex of a protobuf string field (< 128 bytes)
pb_string() {
	local hex
	hex=$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')
	printf '%02x%02x%s' $(($1 << 3 | 2)) $((${#hex} / 2)) "$hex"
}

# raw_stream PATH HEX: one server-stream call with a hand-encoded request in $NS; prints
# the number of field-1 entries (List: infos) in all the responses and the status ("N OK"
# or "N CODE: details"); every response field must be length-delimited
raw_stream() {
	/usr/bin/python3 - "$ADDR" "$NS" "$1" "$2" <<-'PY'
		import sys, grpc
		sock, ns, path, payload = sys.argv[1:5]
		ch = grpc.insecure_channel("unix:" + sock)
		f = ch.unary_stream(path)
		def fields1(b):  # top-level field-1 entries of a message (the repeated info)
		    i = k = 0
		    while i < len(b):
		        key = 0; sh = 0
		        while True:
		            c = b[i]; i += 1; key |= (c & 0x7f) << sh; sh += 7
		            if c < 0x80: break
		        ln = 0; sh = 0
		        while True:
		            c = b[i]; i += 1; ln |= (c & 0x7f) << sh; sh += 7
		            if c < 0x80: break
		        i += ln
		        k += key == 0x0a
		    return k
		n = 0
		try:
		    for m in f(bytes.fromhex(payload), metadata=[("containerd-namespace", ns)], timeout=30):
		        n += fields1(m)
		    print(n, "OK")
		except grpc.RpcError as e:
		    print(n, "%s: %s" % (e.code().name, e.details()))
	PY
}

@test "Snapshots.List with two and three filters answers (was a segfault): any filter matches" {
	/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio"
	ctr_b snapshots prepare a1 >/dev/null
	ctr_b snapshots prepare b1 >/dev/null
	sn=$(pb_string 1 overlayfs)
	run raw_stream /containerd.services.snapshots.v1.Snapshots/List \
		"$sn$(pb_string 2 'name==a1')$(pb_string 2 'name==b1')"
	[ "$output" = "2 OK" ] || { echo "$output"; tail -5 "$T/berthd.log" 2>/dev/null; false; }
	run raw_stream /containerd.services.snapshots.v1.Snapshots/List \
		"$sn$(pb_string 2 'name==zz')$(pb_string 2 'name==zz')$(pb_string 2 'name==a1')"
	[ "$output" = "1 OK" ] || { echo "$output"; false; }
	run raw_stream /containerd.services.snapshots.v1.Snapshots/List "$sn$(pb_string 2 'name==zz')"
	[ "$output" = "0 OK" ] || { echo "$output"; false; }
	ctr_b version >/dev/null
}

@test "rpcfuzz: malformed requests to every method of every service; the daemon answers after each" {
	# about 3,200 calls (48 rounds of 66 methods), fixed seed: a few seconds.
	# containerd 1.6.20 itself dies (Go panic, nil pointer) on an Events.Forward without
	# envelope and on a Diff.Apply without diff, which berthd refuses with InvalidArgument:
	# those two are not called on containerd (found by this test; nothing else kills it).
	local skip=
	[ "$PEER" = containerd ] &&
		skip=/containerd.services.events.v1.Events/Forward,/containerd.services.diff.v1.Diff/Apply
	run env RPCFUZZ_SKIP="$skip" timeout 600 "$COMPAT_BUILD_DIR/tests/helpers/rpcfuzz" \
		"$ADDR" 48 1
	echo "$output"
	[ "$status" -eq 0 ] || { tail -20 "$T/berthd.log" 2>/dev/null; false; }
	[[ "$output" == *"daemon answered after each"* ]]
	ctr_b version >/dev/null
}

# deep_dir LEN: creates and prints a directory under $T whose path is LEN bytes long
deep_dir() {
	local d=$T/deep
	while [ $((${#d} + 11)) -le "$1" ]; do d=$d/0123456789; done
	while [ "${#d}" -lt "$1" ]; do d=${d}x; done
	mkdir -p "$d"
	echo "$d"
}

# run_d ID CMD...: a detached task on the peer's shim, FIFOs in $T/fifo
run_d() {
	local id=$1
	shift
	ctr_b run -d --fifo-dir "$T/fifo" --runtime "$RT" "$IMAGE" "$id" "$@"
}

@test "berthd's socket in a deep directory: shim sockets stay short (fixed dir), ctr run and berthctl run work" {
	# the socket path is 97 bytes and its .ttrpc 103 (unix sockets hold 107); a shim socket
	# next to it would be <dir>/s/<64 hex> = 157 bytes
	D=$(deep_dir 90)
	if [ "$PEER" = containerd ]; then
		compat_containerd_stop || true
		compat_containerd_start "$D"
		ADDR=$D/c.sock
		NS=$CTRD_NS
	else
		stop_berthd
		SOCK=$D/b.sock
		ADDR=$SOCK
		start_berthd -l debug --state "$D/state"
	fi
	[ "${#ADDR}" -ge 95 ]
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
	run_d deep1 sleep 300
	for _ in $(seq 100); do
		[ "$(ctr_b task ls | awk '$1 == "deep1" { print $3 }')" = RUNNING ] && break
		sleep 0.1
	done
	run ctr_b task ls
	[[ "$output" == *deep1*RUNNING* ]] || { echo "$output"; tail -20 "$T/berthd.log" 2>/dev/null; false; }
	run ctr_b task exec --exec-id e1 deep1 echo exec-in-deep
	[ "$status" -eq 0 ] && [[ "$output" == *exec-in-deep* ]] || { echo "$output"; false; }
	if [ "$PEER" = berthd ]; then
		# the shim's address is <shim socket dir>/<sha256 hex>: in $T/s, not under $D
		addr=$(cat "$D"/state/io.containerd.runtime.v2.task/"$NS"/deep1/address)
		[[ "$addr" =~ ^unix://$T/s/[0-9a-f]{64}$ ]] || { echo "address: $addr"; false; }
		[ -S "${addr#unix://}" ]
		run timeout 60 "$COMPAT_BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" run --rm "$IMAGE" \
			echo hello-from-deep 3>&-
		[ "$status" -eq 0 ] && [[ "$output" == *hello-from-deep* ]] ||
			{ echo "$output"; tail -20 "$T/berthd.log"; false; }
	fi
	ctr_b task kill -s KILL deep1
	for _ in $(seq 100); do
		[ "$(ctr_b task ls | awk '$1 == "deep1" { print $3 }')" = STOPPED ] && break
		sleep 0.1
	done
	ctr_b task rm deep1
	ctr_b containers rm deep1
	if [ "$PEER" = berthd ]; then
		[ ! -e "${addr#unix://}" ] || { echo "shim socket left: $addr"; false; }
	fi
}

@test "berthd: a shim socket dir too long for a unix socket path is refused, naming it" {
	berthd_only "its own configuration"
	stop_berthd
	long=$(deep_dir 60)
	run "$BERTHD" --root "$T/root" --state "$T/state" -a "$T/x.sock" -c "$T/berthd.json" \
		--shim-socket-dir "$long"
	[ "$status" -ne 0 ]
	[[ "$output" == *"shim_socket_dir '$long': longer than 42 bytes"* ]] || { echo "$output"; false; }
	echo "{\"shim_socket_dir\": \"$long\"}" >"$T/long.json"
	run "$BERTHD" --root "$T/root" --state "$T/state" -a "$T/x.sock" -c "$T/long.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"shim_socket_dir '$long'"* ]] || { echo "$output"; false; }
	[ ! -e "$T/x.sock" ]
}

# ---- kill -9 of the daemon in the middle of `ctr run -d` ----

# slow_shim MODE: prints the path of a shim wrapper whose `start`, in MODE
#   before  signals $T/reached and waits for $T/release, then fails: the bundle exists,
#           no shim was started
#   after   runs the real `start` (the shim runs, its address is written), signals
#           $T/reached and waits for $T/release before printing the address: the daemon
#           dies before it can call Create
# Other actions (delete) run the real shim.
slow_shim() {
	local real=$COMPAT_BUILD_DIR/containerd-shim-berth-v2 w=$T/shim-$1
	[ "$PEER" = containerd ] && real=$(command -v containerd-shim-runc-v2)
	cat >"$w" <<-SH
		#!/bin/bash
		last=\${!#}
		[ "\$last" = start ] || exec "$real" "\$@"
		if [ "$1" = before ]; then
		    touch "$T/reached"
		    for _ in \$(seq 600); do [ -e "$T/release" ] && break; sleep 0.1; done
		    echo "start refused by the test" >&2
		    exit 1
		fi
		out=\$("$real" "\$@")
		rc=\$?
		touch "$T/reached"
		for _ in \$(seq 600); do [ -e "$T/release" ] && break; sleep 0.1; done
		printf '%s' "\$out"
		exit \$rc
	SH
	chmod 0755 "$w"
	echo "$w"
}

# wait_file FILE: until FILE exists (30 s at most)
wait_file() {
	for _ in $(seq 300); do [ -e "$1" ] && return 0; sleep 0.1; done
	echo "$1 never appeared"
	return 1
}

# crash_daemon: kill -9 of berthd (or containerd), then the same daemon started again
crash_daemon() {
	if [ "$PEER" = containerd ]; then
		local pid
		pid=$(cat "$CTRD_DIR/containerd.pid")
		kill -9 "$pid"
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
		touch "$T/release"
		compat_containerd_start "$CTRD_DIR"
	else
		kill -9 "$BERTHD_PID"
		wait "$BERTHD_PID" 2>/dev/null || true
		BERTHD_PID=
		touch "$T/release"
		start_berthd -l debug
	fi
}

# task_bundles: the bundles of $NS under the daemon's state dir
task_bundles() {
	local st=$T/state
	[ "$PEER" = containerd ] && st=$CTRD_DIR/state
	ls "$st/io.containerd.runtime.v2.task/$NS" 2>/dev/null
}

# shims_of ID: pids of shims serving ID for this daemon (command line names -id ID and
# the daemon's address)
shims_of() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' '\n' 2>/dev/null <"$f" | grep -qxF -- "$ADDR" || continue
		tr '\0' '\n' 2>/dev/null <"$f" | grep -A1 -xF -- -id | grep -qxF -- "$1" || continue
		pid=${f#/proc/}
		echo "${pid%/cmdline}"
	done
}

# nothing_left ID: no bundle, no shim process, no shim socket for ID (waits 10 s at most
# for a shim told to shut down to exit)
nothing_left() {
	local left
	for _ in $(seq 100); do
		left=$(shims_of "$1")
		[ -z "$left" ] && [ -z "$(task_bundles)" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || { echo "shim of $1 left: $left"; ps -o pid,args -p "$left"; return 1; }
	[ -z "$(task_bundles)" ] || { echo "bundles left: $(task_bundles)"; return 1; }
	if [ "$PEER" = berthd ] && [ -d "$T/s" ]; then
		[ -z "$(ls "$T/s")" ] || { echo "shim sockets left: $(ls "$T/s")"; return 1; }
	fi
	return 0
}

# run_then_rm ID: the container runs a task again and everything goes with ctr rm
run_then_rm() {
	ctr_b task start -d "$1" >/dev/null
	ctr_b task kill -s KILL "$1"
	for _ in $(seq 100); do
		[ "$(ctr_b task ls | awk -v id="$1" '$1 == id { print $3 }')" = STOPPED ] && break
		sleep 0.1
	done
	ctr_b task rm "$1"
	ctr_b containers rm "$1"
	nothing_left "$1"
}

@test "kill -9 of the daemon after the container record: the container stays, runs, and goes" {
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
	ctr_b containers create --runtime "$RT" "$IMAGE" k1 sleep 300
	crash_daemon
	[ "$(ctr_b containers ls -q)" = k1 ]
	[ -z "$(ctr_b task ls -q)" ]
	run_then_rm k1
}

@test "kill -9 of the daemon once the bundle is written, before the shim: restart cleans the bundle" {
	# measured: containerd 1.6.20 keeps this bundle after its restart and after ctr rm
	berthd_only "containerd 1.6.20 leaves the bundle"
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
	ctr_t 120 run -d --fifo-dir "$T/fifo" --runtime "$(slow_shim before)" "$IMAGE" k2 \
		sleep 300 >"$T/run.out" 2>&1 &
	runpid=$!
	wait_file "$T/reached"
	[ -n "$(task_bundles)" ]
	crash_daemon
	wait "$runpid" || true
	[ "$(ctr_b containers ls -q)" = k2 ]
	[ -z "$(ctr_b task ls -q)" ]
	nothing_left k2
	ctr_b containers rm k2
	nothing_left k2
}

@test "kill -9 of the daemon once the shim started, before Create: restart stops that shim" {
	# measured: containerd 1.6.20 leaves this runc shim running after its restart
	berthd_only "containerd 1.6.20 leaves the shim running"
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
	ctr_t 120 run -d --fifo-dir "$T/fifo" --runtime "$(slow_shim after)" "$IMAGE" k3 \
		sleep 300 >"$T/run.out" 2>&1 &
	runpid=$!
	wait_file "$T/reached"
	[ -n "$(shims_of k3)" ] || { echo "no shim started"; false; }
	crash_daemon
	wait "$runpid" || true
	[ "$(ctr_b containers ls -q)" = k3 ]
	# the shim never got its task: it is not listed, and it does not outlive the restart
	[ -z "$(ctr_b task ls -q)" ]
	nothing_left k3
	ctr_b containers rm k3
	nothing_left k3
}

@test "kill -9 of the daemon after ctr run -d: the task is reattached, listed and removable" {
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
	ctr_b run -d --fifo-dir "$T/fifo" --runtime "$RT" "$IMAGE" k4 sleep 300
	crash_daemon
	for _ in $(seq 100); do
		[ "$(ctr_b task ls | awk '$1 == "k4" { print $3 }')" = RUNNING ] && break
		sleep 0.1
	done
	run ctr_b task ls
	[[ "$output" == *k4*RUNNING* ]] || { echo "$output"; false; }
	ctr_b task kill -s KILL k4
	for _ in $(seq 100); do
		[ "$(ctr_b task ls | awk '$1 == "k4" { print $3 }')" = STOPPED ] && break
		sleep 0.1
	done
	ctr_b task rm k4
	ctr_b containers rm k4
	nothing_left k4
}

@test "kill -9 of a shim while berthd is down: restart cleans its bundle, socket and dead sockets" {
	berthd_only "berthd's own shim socket directory"
	ctr_b images import "$IMG_TMP/img/image.oci.tar" >/dev/null
	ctr_b run -d --fifo-dir "$T/fifo" --runtime "$RT" "$IMAGE" k5 sleep 300
	stop_berthd
	shim=$(cat "$T/state/io.containerd.runtime.v2.task/$NS/k5/shim.pid")
	kill -9 "$shim"
	compat_cgroup_remove "$NS/k5"
	# a socket nobody listens on (no bundle names it) and one that is alive
	/usr/bin/python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' \
		"$T/s/0000dead"
	[ -S "$T/s/0000dead" ]
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(120)' \
		"$T/s/1111live" 3>&- &
	live=$!
	for _ in $(seq 50); do [ -S "$T/s/1111live" ] && break; sleep 0.1; done
	start_berthd -l debug
	[ ! -e "$T/s/0000dead" ] || { echo "dead socket kept"; false; }
	[ -S "$T/s/1111live" ] || { echo "a live socket was removed"; false; }
	kill "$live"
	wait "$live" || true
	rm -f "$T/s/1111live"
	[ -z "$(ctr_b task ls -q)" ]
	nothing_left k5
	ctr_b containers rm k5
}
