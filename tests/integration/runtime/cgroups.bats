#!/usr/bin/env bats
# linux.resources and linux.cgroupsPath, checked in the host's cgroup files of the
# container's process (found through /proc/<pid>/cgroup), and cleanup at delete.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# v1 FILE of CONTROLLER for the container
cg_v1() {
	local dir
	dir=$(host_cgroup_dir "$1" "$(container_pid)") || return 1
	cat "$dir/$2"
}

# v2 FILE for the container (pure cgroup v2 hosts)
cg_v2() {
	local path
	path=$(awk -F: '$1 == "0" { print $3 }' "/proc/$(container_pid)/cgroup")
	cat "/sys/fs/cgroup$path/$1"
}

@test "cgroups: memory.limit sets memory.limit_in_bytes" {
	requires cgroup_v1
	update_config '.linux.resources.memory = {"limit": 67108864}'
	run_container
	[ "$(cg_v1 memory memory.limit_in_bytes)" = 67108864 ] ||
		fail_with "memory.limit_in_bytes is $(cg_v1 memory memory.limit_in_bytes)"
}

@test "cgroups: memory.limit sets memory.max (cgroup v2)" {
	requires cgroup_v2
	update_config '.linux.resources.memory = {"limit": 67108864}'
	run_container
	[ "$(cg_v2 memory.max)" = 67108864 ] || fail_with "memory.max is $(cg_v2 memory.max)"
}

@test "cgroups: cpu quota, period and shares are set" {
	requires cgroup_v1
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000, "shares": 512}'
	run_container
	[ "$(cg_v1 cpu cpu.cfs_quota_us)" = 50000 ] || fail_with "cfs_quota_us is $(cg_v1 cpu cpu.cfs_quota_us)"
	[ "$(cg_v1 cpu cpu.cfs_period_us)" = 100000 ] || fail_with "cfs_period_us is $(cg_v1 cpu cpu.cfs_period_us)"
	[ "$(cg_v1 cpu cpu.shares)" = 512 ] || fail_with "cpu.shares is $(cg_v1 cpu cpu.shares)"
}

@test "cgroups: cpu quota and period set cpu.max (cgroup v2)" {
	requires cgroup_v2
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000}'
	run_container
	[ "$(cg_v2 cpu.max)" = "50000 100000" ] || fail_with "cpu.max is $(cg_v2 cpu.max)"
}

@test "cgroups: pids.limit sets pids.max" {
	update_config '.linux.resources.pids = {"limit": 100}'
	run_container
	if [ -d /sys/fs/cgroup/pids ]; then
		got=$(cg_v1 pids pids.max)
	else
		got=$(cg_v2 pids.max)
	fi
	[ "$got" = 100 ] || fail_with "pids.max is $got"
}

@test "cgroups: the pids limit holds inside the container" {
	update_config '.linux.resources.pids = {"limit": 5}'
	set_args /bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do /bin/testinit pause & done; sleep 1; echo done'
	run_fg
	expect_output_contains "can't fork"
}

@test "cgroups: cpuset.cpus pins the container" {
	requires cgroup_v1
	update_config '.linux.resources.cpu = {"cpus": "0"}'
	run_container
	[ "$(cg_v1 cpuset cpuset.cpus)" = 0 ] || fail_with "cpuset.cpus is $(cg_v1 cpuset cpuset.cpus)"
}

@test "cgroups: cgroupsPath is honoured for every controller" {
	update_config '.linux.cgroupsPath = $p' --arg p "/berth-test-$CID/custom"
	run_container
	pid=$(container_pid)
	bad=$(grep -v -e "/berth-test-$CID/custom$" "/proc/$pid/cgroup" | grep -v -e '::/$' || true)
	[ -z "$bad" ] || fail_with "cgroups not at /berth-test-$CID/custom: $bad"
}

@test "cgroups: the container's cgroups are removed after delete" {
	run_container
	pid=$(container_pid)
	dirs=$(for c in pids memory cpu freezer; do host_cgroup_dir "$c" "$pid" 2>/dev/null; done)
	[ -n "$dirs" ] || fail_with "no cgroup found for pid $pid"
	for d in $dirs; do
		[ -d "$d" ] || fail_with "$d does not exist while running" || return 1
	done
	run berth delete --force "$CID"
	expect_status 0
	for d in $dirs; do
		[ ! -d "$d" ] || fail_with "$d is left after delete" || return 1
	done
}

@test "cgroups: a container that exits on its own leaves no cgroup after delete" {
	set_args exit 0
	run_container
	pid=$(container_pid)
	wait_for_state "$CID" stopped
	run berth delete "$CID"
	expect_status 0
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "berth-test-$CID" 2>/dev/null)
	[ -z "$left" ] || fail_with "left behind: $left"
}

@test "cgroups: an invalid memory limit fails and names the cgroup file or field" {
	requires cgroup_v1
	update_config '.linux.resources.memory = {"limit": 4096}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming memory
	[ -z "$(berth list -q)" ] || fail_with "container left: $(berth list -q)"
}

# Whether this kernel ignores kernel memory limits (Linux >= 5.16 accepts the write to
# memory.kmem.limit_in_bytes and keeps it unlimited): probed in a scratch cgroup.
kmem_limit_ignored() {
	local d=/sys/fs/cgroup/memory/berth-kmem-probe-$$ got
	[ -f /sys/fs/cgroup/memory/memory.kmem.limit_in_bytes ] || return 1
	mkdir "$d" || return 1
	echo 67108864 >"$d/memory.kmem.limit_in_bytes" 2>/dev/null
	got=$(cat "$d/memory.kmem.limit_in_bytes")
	rmdir "$d"
	[ "$got" != 67108864 ]
}

@test "cgroups: memory.kernel that the kernel ignores is not ignored in silence: create warns naming the field" {
	requires berth cgroup_v1 -- "berth's wording (runc 1.1 drops the field)"
	kmem_limit_ignored || skip "this kernel honours kernel memory limits"
	update_config '.linux.resources.memory = {"limit": 134217728, "kernel": 67108864}'
	set_args pause
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_status 0
	expect_output_contains "linux.resources.memory.kernel: ignored by this kernel"
}

# regression: issue #14 (dockerd sends "blockIO": {"weight": 0} with every `docker run`; berth
# refused it as out of range). What dockerd 20.10 puts in linux.resources when the user set
# no limit; runc and crun read every zero as "not set".
@test "cgroups: the zeros dockerd sends mean not set (blockIO.weight 0, cpu.shares 0, pids.limit 0...)" {
	requires cgroup_v1
	update_config '.linux.resources += {"memory": {"disableOOMKiller": false},
		"cpu": {"shares": 0, "quota": 0, "period": 0,
		"realtimeRuntime": 0, "realtimePeriod": 0, "cpus": "", "mems": ""}, "pids": {"limit": 0},
		"blockIO": {"weight": 0, "leafWeight": 0}}'
	run_container
	[ "$(cg_v1 pids pids.max)" = max ] || fail_with "pids.max is $(cg_v1 pids pids.max)"
	[ "$(cg_v1 cpu cpu.shares)" = 1024 ] || fail_with "cpu.shares is $(cg_v1 cpu cpu.shares)"
	[ "$(cg_v1 cpu cpu.cfs_quota_us)" = -1 ] || fail_with "cpu.cfs_quota_us is $(cg_v1 cpu cpu.cfs_quota_us)"
	[ -n "$(cg_v1 cpuset cpuset.cpus)" ] || fail_with "cpuset.cpus is empty"
	[ "$(cg_v1 memory memory.limit_in_bytes)" -gt 1000000000 ] ||
		fail_with "memory.limit_in_bytes is $(cg_v1 memory memory.limit_in_bytes)"
}

# runc reads these as "not set" too; crun 1.8.1 writes them (and fails on this host: a zero
# memory limit, no blkio.weight_device, no net_cls) or refuses them.
@test "cgroups: zero memory limits, weightDevice weights, network classID and swappiness -1 (as uint64) mean not set" {
	requires cgroup_v1
	not_runtime crun "writes zero memory limits, weightDevice weights and classID, refuses swappiness 2^64-1"
	update_config '.linux.resources += {"blockIO": {"weightDevice": [{"major": 8, "minor": 0,
		"weight": 0, "leafWeight": 0}]}, "network": {"classID": 0}, "memory": {"limit": 0,
		"reservation": 0, "swap": 0, "kernel": 0, "kernelTCP": 0, "swappiness": 424242}}'
	# jq cannot write 2^64-1 exactly
	sed -i 's/"swappiness": 424242/"swappiness": 18446744073709551615/' "$BUNDLE/config.json"
	grep -q 18446744073709551615 "$BUNDLE/config.json" || fail_with "config.json was not edited"
	run_container
	[ "$(state_of "$CID")" = running ] || fail_with "the container is not running"
	[ "$(cg_v1 memory memory.limit_in_bytes)" -gt 1000000000 ] ||
		fail_with "memory.limit_in_bytes is $(cg_v1 memory memory.limit_in_bytes)"
}
