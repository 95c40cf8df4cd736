#!/usr/bin/env bats
# Namespaces.Get as containerd 1.6 answers it, on berthd and on a private containerd 1.6:
# a namespace exists implicitly, so Get of a name that holds nothing yet (no record)
# answers OK with that name and no labels, and does not create it (List does not show
# it). The Docker Engine asks for its namespaces ("moby", "plugins.moby") this way at
# start and refuses to start on "namespace 'moby': not found".
# Each check runs twice: against berthd and against containerd.

load compat-helpers

BERTHD=${BERTHD:-$COMPAT_BUILD_DIR/berthd}

setup_file() {
	compat_need ctr containerd /usr/bin/python3
	/usr/bin/python3 -c 'import grpc' 2>/dev/null || skip "needs python3-grpcio"
	export T SOCK BERTHD_PID
	T=$(compat_tmpdir nsget)
	SOCK=$T/b.sock
	start_berthd
	compat_containerd_start "$T/ctrd"
}

teardown_file() {
	stop_berthd
	compat_containerd_stop
	[ -n "${T:-}" ] && rm -rf "$T"
}

# sock_of berthd|containerd: the daemon's gRPC socket
sock_of() {
	case $1 in
	berthd) echo "$SOCK" ;;
	containerd) echo "$CTRD_DIR/c.sock" ;;
	esac
}

ns_get() {
	run /usr/bin/python3 "$BERTH_TOP/tests/helpers/grpc-ns.py" "$(sock_of "$1")" "$2"
	echo "$output"
}

check_absent_answers() {
	ns_get "$1" moby
	[ "$output" = "OK|moby|" ]
	ns_get "$1" plugins.moby
	[ "$output" = "OK|plugins.moby|" ]
	# and it is still not a namespace of its own: List does not show it
	run ctr -a "$(sock_of "$1")" namespaces ls -q
	[ "$status" -eq 0 ]
	! grep -qx moby <<<"$output" || false
}

check_labels_answered() {
	run ctr -a "$(sock_of "$1")" namespaces create team-$1 owner=alice tier=gold
	[ "$status" -eq 0 ]
	ns_get "$1" "team-$1"
	[ "$output" = "OK|team-$1|owner=alice,tier=gold" ]
}

check_removed_answers() {
	run ctr -a "$(sock_of "$1")" namespaces create gone-$1 a=b
	[ "$status" -eq 0 ]
	run ctr -a "$(sock_of "$1")" namespaces rm "gone-$1"
	[ "$status" -eq 0 ]
	ns_get "$1" "gone-$1"
	[ "$output" = "OK|gone-$1|" ]
}

@test "Namespaces.Get of a namespace with no resources: its name, no labels, not created (berthd)" {
	check_absent_answers berthd
}

@test "Namespaces.Get of a namespace with no resources: its name, no labels, not created (containerd)" {
	check_absent_answers containerd
}

@test "Namespaces.Get of a namespace with labels answers them (berthd)" {
	check_labels_answered berthd
}

@test "Namespaces.Get of a namespace with labels answers them (containerd)" {
	check_labels_answered containerd
}

@test "Namespaces.Get of a removed namespace answers with no labels (berthd)" {
	check_removed_answers berthd
}

@test "Namespaces.Get of a removed namespace answers with no labels (containerd)" {
	check_removed_answers containerd
}
