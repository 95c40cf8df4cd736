#!/usr/bin/env bats
# Regression tests for bugs found after the feature tests were written; each names
# how it was found. Every test here failed before its fix.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# regression: OCI conformance suite (default, mounts, process... printed no TAP): a
# profile denying close_range made the init exit 127 without a word, because the
# fds were marked close-on-exec after the filter was loaded
@test "seccomp: a profile that denies close_range still runs the process" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args echo hi
	run_fg
	expect_status 0
	expect_output "hi"
}

@test "seccomp: with noNewPrivileges a profile that denies close_range still runs the process" {
	update_config '.process.noNewPrivileges = true | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["close_range"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args echo hi
	run_fg
	expect_status 0
	expect_output "hi"
}

# regression: conformance linux_devices: a fifo ('p') in linux.devices became a device
# cgroup rule of type 'p', refused as "linux.resources.devices[15].type", an index the
# config did not have. A fifo needs no cgroup rule; it is created like runc does.
@test "devices: a fifo in linux.devices is created in the container and needs no cgroup rule" {
	update_config '.linux.devices += [{"path": "/dev/testfifo", "type": "p", "fileMode": 420}]'
	set_args /bin/sh -c 'test -p /dev/testfifo && stat -c %a /dev/testfifo'
	run_fg
	expect_status 0
	expect_output "644"
}

# regression: conformance linux_devices: errors about the device rules the runtime appends
# (default devices) named them "linux.resources.devices[N]" with an N past
# the end of the config's list
@test "devices: a failing device rule added by the runtime is named as such, never by an index the config lacks" {
	requires root cgroup_v1 berth -- "asserts berth's wording (runc 1.1.5 names the rule, no index)"
	local parent=/sys/fs/cgroup/devices/berth-test-$CID
	mkdir "$parent"
	# the parent denies /dev/null, which the runtime's default rules allow
	echo 'c 1:3 rwm' >"$parent/devices.deny"
	update_config '.linux.cgroupsPath = $p | .linux.resources.devices = [{"allow": false, "access": "rwm"}]' \
		--arg p "/berth-test-$CID/berth-test-$CID-c"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "linux.resources.devices: rule '" "added by the runtime"
	expect_output_not_contains "devices[1]"
}

# regression: conformance linux_ns_itype: a config without a mount namespace was refused
# (first as invalid, then as unsupported); the spec says the container then inherits the
# runtime's mount namespace
@test "namespaces: without a mount namespace the container runs in the host's, and the host's / keeps its propagation" {
	local prop
	requires berth -- "runc 1.1.5 fails such a config on its maskedPaths"
	prop=$(findmnt -no PROPAGATION /)
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	set_args /bin/sh -c 'readlink /proc/self/ns/mnt; ls /bin/testinit'
	run_fg
	expect_status 0
	expect_line "$(readlink /proc/self/ns/mnt)"
	expect_line /bin/testinit
	[ "$(findmnt -no PROPAGATION /)" = "$prop" ] || fail_with "propagation of / changed from '$prop'"
}

# regression: conformance poststart ("post-start hooks MUST be called after the
# user-specified process is executed"): start ran the poststart hooks as soon as the init
# had written its byte into the exec fifo, while it was still running the startContainer
# hooks and before its execve
@test "hooks: poststart hooks run after the container's process was exec'd, not before" {
	local hook=$TEST_TMP/poststart.sh
	not_runtime runc "1.1.5 runs poststart hooks before its init exec'd the process"
	cat >"$hook" <<-EOF
		#!/bin/sh
		pid=\$(jq -r .pid)
		tr '\0' ' ' </proc/\$pid/cmdline >"$TEST_TMP/cmdline"
	EOF
	chmod 0755 "$hook"
	# a slow startContainer hook keeps the init from its execve for a while
	update_config '.hooks.startContainer = [{"path": "/bin/sleep", "args": ["sleep", "1"]}]
		| .hooks.poststart = [{"path": $p, "args": [$p]}]' --arg p "$hook"
	set_args pause
	run_container
	run cat "$TEST_TMP/cmdline"
	expect_status 0
	expect_output "/bin/testinit pause "
}

# regression: conformance misc_props #3 ("MUST generate an error when invalid or
# unsupported values are encountered", ociVersion "invalid") passed only because that
# bundle lacked /runtimetest: ociVersion was never checked
@test "config: an ociVersion that is not SemVer, or not runtime-spec 1.x, is refused naming ociVersion" {
	requires berth -- "asserts berth's wording (runc 1.1.5 does not check ociVersion)"
	update_config '.ociVersion = "invalid"'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "ociVersion" "'invalid' is not a SemVer"
	update_config '.ociVersion = "2.0.0"'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "ociVersion" "'2.0.0' is not supported"
	update_config '.ociVersion = "1.0.2-dev+build.7"'
	create_container
}
