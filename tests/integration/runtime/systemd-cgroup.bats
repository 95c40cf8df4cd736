#!/usr/bin/env bats
# The systemd cgroup driver (`berth --systemd-cgroup`), against a real systemd: a private
# one booted by tests/helpers/systemd-ns.sh as PID 1 of its own pid, mount and cgroup
# namespaces (this project's hosts do not run systemd). berth and systemctl run inside
# those namespaces (nsenter), so they share /run/systemd/private and the cgroup mounts,
# whose roots are the namespace's berth-sd-test-N directories: what the tests create
# stays under them, and stopping the namespace removes it all.
# The tests give the runtime an explicit cgroupsPath "system.slice:berth:<id>" where they
# can, so `BERTH=runc` runs them too (runc's default prefix is "runc", not "berth").

load ../helpers

SDNS=$BERTH_TOP/tests/helpers/systemd-ns.sh

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	[ -x /lib/systemd/systemd ] || return 0
	SD_DIR=$(mktemp -d "$BERTH_TEST_TMPBASE/berth-sd.XXXXXX")
	export SD_DIR
	"$SDNS" start "$SD_DIR" || { echo "systemd-ns start failed" >"$SD_DIR/failed"; }
}

teardown_file() {
	[ -n "${SD_DIR:-}" ] || return 0
	"$SDNS" stop "$SD_DIR"
	rm -rf "$SD_DIR"
}

setup() {
	requires root
	[ -x /lib/systemd/systemd ] || skip "needs systemd's binary (/lib/systemd/systemd)"
	[ ! -f "$SD_DIR/failed" ] || fail_with "the private systemd did not boot: $(tail -n 20 "$SD_DIR/systemd.log")"
	setup_bundle
	SCOPE=berth-$CID.scope
	update_config '.linux.cgroupsPath = $p' --arg p "system.slice:berth:$CID"
}

teardown() {
	local id
	if [ -n "${TEST_TMP:-}" ] && [ -d "${ROOT:-}" ]; then
		for id in $(sd_berth list -q 2>/dev/null); do
			BERTH_TIMEOUT=30 sd_berth delete --force "$id" >/dev/null 2>&1
		done
	fi
	teardown_bundle
}

# sd CMD...: CMD inside the private systemd's namespaces.
sd() {
	"$SDNS" exec "$SD_DIR" "$@"
}

# sd_berth ARGS...: the runtime under test there, with --root $ROOT --systemd-cgroup.
sd_berth() {
	local pre=()
	[ -n "${BERTH_TIMEOUT:-}" ] && pre=(timeout -k 5 "$BERTH_TIMEOUT")
	"${pre[@]}" "$SDNS" exec "$SD_DIR" "$BERTH" --root "$ROOT" --systemd-cgroup "$@" 3>&-
}

# sd_run_detached [ID]: `run -d`, output to $CTR_OUT; $status and $output as with `run`.
sd_run_detached() {
	local mark
	mark=$(stat -c %s "$CTR_OUT")
	status=0
	sd_berth run -d --bundle "$BUNDLE" "${1:-$CID}" </dev/null >>"$CTR_OUT" 2>&1 || status=$?
	output=$(tail -c +$((mark + 1)) "$CTR_OUT")
}

sd_state() {
	sd_berth state "${1:-$CID}" 2>/dev/null | jq -r .status 2>/dev/null
}

sd_wait_for_state() {
	local i got
	for ((i = 0; i < 50; i++)); do
		got=$(sd_state "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	fail_with "container '$1' is '$got', expected '$2'"
}

# the init's pid as the namespace sees it
sd_pid() {
	sd_berth state "${1:-$CID}" | jq -r .pid
}

# sd_unit_prop UNIT PROPERTY: systemd's value, e.g. ActiveState
sd_unit_prop() {
	sd systemctl show "$1" -p "$2" --value
}

# sd_cg_file CONTROLLER FILE: the content of FILE in the init's cgroup for CONTROLLER (a v1
# hierarchy, else the cgroup2 one), read inside the namespace
sd_cg_file() {
	local pid path
	pid=$(sd_pid)
	path=$(sd awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	if [ -n "$path" ]; then
		sd cat "/sys/fs/cgroup/$1$path/$2"
	else
		path=$(sd awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
		sd cat "/sys/fs/cgroup$path/$2"
	fi
}

# directories named $1 anywhere in the namespace's cgroup hierarchies
sd_cg_dirs() {
	sd find /sys/fs/cgroup -mindepth 2 -type d -name "$1"
}

@test "systemd-cgroup: run puts the init in /system.slice/berth-<id>.scope in every hierarchy and systemd lists the unit active" {
	requires berth -- "the default unit name has berth's prefix (runc's is 'runc')"
	update_config 'del(.linux.cgroupsPath)'
	set_args pause
	sd_run_detached
	expect_status 0
	pid=$(sd_pid)
	lines=$(sd cat "/proc/$pid/cgroup")
	[ "$(echo "$lines" | wc -l)" -ge 2 ] || fail_with "cgroups of the init: $lines"
	bad=$(echo "$lines" | grep -v ":/system.slice/$SCOPE\$" || true)
	[ -z "$bad" ] || fail_with "not in /system.slice/$SCOPE: $bad"
	[ "$(sd_unit_prop "$SCOPE" ActiveState)" = active ] ||
		fail_with "$SCOPE is $(sd_unit_prop "$SCOPE" ActiveState)"
	[ "$(sd_unit_prop "$SCOPE" ControlGroup)" = "/system.slice/$SCOPE" ] ||
		fail_with "ControlGroup is $(sd_unit_prop "$SCOPE" ControlGroup)"
	[ "$(sd_unit_prop "$SCOPE" Delegate)" = yes ] || fail_with "Delegate is not yes"
}

@test "systemd-cgroup: a memory limit and a pids limit land in the scope's files" {
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 42}'
	set_args pause
	sd_run_detached
	expect_status 0
	if sd test -d /sys/fs/cgroup/memory; then
		got=$(sd_cg_file memory memory.limit_in_bytes)
	else
		got=$(sd_cg_file memory memory.max)
	fi
	[ "$got" = 67108864 ] || fail_with "memory limit is '$got', expected 67108864"
	got=$(sd_cg_file pids pids.max)
	[ "$got" = 42 ] || fail_with "pids.max is '$got', expected 42"
	pid=$(sd_pid)
	sd grep -q "memory.*:/system.slice/$SCOPE\$" "/proc/$pid/cgroup" ||
		fail_with "the init is not in $SCOPE: $(sd cat "/proc/$pid/cgroup")"
	# and systemd knows them, so a re-realization of the unit keeps them
	[ "$(sd_unit_prop "$SCOPE" TasksMax)" = 42 ] || fail_with "TasksMax is $(sd_unit_prop "$SCOPE" TasksMax)"
	sd systemctl daemon-reload
	got=$(sd_cg_file pids pids.max)
	[ "$got" = 42 ] || fail_with "pids.max is '$got' after daemon-reload, expected 42"
}

@test "systemd-cgroup: cpu shares and quota land in the scope's files and systemd knows them" {
	requires cgroup_v1
	update_config '.linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}'
	set_args pause
	sd_run_detached
	expect_status 0
	[ "$(sd_cg_file cpu cpu.shares)" = 512 ] || fail_with "cpu.shares is $(sd_cg_file cpu cpu.shares)"
	[ "$(sd_cg_file cpu cpu.cfs_quota_us)" = 50000 ] || fail_with "cfs_quota_us is $(sd_cg_file cpu cpu.cfs_quota_us)"
	[ "$(sd_unit_prop "$SCOPE" CPUShares)" = 512 ] || fail_with "CPUShares is $(sd_unit_prop "$SCOPE" CPUShares)"
	# a daemon-reload realizes the unit's cgroup again: the limits stay
	sd systemctl daemon-reload
	[ "$(sd_cg_file cpu cpu.cfs_quota_us)" = 50000 ] || fail_with "cfs_quota_us is $(sd_cg_file cpu cpu.cfs_quota_us) after daemon-reload"
	[ "$(sd_cg_file cpu cpu.shares)" = 512 ] || fail_with "cpu.shares is $(sd_cg_file cpu cpu.shares) after daemon-reload"
}

@test "systemd-cgroup: the device rules survive a systemd daemon-reload" {
	requires cgroup_v1
	set_args pause
	sd_run_detached
	expect_status 0
	before=$(sd_cg_file devices devices.list)
	echo "$before" | grep -qx "c 1:3 rwm" || fail_with "no /dev/null rule: $before"
	! echo "$before" | grep -qx "a \*:\* rwm" || fail_with "every device allowed: $before"
	sd systemctl daemon-reload
	after=$(sd_cg_file devices devices.list)
	[ "$(echo "$before" | sort)" = "$(echo "$after" | sort)" ] ||
		fail_with "devices.list changed on daemon-reload: '$before' -> '$after'"
}

@test "systemd-cgroup: cgroupsPath 'mine.slice:pfx:<name>' gives /mine.slice/pfx-<name>.scope" {
	update_config '.linux.cgroupsPath = $p' --arg p "mine.slice:pfx:$CID"
	set_args pause
	sd_run_detached
	expect_status 0
	pid=$(sd_pid)
	bad=$(sd grep -v ":/mine.slice/pfx-$CID.scope\$" "/proc/$pid/cgroup" || true)
	[ -z "$bad" ] || fail_with "not in /mine.slice/pfx-$CID.scope: $bad"
	[ "$(sd_unit_prop "pfx-$CID.scope" Slice)" = mine.slice ] ||
		fail_with "slice is $(sd_unit_prop "pfx-$CID.scope" Slice)"
	[ "$(sd_unit_prop "pfx-$CID.scope" ActiveState)" = active ] || fail_with "unit not active"
}

@test "systemd-cgroup: a sub-slice 'a-b.slice' is nested as /a.slice/a-b.slice" {
	not_runtime runc "1.1.5 leaves the devices cgroup at the slice, not the scope (measured here)"
	update_config '.linux.cgroupsPath = $p' --arg p "berthtest-sub.slice:pfx:$CID"
	set_args pause
	sd_run_detached
	expect_status 0
	pid=$(sd_pid)
	bad=$(sd grep -v ":/berthtest.slice/berthtest-sub.slice/pfx-$CID.scope\$" "/proc/$pid/cgroup" || true)
	[ -z "$bad" ] || fail_with "not in /berthtest.slice/berthtest-sub.slice/pfx-$CID.scope: $bad"
}

@test "systemd-cgroup: a malformed cgroupsPath fails naming linux.cgroupsPath and leaves nothing" {
	requires berth -- "berth's wording"
	set_args pause
	for p in "notaslice:pfx:$CID" "/berth/$CID" "system.slice:berth" "a--b.slice:pfx:$CID"; do
		update_config '.linux.cgroupsPath = $p' --arg p "$p"
		sd_run_detached
		expect_fail_naming "linux.cgroupsPath: '$p'" || return 1
	done
	[ -z "$(sd_berth list -q)" ] || fail_with "container left: $(sd_berth list -q)"
	[ -z "$(sd systemctl list-units --all --no-legend "*$CID*")" ] ||
		fail_with "units left: $(sd systemctl list-units --all --no-legend "*$CID*")"
	# while a well-formed one works
	update_config '.linux.cgroupsPath = $p' --arg p "system.slice:berth:$CID"
	sd_run_detached
	expect_status 0
}

@test "systemd-cgroup: delete stops the unit and no directory of it is left" {
	set_args pause
	sd_run_detached
	expect_status 0
	[ -n "$(sd_cg_dirs "$SCOPE")" ] || fail_with "no directory $SCOPE while running"
	run sd_berth delete --force "$CID"
	expect_status 0
	state=$(sd_unit_prop "$SCOPE" ActiveState)
	[ "$state" = inactive ] || fail_with "$SCOPE is '$state' after delete"
	left=$(sd_cg_dirs "$SCOPE")
	[ -z "$left" ] || fail_with "left after delete: $left"
}

@test "systemd-cgroup: delete of a container that exited stops nothing twice and leaves nothing" {
	set_args exit 0
	sd_run_detached
	expect_status 0
	sd_wait_for_state "$CID" stopped
	run sd_berth delete "$CID"
	expect_status 0
	left=$(sd_cg_dirs "$SCOPE")
	[ -z "$left" ] || fail_with "left after delete: $left"
	[ "$(sd_unit_prop "$SCOPE" LoadState)" = not-found ] ||
		fail_with "$SCOPE is still loaded: $(sd_unit_prop "$SCOPE" ActiveState)"
}

@test "systemd-cgroup: a create that fails after the unit started stops it again" {
	set_args /does/not/exist
	sd_run_detached
	# it failed where it should: in the init, after the unit was started for it
	expect_fail_naming /does/not/exist
	[ -z "$(sd_berth list -q)" ] || fail_with "container left: $(sd_berth list -q)"
	state=$(sd_unit_prop "$SCOPE" ActiveState)
	[ "$state" = inactive ] || fail_with "$SCOPE is '$state' after the failed create"
	left=$(sd_cg_dirs "$SCOPE")
	[ -z "$left" ] || fail_with "left after the failed create: $left"
}

@test "systemd-cgroup: exec, pause, resume and kill --all work on the scope" {
	set_args pause
	sd_run_detached
	expect_status 0
	run sd_berth exec "$CID" /bin/testinit cat /proc/self/cgroup
	expect_status 0
	bad=$(echo "$output" | grep -v ":/system.slice/$SCOPE\$" || true)
	[ -z "$bad" ] || fail_with "exec'd process not in $SCOPE: $bad"
	run sd_berth pause "$CID"
	expect_status 0
	[ "$(sd_state)" = paused ] || fail_with "state is $(sd_state) after pause"
	if sd test -d /sys/fs/cgroup/freezer; then
		[ "$(sd_cg_file freezer freezer.state)" = FROZEN ] || fail_with "freezer.state is $(sd_cg_file freezer freezer.state)"
	fi
	run sd_berth resume "$CID"
	expect_status 0
	[ "$(sd_state)" = running ] || fail_with "state is $(sd_state) after resume"
	sd_berth exec -d "$CID" /bin/testinit pause </dev/null >>"$CTR_OUT" 2>&1 ||
		fail_with "exec -d failed: $(cat "$CTR_OUT")"
	run sd_berth ps --format json "$CID"
	expect_status 0
	[ "$(echo "$output" | jq length)" = 2 ] || fail_with "expected 2 processes, got $output"
	run sd_berth kill --all "$CID" KILL
	expect_status 0
	sd_wait_for_state "$CID" stopped
	procs=$(sd cat "/sys/fs/cgroup/pids/system.slice/$SCOPE/cgroup.procs" 2>/dev/null || true)
	[ -z "$procs" ] || fail_with "processes left in $SCOPE: $procs"
}

@test "systemd-cgroup: update changes the limits in the scope's files and systemd keeps them" {
	requires cgroup_v1
	set_args pause
	sd_run_detached
	expect_status 0
	run sd_berth update --pids-limit 77 "$CID"
	expect_status 0
	got=$(sd_cg_file pids pids.max)
	[ "$got" = 77 ] || fail_with "pids.max is '$got' after update, expected 77"
	# systemd was told: a daemon-reload keeps it
	sd systemctl daemon-reload
	got=$(sd_cg_file pids pids.max)
	[ "$got" = 77 ] || fail_with "pids.max is '$got' after update and daemon-reload, expected 77"
}

@test "systemd-cgroup: without systemd running, --systemd-cgroup fails with a clear error" {
	requires berth -- "berth's wording"
	[ ! -e /run/systemd/system ] || skip "the host runs systemd"
	set_args pause
	run berth_detached --systemd-cgroup run -d --bundle "$BUNDLE" "$CID"
	expect_fail_naming "linux.cgroupsPath" "the systemd cgroup driver needs systemd, which is not running (no /run/systemd/system)"
	[ -z "$(berth list -q)" ] || fail_with "container left: $(berth list -q)"
}
