#!/usr/bin/env bats
# /dev inside the container: the default devices with their major:minor and mode,
# linux.devices nodes, /dev/pts, /dev/shm and the /dev/fd, /dev/std* symlinks.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

@test "dev: the default devices exist with the right type, mode and major:minor" {
	set_args /bin/sh -c 'for d in null zero full random urandom tty; do /bin/testinit stat /dev/$d; done'
	run_fg
	expect_status 0
	expect_line "char 0666 0 0 1:3"
	expect_line "char 0666 0 0 1:5"
	expect_line "char 0666 0 0 1:7"
	expect_line "char 0666 0 0 1:8"
	expect_line "char 0666 0 0 1:9"
	expect_line "char 0666 0 0 5:0"
}

@test "dev: the default devices are usable (write to null, read from zero)" {
	set_args /bin/sh -c 'echo x > /dev/null && head -c 4 /dev/zero | od -An -tx1'
	run_fg
	expect_status 0
	expect_output_contains "00 00 00 00"
}

@test "dev: a linux.devices entry creates a node with its mode, uid and gid" {
	update_config '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
		"fileMode": 432, "uid": 1000, "gid": 1001}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]'
	set_args stat /dev/mynull
	run_fg
	expect_status 0
	expect_line "char 0660 1000 1001 1:3"
}

@test "dev: a linux.devices entry in a subdirectory creates the directory" {
	update_config '.linux.devices = [{"path": "/dev/sub/dir/zero", "type": "c", "major": 1, "minor": 5}]'
	set_args stat /dev/sub/dir/zero
	run_fg
	expect_status 0
	expect_output_contains "char "
	expect_output_contains " 1:5"
}

@test "dev: a host device bound in but not allowed by the device cgroup cannot be opened" {
	requires cgroup_v1
	update_config '.mounts += [{"destination": "/dev/kmsg", "type": "bind", "source": "/dev/kmsg",
		"options": ["bind"]}]'
	set_args cat /dev/kmsg
	run_fg
	expect_failure
	expect_output_contains "Operation not permitted"
}

# regression: issue #15. A linux.devices entry makes a node, it adds no device cgroup
# rule: only linux.resources.devices decides access (runc and crun agree).
@test "dev: a linux.devices entry does not override a deny-all linux.resources.devices (/dev/kmsg)" {
	requires cgroup_v1
	update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11,
		"fileMode": 420}] | .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args /bin/sh -c 'echo "berth-test: device cgroup broken" > /dev/kmsg && echo WROTE'
	run_fg
	expect_failure
	expect_output_contains "Operation not permitted"
	expect_output_not_contains "WROTE"
}

# regression: issue #15. char 1:200 has no driver: an open the device cgroup refuses
# fails with EPERM, one it lets through with ENXIO.
@test "dev: a linux.devices node is opened only when linux.resources.devices allows it" {
	requires cgroup_v1
	update_config '.linux.devices = [{"path": "/dev/unserved", "type": "c", "major": 1, "minor": 200}]'
	set_args cat /dev/unserved
	run_fg
	expect_failure
	expect_output_contains "Operation not permitted"
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 200, "access": "rwm"}]'
	run_fg
	expect_failure
	expect_output_contains "No such device or address"
}

@test "dev: /dev/pts is a devpts and /dev/ptmx points into it" {
	set_args /bin/sh -c '/bin/testinit stat /dev/pts; /bin/testinit stat /dev/ptmx; /bin/testinit readlink /dev/ptmx'
	run_fg
	expect_status 0
	expect_output_contains "dir "
	expect_line "pts/ptmx"
}

@test "dev: /dev/shm is a writable tmpfs" {
	set_args /bin/sh -c '/bin/testinit write /dev/shm/x y && /bin/testinit mountinfo'
	run_fg
	expect_status 0
	grep -qE ' /dev/shm .* - tmpfs ' <<<"$output" || fail_with "/dev/shm is not a tmpfs"
}

@test "dev: /dev/fd, /dev/stdin, /dev/stdout and /dev/stderr are the usual symlinks" {
	set_args /bin/sh -c 'for l in fd stdin stdout stderr; do echo "$l=$(/bin/testinit readlink /dev/$l)"; done'
	run_fg
	expect_status 0
	expect_line "fd=/proc/self/fd"
	expect_line "stdin=/proc/self/fd/0"
	expect_line "stdout=/proc/self/fd/1"
	expect_line "stderr=/proc/self/fd/2"
}

@test "dev: /dev holds no host device beyond the defaults" {
	set_args ls /dev
	run_fg
	expect_status 0
	for d in sda vda kmsg mem port loop0; do
		expect_output_not_contains "$d" || return 1
	done
}

# regression: issue #15. A user namespace may not mknod, so its devices are bind mounts;
# a node the host lacks (here /dev/berth-null, 1:3) must still be there, with the config's
# mode, owned by the host ids its uid/gid map to. runc 1.1.5 binds the host's path and
# fails. crun 1.8.1 would give it too, but chowns the host's /dev/null on the way
# (not_crun_userns). The test checks that the host's /dev/null is left alone.
@test "devices: a linux.devices node the host lacks is available in a user namespace container" {
	requires userns root
	not_runtime runc "1.1.5 binds the host's /dev/berth-null, which does not exist"
	not_crun_userns
	local before
	before=$(stat -c '%u:%g %a %Z' /dev/null)
	[ ! -e /dev/berth-null ] || skip "the host has /dev/berth-null"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.devices = [{"path": "/dev/berth-null", "type": "c", "major": 1, "minor": 3,
			"fileMode": 438, "uid": 0, "gid": 0}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3,
			"access": "rwm"}]'
	set_args /bin/sh -c '/bin/testinit stat /dev/berth-null; echo x >/dev/berth-null && echo wrote'
	run_fg
	expect_status 0
	expect_line wrote
	expect_line "char 0666 0 0 1:3"
	[ ! -e /dev/berth-null ] || fail_with "the host got a /dev/berth-null"
	[ "$(stat -c '%u:%g %a %Z' /dev/null)" = "$before" ] ||
		fail_with "the host's /dev/null changed: $before -> $(stat -c '%u:%g %a %Z' /dev/null)"
}
