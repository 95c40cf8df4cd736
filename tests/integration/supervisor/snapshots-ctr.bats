#!/usr/bin/env bats
# Snapshots and Diff services of berthd, driven by Debian's ctr (containerd 1.6 client):
# `ctr images import` unpacks through Snapshots.Prepare + Diff.Apply + Snapshots.Commit,
# then ctr's snapshots/images subcommands look at the result. Each test runs its own
# berthd on private temp dirs; every mount happens in a private mount namespace.
# CTR_ADDRESS=<socket of a real containerd> runs the same checks against containerd
# (to tell a wrong test from a wrong berthd); paths in mounts are then not checked.

load ../helpers

# a namespace per test keeps tests apart even on a shared containerd (CTR_ADDRESS)
NS=snaptest-$$
IMAGE=docker.io/library/berth-layers:test

setup_file() {
	requires_root_snap
	export LAYERS_TMP
	LAYERS_TMP=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-snaplayers-XXXXXX")
	mkdir "$LAYERS_TMP/outside"
	"$BERTH_TOP/tests/helpers/mklayers.sh" "$LAYERS_TMP/layers" "$LAYERS_TMP/outside" >/dev/null
}

teardown_file() {
	[ -n "${LAYERS_TMP:-}" ] && rm -rf "$LAYERS_TMP"
}

requires_root_snap() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
}

setup() {
	requires_root_snap
	NS=snaptest-$$-$BATS_TEST_NUMBER
	SNAP_TMP=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-snap-XXXXXX")
	if [ -n "${CTR_ADDRESS:-}" ]; then
		SOCK=$CTR_ADDRESS
		return
	fi
	SOCK=$SNAP_TMP/berthd.sock
	echo '{}' >"$SNAP_TMP/berthd.json"
	"$BUILD_DIR/berthd" --root "$SNAP_TMP/root" --state "$SNAP_TMP/state" -a "$SOCK" \
		-c "$SNAP_TMP/berthd.json" </dev/null >"$SNAP_TMP/berthd.log" 2>&1 3>&- &
	BERTHD_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && break
		kill -0 "$BERTHD_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -S "$SOCK" ] || { cat "$SNAP_TMP/berthd.log"; false; }
}

teardown() {
	local hung=0
	if [ -n "${BERTHD_PID:-}" ]; then
		kill "$BERTHD_PID" 2>/dev/null
		# a berthd that does not exit on SIGTERM is a bug: fail, but never hang the suite
		for _ in $(seq 100); do
			kill -0 "$BERTHD_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$BERTHD_PID" 2>/dev/null; then
			hung=1
			kill -KILL "$BERTHD_PID"
		fi
		wait "$BERTHD_PID" 2>/dev/null
	fi
	if [ -n "${CTR_ADDRESS:-}" ]; then
		ctr_b images rm "$IMAGE" >/dev/null 2>&1
		for k in $(ctr_b snapshots ls 2>/dev/null | awk 'NR>1 && $NF=="Active" {print $1}'); do
			ctr_b snapshots rm "$k" >/dev/null 2>&1
		done
	fi
	[ -n "${SNAP_TMP:-}" ] && rm -rf "$SNAP_TMP"
	[ "$hung" -eq 0 ] || { echo "berthd did not exit within 10 s of SIGTERM" >&2; return 1; }
}

ctr_b() {
	ctr -a "$SOCK" -n "$NS" "$@" 3>&-
}

# chain ids of the image's two layers (OCI image spec: ChainID(L1|L2) = sha256(C1 + " " + D2))
chain_ids() {
	D1=$(cat "$LAYERS_TMP/layers/base.tar.sha256")
	D2=$(cat "$LAYERS_TMP/layers/upper.tar.sha256")
	C1=$D1
	C2=sha256:$(printf '%s %s' "$C1" "$D2" | sha256sum | cut -d' ' -f1)
}

import_image() {
	run ctr_b images import "$@" "$LAYERS_TMP/layers/image.oci.tar"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$SNAP_TMP/berthd.log" 2>/dev/null; false; }
}

# in_mount_ns 'shell script': runs it in a private mount namespace with $MNT set
in_mount_ns() {
	MNT=$SNAP_TMP/mnt
	mkdir -p "$MNT"
	unshare -m --propagation private env MNT="$MNT" SOCK="$SOCK" NS="$NS" bash -euc "$1" 3>&-
}

@test "snapshots: ctr images import unpacks each layer into a committed overlayfs snapshot named by its chain id" {
	chain_ids
	import_image
	run ctr_b snapshots ls
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *"$C1"*Committed* ]]
	echo "$output" | grep -E "^$C2 +$C1 +Committed"
}

@test "snapshots: ctr images mount shows the merged image, whiteouts and opaque dirs applied" {
	import_image
	run in_mount_ns '
		ctr -a "$SOCK" -n "$NS" images mount docker.io/library/berth-layers:test "$MNT" >/dev/null
		test ! -e "$MNT/etc/hello"
		test -d "$MNT/etc"
		test "$(cat "$MNT/opt/keep/c")" = c
		test ! -e "$MNT/opt/keep/a"
		test ! -e "$MNT/opt/gone"
		test ! -e "$MNT/var/lib/old"
		test "$(cat "$MNT/var/lib/new")" = new
		test "$(stat -c %a "$MNT/usr/bin/tool")" = 4755
		test "$(stat -c %i "$MNT/usr/bin/tool")" = "$(stat -c %i "$MNT/usr/bin/hard")"
		test "$(readlink "$MNT/usr/bin/link")" = tool
		test "$(stat -c %a "$MNT/tmp")" = 1777
		test -p "$MNT/run/fifo"
		test ! -e "$MNT/.wh..wh.plnk"
		! touch "$MNT/new-file" 2>/dev/null || false # images mount is read-only without --rw
		ctr -a "$SOCK" -n "$NS" images unmount --rm "$MNT" >/dev/null
	'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "snapshots: tree shows the layer chain, parent first" {
	chain_ids
	import_image
	run ctr_b snapshots tree
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${lines[0]}" = " $C1" ]
	[ "${lines[1]}" = "  \\_ $C2" ]
}

@test "snapshots: mounts of an active snapshot is an overlay with lowerdirs nearest first" {
	chain_ids
	import_image
	run ctr_b snapshots prepare k1 "$C2"
	[ "$status" -eq 0 ]
	run ctr_b snapshots mounts /target k1
	[ "$status" -eq 0 ]
	echo "$output"
	[[ "$output" == "mount -t overlay overlay /target -o "* ]]
	[[ "$output" == *"upperdir="* && "$output" == *"workdir="* ]]
	[ -n "${CTR_ADDRESS:-}" ] && return
	dir=$SNAP_TMP/root/snapshots/overlayfs/snapshots
	[[ "$output" =~ lowerdir=$dir/([0-9]+)/fs:$dir/([0-9]+)/fs ]]
	# C1 was unpacked first, so its directory has the smaller id
	[ "${BASH_REMATCH[1]}" -gt "${BASH_REMATCH[2]}" ]
}

@test "snapshots: a view of one layer is a read-only bind mount" {
	chain_ids
	import_image
	# ctr labels a view with no gc.root: print its mounts at once, before any collection
	run ctr_b snapshots view --target /target v1 "$C1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "mount -t bind "*" /target -o ro,rbind" ]]
}

@test "snapshots: rm of a snapshot with children fails with failed precondition, rm of the child works" {
	chain_ids
	import_image
	run ctr_b snapshots prepare k1 "$C2"
	[ "$status" -eq 0 ]
	run ctr_b snapshots rm "$C2"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"failed precondition"* ]]
	run ctr_b snapshots rm k1
	[ "$status" -eq 0 ]
	run ctr_b snapshots ls
	[[ "$output" != *k1* ]]
}

@test "snapshots: prepare, write, commit; the committed snapshot has the write and usage counts it" {
	chain_ids
	import_image
	run ctr_b snapshots prepare k1 "$C2"
	[ "$status" -eq 0 ]
	run in_mount_ns '
		eval "$(ctr -a "$SOCK" -n "$NS" snapshots mounts "$MNT" k1)"
		head -c 20000 /dev/zero > "$MNT/zeros"
		rm "$MNT/usr/bin/tool"
	'
	[ "$status" -eq 0 ]
	run ctr_b snapshots commit c3 k1
	[ "$status" -eq 0 ]
	run ctr_b snapshots usage c3
	echo "$output"
	[ "$status" -eq 0 ]
	# inodes: the root, zeros, usr and usr/bin (copied up), the whiteout of usr/bin/tool
	read -r _ size unit inodes <<<"${lines[1]}"
	[ "$unit" = KiB ]
	[ "${size%.*}" -ge 20 ]
	[ "$inodes" -eq 5 ]
	run in_mount_ns '
		eval "$(ctr -a "$SOCK" -n "$NS" snapshots view --target "$MNT" v3 c3)"
		test "$(stat -c %s "$MNT/zeros")" = 20000
		test ! -e "$MNT/usr/bin/tool"
		test -L "$MNT/usr/bin/link"
	'
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "snapshots: info and label show and update kind, parent and labels" {
	chain_ids
	import_image
	run ctr_b snapshots prepare k1 "$C2"
	[ "$status" -eq 0 ]
	run ctr_b snapshots label k1 berth.test/color=blue
	[ "$status" -eq 0 ]
	run ctr_b snapshots info k1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .Kind)" = Active ]
	[ "$(echo "$output" | jq -r .Parent)" = "$C2" ]
	[ "$(echo "$output" | jq -r '.Labels["berth.test/color"]')" = blue ]
	run ctr_b snapshots info "$C1"
	[ "$(echo "$output" | jq -r .Kind)" = Committed ]
}

@test "snapshots: the native snapshotter unpacks the same image into full copies" {
	chain_ids
	import_image --snapshotter native
	run ctr_b snapshots --snapshotter native ls
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -E "^$C2 +$C1 +Committed"
	run in_mount_ns '
		ctr -a "$SOCK" -n "$NS" images mount --snapshotter native \
			docker.io/library/berth-layers:test "$MNT" >/dev/null
		test ! -e "$MNT/etc/hello"
		test "$(cat "$MNT/opt/keep/c")" = c
		test ! -e "$MNT/opt/keep/a"
		test "$(stat -c %a "$MNT/usr/bin/tool")" = 4755
		ctr -a "$SOCK" -n "$NS" images unmount --rm "$MNT" >/dev/null
	'
	echo "$output"
	[ "$status" -eq 0 ]
	[ -n "${CTR_ADDRESS:-}" ] && return
	# a native layer holds the whole tree: no whiteout device files anywhere
	run find "$SNAP_TMP/root/snapshots/native/snapshots" -type c
	[ -z "$output" ]
}

@test "snapshots: an unknown snapshotter is refused by name" {
	run ctr_b snapshots --snapshotter nosuch ls
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *nosuch* ]]
}

@test "snapshots: images rm --sync lets the garbage collector remove the image's snapshots" {
	import_image
	run ctr_b images rm --sync "$IMAGE"
	[ "$status" -eq 0 ]
	run ctr_b snapshots ls
	echo "$output"
	[ "${#lines[@]}" -eq 1 ]
	[ -n "${CTR_ADDRESS:-}" ] && return
	# and their directories are gone, not just their records
	run ls "$SNAP_TMP/root/snapshots/overlayfs/snapshots"
	[ -z "$output" ]
}

@test "snapshots: prepare, commit and remove are published as /snapshot/* events" {
	chain_ids
	import_image
	ctr -a "$SOCK" events >"$SNAP_TMP/events" 2>&1 3>&- &
	ev_pid=$!
	# the subscription is live once an event published after it shows up
	for i in $(seq 100); do
		ctr_b snapshots prepare "probe-$i" "$C1" >/dev/null
		grep -q "/snapshot/prepare" "$SNAP_TMP/events" && break
		sleep 0.1
	done
	ctr_b snapshots prepare k1 "$C2"
	ctr_b snapshots commit c1 k1
	ctr_b snapshots rm c1
	for _ in $(seq 100); do
		grep -q "/snapshot/remove" "$SNAP_TMP/events" && break
		sleep 0.1
	done
	kill "$ev_pid"
	wait "$ev_pid" || true
	cat "$SNAP_TMP/events"
	grep -E "/snapshot/prepare.*\"key\":\"k1\".*\"parent\":\"$C2\"" "$SNAP_TMP/events"
	grep -E "/snapshot/commit.*\"key\":\"k1\".*\"name\":\"c1\"" "$SNAP_TMP/events"
	grep -E "/snapshot/remove.*\"key\":\"c1\"" "$SNAP_TMP/events"
}

@test "snapshots: importing an image whose layer escapes fails naming the layer and the entry" {
	run ctr_b images import "$LAYERS_TMP/layers/hostile.oci.tar"
	echo "$output"
	# containerd contains '..' (extracts to /escape-dotdot inside the snapshot); berth refuses
	[ -n "${CTR_ADDRESS:-}" ] && return
	[ "$status" -ne 0 ]
	layer=sha256:$(sha256sum "$LAYERS_TMP/layers/hostile-dotdot.tar" | cut -d' ' -f1)
	[[ "$output" == *"layer $layer: entry '../escape-dotdot': path escapes the snapshot"* ]]
	# nothing landed next to the snapshot directories, and the failed one was removed
	[ -z "$(find "$SNAP_TMP" -name escape-dotdot)" ]
	run ctr_b snapshots ls
	[[ "$output" != *extract* ]]
}

@test "snapshots: ctr snapshots diff writes the layer between a snapshot and its parent" {
	chain_ids
	import_image
	ctr_b snapshots diff --media-type application/vnd.oci.image.layer.v1.tar "$C2" \
		>"$SNAP_TMP/diff.tar"
	run tar tf "$SNAP_TMP/diff.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"etc/.wh.hello"* ]]
	# berthd exports the overlay upper dir (opaque marker); containerd 1.6 compares the
	# mounted trees (a whiteout per hidden file): both hide a and b
	[[ "$output" == *"opt/keep/.wh..wh..opq"* || "$output" == *"opt/keep/.wh.a"* ]]
	[[ "$output" == *"opt/keep/c"* ]]
	[[ "$output" == *"var/lib/.wh.old"* ]]
	[[ "$output" != *"usr/bin"* ]]
	# the base layer against nothing is the whole tree, gzip by default
	ctr_b snapshots diff "$C1" >"$SNAP_TMP/base.tar.gz"
	run tar tzf "$SNAP_TMP/base.tar.gz"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"usr/bin/tool"* && "$output" == *"etc/hello"* ]]
}

@test "snapshots: ctr snapshots diff of native snapshots compares the two trees" {
	chain_ids
	import_image --snapshotter native
	ctr_b snapshots --snapshotter native diff \
		--media-type application/vnd.oci.image.layer.v1.tar "$C2" >"$SNAP_TMP/diff.tar"
	run tar tf "$SNAP_TMP/diff.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"etc/.wh.hello"* ]]
	[[ "$output" == *"opt/keep/c"* ]]
	[[ "$output" == *"opt/keep/.wh.a"* || "$output" == *"opt/keep/.wh..wh..opq"* ]]
	[[ "$output" != *"usr/bin"* ]]
}

@test "snapshots: ctr snapshots unpack of an image imported with --no-unpack creates its snapshots" {
	chain_ids
	import_image --no-unpack
	run ctr_b snapshots ls
	[ "${#lines[@]}" -eq 1 ]
	digest=$(ctr_b images ls | awk -v img="$IMAGE" '$1 == img {print $3}')
	run ctr_b snapshots unpack "$digest"
	echo "$output"
	[ "$status" -eq 0 ]
	run ctr_b snapshots ls
	echo "$output" | grep -E "^$C2 +$C1 +Committed"
	run ctr_b images check
	echo "$output"
	[[ "${lines[1]}" == *" true" ]]
}

# regression: Prepare created the extract snapshot before adding it to the import's lease;
# a collection in between (each import's end triggers one) removed it mid-unpack, about
# one import in three failed with "... is not a snapshot of berthd". Not timing-proof
# (a race), but it failed within ten imports every time before the fix.
@test "snapshots: imports back to back never lose their snapshot to the garbage collector" {
	for i in $(seq 10); do
		run ctr -a "$SOCK" -n "$NS-$i" images import "$LAYERS_TMP/layers/image.oci.tar" 3>&-
		[ "$status" -eq 0 ] || { echo "import $i: $output"; false; }
	done
}
