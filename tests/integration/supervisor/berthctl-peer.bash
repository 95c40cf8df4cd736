# tests/integration/supervisor/berthctl-peer.bash - the daemon a berthctl test file drives
# (load it after ../helpers and ../../compat/compat-helpers): a private berthd, or with
# BERTHCTL_PEER=containerd a private containerd 1.6 (berthctl only needs the containerd
# API; tasks still run on berth's shim, which containerd finds in $PATH as
# containerd-shim-berth-v2). Client state (container logs) goes to $T/ctl-root through
# $BERTHCTL_ROOT, never to /var/lib/berthctl.
#
#   ctl_peer_setup_file      makes $T, starts the daemon; sets SOCK, NS, PEER
#   ctl_peer_teardown_file   stops it, kills what is left, removes cgroups, mounts and $T
#   ctl_peer_setup / ctl_peer_teardown   per test: skip unless root / remove containers
#   bctl ARGS... / bctl_t SECS ARGS...   berthctl against it, killed after 60 s / SECS

ctl_peer_setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	export T SOCK NS BERTHD_PID PEER=${BERTHCTL_PEER:-berthd} BERTHCTL_ROOT
	T=$(mktemp -d "${BERTH_TEST_TMPBASE:-/tmp}/berth-ctl-XXXXXX")
	BERTHCTL_ROOT=$T/ctl-root
	if [ "$PEER" = containerd ]; then
		command -v containerd >/dev/null || skip "needs containerd"
		PATH=$BUILD_DIR:$PATH compat_containerd_start "$T/ctrd" || return 1
		SOCK=$CTRD_DIR/c.sock
		NS=$CTRD_NS
	else
		SOCK=$T/berthd.sock
		NS=ctl-$(echo "$T" | md5sum | cut -c1-10)
		BERTHD=$BUILD_DIR/berthd start_berthd || return 1
	fi
}

ctl_peer_teardown_file() {
	[ -n "${T:-}" ] || return 0
	if [ "${PEER:-}" = containerd ]; then
		compat_containerd_stop
	elif [ -n "${BERTHD_PID:-}" ]; then
		kill -TERM "$BERTHD_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$BERTHD_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	compat_kill_procs_under "$T"
	compat_cgroup_remove "$NS"
	compat_umount_under "$T"
	rm -rf --one-file-system "$T"
}

ctl_peer_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	unset BERTH_ADDRESS BERTH_NAMESPACE CONTAINERD_ADDRESS CONTAINERD_NAMESPACE
}

ctl_peer_teardown() {
	local id
	for id in $(bctl_t 20 ps -a -q 2>/dev/null); do
		bctl_t 30 rm -f "$id" >/dev/null 2>&1
	done
	return 0
}

bctl() {
	bctl_t 60 "$@"
}

bctl_t() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$BUILD_DIR/berthctl" -a "$SOCK" -n "$NS" "$@" 3>&-
}
