#!/usr/bin/env bats
# berthd driven by Debian's ctr (the containerd 1.6 client): version, namespaces, plugins,
# content, images (import of OCI and docker archives, check, export, rm), leases, events,
# and errors for bad input. Each test starts its own berthd on private temp dirs and stops
# it in teardown. The test images come from tests/helpers/mkimage.sh (built once per file).

load compat-helpers

BERTH_TOP=${BERTH_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$BERTH_TOP/$BUILD ;; esac
BERTHD=${BERTHD:-$BUILD_DIR/berthd}
NS=compat
IMAGE=localhost/berth-test:latest

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	export IMG_TMP
	IMG_TMP=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ctrimg-XXXXXX")
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$IMG_TMP/img" --layers 3 --name "$IMAGE" >/dev/null
}

teardown_file() {
	[ -n "${IMG_TMP:-}" ] && rm -rf "$IMG_TMP"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ctr-XXXXXX")
	SOCK=$T/berthd.sock
	start_berthd
}

teardown() {
	stop_berthd
	[ -n "${T:-}" ] && rm -rf "$T"
}

ctr_b() {
	ctr -a "$SOCK" -n "$NS" "$@" 3>&-
}

@test "ctr version: berthd answers Version and a UUID that survives a restart" {
	run ctr_b version
	[ "$status" -eq 0 ]
	[[ "$output" == *"Server:"* ]]
	[[ "$output" == *"Version:  0.1.0"* ]]
	uuid1=$(echo "$output" | awk '/UUID:/ {print $2}')
	[ -n "$uuid1" ]
	stop_berthd
	start_berthd
	uuid2=$(ctr_b version | awk '/UUID:/ {print $2}')
	[ "$uuid1" = "$uuid2" ]
}

@test "ctr plugins ls: lists berthd's gRPC services and content store" {
	run ctr_b plugins ls
	[ "$status" -eq 0 ]
	for id in version namespaces introspection events content images leases; do
		echo "$output" | grep -Eq "^io\.containerd\.grpc\.v1 +$id +- +ok" ||
			{ echo "missing grpc plugin $id in: $output"; false; }
	done
	echo "$output" | grep -Eq '^io\.containerd\.content\.v1 +content'
}

@test "ctr namespaces: create with labels, label, list and remove" {
	run ctr_b namespaces create team-a owner=alice
	[ "$status" -eq 0 ]
	run ctr_b namespaces create team-a
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	run ctr_b namespaces label team-a tier=gold
	[ "$status" -eq 0 ]
	run ctr_b namespaces ls
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^team-a +owner=alice,tier=gold'
	run ctr_b namespaces rm team-a
	[ "$status" -eq 0 ]
	run ctr_b namespaces ls -q
	[[ "$output" != *team-a* ]]
}

@test "ctr namespaces rm: a namespace holding images fails with FailedPrecondition" {
	ctr_b images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	run ctr -a "$SOCK" namespaces rm "$NS"
	[ "$status" -ne 0 ]
	[[ "$output" == *"must be empty"* ]]
	[[ "$output" == *"failed precondition"* ]]
	run ctr_b namespaces ls -q
	[[ "$output" == *"$NS"* ]]
}

@test "ctr namespaces create: an invalid name is rejected and named" {
	run ctr_b namespaces create 'bad/name'
	[ "$status" -ne 0 ]
	[[ "$output" == *"bad/name"* ]]
	[[ "$output" == *"invalid argument"* ]]
}

@test "ctr images import --no-unpack: an OCI archive lands in content and images" {
	run ctr_b images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	run ctr_b images ls -q
	[ "$output" = "$IMAGE" ]
	manifest=$(jq -r '.manifests[0].digest' "$IMG_TMP/img/oci/index.json")
	ctr_b images ls | grep -F "$manifest"
	# every blob of the layout is in the content store, byte for byte
	for b in "$IMG_TMP"/img/oci/blobs/sha256/*; do
		d=sha256:$(basename "$b")
		ctr_b content get "$d" | cmp - "$b"
	done
	run ctr_b images check
	[ "$status" -eq 0 ]
	[[ "$output" == *"complete (4/4)"* ]]
}

@test "ctr images import: a docker-save archive is imported" {
	run ctr_b images import --no-unpack "$IMG_TMP/img/image.docker.tar"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	run ctr_b images ls
	[[ "$output" == *"$IMAGE"* ]]
	[[ "$output" == *"application/vnd.docker.distribution.manifest.v2+json"* ]]
	run ctr_b images check
	[[ "$output" == *complete* ]]
}

@test "ctr content ls: import sets the gc.ref labels that keep layers alive" {
	ctr_b images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	manifest=$(jq -r '.manifests[0].digest' "$IMG_TMP/img/oci/index.json")
	run ctr_b content ls
	echo "$output" | grep -F "$manifest" | grep -F "containerd.io/gc.ref.content.l.0="
	echo "$output" | grep -F "$manifest" | grep -F "containerd.io/gc.ref.content.config="
}

@test "ctr images export: re-importing the export gives the same digests" {
	ctr_b images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	run ctr_b images export "$T/export.tar" "$IMAGE"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	before=$(ctr_b content ls -q | sort)
	ctr -a "$SOCK" -n other images import --no-unpack "$T/export.tar"
	after=$(ctr -a "$SOCK" -n other content ls -q | sort)
	[ "$before" = "$after" ]
	[ "$(ctr_b images ls | awk 'NR==2 {print $3}')" = \
	  "$(ctr -a "$SOCK" -n other images ls | awk 'NR==2 {print $3}')" ]
}

@test "ctr images rm --sync: the image's content is collected" {
	ctr_b images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	[ -n "$(ctr_b content ls -q)" ]
	run ctr_b images rm --sync "$IMAGE"
	[ "$status" -eq 0 ]
	run ctr_b content ls -q
	[ -z "$output" ]
	[ -z "$(ls "$T/root/content/blobs/sha256")" ]
}

@test "ctr images rm: content shared with another namespace's image stays" {
	ctr_b images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	ctr -a "$SOCK" -n other images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	ctr_b images rm --sync "$IMAGE"
	[ -z "$(ctr_b content ls -q)" ]
	run ctr -a "$SOCK" -n other images check
	[[ "$output" == *"complete (4/4)"* ]]
}

@test "ctr leases: create with labels, list, remove" {
	run ctr_b leases create --id lease-1 purpose=test
	[ "$status" -eq 0 ]
	run ctr_b leases ls
	echo "$output" | grep -E '^lease-1 ' | grep -F purpose=test
	echo "$output" | grep -E '^lease-1 ' | grep -F containerd.io/gc.expire=
	id=$(ctr_b leases create)
	[ -n "$id" ]
	run ctr_b leases rm lease-1 "$id"
	[ "$status" -eq 0 ]
	[ "$(ctr_b leases ls -q)" = "" ]
}

@test "ctr content ingest: a blob whose digest does not match is refused, nothing is visible" {
	echo hello >"$T/blob"
	run ctr_b content ingest --expected-digest \
		sha256:0000000000000000000000000000000000000000000000000000000000000000 ref1 <"$T/blob"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unexpected commit digest"* ]]
	[ -z "$(ctr_b content ls -q)" ]
	[ -z "$(ls "$T/root/content/blobs/sha256")" ]
	good=sha256:$(sha256sum "$T/blob" | cut -d' ' -f1)
	run ctr_b content ingest --expected-digest "$good" ref1 <"$T/blob"
	[ "$status" -eq 0 ]
	[ "$(ctr_b content ls -q)" = "$good" ]
}

@test "ctr content get: a digest the namespace does not have is NotFound naming it" {
	d=sha256:$(echo missing | sha256sum | cut -d' ' -f1)
	run ctr_b content get "$d"
	[ "$status" -ne 0 ]
	[[ "$output" == *"content $d: not found"* ]]
}

@test "ctr images import: a file that is not an image archive fails, nothing is created" {
	head -c 4096 /dev/urandom >"$T/garbage.tar"
	run ctr_b images import --no-unpack "$T/garbage.tar"
	[ "$status" -ne 0 ]
	[ -z "$(ctr_b images ls -q)" ]
}

@test "ctr events: a subscriber sees namespace and image events" {
	ctr -a "$SOCK" events >"$T/events" 2>&1 3>&- &
	ev=$!
	for _ in $(seq 50); do
		grep -q . "$T/events" 2>/dev/null && break
		ctr_b namespaces create probe-$RANDOM >/dev/null 2>&1
		sleep 0.1
	done
	ctr_b images import --no-unpack "$IMG_TMP/img/image.oci.tar"
	ctr_b images rm "$IMAGE"
	for _ in $(seq 50); do
		grep -q /images/delete "$T/events" && break
		sleep 0.1
	done
	kill "$ev"
	wait "$ev" || true
	grep -F /namespaces/create "$T/events"
	grep -F "/images/create" "$T/events" | grep -F "$IMAGE"
	grep -F "/images/delete" "$T/events"
}

@test "ctr events: berthd stops on SIGTERM while a subscriber is connected" {
	ctr -a "$SOCK" events >"$T/events" 2>&1 3>&- &
	ev=$!
	sleep 0.3
	kill -TERM "$BERTHD_PID"
	wait "$BERTHD_PID"
	rc=$?
	BERTHD_PID=
	[ "$rc" -eq 0 ]
	wait "$ev" || true
	grep -F "shutting down" "$T/berthd.log"
}

@test "ctr namespaces rm: a namespace holding only snapshots fails with FailedPrecondition" {
	ctr_b images import "$IMG_TMP/img/image.oci.tar"
	ctr_b images rm "$IMAGE"
	ctr_b snapshots prepare keep-me
	run ctr -a "$SOCK" namespaces rm "$NS"
	[ "$status" -ne 0 ]
	[[ "$output" == *"still has snapshots"* ]]
	ctr_b snapshots rm keep-me
}

@test "ctr images import (with unpack): layers become committed overlayfs snapshots" {
	ctr_b plugins ls | grep -Eq '^io\.containerd\.snapshotter\.v1 +overlayfs ' ||
		skip "berthd was built without the snapshotter"
	run ctr_b images import "$IMG_TMP/img/image.oci.tar"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	run ctr_b images check
	[[ "$output" == *"complete (4/4)"*"true"* ]]
	[ "$(ctr_b snapshots ls | grep -c Committed)" -eq 3 ]
	# the unpacked image keeps its snapshots through a collection
	ctr_b leases create --id probe >/dev/null
	ctr_b leases rm --sync probe
	[ "$(ctr_b snapshots ls | grep -c Committed)" -eq 3 ]
}

@test "ctr containers: create, info, label, list and rm; a container keeps its image's snapshots" {
	ctr_b plugins ls | grep -Eq '^io\.containerd\.snapshotter\.v1 +overlayfs ' ||
		skip "berthd was built without the snapshotter"
	ctr_b images import "$IMG_TMP/img/image.oci.tar"
	run ctr_b containers create --label team=a "$IMAGE" c1
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	run ctr_b containers info c1
	[ "$(echo "$output" | jq -r .Image)" = "$IMAGE" ]
	[ "$(echo "$output" | jq -r .SnapshotKey)" = c1 ]
	[ "$(echo "$output" | jq -r .Spec.process.args[0])" = /bin/sh ]
	ctr_b containers label c1 tier=gold
	run ctr_b containers ls
	echo "$output" | grep -E "^c1 +$IMAGE"
	run ctr_b containers create "$IMAGE" c1
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	# the image goes; its layers stay while the container's snapshot needs them
	ctr_b images rm --sync "$IMAGE"
	[ "$(ctr_b snapshots ls | grep -c Committed)" -eq 3 ]
	run ctr_b containers rm c1
	[ "$status" -eq 0 ]
	[ -z "$(ctr_b containers ls -q)" ]
	ctr_b leases create --id probe >/dev/null
	ctr_b leases rm --sync probe
	[ "$(ctr_b snapshots ls | grep -c Committed)" -eq 0 ]
}
