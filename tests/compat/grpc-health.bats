#!/usr/bin/env bats
# grpc.health.v1.Health/Check as containerd 1.6 serves it, on berthd and on a private
# containerd: the server as a whole (service "") is SERVING; a service name nobody
# registered is NOT_FOUND. The Docker Engine polls Check after reconnecting to its
# containerd (tests/compat/dockerd-berthd.bats restarts berthd under it).
# Each check runs twice: against berthd and against containerd.

load compat-helpers

BERTHD=${BERTHD:-$COMPAT_BUILD_DIR/berthd}

setup_file() {
	compat_need containerd ctr /usr/bin/python3
	/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio"
	export T SOCK BERTHD_PID
	T=$(compat_tmpdir health)
	SOCK=$T/b.sock
	start_berthd
	compat_containerd_start "$T/ctrd"
}

teardown_file() {
	stop_berthd
	compat_containerd_stop
	[ -n "${T:-}" ] && rm -rf "$T"
}

check() {
	local sock=$SOCK
	[ "$1" = berthd ] || sock=$CTRD_DIR/c.sock
	shift
	run /usr/bin/python3 "$BERTH_TOP/tests/helpers/grpc-health.py" "$sock" "$@"
	echo "$output"
}

@test "Health/Check of the server is SERVING (berthd)" {
	check berthd
	[ "$output" = "OK|1" ]
}

@test "Health/Check of the server is SERVING (containerd)" {
	check containerd
	[ "$output" = "OK|1" ]
}

@test "Health/Check of an unknown service is NOT_FOUND (berthd)" {
	check berthd no.such.Service
	[[ "$output" == "NOT_FOUND|"* ]]
}

@test "Health/Check of an unknown service is NOT_FOUND (containerd)" {
	check containerd no.such.Service
	[[ "$output" == "NOT_FOUND|"* ]]
}
