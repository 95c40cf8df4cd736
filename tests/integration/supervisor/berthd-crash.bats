#!/usr/bin/env bats
# Crash safety of berthd: kill -9 in the middle of a large image import, restart, and
# check that what was committed is intact, that nothing partial is visible (every blob's
# bytes match its digest, the half-imported image does not exist) and that meta.db passes
# PRAGMA integrity_check. Then the same import succeeds.

load ../helpers
load ../berthd

SMALL=localhost/crash-small:1
BIG=localhost/crash-big:1

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	export CRASH_IMG
	CRASH_IMG=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-crashimg-XXXXXX")
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$CRASH_IMG/small" --name "$SMALL" >/dev/null
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$CRASH_IMG/big" --name "$BIG" --layers 4 \
		--layer-mb 48 >/dev/null
}

teardown_file() {
	[ -n "${CRASH_IMG:-}" ] && rm -rf "$CRASH_IMG"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-crash-XXXXXX")
	SOCK=$T/berthd.sock
	echo '{}' >"$T/berthd.json"
}

teardown() {
	[ -n "${IMPORT_PID:-}" ] && { kill "$IMPORT_PID" 2>/dev/null; wait "$IMPORT_PID" 2>/dev/null; }
	[ -n "${PID:-}" ] && { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	[ -n "${T:-}" ] && rm -rf "$T"
}

# start: the shared start_berthd (tests/integration/berthd.bash); PID is the daemon's.
start() {
	BERTHD=$BUILD_DIR/berthd start_berthd || return 1
	PID=$BERTHD_PID
}

ctr_b() {
	ctr -a "$SOCK" -n crash "$@" 3>&-
}

# every file in blobs/sha256 is complete: its sha256 is its name
blobs_are_whole() {
	local b
	for b in "$T"/root/content/blobs/sha256/*; do
		[ -e "$b" ] || continue
		[ "$(sha256sum "$b" | cut -d' ' -f1)" = "$(basename "$b")" ] ||
			{ echo "partial or corrupt blob: $b"; return 1; }
	done
}

@test "crash: kill -9 during a large import leaves committed images intact and nothing partial" {
	start
	ctr_b images import --no-unpack "$CRASH_IMG/small/image.oci.tar"
	small_digest=$(ctr_b images ls | awk 'NR==2 {print $3}')

	ctr_b images import --no-unpack "$CRASH_IMG/big/image.oci.tar" >/dev/null 2>&1 &
	IMPORT_PID=$!
	# wait until the big import is writing data (an ingest holds some bytes)
	for _ in $(seq 200); do
		n=$(find "$T/root/content/ingest" -name data -size +1M 2>/dev/null | wc -l)
		[ "$n" -gt 0 ] && break
		sleep 0.05
	done
	[ "$n" -gt 0 ]
	kill -9 "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
	wait "$IMPORT_PID" 2>/dev/null || true
	IMPORT_PID=

	blobs_are_whole
	if command -v sqlite3 >/dev/null; then
		[ "$(sqlite3 "$T/root/meta.db" 'PRAGMA integrity_check')" = ok ]
	fi
	start
	run ctr_b images ls -q
	[ "$output" = "$SMALL" ]
	[ "$(ctr_b images ls | awk 'NR==2 {print $3}')" = "$small_digest" ]
	run ctr_b images check
	[[ "$output" == *"complete ("* ]]
	# every blob the namespace lists can be read back whole
	for d in $(ctr_b content ls -q); do
		[ "$(ctr_b content get "$d" | sha256sum | cut -d' ' -f1)" = "${d#sha256:}" ]
	done

	# the interrupted import can simply be run again
	run ctr_b images import --no-unpack "$CRASH_IMG/big/image.oci.tar"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	run ctr_b images check
	[ "$(echo "$output" | grep -c complete)" -eq 2 ]
	blobs_are_whole
}

@test "crash: kill -9 right after commits keeps meta.db consistent" {
	start
	ctr_b images import --no-unpack "$CRASH_IMG/small/image.oci.tar"
	kill -9 "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
	if command -v sqlite3 >/dev/null; then
		[ "$(sqlite3 "$T/root/meta.db" 'PRAGMA integrity_check')" = ok ]
		[ "$(sqlite3 "$T/root/meta.db" "SELECT count(*) FROM images")" -eq 1 ]
	fi
	start
	run ctr_b images check
	[[ "$output" == *"complete ("* ]]
	blobs_are_whole
}
