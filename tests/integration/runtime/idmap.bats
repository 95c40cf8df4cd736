#!/usr/bin/env bats
# Idmapped bind mounts: mounts[].uidMappings / gidMappings and the idmap / ridmap options
# (runtime-spec 1.1). An extent {containerID, hostID, size} shows a file stored with id
# containerID (in the source filesystem) as hostID, an id of the host's user namespace;
# a container with its own user namespace then sees that id through its own mapping.
# This is the kernel's and runc 1.2's meaning (runc's tests/integration/idmap.bats).
# runc 1.1.5, the runc installed here, predates idmapped mounts: the tests are berth's.

load ../helpers

setup() {
	requires root
	# open_tree, the helper's id maps and mount_setattr need CAP_SYS_ADMIN over the host's
	# mounts, ids and superblocks: not under `unshare -r`
	[ "$(awk '{ print $1, $2, $3 }' /proc/self/uid_map)" = "0 0 4294967295" ] ||
		skip "needs the initial user namespace"
	setup_bundle
	SRC=$TEST_TMP/src
	mkdir -p "$SRC"
	echo data >"$SRC/by-root"
	echo data >"$SRC/by-1000"
	chown 0:0 "$SRC/by-root"
	chown 1000:1000 "$SRC/by-1000"
	chmod 0777 "$SRC"
}

teardown() {
	teardown_bundle
}

# idmap_mount DEST UIDMAP GIDMAP [OPTIONS_JSON]: a bind of $SRC at DEST; maps are
# "ctr:host:size[,ctr:host:size...]"
idmap_mount() {
	local opts=${4:-'["bind"]'}
	update_config '.mounts += [{"destination": $d, "type": "bind", "source": $s,
		"options": $o, "uidMappings": $u, "gidMappings": $g}]' \
		--arg d "$1" --arg s "$SRC" --argjson o "$opts" \
		--argjson u "$(maps_json "$2")" --argjson g "$(maps_json "$3")"
}

maps_json() {
	tr , '\n' <<<"$1" | awk -F: '{ printf "%s{\"containerID\": %s, \"hostID\": %s, \"size\": %s}",
		(NR > 1 ? "," : "["), $1, $2, $3 } END { print "]" }'
}

container_userns() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	# the rootfs is the host root's, unmapped in the container: it cannot mkdir there
	mkdir -p "$ROOTFS/data"
}

requires_idmap_runtime() {
	requires berth -- "runc 1.1.5 has no idmapped mounts (runc 1.2 added them)"
}

@test "idmap: without a user namespace, files stored as containerID show as hostID" {
	requires_idmap_runtime
	idmap_mount /data 1000:0:1 1000:0:1
	set_args /bin/sh -c '/bin/testinit stat /data/by-1000; /bin/testinit stat /data/by-root'
	run_fg
	expect_status 0
	expect_line "file 0644 0 0 0:0"
	# stored as 0, which the mapping leaves out: the overflow id
	expect_line "file 0644 65534 65534 0:0"
}

@test "idmap: a file root creates through the mount is stored with the mapped id" {
	requires_idmap_runtime
	# the kernel refuses writes to a directory whose owner the mapping leaves out
	chown 1000:2000 "$SRC"
	idmap_mount /data 1000:0:1 2000:0:1
	set_args /bin/sh -c 'echo new >/data/created && /bin/testinit stat /data/created'
	run_fg
	expect_status 0
	expect_line "file 0644 0 0 0:0"
	[ "$(stat -c %u:%g "$SRC/created")" = 1000:2000 ] ||
		fail_with "host sees $(stat -c %u:%g "$SRC/created"), expected 1000:2000"
}

@test "idmap: a write by an id the mapping leaves out fails" {
	requires_idmap_runtime
	idmap_mount /data 1000:5:1 1000:5:1
	set_args /bin/sh -c 'echo new >/data/created'
	run_fg
	expect_failure
	[ ! -e "$SRC/created" ] || fail_with "the file was created as $(stat -c %u "$SRC/created")"
}

@test "idmap: the mount's mapping and the container's user namespace compose" {
	requires_idmap_runtime
	container_userns
	# stored 0 -> host 100000 -> 0 inside; stored 1000 -> host 101000 -> 1000 inside
	idmap_mount /data 0:100000:65536 0:100000:65536
	set_args /bin/sh -c '/bin/testinit stat /data/by-root; /bin/testinit stat /data/by-1000;
		echo new >/data/created'
	run_fg
	expect_status 0
	expect_line "file 0644 0 0 0:0"
	expect_line "file 0644 1000 1000 0:0"
	[ "$(stat -c %u:%g "$SRC/created")" = 0:0 ] ||
		fail_with "host sees $(stat -c %u:%g "$SRC/created"), expected 0:0"
}

@test "idmap: in a user namespace, a host dir owned by 1000 shows as owned by root" {
	requires_idmap_runtime
	container_userns
	chown 1000:1000 "$SRC"
	# stored 1000 -> host 100000 -> 0 inside
	idmap_mount /data 1000:100000:1 1000:100000:1
	set_args /bin/sh -c '/bin/testinit stat /data/by-1000; echo new >/data/created'
	run_fg
	expect_status 0
	expect_line "file 0644 0 0 0:0"
	[ "$(stat -c %u:%g "$SRC/created")" = 1000:1000 ] ||
		fail_with "host sees $(stat -c %u:%g "$SRC/created"), expected 1000:1000"
}

@test "idmap: the idmap option alone uses the container's mappings" {
	requires_idmap_runtime
	container_userns
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $s,
		"options": ["bind", "idmap"]}]' --arg s "$SRC"
	set_args stat /data/by-root
	run_fg
	expect_status 0
	expect_line "file 0644 0 0 0:0"
}

@test "idmap: the idmap option alone uses a user namespace joined by path" {
	requires_idmap_runtime
	container_userns
	set_args pause
	run_container "$CID-ns"
	pid=$(container_pid "$CID-ns")
	# berth creates no pid namespace inside a joined user namespace: join all but mount
	update_config '.linux.namespaces |= map(if .type == "mount" then . else
			.path = "\($p)/" + ({"network": "net"}[.type] // .type) end)
		| del(.linux.uidMappings, .linux.gidMappings)
		| .linux.cgroupsPath += "-b"
		| .mounts += [{"destination": "/data", "type": "bind", "source": $s,
			"options": ["bind", "idmap"]}]' --arg p "/proc/$pid/ns" --arg s "$SRC"
	set_args stat /data/by-1000
	run_fg
	expect_status 0
	# stored 1000 -> host 101000 -> 1000 inside
	expect_line "file 0644 1000 1000 0:0"
}

@test "idmap: the bind mount keeps its flags and the host's view is unchanged" {
	requires_idmap_runtime
	idmap_mount /data 1000:0:1 1000:0:1 '["bind", "ro", "nosuid"]'
	set_args /bin/sh -c '/bin/testinit mountinfo; echo x >/data/new'
	run_fg
	expect_failure
	expect_output_contains "Read-only file system"
	line=$(awk '$5 == "/data"' <<<"$output")
	[[ "$line" == *" ro,nosuid"* ]] || fail_with "/data mount: '$line'"
	[[ "$line" == *idmapped* ]] || fail_with "/data is not idmapped: '$line'"
	[ "$(stat -c %u "$SRC/by-1000")" = 1000 ] || fail_with "the host's file changed owner"
}

@test "idmap: an rbind with ridmap maps submounts too, idmap only the top" {
	requires_idmap_runtime
	mkdir -p "$SRC/sub"
	mount -t tmpfs -o mode=0755 tmpfs "$SRC/sub"
	echo x >"$SRC/sub/f"
	chown 1000:1000 "$SRC/sub/f"
	idmap_mount /r 1000:0:1 1000:0:1 '["rbind", "ridmap"]'
	idmap_mount /t 1000:0:1 1000:0:1 '["rbind", "idmap"]'
	set_args /bin/sh -c '/bin/testinit stat /r/sub/f; /bin/testinit stat /t/sub/f'
	run_fg
	expect_status 0
	expect_line "file 0644 0 0 0:0"
	expect_line "file 0644 1000 1000 0:0"
}

@test "idmap: a mapping of size 0 fails and names the field" {
	requires_idmap_runtime
	idmap_mount /data 0:1000:0 0:1000:1
	set_args true
	run_fg
	# refused by the config parser (issue #15: every id map extent is checked there)
	expect_fail_naming "mounts[7].uidMappings[0].size" "at least 1"
	[ ! -d "$ROOT/$CID" ] || fail_with "state left behind"
}

@test "idmap: overlapping extents fail and name the mount" {
	requires_idmap_runtime
	idmap_mount /data 0:1000:1 0:1000:10,5:2000:10
	set_args true
	run_fg
	expect_fail_naming "mounts[7] '/data'" "gidMappings[1]" "overlaps"
}

@test "idmap: mappings on a non-bind mount fail and name the mount" {
	requires_idmap_runtime
	update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
	set_args true
	run_fg
	expect_fail_naming "mounts[7] '/data'" "bind"
}

@test "idmap: uidMappings without gidMappings fail and name the mount" {
	requires_idmap_runtime
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": $s,
		"options": ["bind"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]' --arg s "$SRC"
	set_args true
	run_fg
	expect_fail_naming "mounts[7] '/data'" "gidMappings"
}

@test "idmap: a filesystem without idmap support fails naming the mount and its type" {
	requires_idmap_runtime
	# /proc's filesystem does not allow idmapped mounts on any kernel
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/proc",
		"options": ["bind"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]'
	set_args true
	run_fg
	expect_fail_naming "mounts[7] '/data'" "idmapped mount not supported by 'proc'"
}
