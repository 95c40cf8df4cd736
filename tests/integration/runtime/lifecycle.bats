#!/usr/bin/env bats
# The container lifecycle through the runc command line: create, start, state, kill,
# delete, run, list, spec, features, --version.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "create: a created container is in state created with a pid > 0" {
	create_container
	run berth state "$CID"
	expect_status 0
	[ "$(jq -r .status <<<"$output")" = created ] || fail_with "status is not 'created'"
	[ "$(jq -r .pid <<<"$output")" -gt 0 ] || fail_with "pid is not > 0"
}

@test "create: the user process does not run before start" {
	set_args echo started-too-early
	create_container
	sleep 0.3
	run cat "$CTR_OUT"
	expect_output_not_contains started-too-early
}

@test "start: a created container becomes running and runs its process" {
	set_args pause
	create_container
	run berth start "$CID"
	expect_status 0
	wait_for_state "$CID" running
	wait_for_output "pause: ready"
}

@test "kill: SIGTERM stops a running container; delete removes it" {
	run_container
	run berth kill "$CID" TERM
	expect_status 0
	wait_for_state "$CID" stopped
	wait_for_output "pause: got signal 15"
	run berth delete "$CID"
	expect_status 0
	run berth state "$CID"
	expect_failure
}

@test "kill: the default signal is SIGTERM" {
	run_container
	run berth kill "$CID"
	expect_status 0
	wait_for_state "$CID" stopped
	wait_for_output "pause: got signal 15"
}

@test "kill: a signal by name without SIG prefix is delivered" {
	run_container
	run berth kill "$CID" USR1
	expect_status 0
	wait_for_output "pause: got signal 10"
}

@test "kill: a signal by SIG-prefixed name is delivered" {
	run_container
	run berth kill "$CID" SIGUSR2
	expect_status 0
	wait_for_output "pause: got signal 12"
}

@test "kill: a signal by number is delivered" {
	run_container
	run berth kill "$CID" 10
	expect_status 0
	wait_for_output "pause: got signal 10"
}

@test "kill: SIGKILL stops a running container" {
	run_container
	run berth kill "$CID" KILL
	expect_status 0
	wait_for_state "$CID" stopped
}

@test "kill --all: every process of the container gets the signal" {
	set_args /bin/sh -c '/bin/testinit pause & /bin/testinit pause & wait'
	run_container
	wait_for_output "pause: ready"
	sleep 0.2
	run berth kill --all "$CID" USR1
	expect_status 0
	wait_for_state "$CID" stopped
	[ "$(grep -c 'pause: got signal 10' "$CTR_OUT")" -eq 2 ] ||
		fail_with "expected two processes to report signal 10: $(cat "$CTR_OUT")"
}

@test "kill: an unknown signal name fails and names it" {
	not_runtime crun "1.8.1 accepts an unknown signal name"
	run_container
	run berth kill "$CID" NOSUCHSIG
	expect_fail_naming NOSUCHSIG
	[ "$(state_of "$CID")" = running ] || fail_with "container is no longer running"
}

@test "run: the foreground run returns the container's exit code" {
	set_args exit 3
	run_fg
	expect_status 3
	[ "$(state_of "$CID")" = "" ] || fail_with "container '$CID' still exists after run"
}

@test "run --keep: the stopped container stays for state and delete" {
	set_args exit 3
	run berth run --keep --bundle "$BUNDLE" "$CID" </dev/null
	expect_status 3
	[ "$(state_of "$CID")" = stopped ] || fail_with "status '$(state_of "$CID")', expected stopped"
	run berth delete "$CID"
	expect_status 0
	[ "$(state_of "$CID")" = "" ] || fail_with "container '$CID' still exists after delete"
}

# a container without a pid namespace whose subshell leaves a `sleep` behind: prints the
# command line of the sleep's parent while the container runs
orphan_parent_during_run() {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args /bin/sh -c '(sleep 30 & echo $! >/orphan); sleep 3'
	berth run "$@" --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	local run_pid=$! i orphan ppid
	for ((i = 0; i < 50; i++)); do
		[ -s "$ROOTFS/orphan" ] && break
		sleep 0.1
	done
	orphan=$(cat "$ROOTFS/orphan")
	ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$orphan/status")
	tr '\0' ' ' <"/proc/$ppid/cmdline"
	kill "$orphan" 2>/dev/null
	wait "$run_pid"
}

@test "run: in the foreground berth is a subreaper: the container's orphans become its children" {
	local parent
	parent=$(orphan_parent_during_run)
	[[ "$parent" == *" run "*"$CID"* ]] || fail_with "the orphan's parent is '$parent', not the run"
}

@test "run --no-subreaper: the container's orphans are not adopted by the run" {
	local parent
	parent=$(orphan_parent_during_run --no-subreaper)
	[[ "$parent" != *" run "*"$CID"* ]] || fail_with "the run adopted the orphan despite --no-subreaper"
}

@test "run: the container's stdout reaches the caller" {
	set_args echo hello from the container
	run_fg
	expect_status 0
	expect_line "hello from the container"
}

@test "run: the container's stderr reaches the caller" {
	set_args /bin/sh -c 'echo to-stderr >&2'
	status=0
	berth run --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_TMP/out" 2>"$TEST_TMP/err" || status=$?
	expect_status 0
	grep -qx to-stderr "$TEST_TMP/err" || fail_with "stderr: $(cat "$TEST_TMP/err")"
}

@test "run: --detach leaves a running container" {
	run berth_detached run --detach --bundle "$BUNDLE" "$CID"
	expect_status 0
	wait_for_state "$CID" running
	wait_for_output "pause: ready"
}

@test "run: --bundle defaults to the current directory" {
	set_args exit 0
	cd "$BUNDLE"
	run berth run "$CID" </dev/null
	expect_status 0
}

@test "create: --pid-file holds the container's host pid" {
	create_container
	[ -s "$TEST_TMP/$CID.pid" ] || fail_with "pid file is empty or missing"
	[ "$(cat "$TEST_TMP/$CID.pid")" = "$(container_pid)" ] ||
		fail_with "pid file says $(cat "$TEST_TMP/$CID.pid"), state says $(container_pid)"
}

@test "state: the JSON has ociVersion, id, status, pid and bundle" {
	run_container
	run berth state "$CID"
	expect_status 0
	jq -e --arg id "$CID" --arg b "$BUNDLE" \
		'(.ociVersion | type == "string") and .id == $id and .status == "running" and
		 (.pid | type == "number") and .bundle == $b' <<<"$output" >/dev/null ||
		fail_with "state JSON lacks a field or has a wrong value"
	kill -0 "$(jq -r .pid <<<"$output")" || fail_with "the pid in state is not alive"
}

@test "state: a stopped container has status stopped" {
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
}

@test "list: -q prints the ids of all containers" {
	create_container "$CID-a"
	create_container "$CID-b"
	run berth list -q
	expect_status 0
	expect_line "$CID-a"
	expect_line "$CID-b"
}

@test "list: --format json gives id, status, pid and bundle" {
	run_container
	run berth list --format json
	expect_status 0
	jq -e --arg id "$CID" --arg b "$BUNDLE" \
		'map(select(.id == $id)) | length == 1 and .[0].status == "running" and
		 .[0].pid > 0 and .[0].bundle == $b' <<<"$output" >/dev/null ||
		fail_with "list JSON does not describe container '$CID'"
}

@test "list: an empty root lists nothing" {
	run berth list -q
	expect_status 0
	expect_output ""
}

@test "delete: --force removes a running container and kills its process" {
	run_container
	pid=$(container_pid)
	run berth delete --force "$CID"
	expect_status 0
	run berth state "$CID"
	expect_failure
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null || fail_with "process $pid survived delete --force"
}

@test "delete: --force removes a created container" {
	create_container
	run berth delete --force "$CID"
	expect_status 0
	run berth state "$CID"
	expect_failure
}

@test "delete: a deleted container's state directory is gone from --root" {
	set_args exit 0
	run_fg
	run berth list -q
	expect_output ""
}

@test "pause/resume: a paused container is paused and resumes running" {
	run_container
	run berth pause "$CID"
	expect_status 0
	wait_for_state "$CID" paused
	run berth resume "$CID"
	expect_status 0
	wait_for_state "$CID" running
	run berth kill "$CID" USR1
	wait_for_output "pause: got signal 10"
}

@test "ps: --format json lists the container's host pids" {
	run_container
	run berth ps --format json "$CID"
	expect_status 0
	jq -e --argjson p "$(container_pid)" 'index($p) != null' <<<"$output" >/dev/null ||
		fail_with "ps JSON does not hold pid $(container_pid)"
}

@test "exec: runs a second process in the container's namespaces" {
	update_config '.hostname = "exec-host"'
	run_container
	run berth exec "$CID" /bin/testinit hostname
	expect_status 0
	expect_line exec-host
}

@test "exec: returns the exit code of the process" {
	run_container
	run berth exec "$CID" /bin/testinit exit 7
	expect_status 7
}

@test "exec: --process FILE runs the process described there" {
	run_container
	jq '.process | .args = ["/bin/testinit", "cwd"] | .cwd = "/tmp"' "$BUNDLE/config.json" >"$TEST_TMP/process.json"
	run berth exec --process "$TEST_TMP/process.json" "$CID"
	expect_status 0
	expect_line /tmp
}

@test "exec: --detach --pid-file starts a process and writes its pid" {
	run_container
	run berth_detached exec --detach --pid-file "$TEST_TMP/exec.pid" "$CID" /bin/testinit pause
	expect_status 0
	[ -s "$TEST_TMP/exec.pid" ] || fail_with "no exec pid file"
	kill -0 "$(cat "$TEST_TMP/exec.pid")" || fail_with "exec pid is not alive"
}

@test "update: --resources - changes the pids limit of a running container" {
	requires cgroup_v1
	run_container
	echo '{"pids": {"limit": 42}}' >"$TEST_TMP/res.json"
	run berth update --resources - "$CID" <"$TEST_TMP/res.json"
	expect_status 0
	dir=$(host_cgroup_dir pids "$(container_pid)")
	[ "$(cat "$dir/pids.max")" = 42 ] || fail_with "pids.max is $(cat "$dir/pids.max")"
}

@test "events: --stats prints one JSON stats record" {
	not_runtime crun "1.8.1 has no events command"
	run_container
	run berth events --stats "$CID"
	expect_status 0
	jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<<"$output" >/dev/null ||
		fail_with "not a stats event for '$CID'"
}

@test "spec: writes a valid config.json in the bundle" {
	mkdir "$TEST_TMP/spec"
	run berth spec --bundle "$TEST_TMP/spec"
	expect_status 0
	jq -e '(.ociVersion | type == "string") and (.process.args | length > 0) and
	       .root.path == "rootfs" and (.linux.namespaces | length > 0)' \
		"$TEST_TMP/spec/config.json" >/dev/null || fail_with "config.json is not a valid spec"
}

@test "spec: --rootless adds a user namespace with uid and gid mappings" {
	not_runtime crun "1.8.1 spec --rootless adds no user namespace"
	mkdir "$TEST_TMP/spec"
	run berth spec --rootless --bundle "$TEST_TMP/spec"
	expect_status 0
	jq -e '(.linux.namespaces | map(.type) | index("user") != null) and
	       (.linux.uidMappings | length > 0) and (.linux.gidMappings | length > 0)' \
		"$TEST_TMP/spec/config.json" >/dev/null || fail_with "no user namespace in the rootless spec"
}

@test "spec: refuses to overwrite an existing config.json" {
	mkdir "$TEST_TMP/spec"
	echo '{"keep": true}' >"$TEST_TMP/spec/config.json"
	run berth spec --bundle "$TEST_TMP/spec"
	expect_fail_naming config.json
	jq -e '.keep == true' "$TEST_TMP/spec/config.json" >/dev/null ||
		fail_with "the existing config.json was changed"
}

@test "features: prints JSON with ociVersionMin and ociVersionMax" {
	not_runtime crun "1.8.1 has no features command"
	run berth features
	expect_status 0
	jq -e '(.ociVersionMin | type == "string") and (.ociVersionMax | type == "string")' \
		<<<"$output" >/dev/null || fail_with "features JSON lacks ociVersionMin/Max"
}

@test "features: AppArmor and SELinux support is reported (whether the host enables them or not)" {
	not_runtime crun "1.8.1 has no features command"
	run berth features
	expect_status 0
	jq -e '.linux.apparmor.enabled and .linux.selinux.enabled' <<<"$output" >/dev/null ||
		fail_with "features: apparmor/selinux not reported as supported"
}

@test "--version: prints the version and the spec version" {
	run berth --version
	expect_status 0
	expect_output_contains version spec
}

@test "kill: SIGKILL to a created container stops it" {
	create_container
	run berth kill "$CID" KILL
	expect_status 0
	wait_for_state "$CID" stopped
	run berth delete "$CID"
	expect_status 0
}

@test "delete: --force stops a container that a foreground run is waiting for" {
	not_runtime crun "1.8.1's run and delete race to remove the state directory"
	berth run --bundle "$BUNDLE" "$CID" </dev/null >>"$CTR_OUT" 2>&1 &
	bg=$!
	wait_for_output "pause: ready"
	pid=$(container_pid)
	BERTH_TIMEOUT=20 run berth delete --force "$CID"
	expect_status 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null || fail_with "process $pid survived delete --force"
	wait "$bg" || true # the foreground run ends with the container (bare `wait` would
	# also wait for bats' timeout watchdog)
}
