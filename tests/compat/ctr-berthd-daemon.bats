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
