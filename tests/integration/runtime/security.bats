#!/usr/bin/env bats
# Defences against known container-escape classes, each tried from the container side.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# CVE-2019-5736 class: until `start`, the container's pid 1 is the runtime itself, so a
# process in the container could take an fd to the binary through /proc/1/exe and, once
# no process runs it any more, reopen that fd for writing and overwrite the host binary.
# This test does exactly that, against a copy of the runtime (so a failure destroys only
# the copy): the reopen must fail, and the copy stay as it was.
@test "binary: an fd taken from the created container's /proc/1/exe cannot be reopened for writing once the runtime is gone" {
	local copy=$TEST_TMP/bin/$(basename "$BERTH") before pid fd
	mkdir -p "$TEST_TMP/bin"
	cp "$(command -v "$BERTH")" "$copy"
	before=$(sha256sum "$copy" | cut -d' ' -f1)
	BERTH=$copy
	set_args pause
	create_container
	pid=$(container_pid)
	exec {fd}<"/proc/$pid/exe"
	run berth start "$CID"
	expect_status 0
	run berth delete --force "$CID"
	expect_status 0
	# nothing runs the copy now: an unprotected file would open for writing here
	if (echo overwritten >"/proc/$$/fd/$fd") 2>/dev/null; then
		exec {fd}<&-
		fail_with "reopening /proc/1/exe's fd for writing succeeded"
	fi
	exec {fd}<&-
	[ "$(sha256sum "$copy" | cut -d' ' -f1)" = "$before" ] || fail_with "the binary changed"
}

@test "binary: as root berth runs from a read-only mount of its directory, not a copy" {
	requires berth -- "how the binary is protected is the runtime's choice; runc uses a memfd or a read-only bind"
	local pid
	set_args pause
	create_container
	pid=$(container_pid)
	[ "$(readlink "/proc/$pid/exe")" = "/$(basename "$BERTH")" ] ||
		fail_with "exe is '$(readlink "/proc/$pid/exe")', expected the detached mount's '/$(basename "$BERTH")'"
	[ "$(stat -f -c %T "/proc/$pid/exe" 2>/dev/null)" != tmpfs ] || fail_with "exe is a memfd copy"
}

# CVE-2024-21626 class: a cwd of /proc/self/fd/N must never leave the process in a host
# directory through an fd the runtime leaked into the container.
@test "cwd: /proc/self/fd/N never puts the process in a host directory" {
	local n
	for n in 3 4 5 6 7 8 9; do
		update_config '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		set_args cwd
		run_fg
		if [ "$status" -eq 0 ]; then
			[[ "$output" != *unreachable* ]] ||
				fail_with "cwd /proc/self/fd/$n: the process started in a host directory: $output" || return 1
		fi
	done
}

apparmor_enabled() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
		[ -d /sys/kernel/security/apparmor ]
}

@test "lsm: process.apparmorProfile on a host without AppArmor: the container runs and create warns naming the field" {
	requires berth -- "runc passes over the profile in silence"
	! apparmor_enabled || skip "AppArmor is enabled here"
	update_config '.process.apparmorProfile = "berth-test-profile"'
	set_args pause
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_status 0
	expect_output_contains "process.apparmorProfile 'berth-test-profile'" "AppArmor is not enabled"
	run berth start "$CID"
	expect_status 0
}

@test "lsm: process.selinuxLabel and linux.mountLabel on a host without SELinux: create warns naming each field" {
	requires berth -- "runc passes over the labels in silence"
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"
		| .linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	set_args pause
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_status 0
	expect_output_contains "process.selinuxLabel 'system_u:system_r:container_t:s0:c1,c2'" \
		"linux.mountLabel 'system_u:object_r:container_file_t:s0:c1,c2'" "SELinux is not enabled"
}

@test "lsm: exec --apparmor and --process-label set the exec'd process's labels (warned about here)" {
	requires berth -- "runc passes over the labels in silence"
	! apparmor_enabled || skip "AppArmor is enabled here"
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is enabled here"
	set_args pause
	run_container
	run berth exec --apparmor berth-exec-profile --process-label exec_label_t "$CID" /bin/testinit exit 0
	expect_status 0
	expect_output_contains "process.apparmorProfile 'berth-exec-profile'" "process.selinuxLabel 'exec_label_t'"
}

@test "lsm: an apparmorProfile with a newline is refused, naming the field" {
	requires berth -- "berth's check"
	update_config '.process.apparmorProfile = "a\nchangeprofile b"'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "process.apparmorProfile"
}
