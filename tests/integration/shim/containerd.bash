# tests/integration/shim/containerd.bash - a private containerd 1.6 driving berth-shim.
#
# shim_containerd_start RUNTIME: starts containerd with its root, state and sockets in
# a fresh temp dir $SHIM_T (config version 2, CRI disabled), with $BUILD on PATH so
# runtime io.containerd.berth.v2 finds containerd-shim-berth-v2, and
# BERTH_SHIM_RUNTIME=RUNTIME (runc, or a path to berth) in its environment, which
# containerd passes on to every shim. Shim sockets land in $SHIM_T/s, runtime state in
# $SHIM_T/<runtime>/<ns> (see shim/shim.h). shim_containerd_stop kills by pid what was
# started: containers (runtime delete --force), shims (<bundle>/shim.pid), containerd.

BERTH_TOP=${BERTH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) SHIM_BUILD_DIR=$BUILD ;; *) SHIM_BUILD_DIR=$BERTH_TOP/$BUILD ;; esac
SHIM_RUNTIME_NAME=io.containerd.berth.v2

# ctr against the private containerd
ctr_() {
	ctr -a "$SHIM_T/c.sock" "$@" 3>&-
}

# the rootfs (busybox-static + testinit), built once per file
shim_rootfs() {
	local testinit=$SHIM_BUILD_DIR/tests/helpers/testinit
	[ -x "$testinit" ] || make -C "$BERTH_TOP" --no-print-directory "$testinit" >&2 || return 1
	BUILD=$SHIM_BUILD_DIR "$BERTH_TOP/tests/helpers/mkrootfs.sh" "$SHIM_T/rootfs" "$testinit"
}

shim_containerd_launch() {
	(
		cd "$SHIM_T" || exit 1
		PATH=$SHIM_BUILD_DIR:$PATH BERTH_SHIM_RUNTIME=$SHIM_RUNTIME BERTH_SHIM_RUNTIME_TIMEOUT=20 \
			setsid containerd --config "$SHIM_T/config.toml" \
			</dev/null >>"$SHIM_T/containerd.log" 2>&1 3>&- &
		echo $! >"$SHIM_T/containerd.pid"
	)
	local i
	for i in $(seq 100); do
		ctr_ version >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "containerd did not come up; log:" >&2
	tail -20 "$SHIM_T/containerd.log" >&2
	return 1
}

shim_containerd_start() {
	SHIM_RUNTIME=$1
	export SHIM_RUNTIME
	# short: <dir>/s/<64 hex> must fit the 107-byte socket path limit
	SHIM_T=$(mktemp -d /tmp/berth-shim.XXXXXX)
	export SHIM_T
	mkdir -p "$SHIM_T/fifo"
	cat >"$SHIM_T/config.toml" <<-EOF
		version = 2
		root = "$SHIM_T/root"
		state = "$SHIM_T/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$SHIM_T/c.sock"
		[ttrpc]
		  address = "$SHIM_T/c.sock.ttrpc"
	EOF
	shim_rootfs || return 1
	shim_containerd_launch
}

# runtime_smoke RUNTIME: runs /bin/true with RUNTIME directly (no shim), to tell a
# runtime that cannot run containers yet from a shim that cannot drive it
runtime_smoke() {
	local rt=$1 b=$SHIM_T/smoke rc
	mkdir -p "$b"
	(cd "$b" && runc spec) || return 1
	jq --arg r "$SHIM_T/rootfs" '.root.path = $r | .process.terminal = false | .process.args = ["/bin/true"]' \
		"$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
	timeout 20 "$rt" --root "$b/root" run --bundle "$b" smoke </dev/null >"$b/out" 2>&1 3>&-
	rc=$?
	timeout 10 "$rt" --root "$b/root" delete --force smoke >/dev/null 2>&1
	[ $rc -eq 0 ] || { echo "exit $rc: $(tail -c 300 "$b/out")"; return 1; }
}

shim_containerd_kill9() {
	local pid
	pid=$(cat "$SHIM_T/containerd.pid" 2>/dev/null) || return 0
	kill -9 "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

# best effort: a cleanup step that fails must not skip the others (hence the subshell
# without errexit)
shim_containerd_stop() {
	[ -n "${SHIM_T:-}" ] && [ -d "$SHIM_T" ] || return 0
	(
		set +e
		shim_containerd_cleanup
	)
}

shim_containerd_cleanup() {
	local pidf pid root id rt
	# kill the event watchers and other helpers tests started
	for pidf in "$SHIM_T"/*.bgpid; do
		[ -e "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null
	done
	shim_containerd_kill9
	rt=$SHIM_RUNTIME
	for root in "$SHIM_T"/*/*/; do
		[ -d "$root" ] || continue
		case $root in "$SHIM_T"/state/* | "$SHIM_T"/root/* | "$SHIM_T"/rootfs/* | "$SHIM_T"/fifo/*) continue ;; esac
		for id in $("$rt" --root "$root" list -q 2>/dev/null); do
			"$rt" --root "$root" delete --force "$id" >/dev/null 2>&1
		done
	done
	for pidf in "$SHIM_T"/state/io.containerd.runtime.v2.task/*/*/; do
		[ -d "$pidf" ] || continue
		pid=$(shim_pid "$(basename "$pidf")") || continue
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
		berth-shim | containerd-shim*) kill -9 "$pid" 2>/dev/null ;;
		esac
	done
	# containerd's snapshot and task dirs may hold mounts after a failure
	grep -o " $SHIM_T/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$SHIM_T"
}

# ctr_run [--opt[=value]...] ID ARGS...: `ctr run` with the shim, fifos in $SHIM_T, the
# test rootfs (options that take a value must use the --opt=value form)
ctr_run() {
	local opts=()
	while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
		opts+=("$1")
		shift
	done
	local id=$1
	shift
	ctr_ run "${opts[@]}" --fifo-dir "$SHIM_T/fifo" --rootfs --runtime "$SHIM_RUNTIME_NAME" \
		"$SHIM_T/rootfs" "$id" "$@"
}

# task_status ID: RUNNING, PAUSED, STOPPED, CREATED or nothing
task_status() {
	ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'
}

# wait_status ID STATUS: polls (bounded) until the task reports STATUS
wait_status() {
	local i
	for i in $(seq 100); do
		[ "$(task_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	echo "task $1: expected status $2, got '$(task_status "$1")'" >&2
	return 1
}

# shim_pid ID: the pid of the shim serving task ID: <bundle>/shim.pid (berth-shim), else
# the shim daemon whose command line names this containerd's address and ID (runc-v2)
shim_pid() {
	local f=$SHIM_T/state/io.containerd.runtime.v2.task/default/$1/shim.pid c p args
	if [ -s "$f" ]; then
		cat "$f"
		return
	fi
	for c in /proc/[0-9]*/cmdline; do
		p=${c#/proc/}
		p=${p%/cmdline}
		args=" $({ tr '\0' ' ' <"$c"; } 2>/dev/null) "
		[[ $args == *" -address $SHIM_T/c.sock "* && $args == *" -id $1 "* ]] && echo "$p" && return
	done
	return 1
}
