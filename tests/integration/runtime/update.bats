#!/usr/bin/env bats
# `update`: runc's flags and `--resources FILE|-` (what containerd's shim sends), checked in
# the host's cgroup files of the container's process (found through /proc/<pid>/cgroup).
# Validated against runc 1.1.5: BERTH=runc bats tests/integration/runtime/update.bats

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

# expect_cg CONTROLLER FILE VALUE
expect_cg() {
	local got
	got=$(cg_v1 "$1" "$2")
	[ "$got" = "$3" ] || fail_with "$1/$2 is '$got', expected '$3'"
}

@test "update: --memory sets the memory limit of a running container" {
	requires cgroup_v1
	run_container
	run berth update --memory 67108864 "$CID"
	expect_status 0
	expect_cg memory memory.limit_in_bytes 67108864
}

@test "update: --resources - reads a LinuxResources object from stdin" {
	requires cgroup_v1
	run_container
	run berth update --resources - "$CID" <<<'{"memory": {"limit": 50331648}}'
	expect_status 0
	expect_cg memory memory.limit_in_bytes 50331648
}

@test "update: --resources FILE reads the object from a file" {
	requires cgroup_v1
	run_container
	echo '{"memory": {"limit": 41943040}, "pids": {"limit": 33}}' >"$TEST_TMP/res.json"
	run berth update -r "$TEST_TMP/res.json" "$CID"
	expect_status 0
	expect_cg memory memory.limit_in_bytes 41943040
	expect_cg pids pids.max 33
}

@test "update: memory sizes take units like runc (k, m, g, -1 for unlimited)" {
	requires cgroup_v1
	run_container
	run berth update --memory 64m "$CID"
	expect_status 0
	expect_cg memory memory.limit_in_bytes 67108864
	run berth update --memory 1.5g "$CID"
	expect_status 0
	expect_cg memory memory.limit_in_bytes 1610612736
	run berth update --memory-reservation 32768k "$CID"
	expect_status 0
	expect_cg memory memory.soft_limit_in_bytes 33554432
	run berth update --memory -1 "$CID"
	expect_status 0
	[ "$(cg_v1 memory memory.limit_in_bytes)" -gt 1000000000000 ] ||
		fail_with "memory.limit_in_bytes is $(cg_v1 memory memory.limit_in_bytes), expected unlimited"
}

@test "update: --memory and --memory-swap raise both limits in a valid order" {
	requires cgroup_v1
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting"
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	run_container
	run berth update --memory 100m --memory-swap 200m "$CID"
	expect_status 0
	expect_cg memory memory.limit_in_bytes 104857600
	expect_cg memory memory.memsw.limit_in_bytes 209715200
}

@test "update: an invalid memory size fails and names the flag" {
	run_container
	run berth update --memory 12q "$CID"
	expect_fail_naming memory 12q
}

@test "update: --pids-limit sets pids.max" {
	requires cgroup_v1
	run_container
	run berth update --pids-limit 42 "$CID"
	expect_status 0
	expect_cg pids pids.max 42
}

@test "update: --cpu-quota and --cpu-period set the CFS quota" {
	requires cgroup_v1
	run_container
	run berth update --cpu-period 100000 --cpu-quota 25000 "$CID"
	expect_status 0
	expect_cg cpu cpu.cfs_period_us 100000
	expect_cg cpu cpu.cfs_quota_us 25000
	run berth update --cpu-quota 50000 "$CID"
	expect_status 0
	expect_cg cpu cpu.cfs_quota_us 50000
	expect_cg cpu cpu.cfs_period_us 100000
}

@test "update: --cpu-share and --cpuset-cpus set cpu.shares and cpuset.cpus" {
	requires cgroup_v1
	run_container
	run berth update --cpu-share 512 --cpuset-cpus 0 "$CID"
	expect_status 0
	expect_cg cpu cpu.shares 512
	expect_cg cpuset cpuset.cpus 0
}

@test "update: zero values in --resources leave the limits unchanged" {
	requires cgroup_v1
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}'
	run_container
	run berth update --resources - "$CID" <<<'{"memory": {"limit": 0, "reservation": 0, "swap": 0},
		"cpu": {"shares": 0, "quota": 0, "period": 0, "cpus": "", "mems": ""},
		"blockIO": {"weight": 0}, "pids": {"limit": 0}}'
	expect_status 0
	expect_cg memory memory.limit_in_bytes 67108864
	expect_cg pids pids.max 50
}

@test "update: a created container can be updated" {
	requires cgroup_v1
	create_container
	run berth update --pids-limit 21 "$CID"
	expect_status 0
	expect_cg pids pids.max 21
}

@test "update: a paused container can be updated" {
	requires cgroup_v1
	run_container
	run berth pause "$CID"
	expect_status 0
	run berth update --memory 48m "$CID"
	expect_status 0
	expect_cg memory memory.limit_in_bytes 50331648
	run berth resume "$CID"
	expect_status 0
}

@test "update: a stopped container can not be updated" {
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
	run berth update --memory 64m "$CID"
	expect_fail_naming "not running"
}

@test "update: a container that does not exist fails saying so" {
	run berth update --memory 64m "nosuch-$CID"
	expect_fail_naming "does not exist"
}

@test "update: bad resources JSON fails naming the field" {
	run_container
	run berth update --resources - "$CID" <<<'{"memory": {"limit": "lots"}}'
	expect_fail_naming memory.limit
}

@test "update: resources that are not JSON fail" {
	run_container
	run berth update --resources - "$CID" <<<'memory=1'
	expect_failure
}

@test "update: a limit below the usage fails and leaves the old limit" {
	requires cgroup_v1
	update_config '.linux.resources.memory = {"limit": 67108864}'
	run_container
	run berth update --memory 4096 "$CID"
	expect_fail_naming memory
	expect_cg memory memory.limit_in_bytes 67108864
}

@test "update: --l3-cache-schema fails without Intel RDT" {
	[ -d /sys/fs/resctrl/info/L3 ] && skip "this host has Intel RDT"
	run_container
	run berth update --l3-cache-schema "L3:0=f" "$CID"
	expect_fail_naming l3
}

@test "update: the new limits are kept with the container's config" {
	requires berth -- runc keeps them in its own state.json format
	run_container
	run berth update --memory 64m --pids-limit 30 "$CID"
	expect_status 0
	run berth update --cpu-share 256 "$CID"
	expect_status 0
	run jq -c '.linux.resources | [.memory.limit, .pids.limit, .cpu.shares]' "$ROOT/$CID/config.json"
	expect_output '[67108864,30,256]'
}

@test "update: --help prints the usage" {
	run berth update --help
	expect_status 0
	expect_output_contains "--resources" "--memory" "--pids-limit"
}
