# tests/integration/helpers.bash - shared by every bats file under tests/integration/.
#
# Each test gets a private temp dir $TEST_TMP (0755, so user-namespaced containers can
# traverse it) holding:
#   $BUNDLE       bundle dir: config.json (tests/helpers/config.json) and rootfs/
#   $ROOTFS       $BUNDLE/rootfs, a copy of a busybox-static rootfs plus /bin/testinit
#   $ROOT         the runtime's state root, always passed as --root
#   $CTR_OUT      where detached containers' stdout+stderr go (see berth_detached)
#   $CID          a container id unique to this test run: t<suite test number>-<bats pid>
# The runtime under test is $BERTH: default $BERTH_TOP/$BUILD/berth; BERTH=runc or
# BERTH=crun (or a path to either) runs the peer, so a test can be validated against it.
# teardown_bundle removes containers, processes, cgroups and mounts the test left behind,
# whatever state the test failed in.

BERTH_TOP=${BERTH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-build}
case $BUILD in /*) BUILD_DIR=$BUILD ;; *) BUILD_DIR=$BERTH_TOP/$BUILD ;; esac
BERTH=${BERTH:-$BUILD_DIR/berth}
TESTINIT=$BUILD_DIR/tests/helpers/testinit
RECVTTY=$BUILD_DIR/tests/helpers/recvtty
CONFIG_TEMPLATE=$BERTH_TOP/tests/helpers/config.json
BERTH_TEST_TMPBASE=${BERTH_TEST_TMPBASE:-/tmp}
# a runtime that hangs fails its test instead of the whole `make check` (bats >= 1.7)
BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}

# The name of the runtime under test: berth, runc or crun.
runtime_name() {
	case $(basename "$BERTH") in
	runc*) echo runc ;;
	crun*) echo crun ;;
	*) echo berth ;;
	esac
}

# berth ARGS...: the runtime under test with --root $ROOT. fd 3 (bats' own) is closed so a
# container that outlives the command cannot hold bats open; fd leaks into containers are
# tested on purpose elsewhere.
berth() {
	berth_keep_fds "$@" 3>&-
}

# berth_keep_fds ARGS...: the same without closing fd 3 (for --preserve-fds tests). crun
# refuses this host's hybrid cgroup layout, so it runs in a private mount namespace with
# the cgroup2 mount hidden (see docs/architecture.md, the test machines). With BERTH_TIMEOUT=SECONDS the
# runtime is killed after that long (status 124), for calls that a broken runtime could
# block on forever.
berth_keep_fds() {
	local pre=()
	[ -n "${BERTH_TIMEOUT:-}" ] && pre=(timeout -k 5 "$BERTH_TIMEOUT")
	case $(runtime_name) in
	crun)
		"${pre[@]}" unshare -m --propagation private sh -c \
			'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"' \
			"$BERTH" --root "$ROOT" "$@"
		;;
	*)
		"${pre[@]}" "$BERTH" --root "$ROOT" "$@"
		;;
	esac
}

# berth_detached ARGS...: for commands that leave a container process behind (create,
# run -d, exec -d). The container inherits the runtime's stdio, so everything goes to
# $CTR_OUT (appending) instead of bats' capture pipe, which would otherwise stay open;
# what this call added is printed afterwards, so `run berth_detached ...` sets $output.
berth_detached() {
	local mark rc
	mark=$(stat -c %s "$CTR_OUT")
	berth "$@" </dev/null >>"$CTR_OUT" 2>&1
	rc=$?
	tail -c +$((mark + 1)) "$CTR_OUT"
	return $rc
}

# Builds the shared rootfs once per bats run, under a lock (bats may run files in parallel).
rootfs_cache() {
	local cache=${BATS_RUN_TMPDIR:-$BERTH_TEST_TMPBASE}/berth-rootfs
	if [ ! -d "$cache" ]; then
		if [ ! -x "$TESTINIT" ]; then
			make -C "$BERTH_TOP" --no-print-directory BUILD="$BUILD_DIR" "$TESTINIT" "$RECVTTY" >&2 ||
				{ echo "helpers: cannot build '$TESTINIT'" >&2; return 1; }
		fi
		(
			flock 9
			[ -d "$cache" ] || BUILD=$BUILD_DIR "$BERTH_TOP/tests/helpers/mkrootfs.sh" "$cache" "$TESTINIT"
		) 9>"$cache.lock" || return 1
	fi
	echo "$cache"
}

# setup_bundle: the per-test temp dir, bundle, state root and container id (see top).
setup_bundle() {
	local cache
	cache=$(rootfs_cache) || return 1
	TEST_TMP=$(mktemp -d "$BERTH_TEST_TMPBASE/berth-test.XXXXXX")
	chmod 0755 "$TEST_TMP"
	BUNDLE=$TEST_TMP/bundle
	ROOTFS=$BUNDLE/rootfs
	ROOT=$TEST_TMP/root
	CTR_OUT=$TEST_TMP/ctr.out
	CID=t${BATS_SUITE_TEST_NUMBER:-${BATS_TEST_NUMBER:-0}}-$$
	mkdir -p "$BUNDLE" "$ROOT"
	: >"$CTR_OUT"
	cp -a "$cache" "$ROOTFS"
	# every test container gets its own cgroup and a marker in its environment, so
	# teardown can find what it left behind even if the runtime lost track of it
	jq --arg cg "/berth-test-$CID" --arg mark "BERTH_TEST_TMP=$TEST_TMP" \
		'.linux.cgroupsPath = $cg | .process.env += [$mark]' \
		"$CONFIG_TEMPLATE" >"$BUNDLE/config.json"
	export BUNDLE ROOTFS ROOT CTR_OUT CID TEST_TMP
}

# update_config JQ_EXPR [JQ_ARGS...]: edits $BUNDLE/config.json in place.
update_config() {
	local expr=$1
	shift
	jq "$@" "$expr" "$BUNDLE/config.json" >"$BUNDLE/config.json.new" &&
		mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args ARG...: process.args = [ARG...]; a first word without a slash means testinit's
# subcommand: `set_args id` runs ["/bin/testinit", "id"].
set_args() {
	case $1 in
	*/*) ;;
	*) set -- /bin/testinit "$@" ;;
	esac
	# \x1f as the separator: jq -R stops at a NUL, and no test argument holds a \x1f
	update_config '.process.args = $a' \
		--argjson a "$(printf '%s\x1f' "$@" | jq -Rsc 'split("\u001f")[:-1]')"
}

# requires FEATURE... [-- REASON]: skips the test unless every feature holds. Features:
# root cgroup_v1 cgroup_v2 hybrid timens userns, or a runtime name (berth runc crun): the
# test only means something for that runtime; REASON says why the others are excluded.
requires() {
	local f feats=() reason="see the comment above the test"
	while [ $# -gt 0 ]; do
		if [ "$1" = -- ]; then
			shift
			reason="$*"
			break
		fi
		feats+=("$1")
		shift
	done
	for f in "${feats[@]}"; do
		case $f in
		root) [ "$(id -u)" = 0 ] || skip "needs root" ;;
		cgroup_v1) [ -d /sys/fs/cgroup/memory ] || skip "needs cgroup v1 controllers" ;;
		cgroup_v2) [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "needs a pure cgroup v2 host" ;;
		hybrid) [ -d /sys/fs/cgroup/unified ] || skip "needs a hybrid cgroup layout" ;;
		timens) [ -e /proc/self/ns/time ] || skip "kernel has no time namespaces" ;;
		userns) [ -e /proc/self/ns/user ] || skip "kernel has no user namespaces" ;;
		runc | crun | berth) [ "$(runtime_name)" = "$f" ] || skip "only for $f: $reason" ;;
		*) fail_with "requires: unknown feature '$f'" ;;
		esac
	done
}

# rt_budget_free US [PARENT]: whether a new cgroup v1 cpu cgroup under PARENT (default the
# root cpu cgroup, where the test containers' cgroups go) can get cpu.rt_runtime_us US.
# The real-time budget is shared: the kernel refuses a child's rt_runtime_us (EINVAL) when
# its siblings already hold the parent's, e.g. while another workload on the machine runs
# real-time tasks. Probes with a cgroup of its own; prints why not and returns 1.
# Without RT group scheduling (no cpu.rt_runtime_us) there is no budget to run out of.
rt_budget_free() {
	local parent=${2:-/sys/fs/cgroup/cpu} probe held=0 c rc=0
	[ -f "$parent/cpu.rt_runtime_us" ] || return 0
	probe=$parent/berth-rt-probe-$$-$RANDOM
	mkdir "$probe" || {
		echo "real-time budget: mkdir '$probe' failed"
		return 1
	}
	if ! (echo "$1" >"$probe/cpu.rt_runtime_us") 2>/dev/null; then
		for c in "$parent"/*/cpu.rt_runtime_us; do
			[ "$c" = "$probe/cpu.rt_runtime_us" ] || held=$((held + $(cat "$c")))
		done
		echo "the real-time budget of '$parent' is taken: other cgroups hold ${held} of its $(cat "$parent/cpu.rt_runtime_us") us per $(cat "$parent/cpu.rt_period_us") us, a new cgroup cannot get cpu.rt_runtime_us $1 (EINVAL)"
		rc=1
	fi
	# give the budget back first: a removed cgroup holds it until the kernel frees it
	echo 0 >"$probe/cpu.rt_runtime_us"
	rmdir "$probe"
	return $rc
}

# requires_rt_budget US: skips, saying why, when the container's cgroup cannot get US
# microseconds of the machine's real-time budget (see rt_budget_free).
requires_rt_budget() {
	local why
	why=$(rt_budget_free "$1") || skip "$why"
}

# not_runtime NAME REASON: skips when the runtime under test is NAME (a peer's known bug).
not_runtime() {
	[ "$(runtime_name)" != "$1" ] || skip "$1 ${2:-differs here}"
}

# not_crun_userns: for tests of a container with its own user namespace. crun 1.8.1 chowns
# the host's /dev/null (the node it binds into the container) to the container's root, so
# on a shared host such a test must not run against crun (seen: /dev/null owned by
# 100000:100000 afterwards; a private copy over /dev/null in crun's mount namespace does
# not stop it).
not_crun_userns() {
	not_runtime crun "1.8.1 chowns the host's /dev/null to the container's root in a user namespace"
}

# state_of ID: prints the status field of `berth state ID` (nothing if it fails).
state_of() {
	berth state "$1" 2>/dev/null | jq -r .status 2>/dev/null
}

# wait_for_state ID STATE [TRIES]: polls every 0.1s (default 50 tries).
wait_for_state() {
	local i got
	for ((i = 0; i < ${3:-50}; i++)); do
		got=$(state_of "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	echo "wait_for_state: container '$1' is '$got', expected '$2'" >&2
	return 1
}

# wait_for_output TEXT [TRIES]: waits until $CTR_OUT holds TEXT.
wait_for_output() {
	local i
	for ((i = 0; i < ${2:-50}; i++)); do
		grep -qF -- "$1" "$CTR_OUT" && return 0
		sleep 0.1
	done
	echo "wait_for_output: '$1' not in container output:" >&2
	cat "$CTR_OUT" >&2
	return 1
}

# create_container [ID]: `create --bundle $BUNDLE ID`, which must succeed.
create_container() {
	run berth_detached create --bundle "$BUNDLE" --pid-file "$TEST_TMP/${1:-$CID}.pid" "${1:-$CID}"
	expect_status 0
}

# run_container [ID]: create then start; waits until the container left `created`.
run_container() {
	local i
	create_container "$@" || return 1
	run berth start "${1:-$CID}"
	expect_status 0 || return 1
	for ((i = 0; i < 50; i++)); do
		[ "$(state_of "${1:-$CID}")" != created ] && return 0
		sleep 0.1
	done
	fail_with "container '${1:-$CID}' is still 'created' after start"
}

# container_pid [ID]: the host pid of the container's process, from `state`.
container_pid() {
	berth state "${1:-$CID}" | jq -r .pid
}

# run_fg ARGS...: `berth run --bundle $BUNDLE $CID` in the foreground with bats' run.
run_fg() {
	run berth run --bundle "$BUNDLE" "$@" "$CID" </dev/null
}

# host_cgroup_dir CONTROLLER PID: the host path of PID's cgroup for a v1 controller.
host_cgroup_dir() {
	local path
	path=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$2/cgroup")
	[ -n "$path" ] || return 1
	echo "/sys/fs/cgroup/$1$path"
}

# --- assertions: each says what it expected and what it got -------------------------------

fail_with() {
	{
		echo "FAILED: $*"
		echo "status: ${status:-?}"
		echo "output: ${output:-}"
	} >&2
	return 1
}

expect_status() {
	[ "$status" -eq "$1" ] || fail_with "expected exit status $1, got $status"
}

# expect_failure: non-zero status.
expect_failure() {
	[ "$status" -ne 0 ] || fail_with "expected a failure, got exit status 0"
}

expect_output_contains() {
	local s
	for s in "$@"; do
		[[ "$output" == *"$s"* ]] || fail_with "expected the output to contain '$s'" || return 1
	done
}

expect_output_not_contains() {
	[[ "$output" != *"$1"* ]] || fail_with "expected the output not to contain '$1'"
}

expect_output() {
	[ "$output" = "$1" ] || fail_with "expected the output to be '$1'"
}

# expect_line LINE: one line of $output equals LINE (CR from a pty stripped).
expect_line() {
	local l
	while IFS= read -r l; do
		[ "${l%$'\r'}" = "$1" ] && return 0
	done <<<"$output"
	fail_with "expected a line '$1'"
}

# expect_fail_naming WORD...: failed, and the message names each WORD.
expect_fail_naming() {
	expect_failure || return 1
	expect_output_contains "$@"
}

# --- teardown -------------------------------------------------------------------------------

# Pids of processes left by this test: the BERTH_TEST_TMP marker in their environment, or a
# cgroup whose path names $CID.
leftover_pids() {
	{
		grep -lzx "BERTH_TEST_TMP=$TEST_TMP" /proc/[0-9]*/environ
		grep -lE "[:/](berth-test-)?$CID(/|\$)" /proc/[0-9]*/cgroup
	} 2>/dev/null | awk -F/ -v self="$$" '$3 != self { print $3 }' | sort -u
}

teardown_bundle() {
	local id pid i d m
	[ -n "${TEST_TMP:-}" ] && [ -d "$TEST_TMP" ] || return 0
	if [ -d "$ROOT" ]; then
		for id in $(BERTH_TIMEOUT=30 berth list -q 2>/dev/null) $CID; do
			BERTH_TIMEOUT=30 berth delete --force "$id" >/dev/null 2>&1
		done
	fi
	# what the runtime did not clean up: thaw, then kill
	for d in $(find /sys/fs/cgroup -maxdepth 4 -type d \( -name "berth-test-$CID*" -o -name "$CID" \) 2>/dev/null); do
		[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		pid=$(leftover_pids)
		[ -z "$pid" ] && break
		kill -9 $pid 2>/dev/null
		sleep 0.1
	done
	[ -z "$pid" ] || echo "teardown: processes $pid survived kill -9" >&2
	for d in $(find /sys/fs/cgroup -maxdepth 4 -depth -type d \( -name "berth-test-$CID*" -o -name "$CID" \) 2>/dev/null); do
		for ((i = 0; i < 20; i++)); do
			rmdir "$d" 2>/dev/null && break
			[ -d "$d" ] || break
			sleep 0.1
		done
	done
	# mounts under the temp dir, deepest first
	for m in $(awk -v t="$TEST_TMP" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$TEST_TMP"
	unset TEST_TMP
}
