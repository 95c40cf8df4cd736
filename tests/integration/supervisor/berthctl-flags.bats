#!/usr/bin/env bats
# berthctl run's docker flags mapped into the OCI spec (issue #14), each checked by its
# effect inside the container: -v, --mount, --tmpfs, --cpus, --cpu-shares, --memory-swap,
# --ulimit, --cap-add/--cap-drop, --privileged, --security-opt, --device, --env-file,
# --label, --stop-signal and the image's StopSignal, --init. The spec mapping itself is
# unit-tested in tests/unit/test_ctl_spec.c. Against a private berthd, or containerd 1.6
# with BERTHCTL_PEER=containerd.

load ../helpers
load ../../compat/compat-helpers
load berthctl-peer

bats_require_minimum_version 1.5.0

IMAGE=localhost/berth-flags:latest
SIGIMG=localhost/berth-flags-sig:latest

setup_file() {
	ctl_peer_setup_file || return 1
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$T/img" --layers 1 --name "$IMAGE" >/dev/null
	"$BERTH_TOP/tests/helpers/mkimage.sh" "$T/sigimg" --layers 1 --name "$SIGIMG" \
		--stop-signal SIGUSR2 >/dev/null
	bctl images import "$T/img/image.oci.tar" >/dev/null
	bctl images import "$T/sigimg/image.oci.tar" >/dev/null
}

teardown_file() {
	ctl_peer_teardown_file
}

setup() {
	ctl_peer_setup
}

teardown() {
	ctl_peer_teardown
}

# capeff SPEC...: the container's CapEff mask (hex) when run with the given flags
capeff() {
	bctl run --rm "$@" "$IMAGE" grep CapEff /proc/self/status | awk '{ print $2 }'
}

# has_cap MASK BIT
has_cap() {
	(((0x$1 >> $2) & 1))
}

@test "-v HOST:CTR is a read-write bind, :ro read-only, a missing host dir is created" {
	mkdir -p "$T/vol"
	echo from-host >"$T/vol/f"
	run bctl run --rm -v "$T/vol:/data/v" "$IMAGE" sh -c 'cat /data/v/f; echo from-ctr >/data/v/g'
	[ "$status" -eq 0 ] && [ "$output" = from-host ] || { echo "$output"; false; }
	[ "$(cat "$T/vol/g")" = from-ctr ]
	run bctl run --rm -v "$T/vol:/data/v:ro" "$IMAGE" sh -c 'echo x >/data/v/h'
	[ "$status" -ne 0 ]
	[ ! -e "$T/vol/h" ]
	run bctl run --rm -v "$T/newdir/sub:/n" "$IMAGE" true
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ -d "$T/newdir/sub" ]
	run bctl run --rm -v relative:/x "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"named volumes are not supported"* ]]
	run bctl run --rm -v "$T/vol:/x:bogus" "$IMAGE" true
	[[ "$output" == *"unknown option 'bogus'"* ]]
}

@test "--mount type=bind,readonly and type=tmpfs with size; --tmpfs with options" {
	echo m >"$T/mfile"
	run bctl run --rm --mount "type=bind,source=$T/mfile,target=/etc/m,readonly" "$IMAGE" \
		sh -c 'cat /etc/m; echo x >/etc/m'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = m ] || { echo "$output"; false; }
	run bctl run --rm --mount type=tmpfs,target=/t,tmpfs-size=1048576 "$IMAGE" \
		grep ' /t ' /proc/mounts
	[[ "$output" == *"tmpfs /t tmpfs"*"size=1024k"* ]] || { echo "$output"; false; }
	run bctl run --rm --tmpfs /scratch:size=2m,exec "$IMAGE" grep ' /scratch ' /proc/mounts
	[[ "$output" == *"size=2048k"* ]] || { echo "$output"; false; }
	[[ "$output" != *noexec* ]] || { echo "$output"; false; }
	run bctl run --rm --tmpfs /s2 "$IMAGE" grep ' /s2 ' /proc/mounts
	[[ "$output" == *nosuid*nodev*noexec* ]] || { echo "$output"; false; }
	run bctl run --rm --mount type=volume,source=v,target=/v "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"type must be bind or tmpfs"* ]]
	run bctl run --rm --mount "type=bind,source=$T/nosuch,target=/x" "$IMAGE" true
	[[ "$output" == *"source '$T/nosuch'"* ]]
}

# cgroup_file CONTROLLER FILE NAME: the value of a v1 cgroup file of container NAME's cgroup
cgroup_file() {
	local id
	id=$(bctl ps --no-trunc 2>/dev/null | awk -v n="$3" '$NF == n { print $1 }')
	[ -n "$id" ] || id=$(ls "/sys/fs/cgroup/$1/$NS/" | head -1)
	cat "/sys/fs/cgroup/$1/$NS/$id/$2"
}

@test "--cpus, --cpu-shares, --memory-swap set the container's cgroup" {
	[ -d /sys/fs/cgroup/cpu ] || skip "needs cgroup v1 cpu (this host's hybrid layout)"
	bctl run -d --name cg --cpus 1.5 --cpu-shares 512 -m 64m --memory-swap 128m "$IMAGE" sleep 60
	[ "$(cat /sys/fs/cgroup/cpu/"$NS"/*/cpu.cfs_quota_us)" = 150000 ]
	[ "$(cat /sys/fs/cgroup/cpu/"$NS"/*/cpu.cfs_period_us)" = 100000 ]
	[ "$(cat /sys/fs/cgroup/cpu/"$NS"/*/cpu.shares)" = 512 ]
	if [ -e "$(echo /sys/fs/cgroup/memory/"$NS"/*/memory.memsw.limit_in_bytes)" ]; then
		[ "$(cat /sys/fs/cgroup/memory/"$NS"/*/memory.memsw.limit_in_bytes)" = $((128 << 20)) ]
	fi
	run bctl run --rm --memory-swap 1g "$IMAGE" true
	[[ "$output" == *"--memory-swap: needs --memory"* ]]
	run bctl run --rm -m 64m --memory-swap 32m "$IMAGE" true
	[[ "$output" == *"is below --memory"* ]]
	run bctl run --rm --cpus abc "$IMAGE" true
	[[ "$output" == *"--cpus: invalid value 'abc'"* ]]
}

@test "--ulimit sets the process's soft and hard limits" {
	run bctl run --rm --ulimit nofile=1024:2048 "$IMAGE" sh -c 'ulimit -n; ulimit -Hn'
	[ "${lines[0]}" = 1024 ] && [ "${lines[1]}" = 2048 ] || { echo "$output"; false; }
	run bctl run --rm --ulimit bogus=1 "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--ulimit 'bogus=1'"* ]]
}

@test "--cap-add / --cap-drop (ALL too) change the capabilities; unknown names are refused" {
	local m
	m=$(capeff)
	has_cap "$m" 0                # CHOWN yes (containerd's defaults)
	! has_cap "$m" 12 || false    # NET_ADMIN no
	m=$(capeff --cap-add NET_ADMIN)
	has_cap "$m" 12
	m=$(capeff --cap-drop chown)
	! has_cap "$m" 0 || false
	m=$(capeff --cap-drop ALL)
	[ "$((0x$m))" -eq 0 ] || { echo "$m"; false; }
	m=$(capeff --cap-drop ALL --cap-add CAP_KILL)
	[ "$((0x$m))" -eq $((1 << 5)) ] || { echo "$m"; false; }
	m=$(capeff --cap-add ALL)
	has_cap "$m" 21 # SYS_ADMIN
	run bctl run --rm --cap-add NOT_A_CAP "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--cap-add: unknown capability 'NOT_A_CAP'"* ]]
}

@test "--privileged: every capability the host has, devices allowed, no masked paths" {
	run bctl run --rm --privileged "$IMAGE" grep CapEff /proc/self/status
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	has_cap "$(echo "$output" | awk '{ print $2 }')" 21
	# /proc/keys is a masked path (a /dev/null bind) unless privileged
	run bctl run --rm --privileged "$IMAGE" sh -c 'grep -c " /proc/keys " /proc/mounts'
	[ "$output" = 0 ] || { echo "masked: $output"; false; }
	run bctl run --rm "$IMAGE" sh -c 'grep -c " /proc/keys " /proc/mounts'
	[ "$output" = 1 ] || { echo "not masked without --privileged: $output"; false; }
	# the device cgroup allows every device: a node with /dev/loop-control's numbers opens
	run bctl run --rm --privileged "$IMAGE" sh -c 'mknod /tmp/m c 10 237 && exec 3</tmp/m && echo dev-ok'
	[[ "$output" == *dev-ok* ]] || { echo "$output"; false; }
	run bctl run --rm "$IMAGE" sh -c 'mknod /tmp/m c 10 237 && exec 3</tmp/m && echo dev-ok'
	[[ "$output" != *dev-ok* ]] || { echo "allowed without --privileged: $output"; false; }
}

@test "--security-opt no-new-privileges, seccomp=PROFILE, seccomp=unconfined" {
	run bctl run --rm --security-opt no-new-privileges "$IMAGE" grep NoNewPrivs /proc/self/status
	[[ "$output" == *"1"* ]] || { echo "$output"; false; }
	cat >"$T/seccomp.json" <<-EOF
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
	EOF
	run bctl run --rm --security-opt "seccomp=$T/seccomp.json" "$IMAGE" sh -c 'grep Seccomp: /proc/self/status; mkdir /tmp/x'
	[ "$status" -ne 0 ] || { echo "$output"; false; }
	[[ "${lines[0]}" == *2* ]] || { echo "$output"; false; }
	run bctl run --rm --security-opt seccomp=unconfined "$IMAGE" sh -c 'grep Seccomp: /proc/self/status; mkdir /tmp/x'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$T/bad.json"
	run bctl run --rm --security-opt "seccomp=$T/bad.json" "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--security-opt seccomp='$T/bad.json'"* ]] || { echo "$output"; false; }
	run bctl run --rm --security-opt apparmor=x "$IMAGE" true
	[[ "$output" == *"--security-opt 'apparmor=x'"* ]]
}

@test "--device HOST:CTR makes the node and allows it in the device cgroup" {
	run bctl run --rm --device /dev/null:/dev/mynull "$IMAGE" sh -c 'stat -c "%t %T" /dev/mynull; echo x >/dev/mynull && echo written'
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	[ "${lines[0]}" = "1 3" ] && [ "${lines[1]}" = written ] || { echo "$output"; false; }
	run bctl run --rm --device /etc/passwd "$IMAGE" true
	[[ "$output" == *"is not a device node"* ]]
}

@test "--env-file adds its variables (K alone from berthctl's environment)" {
	printf '# comment\nFROM_FILE=1\n\n  SPACED=two words\nPASSED\n' >"$T/env"
	PASSED=yes run bctl run --rm --env-file "$T/env" "$IMAGE" env
	grep -qx FROM_FILE=1 <<<"$output"
	grep -qx 'SPACED=two words' <<<"$output"
	grep -qx PASSED=yes <<<"$output"
	run bctl run --rm --env-file "$T/nosuch" "$IMAGE" true
	[ "$status" -eq 1 ]
	[[ "$output" == *"--env-file"* ]]
}

@test "--label is on the container record" {
	bctl run -d --name lb --label team=core --label tier=1 "$IMAGE" sleep 60
	id=$(bctl ps --no-trunc | awk '$NF == "lb" { print $1 }')
	[ -n "$id" ] || id=$(ctr -a "$SOCK" -n "$NS" containers ls -q | head -1)
	run ctr -a "$SOCK" -n "$NS" containers info "$id"
	echo "$output" | jq -e '.Labels.team == "core" and .Labels.tier == "1"' || { echo "$output"; false; }
	run bctl run --rm --label novalue "$IMAGE" true
	[[ "$output" == *"--label 'novalue': want KEY=VALUE"* ]]
}

@test "stop sends --stop-signal, else the image's StopSignal, else TERM" {
	bctl run -d --name ss --stop-signal USR1 "$IMAGE" sh -c 'trap "echo got-usr1; exit 0" USR1; trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
	bctl run -d --name si "$SIGIMG" sh -c 'trap "echo got-usr2; exit 0" USR2; trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
	for n in ss si; do # the traps are set once it said ready
		for _ in $(seq 200); do
			bctl logs "$n" | grep -q ready && break
			sleep 0.1
		done
	done
	bctl stop -t 20 ss si
	run bctl logs ss
	[ "$output" = "$(printf 'ready\ngot-usr1')" ] || { echo "ss: $output"; false; }
	run bctl logs si
	[ "$output" = "$(printf 'ready\ngot-usr2')" ] || { echo "si: $output"; false; }
	run bctl run --rm --stop-signal NOPE "$IMAGE" true
	[[ "$output" == *"--stop-signal: invalid signal 'NOPE'"* ]]
}

@test "--init runs a tiny init as pid 1 that reaps and passes the exit status" {
	[ -x /usr/bin/tini-static ] || skip "needs tini (tini-static)"
	run bctl run --rm --init "$IMAGE" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; exit 3'
	[ "$status" -eq 3 ] || { echo "$status: $output"; false; }
	[[ "$output" == "/sbin/docker-init -- sh"* ]] || { echo "$output"; false; }
}
