#!/usr/bin/env bats
# berthctl driving a real containerd 1.6 (a private instance on temp dirs): the client
# speaks the same API as berthd's, so an image imported by berthctl into containerd must
# be complete and unpackable for ctr, and berthctl's export of it re-imports with the
# same digests. Tells a wrong berthctl from a wrong berthd.

BERTH_TOP=${BERTH_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$BERTH_TOP/$BUILD ;; esac
IMAGE=localhost/berth-test:latest

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v containerd >/dev/null || skip "needs containerd"
	export CC_IMG
	CC_IMG=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ccimg-XXXXXX")
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$CC_IMG/img" --layers 3 --name "$IMAGE" >/dev/null
}

teardown_file() {
	[ -n "${CC_IMG:-}" ] && rm -rf "$CC_IMG"
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v containerd >/dev/null || skip "needs containerd"
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-cc-XXXXXX")
	SOCK=$T/c.sock
	cat >"$T/config.toml" <<-TOML
	version = 2
	root = "$T/root"
	state = "$T/state"
	disabled_plugins = ["io.containerd.grpc.v1.cri"]
	[grpc]
	  address = "$SOCK"
	[ttrpc]
	  address = "$SOCK.ttrpc"
	TOML
	containerd --config "$T/config.toml" </dev/null >"$T/log" 2>&1 3>&- &
	PID=$!
	for _ in $(seq 100); do
		ctr -a "$SOCK" version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$T/log"
	false
}

teardown() {
	[ -n "${PID:-}" ] && { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	if [ -n "${T:-}" ]; then
		grep -o " $T[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
		rm -rf "$T"
	fi
}

bctl() {
	"$BUILD_DIR/berthctl" -a "$SOCK" -n cc "$@" 3>&-
}

@test "berthctl + containerd: an OCI archive imported by berthctl is complete and unpacks" {
	run bctl images import "$CC_IMG/img/image.oci.tar"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run ctr -a "$SOCK" -n cc images check
	[[ "$output" == *"complete (4/4)"* ]]
	# containerd's own GC must not take the layers: the labels berthctl set hold them
	ctr -a "$SOCK" -n cc leases create --id probe >/dev/null
	ctr -a "$SOCK" -n cc leases rm --sync probe
	run ctr -a "$SOCK" -n cc images check
	[[ "$output" == *"complete (4/4)"* ]]
	run ctr -a "$SOCK" -n cc run --rm "$IMAGE" probe /bin/echo hello-from-containerd
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *hello-from-containerd* ]]
}

@test "berthctl + containerd: a docker archive imported by berthctl runs" {
	run bctl images import --name berth-docker:1 "$CC_IMG/img/image.docker.tar"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	run ctr -a "$SOCK" -n cc run --rm docker.io/library/berth-docker:1 probe2 /bin/cat /data/layer2
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[[ "$output" == *"layer 2 of"* ]]
}

@test "berthctl + containerd: ls, export and re-import agree with ctr" {
	bctl images import "$CC_IMG/img/image.oci.tar"
	run bctl images ls
	echo "$output" | grep -E '^localhost/berth-test +latest +[0-9a-f]{12} '
	run bctl images export "$T/out.tar" "$IMAGE"
	[ "$status" -eq 0 ]
	ctr -a "$SOCK" -n again images import --no-unpack "$T/out.tar"
	# collect now, so that only what the images reference is compared
	ctr -a "$SOCK" -n again leases create --id gc >/dev/null
	ctr -a "$SOCK" -n again leases rm --sync gc
	[ "$(ctr -a "$SOCK" -n cc content ls -q | sort)" = "$(ctr -a "$SOCK" -n again content ls -q | sort)" ]
}
