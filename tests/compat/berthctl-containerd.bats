#!/usr/bin/env bats
# berthctl against a private containerd 1.6 (issue #14): berthctl is a client of the
# containerd API only, so its bats files in tests/integration/supervisor/ run unchanged
# with BERTHCTL_PEER=containerd (berthctl-peer.bash starts containerd instead of berthd).
# One test per file here, so `make check` runs both peers and a failure says which file;
# the nested TAP output is printed when one fails.

BERTH_TOP=${BERTH_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v containerd >/dev/null || skip "needs containerd"
}

# peer_file NAME: runs tests/integration/supervisor/NAME.bats against containerd
peer_file() {
	run env BERTHCTL_PEER=containerd timeout -k 10 900 \
		bats --tap "$BERTH_TOP/tests/integration/supervisor/$1.bats"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^ok ' <<<"$output"
	! grep -q '^not ok' <<<"$output" || false
}

@test "berthctl + containerd: berthctl-cli.bats (env, users, workdir, refs, IDs, names, exit codes, export)" {
	peer_file berthctl-cli
}

@test "berthctl + containerd: berthctl-logs.bats (run -d logs, logs -f/--tail/-t, -d --rm)" {
	peer_file berthctl-logs
}

@test "berthctl + containerd: berthctl-tty.bats (run -t/-it, resize, exec -t, attach)" {
	peer_file berthctl-tty
}

@test "berthctl + containerd: berthctl-flags.bats (run flags into the spec)" {
	peer_file berthctl-flags
}

@test "berthctl + containerd: berthctl-container.bats (lo, hostname, inspect, wait, restart, pause, top, create, prune)" {
	peer_file berthctl-container
}
