#!/usr/bin/env bats
# berthctl against berthd: images import (OCI and docker archives), ls, inspect, tag, rm,
# export, content ls, snapshots ls, system df/prune, address/namespace flags and env.
# Each test runs its own berthd on private temp dirs; ctr cross-checks the results.

load ../helpers

bats_require_minimum_version 1.5.0
load ../berthd

IMAGE=localhost/berth-test:latest

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	export CTL_IMG
	CTL_IMG=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ctlimg-XXXXXX")
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$CTL_IMG/img" --layers 3 --name "$IMAGE" >/dev/null
}

teardown_file() {
	[ -n "${CTL_IMG:-}" ] && rm -rf "$CTL_IMG"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ctr >/dev/null || skip "needs ctr (Debian package containerd)"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ctl-XXXXXX")
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

ctr_b() {
	ctr -a "$SOCK" -n ctl "$@" 3>&-
}

@test "berthctl images import: an OCI archive becomes an image ctr sees complete" {
	run bctl images import "$CTL_IMG/img/image.oci.tar"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	[[ "$output" == "imported $IMAGE (sha256:"* ]]
	run ctr_b images check
	[[ "$output" == *"complete (4/4)"* ]]
	run bctl images ls
	echo "$output" | grep -E '^localhost/berth-test +latest +[0-9a-f]{12} '
}

@test "berthctl images import: a docker-save archive becomes a docker schema 2 image" {
	run bctl images import "$CTL_IMG/img/image.docker.tar"
	[ "$status" -eq 0 ] || { echo "$output"; cat "$T/berthd.log"; false; }
	run ctr_b images ls
	[[ "$output" == *"$IMAGE"*"application/vnd.docker.distribution.manifest.v2+json"* ]]
	run ctr_b images check
	[[ "$output" == *"complete (4/4)"* ]]
}

@test "berthctl images import --name: short names are normalized like docker's" {
	run bctl images import --name busybox:mine "$CTL_IMG/img/image.docker.tar"
	[ "$status" -eq 0 ]
	run bctl images ls -q
	[ "$output" = docker.io/library/busybox:mine ]
}

@test "berthctl images import: a file that is not an image archive fails and creates nothing" {
	head -c 2048 /dev/urandom >"$T/junk.tar"
	run bctl images import "$T/junk.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"junk.tar"* ]]
	run bctl images import "$T/missing.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing.tar"* ]]
	[ -z "$(bctl images ls -q)" ]
}

@test "berthctl images import: a blob whose bytes do not match its name is refused" {
	mkdir "$T/bad"
	tar -C "$T/bad" -xf "$CTL_IMG/img/image.oci.tar"
	layer=$(jq -r '.layers[0].digest' "$T/bad/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/bad/index.json" | cut -d: -f2)" | cut -d: -f2)
	echo tampered >>"$T/bad/blobs/sha256/$layer"
	tar -C "$T/bad" -cf "$T/bad.tar" .
	run bctl images import "$T/bad.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$layer"* ]]
	[ -z "$(bctl images ls -q)" ]
	# nothing of the tampered layer is visible
	! ctr_b content ls -q | grep -q "$layer" || false
}

@test "berthctl images tag, inspect and rm" {
	bctl images import "$CTL_IMG/img/image.oci.tar"
	run bctl images tag "$IMAGE" other:v1
	[ "$status" -eq 0 ]
	run bctl images ls -q
	[[ "$output" == *docker.io/library/other:v1* ]]
	run bctl images inspect docker.io/library/other:v1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].Target.digest')" = \
	  "$(jq -r '.manifests[0].digest' "$CTL_IMG/img/oci/index.json")" ]
	echo "$output" | jq -e '.[0].Id | startswith("sha256:")'
	run bctl images rm other:v1
	[ "$status" -eq 0 ]
	[ "$(bctl images ls -q)" = "$IMAGE" ]
	run bctl images rm other:v1
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image: 'other:v1'"* ]]
}

@test "berthctl images export: ctr imports the archive with the same digests" {
	bctl images import "$CTL_IMG/img/image.oci.tar"
	run bctl images export "$T/out.tar" "$IMAGE"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	ctr -a "$SOCK" -n again images import --no-unpack "$T/out.tar"
	[ "$(ctr_b content ls -q | sort)" = "$(ctr -a "$SOCK" -n again content ls -q | sort)" ]
	[ "$(ctr -a "$SOCK" -n again images ls -q)" = "$IMAGE" ]
}

# regression: "-" created a file named '-' in the current directory instead of writing stdout
@test "berthctl images export -: the archive goes to stdout and no file named '-' appears" {
	bctl images import "$CTL_IMG/img/image.oci.tar"
	(cd "$T" && bctl images export - "$IMAGE" >"$T/stdout.tar")
	[ ! -e "$T/-" ] || { echo "a file named '-' was created"; false; }
	tar -tf "$T/stdout.tar" | grep -qx index.json || { echo "stdout is not an OCI archive"; false; }
	ctr -a "$SOCK" -n again images import --no-unpack "$T/stdout.tar"
	[ "$(ctr -a "$SOCK" -n again images ls -q)" = "$IMAGE" ]
}

@test "berthctl images export: a missing image is an error and no file is left" {
	run bctl images export "$T/out.tar" nothing:here
	[ "$status" -eq 1 ]
	[ ! -e "$T/out.tar" ]
	[ -z "$(ls "$T" | grep out.tar)" ]
}

@test "berthctl content ls and snapshots ls after ctr unpacked an image" {
	ctr_b images import "$CTL_IMG/img/image.oci.tar"
	run bctl content ls
	[ "$status" -eq 0 ]
	[[ "$output" == *"containerd.io/gc.ref.content.l.0="* ]]
	run bctl snapshots ls
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c Committed)" -eq 3 ]
}

@test "berthctl system df and system prune" {
	bctl images import "$CTL_IMG/img/image.oci.tar"
	run bctl system df
	echo "$output" | grep -E '^Images +1 '
	echo "$output" | grep -E '^Content +5 '
	ctr_b images rm "$IMAGE"
	run bctl system prune
	[ "$status" -eq 0 ]
	[[ "$output" == *"Total reclaimed space"* ]]
	run bctl system df
	echo "$output" | grep -E '^Content +0 '
}

@test "berthctl: BERTH_ADDRESS/BERTH_NAMESPACE and CONTAINERD_* select daemon and namespace" {
	bctl images import "$CTL_IMG/img/image.oci.tar"
	run env BERTH_ADDRESS="$SOCK" BERTH_NAMESPACE=ctl "$BUILD_DIR/berthctl" images ls -q
	[ "$output" = "$IMAGE" ]
	run env CONTAINERD_ADDRESS="$SOCK" CONTAINERD_NAMESPACE=ctl "$BUILD_DIR/berthctl" images ls -q
	[ "$output" = "$IMAGE" ]
	run env BERTH_ADDRESS="$SOCK" "$BUILD_DIR/berthctl" images ls -q
	[ -z "$output" ] # namespace "default" is empty
	run env BERTH_ADDRESS="$T/nope.sock" "$BUILD_DIR/berthctl" images ls
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot reach '$T/nope.sock'"* ]]
}

@test "berthctl: an unknown command exits 127 (docker), an unknown subcommand is a usage error" {
	run -127 "$BUILD_DIR/berthctl" -a "$SOCK" frobnicate
	[ "$status" -eq 127 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run bctl images frob
	[ "$status" -eq 2 ]
}
