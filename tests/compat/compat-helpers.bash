# tests/compat/compat-helpers.bash - shared helpers for the compat tests, which run real
# engines (containerd 1.6 + ctr, podman 4.3) with every path in a private temp dir.
# Load it from a .bats file with `load compat-helpers`. Nothing here depends on the
# runtime under test: callers pass the runtime (runc, crun or a path to build/berth).
#
# Variables are exported so that bats tests see what setup_file set.
#
#   compat_need CMD...              skip unless root and every CMD is installed
#   compat_tmpdir NAME              prints a fresh temp dir (under $BERTH_TEST_TMPBASE or /tmp)
#   compat_image DIR [REF]          builds the busybox test image in DIR (image.oci.tar,
#                                   image.docker.tar; ref $COMPAT_IMAGE) with mkimage.sh
#   compat_cgroup_remove REL        kills what is left in cgroup REL (every hierarchy),
#                                   thaws it, and removes it depth-first
#   compat_umount_under DIR         unmounts everything mounted under DIR, deepest first
#   start_berthd [ARGS...]          a private berthd on $T (tests/integration/berthd.bash)
#   stop_berthd
#
#   compat_containerd_start DIR     a private containerd: config, root, state, grpc and ttrpc
#                                   sockets in DIR, CRI disabled; started with setsid, its
#                                   pid in DIR/containerd.pid; sets CTRD_DIR, CTRD_NS (a
#                                   namespace unique to this run: cgroups land under
#                                   /<ns>/<id>) and CTRD_RUNC_ROOT (runtime state root)
#   cctr ARGS...                    ctr against that containerd, in namespace $CTRD_NS
#   cctr_t SECS ARGS...             the same, killed after SECS seconds (for cleanup)
#   compat_containerd_rm ID         kills and removes task and container ID (ignores errors)
#   compat_containerd_stop          removes every container, stops containerd by pid, kills
#                                   left-over shims and container processes, unmounts
#                                   and removes DIR and the namespace's cgroups
#
#   compat_podman_init DIR RUNTIME  private podman: root, runroot, tmpdir, private
#                                   containers.conf and storage.conf, and cgroup parent;
#                                   the runtime is called through DIR/bin/<name of RUNTIME>,
#                                   which adds `--root DIR/rt-root` (podman's own
#                                   --runtime-flag is not passed to the cleanup process
#                                   conmon starts, which would then use the default root)
#   cpodman ARGS...                 podman with those global flags (see PODMAN_* below)
#   cpodman_t SECS ARGS...          the same, killed after SECS seconds (0: never)
#   cpodman_run ARGS...             `podman run` with the flags this host needs (network
#                                   none, ulimits, private cgroup parent) before ARGS
#   compat_podman_stop              removes every container, kills left-over conmon and
#                                   container processes, unmounts and removes DIR and the
#                                   cgroup parent

BERTH_TOP=${BERTH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) COMPAT_BUILD_DIR=$BUILD ;; *) COMPAT_BUILD_DIR=$BERTH_TOP/$BUILD ;; esac
export BERTH_TOP COMPAT_BUILD_DIR
export COMPAT_IMAGE=${COMPAT_IMAGE:-localhost/berth-compat:latest}
CGROUP_ROOT=${CGROUP_ROOT:-/sys/fs/cgroup}

compat_need() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "needs $c"
	done
}

compat_tmpdir() {
	mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-$1.XXXXXX"
}

compat_image() {
	local dir=$1 ref=${2:-$COMPAT_IMAGE}
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$dir" --layers 1 --name "$ref" >/dev/null
}

# compat_cgroup_dirs REL: the directories of cgroup REL in every mounted hierarchy
compat_cgroup_dirs() {
	local rel=${1#/} d
	for d in "$CGROUP_ROOT"/*/"$rel" "$CGROUP_ROOT/$rel"; do
		[ -d "$d" ] && echo "$d"
	done | sort -u
}

compat_cgroup_remove() {
	local rel=${1#/} d pid left
	[ -n "$rel" ] || return 0
	# a paused container's processes only die once thawed
	for d in $(compat_cgroup_dirs "$rel"); do
		find "$d" -name freezer.state | while read -r f; do echo THAWED >"$f"; done 2>/dev/null
		find "$d" -name cgroup.freeze | while read -r f; do echo 0 >"$f"; done 2>/dev/null
	done
	for _ in $(seq 50); do
		left=0
		for d in $(compat_cgroup_dirs "$rel"); do
			while read -r pid; do
				kill -9 "$pid" 2>/dev/null && left=1
			done < <(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
		done
		[ $left = 0 ] && break
		sleep 0.1
	done
	for d in $(compat_cgroup_dirs "$rel"); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}

compat_umount_under() {
	local dir=$1 m
	[ -n "$dir" ] || return 0
	# /proc/self/mounts escapes blanks as \040; our temp dirs have none
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	return 0
}

# compat_kill_procs_under DIR: kills (by pid) every process whose command line names DIR
compat_kill_procs_under() {
	local dir=$1 f pid
	[ -n "$dir" ] || return 0
	while read -r f; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] || kill -9 "$pid" 2>/dev/null
	done < <(grep -laF -- "$dir/" /proc/[0-9]*/cmdline 2>/dev/null)
	return 0
}

# ---- containerd ----

cctr() {
	ctr -a "$CTRD_DIR/c.sock" -n "$CTRD_NS" "$@" 3>&-
}

compat_containerd_start() {
	CTRD_DIR=$1
	CTRD_NS=berth-compat-$(echo "$CTRD_DIR" | md5sum | cut -c1-10)
	CTRD_RUNC_ROOT=$CTRD_DIR/runc-root
	export CTRD_DIR CTRD_NS CTRD_RUNC_ROOT
	mkdir -p "$CTRD_DIR/fifo" "$CTRD_RUNC_ROOT"
	cat >"$CTRD_DIR/config.toml" <<-EOF
		version = 2
		root = "$CTRD_DIR/root"
		state = "$CTRD_DIR/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTRD_DIR/c.sock"
		[ttrpc]
		  address = "$CTRD_DIR/c.sock.ttrpc"
	EOF
	(
		cd "$CTRD_DIR" || exit 1
		setsid containerd --config "$CTRD_DIR/config.toml" \
			</dev/null >>"$CTRD_DIR/containerd.log" 2>&1 3>&- &
		echo $! >"$CTRD_DIR/containerd.pid"
	)
	for _ in $(seq 100); do
		cctr version >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$CTRD_DIR/containerd.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd did not come up; log:" >&2
	tail -20 "$CTRD_DIR/containerd.log" >&2
	return 1
}

# cctr_t SECS ARGS...: cctr bounded in time (for cleanup, which must not hang)
cctr_t() {
	local secs=$1
	shift
	timeout -k 5 "$secs" ctr -a "$CTRD_DIR/c.sock" -n "$CTRD_NS" "$@" 3>&-
}

compat_containerd_rm() {
	# a paused task only dies once resumed
	cctr_t 20 task resume "$1" >/dev/null 2>&1
	cctr_t 20 task kill -a -s KILL "$1" >/dev/null 2>&1
	cctr_t 30 task rm -f "$1" >/dev/null 2>&1
	cctr_t 20 containers rm "$1" >/dev/null 2>&1
	return 0
}

compat_containerd_stop() {
	[ -n "${CTRD_DIR:-}" ] && [ -d "$CTRD_DIR" ] || return 0
	local id pid f addr
	if [ -S "$CTRD_DIR/c.sock" ]; then
		for id in $(cctr_t 20 containers ls -q 2>/dev/null); do compat_containerd_rm "$id"; done
	fi
	pid=$(cat "$CTRD_DIR/containerd.pid" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	fi
	# what a failed test may leave: container processes (in the namespace's cgroups),
	# shims (pid and socket in the bundle; the socket lives under /run/containerd/s)
	compat_cgroup_remove "$CTRD_NS"
	for f in "$CTRD_DIR"/state/io.containerd.runtime.v2.task/*/*/shim.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CTRD_DIR/c.sock" &&
			kill -9 "$pid" 2>/dev/null
		addr=$(cat "${f%/shim.pid}/address" 2>/dev/null)
		addr=${addr#unix://}
		[ -n "$addr" ] && [ -S "$addr" ] && rm -f "$addr"
	done
	compat_kill_procs_under "$CTRD_DIR"
	compat_umount_under "$CTRD_DIR"
	rm -rf --one-file-system "$CTRD_DIR"
	CTRD_DIR=
}

# ---- podman ----

PODMAN_RUN_FLAGS="--network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"

compat_podman_init() {
	PODMAN_DIR=$1
	PODMAN_RUNTIME=$2
	PODMAN_CGROUP_PARENT=/berth-compat-podman-$(echo "$PODMAN_DIR" | md5sum | cut -c1-10)
	export PODMAN_DIR PODMAN_RUNTIME PODMAN_CGROUP_PARENT
	mkdir -p "$PODMAN_DIR"/{root,runroot,tmp,rt-root,conf,bin}
	local real
	real=$(command -v "$PODMAN_RUNTIME" 2>/dev/null || echo "$PODMAN_RUNTIME")
	PODMAN_RUNTIME_WRAPPER=$PODMAN_DIR/bin/$(basename "$real")
	export PODMAN_RUNTIME_WRAPPER
	printf '#!/bin/sh\nexec '"'%s' --root '%s'"' "$@"\n' "$real" "$PODMAN_DIR/rt-root" \
		>"$PODMAN_RUNTIME_WRAPPER"
	chmod 0755 "$PODMAN_RUNTIME_WRAPPER"
	# an empty containers.conf and a private storage.conf: nothing from /etc or $HOME
	: >"$PODMAN_DIR/conf/containers.conf"
	cat >"$PODMAN_DIR/conf/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$PODMAN_DIR/root"
		runroot = "$PODMAN_DIR/runroot"
	EOF
}

cpodman() {
	cpodman_t 0 "$@"
}

# cpodman_t SECS ARGS...: cpodman bounded in time (for cleanup, which must not hang;
# SECS 0: no limit)
cpodman_t() {
	local secs=$1
	shift
	CONTAINERS_CONF=$PODMAN_DIR/conf/containers.conf \
	CONTAINERS_STORAGE_CONF=$PODMAN_DIR/conf/storage.conf \
	timeout -k 5 "$secs" podman --root "$PODMAN_DIR/root" --runroot "$PODMAN_DIR/runroot" \
		--tmpdir "$PODMAN_DIR/tmp" --cgroup-manager cgroupfs --events-backend file \
		--runtime "$PODMAN_RUNTIME_WRAPPER" "$@" 3>&-
}

cpodman_run() {
	# shellcheck disable=SC2086
	cpodman run $PODMAN_RUN_FLAGS --cgroup-parent "$PODMAN_CGROUP_PARENT" "$@"
}

compat_podman_stop() {
	[ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ] || return 0
	cpodman_t 60 rm -a -f -t 0 >/dev/null 2>&1
	# conmon and container processes a failed test may leave behind
	compat_kill_procs_under "$PODMAN_DIR"
	compat_cgroup_remove "$PODMAN_CGROUP_PARENT"
	compat_umount_under "$PODMAN_DIR"
	rm -rf --one-file-system "$PODMAN_DIR"
	PODMAN_DIR=
}

# start_berthd / stop_berthd (see the header)
# shellcheck source=../integration/berthd.bash
source "$BERTH_TOP/tests/integration/berthd.bash"
