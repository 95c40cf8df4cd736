#!/usr/bin/env bats
# berth on a pure cgroup v2 host, on any host: every berth command runs in a mount
# namespace whose only cgroup mount is cgroup2 at /sys/fs/cgroup
# (tests/helpers/cgroup2-only.sh), so berth's layout detection picks its v2 code paths:
# clone3 into the cgroup, cgroup.freeze, cgroup.kill, the eBPF device program, unified
# files, hugetlb.*.max, and clear errors for controllers this hierarchy lacks. The
# cgroups are real: the tests look at them through the host's cgroup2 mount.

load ../helpers

setup() {
	requires root -- mounts cgroup2 in a private mount namespace
	setup_bundle
	V2_HOST=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	[ -n "$V2_HOST" ] || skip "no cgroup2 mount on this host"
	local real
	real=$(command -v "$BERTH")
	cat >"$TEST_TMP/berth" <<WRAP
#!/bin/sh
exec "$BERTH_TOP/tests/helpers/cgroup2-only.sh" "$real" "\$@"
WRAP
	chmod +x "$TEST_TMP/berth"
	BERTH=$TEST_TMP/berth
}

teardown() {
	# a cgroup a test froze itself: thaw it so teardown_bundle can remove it
	[ -n "${V2_HOST:-}" ] && [ -f "$V2_HOST/berth-test-$CID/cgroup.freeze" ] &&
		echo 0 >"$V2_HOST/berth-test-$CID/cgroup.freeze"
	teardown_bundle
}

# the container's cgroup as the host sees it
v2_dir() {
	echo "$V2_HOST/berth-test-$CID"
}

has_controller() {
	grep -qw "$1" "$V2_HOST/cgroup.controllers"
}

@test "cgroup2-only: the init is placed in the container's cgroup2 cgroup, which delete removes" {
	set_args pause
	run_container
	run cat "/proc/$(container_pid)/cgroup"
	expect_line "0::/berth-test-$CID"
	[ -d "$(v2_dir)" ] || fail_with "no cgroup '$(v2_dir)'"
	run berth delete --force "$CID"
	expect_status 0
	[ ! -d "$(v2_dir)" ] || fail_with "'$(v2_dir)' is still there"
}

@test "cgroup2-only: pause freezes through cgroup.freeze, resume thaws" {
	set_args pause
	run_container
	run berth pause "$CID"
	expect_status 0
	[ "$(cat "$(v2_dir)/cgroup.freeze")" = 1 ] || fail_with "cgroup.freeze is not 1"
	grep -qx 'frozen 1' "$(v2_dir)/cgroup.events" || fail_with "cgroup.events: not frozen"
	[ "$(state_of "$CID")" = paused ] || fail_with "state '$(state_of "$CID")'"
	run berth resume "$CID"
	expect_status 0
	[ "$(cat "$(v2_dir)/cgroup.freeze")" = 0 ] || fail_with "cgroup.freeze is not 0"
	[ "$(state_of "$CID")" = running ] || fail_with "state '$(state_of "$CID")'"
}

# regression: issue #15 (frozen.bats has the v1 freezer versions)
@test "cgroup2-only: delete --force of a paused container, and of one someone else froze" {
	local pid
	set_args pause
	run_container
	pid=$(container_pid)
	run berth pause "$CID"
	expect_status 0
	BERTH_TIMEOUT=60 run berth delete --force "$CID"
	expect_status 0
	[ ! -d "$(v2_dir)" ] || fail_with "'$(v2_dir)' is still there"
	run_container
	echo 1 >"$(v2_dir)/cgroup.freeze"
	BERTH_TIMEOUT=60 run berth delete --force "$CID"
	expect_status 0
	[ ! -d "$(v2_dir)" ] || fail_with "'$(v2_dir)' is still there"
}

@test "cgroup2-only: create into a pre-existing frozen cgroup is refused" {
	mkdir "$(v2_dir)"
	echo 1 >"$(v2_dir)/cgroup.freeze"
	update_config '.linux.cgroupsPath = $p' --arg p "/berth-test-$CID"
	set_args /bin/sh -c 'echo RAN'
	BERTH_TIMEOUT=60 run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ "$status" != 124 ] || fail_with "create hung"
	expect_output_contains "frozen"
	[ "$(cat "$(v2_dir)/cgroup.freeze")" = 1 ] || fail_with "the cgroup was thawed"
}

@test "cgroup2-only: kill --all ends every process of the cgroup" {
	set_args /bin/sh -c 'sleep 1000 & sleep 1000 & exec /bin/testinit pause'
	run_container
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l <"$(v2_dir)/cgroup.procs")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(wc -l <"$(v2_dir)/cgroup.procs")" -ge 3 ] || fail_with "the sleeps did not start"
	run berth kill --all "$CID" KILL
	expect_status 0
	wait_for_state "$CID" stopped
	for ((i = 0; i < 50; i++)); do
		[ ! -s "$(v2_dir)/cgroup.procs" ] && break
		sleep 0.1
	done
	[ ! -s "$(v2_dir)/cgroup.procs" ] || fail_with "left: $(cat "$(v2_dir)/cgroup.procs")"
}

# A node for char 1:200, which no driver serves: opening it fails with EPERM when the
# device cgroup refuses, ENXIO when it lets the open through to the (missing) driver.
# (mknod itself is allowed for every device by the default rules, as runc's.)
with_unserved_device() {
	update_config '.process.capabilities |= with_entries(.value += ["CAP_MKNOD"])'
	set_args /bin/sh -c 'mknod /tmp/dev-1-200 c 1 200 && cat /tmp/dev-1-200'
}

@test "cgroup2-only: the eBPF device program refuses to open a device the rules do not allow" {
	with_unserved_device
	run_fg
	expect_output_contains "Operation not permitted"
	expect_output_not_contains "No such device"
}

@test "cgroup2-only: the eBPF device program follows the rules: an allow rule lets the open through" {
	with_unserved_device
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 200, "access": "rwm"}]'
	run_fg
	expect_output_contains "No such device or address"
	expect_output_not_contains "Operation not permitted"
}

# regression: issue #15: a linux.devices entry adds no rule to the eBPF program
@test "cgroup2-only: a linux.devices entry does not open the eBPF device program" {
	update_config '.linux.devices = [{"path": "/dev/unserved", "type": "c", "major": 1, "minor": 200}]
		| .linux.resources.devices = [{"allow": false, "access": "rwm"}]'
	set_args cat /dev/unserved
	run_fg
	expect_failure
	expect_output_contains "Operation not permitted"
	expect_output_not_contains "No such device"
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 200, "access": "rwm"}]'
	run_fg
	expect_output_contains "No such device or address"
	expect_output_not_contains "Operation not permitted"
}

@test "cgroup2-only: exec joins the container's cgroup" {
	set_args pause
	run_container
	run berth exec "$CID" /bin/testinit cat /proc/self/cgroup
	expect_status 0
	expect_line "0::/berth-test-$CID"
}

@test "cgroup2-only: linux.resources.unified keys are written as given" {
	update_config '.linux.resources.unified = {"cgroup.max.descendants": "7"}'
	set_args pause
	run_container
	[ "$(cat "$(v2_dir)/cgroup.max.descendants")" = 7 ] ||
		fail_with "cgroup.max.descendants is $(cat "$(v2_dir)/cgroup.max.descendants")"
}

@test "cgroup2-only: hugepageLimits land in hugetlb.<size>.max" {
	has_controller hugetlb || skip "no hugetlb controller in this cgroup2 hierarchy"
	[ -e "$V2_HOST/hugetlb.2MB.max" ] || ls "$V2_HOST"/*/hugetlb.2MB.max >/dev/null 2>&1 ||
		[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
	update_config '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	set_args pause
	run_container
	[ "$(cat "$(v2_dir)/hugetlb.2MB.max")" = 4194304 ] ||
		fail_with "hugetlb.2MB.max is $(cat "$(v2_dir)/hugetlb.2MB.max")"
}

@test "cgroup2-only: a limit whose controller the hierarchy lacks fails naming the field, and leaves no cgroup" {
	has_controller memory && skip "this cgroup2 hierarchy has the memory controller"
	update_config '.linux.resources.memory = {"limit": 67108864}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming "linux.resources.memory"
	[ ! -d "$(v2_dir)" ] || fail_with "'$(v2_dir)' was left behind"
	run berth state "$CID"
	expect_failure
}

@test "cgroup2-only: ps lists the container's processes and events --stats answers" {
	set_args pause
	run_container
	run berth ps --format json "$CID"
	expect_status 0
	[[ "$output" == *"$(container_pid)"* ]] || fail_with "ps: $output"
	run berth events --stats "$CID"
	expect_status 0
	jq -e '.type == "stats"' <<<"$output" >/dev/null || fail_with "events --stats: $output"
}
