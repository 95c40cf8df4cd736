#!/usr/bin/env bats
# Foreground terminal mode (regression: issue #15): `run` and `exec -t` with
# process.terminal and no --console-socket allocate the pty and relay it to the
# runtime's own terminal, as runc does: output and input relayed, the caller's window
# size copied and followed on SIGWINCH, the caller's terminal raw meanwhile and restored
# after, the container process's exit status returned. The caller's terminal is a pty
# that tests/helpers/ptydrive.py drives (the way a user's shell runs the runtime).

load ../helpers

PTYDRIVE=$BERTH_TOP/tests/helpers/ptydrive.py

setup() {
	setup_bundle
	command -v python3 >/dev/null || skip "needs python3 (its pty module drives the terminal)"
	# the runtime under test as one command (ptydrive execs it): --root, and crun's
	# private mount namespace (helpers.bash, berth_keep_fds)
	cat >"$TEST_TMP/rt" <<EOF
#!/bin/sh
if [ "$(runtime_name)" = crun ]; then
	exec unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "\$0" "\$@"' "$BERTH" --root "$ROOT" "\$@"
fi
exec "$BERTH" --root "$ROOT" "\$@"
EOF
	chmod +x "$TEST_TMP/rt"
	RT=$TEST_TMP/rt
	# a shell prompt the steps can wait for
	update_config '.process.terminal = true | .process.env += ["PS1=ctr$ "]'
	set_args /bin/sh
}

teardown() {
	teardown_bundle
}

# drive STEP... -- CMD...: ptydrive's output in $output, its last line EXIT=N checked by the caller
drive() {
	run python3 "$PTYDRIVE" "$@"
	[ "$status" = 0 ] || fail_with "ptydrive failed"
}

@test "terminal: run relays the pty: output, input and the exit status" {
	drive size:24:80 expect:'ctr$ ' send:'echo in-$((6*7)); tty\r' expect:in-42 send:'exit 7\r' \
		-- "$RT" run --bundle "$BUNDLE" "$CID"
	expect_line "in-42"
	expect_output_contains "/dev/pts/"
	expect_line "EXIT=7"
}

@test "terminal: run gives the container the caller's window size and follows a resize" {
	not_runtime crun "1.8.1 leaves the pty at 0x0 in the foreground (stty: standard input)"
	drive size:33:111 expect:'ctr$ ' send:'stty size\r' expect:'33 111' \
		size:44:122 send:'stty size\r' expect:'44 122' send:'exit 0\r' \
		-- "$RT" run --bundle "$BUNDLE" "$CID"
	expect_line "33 111"
	expect_line "44 122"
	expect_line "EXIT=0"
}

@test "terminal: the caller's terminal is raw while run relays and restored after" {
	# the outer shell prints its terminal settings before and after the run
	drive mode expect:'ctr$ ' mode send:'exit 3\r' \
		-- sh -c 'stty -g; "$0" run --bundle "$1" "$2"; echo "rc=$?"; stty -g' "$RT" "$BUNDLE" "$CID"
	expect_line "rc=3"
	# the first note may come before the outer shell ran: only the second counts
	[ "$(grep -c '^MODE=' <<<"$output")" = 2 ] || fail_with "expected two MODE lines"
	grep '^MODE=' <<<"$output" | tail -1 | grep -qx 'MODE=raw' ||
		fail_with "the terminal was not raw while the container ran"
	local before after
	before=$(grep -m1 -E '^[0-9a-f]+(:[0-9a-f]+)+' <<<"$output" | tr -d '\r')
	after=$(grep -E '^[0-9a-f]+(:[0-9a-f]+)+' <<<"$output" | tail -1 | tr -d '\r')
	[ -n "$before" ] || fail_with "no stty -g line before the run"
	[ "$(grep -cE '^[0-9a-f]+(:[0-9a-f]+)+' <<<"$output")" = 2 ] || fail_with "expected two stty -g lines"
	[ "$before" = "$after" ] || fail_with "terminal settings changed: '$before' -> '$after'"
}

@test "terminal: a ^C typed on the caller's terminal reaches the container's foreground process" {
	drive expect:'ctr$ ' send:'echo st$((1+1)); sleep 100\r' expect:st2 sleep:0.3 send:'\x03' \
		send:'echo rc-$?\r' expect:'rc-130' send:'exit 0\r' \
		-- "$RT" run --bundle "$BUNDLE" "$CID"
	expect_line "rc-130"
	expect_line "EXIT=0"
}

@test "terminal: exec -t relays the pty: output, input, size and the exit status" {
	update_config '.process.terminal = false'
	set_args pause
	run_container
	drive size:31:97 send:'stty size; echo ex-$((5*5))\r' expect:'ex-25' send:'exit 9\r' \
		-- "$RT" exec -t "$CID" /bin/sh
	expect_line "31 97"
	expect_line "ex-25"
	expect_line "EXIT=9"
}

@test "terminal: run -d with a terminal and no --console-socket still fails, naming it" {
	run berth_detached run -d --bundle "$BUNDLE" "$CID"
	expect_failure
	grep -qi "console.socket" <<<"$output" || fail_with "the error does not name the console socket"
}

@test "terminal: the basic workflow: spec, then run in the terminal" {
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$RT" spec) || fail_with "spec failed"
	# spec's process is `sh` with a terminal; no real-time or rlimits this host refuses
	update_config '.process.env += ["PS1=ctr$ "]'
	drive expect:'ctr$ ' send:'echo spec-$((3+4))\r' expect:spec-7 send:'exit 5\r' \
		-- sh -c 'cd "$1" && exec "$0" run "$2"' "$RT" "$BUNDLE" "$CID"
	expect_line "spec-7"
	expect_line "EXIT=5"
}
