#!/usr/bin/env bats
# berthctl images import/export progress: drawn in place ('\r') only when the output is a
# terminal (a pty from util-linux `script`), never in what scripts read.
# Each test runs its own berthd on private temp dirs.

load ../helpers
load ../berthd

IMAGE=localhost/berth-test:latest

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v script >/dev/null || skip "needs script (Debian package util-linux)"
	export PROG_IMG
	PROG_IMG=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-progimg-XXXXXX")
	# a layer of a few MB, so the import crosses several reads of one entry
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$PROG_IMG/img" --layers 2 --layer-mb 4 \
		--name "$IMAGE" >/dev/null
}

teardown_file() {
	[ -n "${PROG_IMG:-}" ] && rm -rf "$PROG_IMG"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v script >/dev/null || skip "needs script (Debian package util-linux)"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ctlprog-XXXXXX")
	SOCK=$T/berthd.sock
	BERTHD=$BUILD_DIR/berthd start_berthd || return 1
	unset BERTH_ADDRESS BERTH_NAMESPACE CONTAINERD_ADDRESS CONTAINERD_NAMESPACE
}

teardown() {
	stop_berthd
	[ -n "${T:-}" ] && rm -rf "$T"
}

bctl() {
	"$BUILD_DIR/berthctl" -a "$SOCK" -n ctl "$@" 3>&-
}

# on_tty ARGS...: berthctl ARGS with stdout, stderr and stdin on a pty; output to $T/tty.
on_tty() {
	script -qfec "$BUILD_DIR/berthctl -a $SOCK -n ctl $*" /dev/null </dev/null >"$T/tty" 3>&-
}

@test "berthctl images import on a terminal: a progress line with its percent, then the summary" {
	on_tty images import "$PROG_IMG/img/image.oci.tar" || { cat "$T/tty" "$T/berthd.log"; false; }
	cat -A "$T/tty"
	# drawn in place: every redraw starts with '\r'
	grep -q $'\rimporting image.oci.tar: [0-9.]*[kMG]*B / [0-9.]*[kMG]*B ([0-9]*%)' "$T/tty"
	# the last redraw shows the whole archive, and the line is ended before the summary
	grep -q $'importing image.oci.tar: .* (100%) *\r$' "$T/tty"
	grep -q "^imported $IMAGE (sha256:" "$T/tty"
}

@test "berthctl images import without a terminal: the output is only the summary, no '\\r'" {
	bctl images import "$PROG_IMG/img/image.oci.tar" >"$T/out" 2>"$T/err"
	cat -A "$T/out"
	! grep -q $'\r' "$T/out" || false
	! grep -q importing "$T/out" "$T/err" || false
	[ "$(wc -l <"$T/out")" -eq 1 ]
	grep -qx "imported $IMAGE (sha256:[0-9a-f]\{64\})" "$T/out"
}

@test "berthctl images export on a terminal: progress to 100%, and the archive is complete" {
	bctl images import "$PROG_IMG/img/image.oci.tar" >/dev/null
	on_tty images export "$T/out.tar" "$IMAGE" || { cat "$T/tty" "$T/berthd.log"; false; }
	cat -A "$T/tty"
	grep -q $'\rexporting out.tar: .* (100%) *\r$' "$T/tty"
	tar -tf "$T/out.tar" | grep -qx index.json
}

@test "berthctl images export without a terminal prints nothing" {
	bctl images import "$PROG_IMG/img/image.oci.tar" >/dev/null
	run bctl images export "$T/out.tar" "$IMAGE"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	tar -tf "$T/out.tar" | grep -qx index.json
}
