#!/usr/bin/env bats
# mounts[], root.readonly, rootfsPropagation and --no-pivot, checked from inside through
# /proc/self/mountinfo (field 5 is the mount point, 6 the per-mount options, after " - "
# the fs type, source and superblock options).

load ../helpers

setup() {
	setup_bundle
	mkdir -p "$TEST_TMP/data"
	echo host-data >"$TEST_TMP/data/file"
}

teardown() {
	teardown_bundle
}

# add_mount JSON: appends one mount to config.json
add_mount() {
	update_config '.mounts += [$m]' --argjson m "$1"
}

# mount_line MOUNTPOINT: the mountinfo line for MOUNTPOINT in $output (the last one wins)
mount_line() {
	awk -v m="$1" '$5 == m { line = $0 } END { print line }' <<<"$output"
}

# fstype_of MOUNTPOINT
fstype_of() {
	mount_line "$1" | sed 's/.* - //' | awk '{ print $1 }'
}

@test "mounts: proc is mounted at /proc" {
	set_args mountinfo
	run_fg
	expect_status 0
	[ "$(fstype_of /proc)" = proc ] || fail_with "/proc is '$(fstype_of /proc)'"
}

@test "mounts: sysfs is mounted read-only at /sys" {
	set_args mountinfo
	run_fg
	expect_status 0
	[ "$(fstype_of /sys)" = sysfs ] || fail_with "/sys is '$(fstype_of /sys)'"
	[[ " $(mount_line /sys | awk '{ print $6 }' | tr , ' ') " == *" ro "* ]] ||
		fail_with "/sys is not ro: $(mount_line /sys)"
}

@test "mounts: a tmpfs gets its size and mode options" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
		    "options": ["nosuid", "size=1m", "mode=0710"]}'
	set_args /bin/sh -c '/bin/testinit mountinfo; /bin/testinit stat /scratch'
	run_fg
	expect_status 0
	[ "$(fstype_of /scratch)" = tmpfs ] || fail_with "/scratch is '$(fstype_of /scratch)'"
	expect_output_contains "size=1024k"
	expect_line "dir 0710 0 0 0:0"
}

@test "mounts: the mount destination is created when missing" {
	add_mount '{"destination": "/new/deep/dir", "type": "tmpfs", "source": "tmpfs"}'
	set_args mountinfo
	run_fg
	expect_status 0
	[ "$(fstype_of /new/deep/dir)" = tmpfs ] || fail_with "/new/deep/dir is not a tmpfs"
}

@test "mounts: devpts is mounted at /dev/pts with a private instance" {
	set_args mountinfo
	run_fg
	expect_status 0
	[ "$(fstype_of /dev/pts)" = devpts ] || fail_with "/dev/pts is '$(fstype_of /dev/pts)'"
	[[ "$(mount_line /dev/pts)" == *ptmxmode=666* ]] || fail_with "ptmxmode not set: $(mount_line /dev/pts)"
}

@test "mounts: mqueue is mounted at /dev/mqueue" {
	set_args mountinfo
	run_fg
	expect_status 0
	[ "$(fstype_of /dev/mqueue)" = mqueue ] || fail_with "/dev/mqueue is '$(fstype_of /dev/mqueue)'"
}

@test "mounts: a cgroup mount shows the container's cgroups under /sys/fs/cgroup" {
	set_args /bin/sh -c '/bin/testinit mountinfo; /bin/testinit ls /sys/fs/cgroup'
	run_fg
	expect_status 0
	grep -qE ' /sys/fs/cgroup(/[^ ]*)? .* - cgroup2? ' <<<"$output" ||
		fail_with "no cgroup filesystem under /sys/fs/cgroup"
	grep -qxE 'pids|cgroup.controllers' <<<"$output" || fail_with "/sys/fs/cgroup lists neither pids nor cgroup.controllers"
}

@test "mounts: a read-only bind mount refuses writes with EROFS" {
	add_mount "$(jq -n --arg s "$TEST_TMP/data" '{destination: "/data", type: "bind", source: $s,
		options: ["rbind", "ro"]}')"
	set_args /bin/sh -c '/bin/testinit cat /data/file; /bin/testinit write /data/new x'
	run_fg
	expect_failure
	expect_line host-data
	expect_output_contains "Read-only file system (errno 30)"
	[ ! -e "$TEST_TMP/data/new" ] || fail_with "the write reached the host"
}

@test "mounts: a read-write bind mount writes through to the host" {
	add_mount "$(jq -n --arg s "$TEST_TMP/data" '{destination: "/data", type: "bind", source: $s,
		options: ["bind"]}')"
	set_args write /data/new from-container
	run_fg
	expect_status 0
	[ "$(cat "$TEST_TMP/data/new")" = from-container ] || fail_with "host file: $(cat "$TEST_TMP/data/new")"
}

@test "mounts: nosuid, nodev and noexec on a bind mount are in mountinfo" {
	add_mount "$(jq -n --arg s "$TEST_TMP/data" '{destination: "/data", type: "bind", source: $s,
		options: ["bind", "nosuid", "nodev", "noexec"]}')"
	set_args mountinfo
	run_fg
	expect_status 0
	opts=" $(mount_line /data | awk '{ print $6 }' | tr , ' ') "
	for o in nosuid nodev noexec; do
		[[ "$opts" == *" $o "* ]] || fail_with "/data lacks $o: $(mount_line /data)"
	done
}

@test "mounts: a bind mount of a single file" {
	add_mount "$(jq -n --arg s "$TEST_TMP/data/file" '{destination: "/etc/injected", type: "bind",
		source: $s, options: ["bind", "ro"]}')"
	set_args cat /etc/injected
	run_fg
	expect_status 0
	expect_output host-data
}

@test "mounts: rbind carries submounts, bind does not" {
	mkdir -p "$TEST_TMP/data/sub"
	mount -t tmpfs -o size=1m tmpfs "$TEST_TMP/data/sub"
	echo in-submount >"$TEST_TMP/data/sub/marker"
	add_mount "$(jq -n --arg s "$TEST_TMP/data" '{destination: "/r", type: "bind", source: $s,
		options: ["rbind"]}')"
	add_mount "$(jq -n --arg s "$TEST_TMP/data" '{destination: "/b", type: "bind", source: $s,
		options: ["bind"]}')"
	set_args /bin/sh -c '/bin/testinit cat /r/sub/marker; /bin/testinit ls /b/sub; echo done'
	run_fg
	expect_status 0
	expect_line in-submount
	expect_output_not_contains marker
}

@test "mounts: a bind source that does not exist fails and names it" {
	add_mount "$(jq -n --arg s "$TEST_TMP/no-such-source" '{destination: "/data", type: "bind",
		source: $s, options: ["bind"]}')"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming no-such-source
}

# A rootfs is untrusted: a destination that walks through a symlink pointing outside the
# rootfs (relative with .., or absolute) must be resolved inside it (runc: securejoin, crun:
# openat2 RESOLVE_IN_ROOT). The target exists both on the host and in the rootfs; a runtime
# that follows the link on the host mounts where the container cannot see it.
@test "mounts: a destination through a relative symlink escaping the rootfs stays inside" {
	mkdir "$TEST_TMP/escape" "$ROOTFS/escape"
	ln -s ../../escape "$ROOTFS/evil"
	add_mount '{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}'
	set_args mountinfo
	run_fg
	expect_status 0
	[ "$(fstype_of /escape)" = tmpfs ] || fail_with "the tmpfs is not at /escape inside the container"
}

@test "mounts: a destination through an absolute symlink stays inside the rootfs" {
	mkdir -p "$TEST_TMP/escape" "$ROOTFS$TEST_TMP/escape"
	ln -s "$TEST_TMP/escape" "$ROOTFS/evil"
	add_mount '{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"}'
	set_args mountinfo
	run_fg
	expect_status 0
	[ "$(fstype_of "$TEST_TMP/escape")" = tmpfs ] ||
		fail_with "the tmpfs is not at $TEST_TMP/escape inside the container"
}

@test "root.readonly: the root filesystem is read-only" {
	update_config '.root.readonly = true'
	set_args /bin/sh -c '/bin/testinit mountinfo; /bin/testinit write /newfile x'
	run_fg
	expect_failure
	expect_output_contains "Read-only file system (errno 30)"
	opts=" $(mount_line / | awk '{ print $6 }' | tr , ' ') "
	[[ "$opts" == *" ro "* ]] || fail_with "/ is not ro: $(mount_line /)"
	[ ! -e "$ROOTFS/newfile" ] || fail_with "the write reached the rootfs"
}

@test "root.readonly: mounts on top of a read-only root stay writable" {
	update_config '.root.readonly = true'
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs"}'
	set_args write /scratch/x y
	run_fg
	expect_status 0
}

@test "rootfsPropagation: shared makes the root mount a shared peer" {
	not_runtime runc "1.1.5 leaves the rootfs mount private (it fails runtime-tools linux_rootfs_propagation too)"
	update_config '.linux.rootfsPropagation = "shared"'
	set_args mountinfo
	run_fg
	expect_status 0
	[[ "$(mount_line /)" == *" shared:"* ]] || fail_with "/ is not shared: $(mount_line /)"
}

@test "rootfsPropagation: private (the default) leaves the root mount unshared" {
	update_config '.linux.rootfsPropagation = "private"'
	set_args mountinfo
	run_fg
	expect_status 0
	[[ "$(mount_line /)" != *" shared:"* ]] || fail_with "/ is shared: $(mount_line /)"
}

@test "rootfsPropagation: an unknown value fails and names it" {
	not_runtime crun "1.8.1 ignores an unknown rootfsPropagation"
	update_config '.linux.rootfsPropagation = "sideways"'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming sideways
}

@test "--no-pivot: the container runs in its rootfs without pivot_root" {
	set_args /bin/sh -c '/bin/testinit cat /etc/hostname; /bin/testinit ls /'
	run berth run --no-pivot --bundle "$BUNDLE" "$CID" </dev/null
	expect_status 0
	expect_line berth-test
	expect_output_not_contains "berth-test."
	expect_line bin
}
