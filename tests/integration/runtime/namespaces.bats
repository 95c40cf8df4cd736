#!/usr/bin/env bats
# linux.namespaces: each type is created (the container sees a namespace the host does not
# have), omitted types are shared with the host, and a path joins an existing one.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# ns_inside TYPE: the container's /proc/self/ns/TYPE link, e.g. "net:[4026532008]"
ns_inside() {
	set_args readlink "/proc/self/ns/$1"
	run_fg
	expect_status 0 || return 1
	echo "$output"
}

@test "pid: the container's process is pid 1 of its namespace" {
	set_args pid
	run_fg
	expect_status 0
	expect_output_contains "pid=1 "
}

@test "pid: the host sees the container's process under another pid" {
	run_container
	pid=$(container_pid)
	[ "$pid" -gt 1 ] || fail_with "host pid is $pid"
	grep -q "^NSpid:[[:space:]]*$pid[[:space:]]*1$" "/proc/$pid/status" ||
		fail_with "NSpid is not '$pid 1': $(grep NSpid "/proc/$pid/status")"
}

@test "uts: the hostname is set in a new uts namespace" {
	update_config '.hostname = "box-one"'
	set_args hostname
	run_fg
	expect_status 0
	expect_output box-one
	[ "$(hostname)" != box-one ] || fail_with "the host's hostname changed"
}

# runc 1.1.5 ignores the domainname field (support came in runc 1.2).
@test "uts: the domainname is set in a new uts namespace" {
	requires berth -- "runc 1.1.5 ignores domainname"
	update_config '.domainname = "example.test"'
	set_args domainname
	run_fg
	expect_status 0
	expect_output example.test
}

@test "ipc: the container has its own ipc namespace" {
	inside=$(ns_inside ipc)
	[ "$inside" != "$(readlink /proc/self/ns/ipc)" ] || fail_with "ipc namespace shared with the host"
}

@test "net: a new network namespace holds only lo" {
	set_args cat /proc/net/dev
	run_fg
	expect_status 0
	ifaces=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' <<<"$output" | sort | tr '\n' ' ')
	[ "$ifaces" = "lo " ] || fail_with "interfaces are '$ifaces', expected only lo"
}

@test "net: without a network namespace the container shares the host's" {
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	inside=$(ns_inside net)
	[ "$inside" = "$(readlink /proc/self/ns/net)" ] || fail_with "net ns $inside is not the host's"
}

@test "net: a namespace path joins an existing network namespace" {
	touch "$TEST_TMP/netns"
	unshare --net="$TEST_TMP/netns" true
	want=$(stat -L -c %i "$TEST_TMP/netns")
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		--arg p "$TEST_TMP/netns"
	inside=$(ns_inside net)
	[ "$inside" = "net:[$want]" ] || fail_with "joined $inside, expected net:[$want]"
}

@test "net: a namespace path that does not exist fails and names it" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		--arg p "$TEST_TMP/no-such-netns"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming no-such-netns
}

@test "mount: the container has its own mount namespace" {
	inside=$(ns_inside mnt)
	[ "$inside" != "$(readlink /proc/self/ns/mnt)" ] || fail_with "mount namespace shared with the host"
}

# mounts of the host under $TEST_TMP (the bundle): mount points, one a line
mounts_under_bundle() {
	awk -v t="$TEST_TMP" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo
}

@test "mount: without a mount namespace the container's mounts live under its rootfs in the host's table until delete" {
	requires berth -- "runc 1.1.5 fails such a config on its maskedPaths"
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	set_args pause
	run_container
	[ "$(readlink "/proc/$(container_pid)/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ] ||
		fail_with "the init has a mount namespace of its own"
	run mounts_under_bundle
	expect_line "$ROOTFS"
	expect_line "$ROOTFS/proc"
	bad=$(mounts_under_bundle | grep -v "^$ROOTFS" || true)
	[ -z "$bad" ] || fail_with "mounts outside the rootfs: $bad"
	run berth delete --force "$CID"
	expect_status 0
	run mounts_under_bundle
	[ -z "$output" ] || fail_with "delete left mounts behind: $output"
}

@test "mount: without a mount namespace the root is the rootfs, and exec enters it too" {
	requires berth -- "runc 1.1.5 fails such a config on its maskedPaths"
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	set_args pause
	run_container
	echo marker >"$ROOTFS/only-in-rootfs"
	run berth exec "$CID" sh -c 'cat /only-in-rootfs; pwd; ls /bin/testinit'
	expect_status 0
	expect_line marker
	expect_line /
	expect_line /bin/testinit
}

@test "mount: without a mount namespace the container's mounts do not propagate to the host's peers" {
	local share=$TEST_TMP/share peer=$TEST_TMP/peer
	mkdir -p "$share" "$peer"
	mount --bind "$share" "$share"
	mount --make-shared "$share"
	mount --bind "$share" "$peer"
	cp -a "$BUNDLE" "$share/bundle"
	BUNDLE=$share/bundle
	requires berth -- "runc 1.1.5 fails such a config on its maskedPaths"
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	set_args pause
	run_container
	mountpoint -q "$share/bundle/rootfs/proc" || fail_with "no /proc mounted in the container"
	! mountpoint -q "$peer/bundle/rootfs/proc" || fail_with "the container's /proc reached a peer"
	run berth delete --force "$CID"
	expect_status 0
	run awk -v t="$TEST_TMP" 'index($5, t) == 1 && $5 ~ /rootfs/ { print $5 }' /proc/self/mountinfo
	[ -z "$output" ] || fail_with "mounts left behind: $output"
}

@test "mount: without a mount namespace a failed create leaves no mount behind" {
	requires berth -- "runc 1.1.5 fails such a config on its maskedPaths"
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .mounts += [{"destination": "/bad", "type": "no-such-fs", "source": "x"}]'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "/bad"
	run mounts_under_bundle
	[ -z "$output" ] || fail_with "mounts left behind: $output"
	run berth state "$CID"
	expect_failure
}

@test "mount: without a mount namespace a process that exits leaves its mounts until delete" {
	requires berth -- "runc 1.1.5 fails such a config on its maskedPaths"
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	set_args true
	run_container
	wait_for_state "$CID" stopped
	run mounts_under_bundle
	expect_line "$ROOTFS"
	run berth delete "$CID"
	expect_status 0
	run mounts_under_bundle
	[ -z "$output" ] || fail_with "delete left mounts behind: $output"
}

@test "uts: the container has its own uts namespace" {
	inside=$(ns_inside uts)
	[ "$inside" != "$(readlink /proc/self/ns/uts)" ] || fail_with "uts namespace shared with the host"
}

@test "cgroup: in a cgroup namespace the container's cgroups are roots" {
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	set_args cat /proc/self/cgroup
	run_fg
	expect_status 0
	expect_line "0::/"
	bad=$(grep -v ':/$' <<<"$output" || true)
	[ -z "$bad" ] || fail_with "cgroups not at the namespace root: $bad"
}

@test "cgroup: without a cgroup namespace the container sees its host cgroup path" {
	set_args cat /proc/self/cgroup
	run_fg
	expect_status 0
	expect_output_contains "berth-test-$CID"
}

@test "user: mapped uid 0 is root inside and the mapped uid outside" {
	requires userns
	not_crun_userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_args /bin/sh -c '/bin/testinit id; exec /bin/testinit pause'
	run_container
	wait_for_output "uid=0 gid=0"
	pid=$(container_pid)
	grep -q "^Uid:[[:space:]]*100000[[:space:]]" "/proc/$pid/status" ||
		fail_with "host sees $(grep Uid: "/proc/$pid/status"), expected 100000"
	grep -q "^Gid:[[:space:]]*100000[[:space:]]" "/proc/$pid/status" ||
		fail_with "host sees $(grep Gid: "/proc/$pid/status"), expected 100000"
	[ "$(awk '{ print $1, $2, $3 }' "/proc/$pid/uid_map")" = "0 100000 65536" ] ||
		fail_with "uid_map is $(cat "/proc/$pid/uid_map")"
}

@test "user: a uid outside the mapping is refused" {
	requires userns
	not_crun_userns
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 1000}]
		| .process.user.uid = 5000'
	set_args id
	run_fg
	expect_failure
}

# runc 1.1.5 predates time namespace support (runc 1.2 added it).
@test "time: monotonic and boottime offsets apply in a time namespace" {
	requires timens berth -- "runc 1.1.5 has no time namespace support"
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 31536000, "nanosecs": 0},
					"boottime": {"secs": 63072000, "nanosecs": 0}}'
	set_args clock
	run_fg
	expect_status 0
	host_mono=$(awk '{ print int($1) }' /proc/uptime)
	mono=$(awk '$1 == "monotonic" { print $2 }' <<<"$output")
	boot=$(awk '$1 == "boottime" { print $2 }' <<<"$output")
	[ "$mono" -ge 31536000 ] || fail_with "monotonic $mono has no one-year offset"
	[ "$boot" -ge $((63072000 + host_mono - 5)) ] || fail_with "boottime $boot has no two-year offset"
}

@test "pid: a namespace path joins another container's pid namespace" {
	run_container "$CID-a"
	pid_a=$(container_pid "$CID-a")
	update_config '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)
		| .linux.cgroupsPath += "-b"' --arg p "/proc/$pid_a/ns/pid"
	set_args /bin/sh -c '/bin/testinit readlink /proc/self/ns/pid; /bin/testinit cat /proc/1/cmdline | tr "\\0" " "'
	run berth run --bundle "$BUNDLE" "$CID-b" </dev/null
	expect_status 0
	expect_line "$(readlink "/proc/$pid_a/ns/pid")"
	expect_output_contains "/bin/testinit pause"
}

@test "uts: a namespace path joins another container's uts namespace" {
	update_config '.hostname = "first-box"'
	run_container "$CID-a"
	pid_a=$(container_pid "$CID-a")
	update_config 'del(.hostname) | .linux.namespaces |= map(if .type == "uts" then .path = $p else . end)
		| .linux.cgroupsPath += "-b"' --arg p "/proc/$pid_a/ns/uts"
	set_args hostname
	run berth run --bundle "$BUNDLE" "$CID-b" </dev/null
	expect_status 0
	expect_output first-box
}

# regression: issue #15 (`stat source ...: Permission denied`). In a user namespace the
# container's root is not the host's: a source under a 0700 root-owned directory is out of
# its reach, yet runc and crun mount it (the runtime's root opens it).
@test "user: bind sources only the host's root can reach are mounted, their options kept" {
	requires userns root
	not_crun_userns
	mkdir -p "$TEST_TMP/secret/inner"
	echo inner >"$TEST_TMP/secret/inner/f"
	echo file >"$TEST_TMP/secret/file"
	chmod 0700 "$TEST_TMP/secret"
	chmod 0755 "$TEST_TMP/secret/inner"
	# the rootfs is the host root's: the container's root could not create these
	mkdir -p "$ROOTFS/data"
	touch "$ROOTFS/fmnt"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["rbind"]},
			{"destination": "/fmnt", "type": "bind", "source": $f, "options": ["bind", "ro"]}]' \
		--arg s "$TEST_TMP/secret/inner" --arg f "$TEST_TMP/secret/file"
	set_args /bin/sh -c '/bin/testinit cat /data/f /fmnt; /bin/testinit write /fmnt x'
	run_fg
	expect_line inner
	expect_line file
	# the "ro" option still holds on the bind the parent's fd gave
	expect_output_contains "Read-only file system"
}
