#!/usr/bin/env bats
# exec beyond the basics in lifecycle.bats: the calls containerd's runc shim and conmon make
# (--process FILE --detach --pid-file, with and without --console-socket), and exec into
# containers that cannot take one.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# process_json ARGS-JSON [JQ-EXPR]: a process.json from the bundle's process
process_json() {
	jq --argjson a "$1" ".process | .args = \$a | ${2:-.}" "$BUNDLE/config.json" >"$TEST_TMP/process.json"
}

@test "exec: the process joins the container's pid namespace and cgroup" {
	run_container
	run berth exec "$CID" /bin/sh -c 'cat /proc/self/cgroup; /bin/testinit pid'
	expect_status 0
	expect_output_contains "berth-test-$CID"
	pid=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' <<<"$output")
	[ "$pid" -gt 1 ] && [ "$pid" -lt 1000 ] || fail_with "exec pid $pid is not in the container's pid namespace"
}

@test "exec: env, cwd and user come from process.json" {
	run_container
	process_json '["/bin/sh", "-c", "/bin/testinit id; /bin/testinit cwd; echo X=$X"]' \
		'.env += ["X=from-exec"] | .cwd = "/tmp" | .user = {"uid": 1000, "gid": 1000}'
	run berth exec --process "$TEST_TMP/process.json" "$CID"
	expect_status 0
	expect_line "uid=1000 gid=1000 groups="
	expect_line /tmp
	expect_line X=from-exec
}

@test "exec: --process --console-socket --detach --pid-file gives the process a tty (the shim's call)" {
	run_container
	process_json '["/bin/testinit", "tty"]' '.terminal = true'
	"$RECVTTY" "$TEST_TMP/tty.sock" >"$TEST_TMP/tty.out" 2>"$TEST_TMP/tty.err" &
	rpid=$!
	for _ in $(seq 50); do [ -S "$TEST_TMP/tty.sock" ] && break; sleep 0.1; done
	run berth_detached exec --process "$TEST_TMP/process.json" --console-socket "$TEST_TMP/tty.sock" \
		--detach --pid-file "$TEST_TMP/exec.pid" "$CID"
	expect_status 0
	[ -s "$TEST_TMP/exec.pid" ] || fail_with "no exec pid file"
	for _ in $(seq 50); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
	kill "$rpid" 2>/dev/null || true
	output=$(tr -d '\r' <"$TEST_TMP/tty.out")
	expect_line "stdin isatty=1 stdout isatty=1"
}

@test "exec: into a stopped container fails and says it is not running" {
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
	run berth exec "$CID" /bin/testinit exit 0
	expect_failure
	[[ "$output" == *stopped* || "$output" == *"not running"* ]] ||
		fail_with "expected the message to say 'stopped' or 'not running'"
}

@test "exec: into an unknown container fails" {
	run berth exec "no-such-$CID" /bin/testinit exit 0
	expect_failure
}

@test "exec: a binary missing from the rootfs fails and names it" {
	run_container
	run berth exec "$CID" /bin/no-such-binary
	expect_fail_naming no-such-binary
	[ "$(state_of "$CID")" = running ] || fail_with "the container died"
}

@test "exec: the container keeps running after the exec'd process exits" {
	run_container
	run berth exec "$CID" /bin/testinit exit 0
	expect_status 0
	[ "$(state_of "$CID")" = running ] || fail_with "container is '$(state_of "$CID")'"
}

@test "exec --cgroup controller:path: the process joins that existing sub-cgroup of the container, the other hierarchies stay" {
	requires cgroup_v1
	set_args pause
	run_container
	local mem cpu
	mem=$(host_cgroup_dir memory "$(container_pid)")
	cpu=$(host_cgroup_dir pids "$(container_pid)")
	mkdir "$mem/sub"
	run berth exec --cgroup memory:sub "$CID" /bin/testinit cat /proc/self/cgroup
	rmdir "$mem/sub" 2>/dev/null
	expect_status 0
	[[ "$output" == *"memory:${mem#/sys/fs/cgroup/memory}/sub"* ]] ||
		fail_with "memory cgroup is not the sub-cgroup"
	[[ "$output" == *"pids:${cpu#/sys/fs/cgroup/pids}"$'\n'* || "$output" == *"pids:${cpu#/sys/fs/cgroup/pids}" ]] ||
		fail_with "the pids cgroup changed"
}

@test "exec --cgroup path: every hierarchy needs that sub-cgroup; a missing one is named" {
	requires berth -- "berth's wording"
	requires cgroup_v1
	set_args pause
	run_container
	local mem
	mem=$(host_cgroup_dir memory "$(container_pid)")
	mkdir "$mem/only-here"
	run berth exec --cgroup only-here "$CID" /bin/testinit exit 0
	rmdir "$mem/only-here"
	expect_fail_naming "--cgroup 'only-here'" "only-here"
	[ "$(state_of "$CID")" = running ] || fail_with "the container died"
}

@test "exec --cgroup: a path that climbs out of the container's cgroup is refused" {
	requires berth -- "berth's wording"
	set_args pause
	run_container
	run berth exec --cgroup ../escape "$CID" /bin/testinit exit 0
	expect_fail_naming "--cgroup '../escape'" ".."
	run berth exec --cgroup memory:/abs "$CID" /bin/testinit exit 0
	expect_fail_naming "--cgroup 'memory:/abs'" "relative"
}

# regression: issue #15 (HOME from the container's /etc/passwd, as runc and crun)
@test "exec: without HOME in the environment, HOME is the user's home from /etc/passwd" {
	echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$ROOTFS/etc/passwd"
	run_container
	run berth exec "$CID" /bin/testinit env
	expect_status 0
	expect_line "HOME=/root"
	run berth exec --user 1000:1000 "$CID" /bin/testinit env
	expect_status 0
	expect_line "HOME=/home/app"
	run berth exec --env HOME=/x "$CID" /bin/testinit env
	expect_status 0
	expect_line "HOME=/x"
}
