#!/usr/bin/env bats
# Rootless: the runtime run by an unprivileged user (a system user this file creates, and
# removes again if it created it), and by uid 0 of `unshare -r`. The user namespace maps
# the user's own id (written by the runtime, setgroups "deny") or, with /etc/subuid and
# /etc/subgid ranges, more (written by newuidmap/newgidmap). Without a writable cgroup the
# container runs without one; a resource limit then fails and names its field. The state
# root defaults to $XDG_RUNTIME_DIR/<runtime>.

load ../helpers

RL_USER=berth-rootless-test
# the subordinate range granted to RL_USER in /etc/subuid and /etc/subgid
RL_SUB=231072
RL_SUBN=65536

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	if ! id "$RL_USER" >/dev/null 2>&1; then
		useradd -M -r -s /usr/sbin/nologin "$RL_USER" || return 1
		touch "${BATS_FILE_TMPDIR:?}/created-user"
	fi
	local f
	for f in /etc/subuid /etc/subgid; do
		sed -i "/^$RL_USER:/d" "$f"
		echo "$RL_USER:$RL_SUB:$RL_SUBN" >>"$f"
	done
}

teardown_file() {
	[ "$(id -u)" = 0 ] || return 0
	sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
	if [ -e "${BATS_FILE_TMPDIR:?}/created-user" ]; then
		pkill -9 -u "$RL_USER" 2>/dev/null
		userdel "$RL_USER"
	fi
}

setup() {
	requires root userns -- creates a user and runs the runtime as that user
	setup_bundle
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	XDG=$TEST_TMP/xdg
	mkdir -p "$XDG"
	chown "$RL_UID:$RL_GID" "$XDG" "$ROOT" "$TEST_TMP"
	chmod 0755 "$TEST_TMP"
	# what `spec --rootless` changes: a user namespace mapping the user's own ids, and
	# no gid= on devpts (gid 5 is not mapped); no cgroupsPath (runc fails on one it
	# cannot create, and ignores only the default's errors)
	update_config 'del(.linux.cgroupsPath) | .linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}]
		| (.mounts[] | select(.type == "devpts") | .options) -= ["gid=5"]' \
		--argjson u "$RL_UID" --argjson g "$RL_GID"
	chmod -R a+rX "$BUNDLE"
}

teardown() {
	[ -n "${TEST_TMP:-}" ] || return 0
	rl_berth delete --force "$CID" >/dev/null 2>&1
	teardown_bundle
}

# as_user CMD...: CMD as RL_USER (no supplementary groups), XDG_RUNTIME_DIR=$XDG
as_user() {
	env XDG_RUNTIME_DIR="$XDG" setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups "$@"
}

# rl_berth ARGS...: the runtime as RL_USER with --root $ROOT (fd 3 closed, see berth())
rl_berth() {
	as_user "$BERTH" --root "$ROOT" "$@" 3>&-
}

rl_run() {
	run rl_berth run --bundle "$BUNDLE" "$CID" </dev/null
}

rl_detached() {
	rl_berth "$@" </dev/null >>"$CTR_OUT" 2>&1
}

@test "rootless: a user's container runs as uid 0 of a namespace mapping the user's ids" {
	set_args /bin/sh -c '/bin/testinit id; /bin/testinit cat /proc/self/uid_map /proc/self/gid_map'
	rl_run
	expect_status 0
	expect_line "uid=0 gid=0 groups="
	[ "$(awk 'NR > 1 { print $1, $2, $3 }' <<<"$output")" = "0 $RL_UID 1
0 $RL_GID 1" ] || fail_with "expected maps '0 $RL_UID 1' and '0 $RL_GID 1'"
}

@test "rootless: with a single own-id map, setgroups is 'deny'" {
	set_args cat /proc/self/setgroups
	rl_run
	expect_status 0
	expect_output "deny"
}

@test "rootless: the host sees the container's process under the user's uid" {
	rl_detached create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "create: $(cat "$CTR_OUT")"
	pid=$(cat "$TEST_TMP/pid")
	grep -q "^Uid:[[:space:]]*$RL_UID[[:space:]]" "/proc/$pid/status" ||
		fail_with "host sees $(grep Uid: "/proc/$pid/status"), expected $RL_UID"
}

@test "rootless: a map beyond the own id is written by newuidmap/newgidmap from /etc/subuid" {
	update_config '.linux.uidMappings += [{"containerID": 1, "hostID": $s, "size": $n}]
		| .linux.gidMappings += [{"containerID": 1, "hostID": $s, "size": $n}]
		| .process.user = {"uid": 1000, "gid": 1000}' \
		--argjson s "$RL_SUB" --argjson n "$RL_SUBN"
	set_args /bin/sh -c '/bin/testinit id; /bin/testinit cat /proc/self/uid_map; exec /bin/testinit pause'
	rl_detached create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "create: $(cat "$CTR_OUT")"
	rl_berth start "$CID"
	wait_for_output "pause: ready"
	run cat "$CTR_OUT"
	expect_line "uid=1000 gid=1000 groups="
	[ "$(awk '$1 ~ /^[0-9]+$/ && NF == 3 { print $1, $2, $3 }' <<<"$output")" = "0 $RL_UID 1
1 $RL_SUB $RL_SUBN" ] || fail_with "expected uid_map lines '0 $RL_UID 1' and '1 $RL_SUB $RL_SUBN'"
	pid=$(cat "$TEST_TMP/pid")
	grep -q "^Uid:[[:space:]]*$((RL_SUB + 999))[[:space:]]" "/proc/$pid/status" ||
		fail_with "host sees $(grep Uid: "/proc/$pid/status"), expected $((RL_SUB + 999))"
}

@test "rootless: a map outside the user's /etc/subuid range fails and names linux.uidMappings" {
	update_config '.linux.uidMappings += [{"containerID": 1, "hostID": 5000000, "size": 10}]'
	set_args id
	rl_run
	expect_failure
	[ "$(runtime_name)" != berth ] || expect_output_contains "linux.uidMappings" "newuidmap"
}

@test "rootless: a gid map outside /etc/subgid fails and names linux.gidMappings" {
	update_config '.linux.gidMappings += [{"containerID": 1, "hostID": 5000000, "size": 10}]'
	set_args id
	rl_run
	expect_failure
	[ "$(runtime_name)" != berth ] || expect_output_contains "linux.gidMappings" "newgidmap"
}

@test "rootless: without --root the state goes to XDG_RUNTIME_DIR/<runtime name>" {
	as_user "$BERTH" create --bundle "$BUNDLE" "$CID" </dev/null >>"$CTR_OUT" 2>&1 3>&- ||
		fail_with "create: $(cat "$CTR_OUT")"
	[ -d "$XDG/$(runtime_name)/$CID" ] || fail_with "no state dir '$XDG/$(runtime_name)/$CID'"
	run as_user "$BERTH" delete --force "$CID" 3>&-
	expect_status 0
	[ ! -e "$XDG/$(runtime_name)/$CID" ] || fail_with "state dir left behind"
}

@test "rootless: without --root, XDG_RUNTIME_DIR or /run/user/<uid> berth fails and says so" {
	requires berth -- the message is specific to berth
	[ ! -d "/run/user/$RL_UID" ] || skip "/run/user/$RL_UID exists here"
	run env -u XDG_RUNTIME_DIR setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups \
		"$BERTH" create --bundle "$BUNDLE" "$CID" </dev/null 2>&1 3>&- >>"$CTR_OUT"
	expect_fail_naming "XDG_RUNTIME_DIR" "/run/user/$RL_UID" "--root"
}

@test "rootless: an XDG_RUNTIME_DIR the user cannot write fails and names it" {
	requires berth -- the message is specific to berth
	chown root: "$XDG"
	chmod 0755 "$XDG"
	run as_user "$BERTH" create --bundle "$BUNDLE" "$CID" </dev/null 2>&1 3>&- >>"$CTR_OUT"
	expect_fail_naming "XDG_RUNTIME_DIR" "$XDG"
}

@test "rootless: spec and features need no state root" {
	requires berth -- runc never needs a state root for these
	run env -u XDG_RUNTIME_DIR setpriv --reuid="$RL_UID" --regid="$RL_GID" --clear-groups \
		"$BERTH" features
	expect_status 0
}

@test "rootless: without a writable cgroup the container runs without one" {
	set_args /bin/sh -c '/bin/testinit cat /proc/self/cgroup'
	rl_run
	expect_status 0
	expect_output_not_contains "$CID"
}

@test "rootless: without a writable cgroup a memory limit fails and names linux.resources.memory" {
	update_config '.linux.resources.memory = {"limit": 67108864}'
	set_args id
	rl_run
	expect_failure
	[ "$(runtime_name)" != berth ] || expect_output_contains "linux.resources.memory" "cgroup"
}

@test "rootless: without a writable cgroup a pids limit fails and names linux.resources.pids" {
	requires berth -- runc 1.1 only warns about the limit
	update_config '.linux.resources.pids = {"limit": 10}'
	set_args id
	rl_run
	expect_fail_naming "linux.resources.pids"
}

@test "rootless: in a delegated cgroup the container's limits apply" {
	local h
	# every v1 hierarchy must be writable for the runtime to use cgroups at all
	for h in /sys/fs/cgroup/*/; do
		[ -f "$h/cgroup.procs" ] || continue
		mkdir -p "$h/berth-test-$CID-deleg"
		chown -R "$RL_UID:$RL_GID" "$h/berth-test-$CID-deleg"
	done
	update_config '.linux.cgroupsPath = $p | .linux.resources.pids = {"limit": 17}' \
		--arg p "/berth-test-$CID-deleg/ctr"
	# as under a delegating service manager, the runtime starts inside the delegated
	# subtree: cgroup2 moves a process only with write access to the cgroup.procs of the
	# common ancestor of its old and new cgroup
	sh -c 'for h in /sys/fs/cgroup/*/; do
			[ -f "$h/cgroup.procs" ] && echo $$ >"$h/berth-test-$0-deleg/cgroup.procs"
		done
		x=$1 u=$2 g=$3
		shift 3
		exec env XDG_RUNTIME_DIR="$x" setpriv --reuid="$u" --regid="$g" --clear-groups "$@"' \
		"$CID" "$XDG" "$RL_UID" "$RL_GID" "$BERTH" --root "$ROOT" create --bundle "$BUNDLE" \
		--pid-file "$TEST_TMP/pid" "$CID" </dev/null >>"$CTR_OUT" 2>&1 3>&- ||
		fail_with "create: $(cat "$CTR_OUT")"
	pid=$(cat "$TEST_TMP/pid")
	dir=$(host_cgroup_dir pids "$pid")
	[ "$dir" = "/sys/fs/cgroup/pids/berth-test-$CID-deleg/ctr" ] || fail_with "pid $pid is in '$dir'"
	[ "$(cat "$dir/pids.max")" = 17 ] || fail_with "pids.max is $(cat "$dir/pids.max"), expected 17"
}

@test "rootless: create, start, state, ps, kill and delete work without a cgroup" {
	rl_detached create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "create: $(cat "$CTR_OUT")"
	run rl_berth start "$CID"
	expect_status 0
	run rl_berth state "$CID"
	expect_status 0
	[ "$(jq -r .status <<<"$output")" = running ] || fail_with "expected status running"
	run rl_berth kill "$CID" KILL
	expect_status 0
	for ((i = 0; i < 50; i++)); do
		[ "$(rl_berth state "$CID" | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	run rl_berth delete "$CID"
	expect_status 0
	run rl_berth list -q
	expect_output ""
}

@test "rootless: ps lists the init and its children without a cgroup" {
	requires berth -- runc 1.1 needs a cgroup for ps
	set_args /bin/sh -c '/bin/testinit pause & exec /bin/testinit pause'
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	pid=$(cat "$TEST_TMP/pid")
	for ((i = 0; i < 50; i++)); do
		[ "$(rl_berth ps --format json "$CID" | jq length)" = 2 ] && break
		sleep 0.1
	done
	run rl_berth ps --format json "$CID"
	expect_status 0
	[ "$(jq length <<<"$output")" = 2 ] || fail_with "expected 2 pids"
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output" >/dev/null || fail_with "init $pid missing"
}

@test "rootless: kill --all signals every process of a container without a cgroup" {
	requires berth -- runc 1.1 needs a cgroup for kill --all
	set_args /bin/sh -c '/bin/testinit pause & exec /bin/testinit pause'
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	for ((i = 0; i < 50; i++)); do
		[ "$(rl_berth ps --format json "$CID" | jq length)" = 2 ] && break
		sleep 0.1
	done
	run rl_berth ps --format json "$CID"
	pids=$(jq -r '.[]' <<<"$output")
	run rl_berth kill --all "$CID" KILL
	expect_status 0
	for ((i = 0; i < 50; i++)); do
		alive=
		for p in $pids; do
			kill -0 "$p" 2>/dev/null && alive="$alive $p"
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	[ -z "$alive" ] || fail_with "still alive:$alive"
}

@test "rootless: delete --force removes a running container without a cgroup" {
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	pid=$(cat "$TEST_TMP/pid")
	run rl_berth delete --force "$CID"
	expect_status 0
	# gone, or a zombie its new parent has not reaped yet
	state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$state" ] || [ "$state" = Z ] || fail_with "init $pid still alive (state $state)"
	[ ! -e "$ROOT/$CID" ] || fail_with "state dir left behind"
}

@test "unshare -r: a map of the namespace's own uid 0 works" {
	# runc 1.1.5 fails here ("failed to setns to host mntns")
	not_runtime runc "1.1 cannot run under unshare -r"
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	set_args /bin/sh -c '/bin/testinit id; /bin/testinit cat /proc/self/uid_map'
	run as_user unshare -r "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null 3>&-
	expect_status 0
	expect_line "uid=0 gid=0 groups="
	[ "$(awk 'NR == 2 { print $1, $2, $3 }' <<<"$output")" = "0 0 1" ] ||
		fail_with "expected uid_map '0 0 1'"
}

@test "unshare -r: mapping an id the namespace does not have fails with a clear error" {
	run as_user unshare -r "$BERTH" --root "$ROOT" run --bundle "$BUNDLE" "$CID" </dev/null 3>&-
	expect_failure
	[ "$(runtime_name)" != berth ] ||
		expect_output_contains "linux.uidMappings" "user namespace without privileges"
}

@test "rootless: exec runs a process in the container's namespaces as uid 0" {
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	pid=$(cat "$TEST_TMP/pid")
	run rl_berth exec "$CID" /bin/sh -c '/bin/testinit id; readlink /proc/self/ns/pid; readlink /proc/self/ns/user'
	expect_status 0
	expect_line "uid=0 gid=0 groups="
	expect_line "$(readlink "/proc/$pid/ns/pid")"
	expect_line "$(readlink "/proc/$pid/ns/user")"
}

@test "rootless: exec's exit status is the process's" {
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	run rl_berth exec "$CID" /bin/testinit exit 7
	expect_status 7
}

@test "rootless: exec --detach writes the process's host pid to --pid-file" {
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	rl_detached exec --detach --pid-file "$TEST_TMP/exec.pid" "$CID" /bin/testinit pause ||
		fail_with "exec: $(cat "$CTR_OUT")"
	epid=$(cat "$TEST_TMP/exec.pid")
	grep -q "^NSpid:[[:space:]]*$epid[[:space:]]*[0-9]" "/proc/$epid/status" ||
		fail_with "pid $epid is not a process of the container: $(grep NSpid "/proc/$epid/status")"
	[ "$(readlink "/proc/$epid/ns/pid")" = "$(readlink "/proc/$(cat "$TEST_TMP/pid")/ns/pid")" ] ||
		fail_with "exec'd process $epid is not in the container's pid namespace"
}

@test "rootless: pause without a cgroup fails and says there is no cgroup" {
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	run rl_berth pause "$CID"
	expect_failure
	[ "$(runtime_name)" != berth ] || expect_output_contains "pause container '$CID'" "without a cgroup"
	[ "$(rl_berth state "$CID" | jq -r .status)" = running ] || fail_with "container is not running"
}

@test "rootless: update without a cgroup fails and says there is no cgroup" {
	rl_detached run -d --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "run: $(cat "$CTR_OUT")"
	run rl_berth update --pids-limit 10 "$CID"
	expect_failure
	[ "$(runtime_name)" != berth ] || expect_output_contains "update container '$CID'" "without a cgroup"
}

@test "rootless: without the right to clone a mount, berth protects its binary with a sealed memfd copy" {
	requires berth -- "how the binary is protected is the runtime's choice"
	set_args pause
	rl_detached create --bundle "$BUNDLE" --pid-file "$TEST_TMP/pid" "$CID" || fail_with "create: $(cat "$CTR_OUT")"
	local pid
	pid=$(cat "$TEST_TMP/pid")
	[[ "$(readlink "/proc/$pid/exe")" == /memfd:berth* ]] ||
		fail_with "exe is '$(readlink "/proc/$pid/exe")', expected a memfd"
	if (echo overwritten >"/proc/$pid/exe") 2>/dev/null; then
		fail_with "writing through /proc/$pid/exe succeeded"
	fi
}
