#!/usr/bin/env bats
# linux.maskedPaths, linux.readonlyPaths and linux.sysctl, checked from inside.

load ../helpers

setup() {
	setup_bundle
	echo top-secret >"$ROOTFS/secret.txt"
	mkdir -p "$ROOTFS/secretdir" "$ROOTFS/rodir"
	echo hidden >"$ROOTFS/secretdir/file"
	echo original >"$ROOTFS/rodir/file"
}

teardown() {
	teardown_bundle
}

@test "maskedPaths: a masked file reads as empty" {
	update_config '.linux.maskedPaths += ["/secret.txt"]'
	set_args cat /secret.txt
	run_fg
	expect_status 0
	expect_output ""
}

@test "maskedPaths: a masked directory is empty" {
	update_config '.linux.maskedPaths += ["/secretdir"]'
	set_args ls /secretdir
	run_fg
	expect_status 0
	expect_output ""
}

@test "maskedPaths: a masked file cannot be written" {
	update_config '.linux.maskedPaths += ["/secret.txt"]'
	set_args /bin/sh -c '/bin/testinit write /secret.txt x; /bin/testinit cat /secret.txt'
	run_fg
	expect_output_not_contains top-secret
	[ "$(cat "$ROOTFS/secret.txt")" = top-secret ] || fail_with "the masked file changed"
}

@test "maskedPaths: /proc/keys from the default list is masked" {
	set_args stat /proc/keys
	run_fg
	expect_status 0
	expect_output_contains "char " " 1:3"
}

@test "maskedPaths: a path that does not exist is ignored" {
	update_config '.linux.maskedPaths += ["/no/such/path"]'
	set_args exit 0
	run_fg
	expect_status 0
}

@test "readonlyPaths: writing under a read-only path fails with EROFS" {
	update_config '.linux.readonlyPaths += ["/rodir"]'
	set_args /bin/sh -c '/bin/testinit cat /rodir/file; /bin/testinit write /rodir/file changed'
	run_fg
	expect_failure
	expect_line original
	expect_output_contains "Read-only file system (errno 30)"
	[ "$(cat "$ROOTFS/rodir/file")" = original ] || fail_with "the read-only file changed"
}

@test "readonlyPaths: /proc/sys from the default list is read-only" {
	set_args write /proc/sys/kernel/hostname evil
	run_fg
	expect_failure
	expect_output_contains "Read-only file system (errno 30)"
}

@test "sysctl: net.ipv4.ip_forward is set in the container's network namespace" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args cat /proc/sys/net/ipv4/ip_forward
	run_fg
	expect_status 0
	expect_output 1
}

@test "sysctl: kernel.shm_rmid_forced is set in the container's ipc namespace" {
	update_config '.linux.sysctl = {"kernel.shm_rmid_forced": "1"}'
	set_args cat /proc/sys/kernel/shm_rmid_forced
	run_fg
	expect_status 0
	expect_output 1
	[ "$(cat /proc/sys/kernel/shm_rmid_forced)" = 0 ] || fail_with "the host's value changed"
}

@test "sysctl: a net sysctl without a network namespace fails and names it" {
	update_config '.linux.namespaces |= map(select(.type != "network"))
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming net.ipv4.ip_forward
}

@test "sysctl: an unknown sysctl fails and names it" {
	update_config '.linux.sysctl = {"kernel.no_such_knob": "1"}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming no_such_knob
}

# The value asked for is the host's current one, so that even a runtime that wrongly writes
# it changes nothing on the host.
@test "sysctl: a host-global sysctl (vm.swappiness) is refused" {
	update_config '.linux.sysctl = {"vm.swappiness": $v}' --arg v "$(cat /proc/sys/vm/swappiness)"
	set_args exit 0
	run berth_detached run --bundle "$BUNDLE" "$CID"
	expect_fail_naming vm.swappiness
}

# regression: issue #15. The hostname has its own field: runc and crun refuse a
# kernel.hostname sysctl (whatever its value), naming it.
@test "sysctl: kernel.hostname is refused as conflicting with the hostname field" {
	update_config '.hostname = "aa" | .linux.sysctl = {"kernel.hostname": "bb"}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming kernel.hostname hostname
	run berth state "$CID"
	expect_failure
}

@test "sysctl: kernel.domainname different from the domainname field is refused" {
	not_runtime runc "applies both, the sysctl last"
	update_config '.domainname = "aa" | .linux.sysctl = {"kernel.domainname": "bb"}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming kernel.domainname domainname
}
