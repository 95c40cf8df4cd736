#!/usr/bin/env bats
# hooks: prestart, createRuntime, createContainer, startContainer, poststart, poststop.
# Every hook appends "NAME <state JSON>" to hooks.log in a directory that is bind-mounted
# into the container at /hooklog, so a hook that runs in the container's mount namespace
# (createContainer may, startContainer must) writes the same file.

load ../helpers

setup() {
	setup_bundle
	mkdir -p "$TEST_TMP/hooklog"
	chmod 0777 "$TEST_TMP/hooklog"
	LOG=$TEST_TMP/hooklog/hooks.log
	HOOK=$TEST_TMP/hook.sh
	# host-side hook: $1 = name; writes the log wherever this namespace sees it
	cat >"$HOOK" <<-EOF
		#!/bin/sh
		state=\$(cat | tr -d '\n')
		for f in "$LOG" /hooklog/hooks.log; do
			if [ -d "\$(dirname "\$f")" ]; then
				printf '%s %s\n' "\$1" "\$state" >>"\$f"
				break
			fi
		done
		[ -n "\$HOOK_EXIT" ] && exit "\$HOOK_EXIT"
		[ -n "\$HOOK_SLEEP" ] && exec sleep "\$HOOK_SLEEP"
		exit 0
	EOF
	chmod 0755 "$HOOK"
	update_config '.mounts += [{"destination": "/hooklog", "type": "bind", "source": $d,
		"options": ["bind"]}]' --arg d "$TEST_TMP/hooklog"
}

teardown() {
	teardown_bundle
}

# host_hook NAME [ENV...]: a hooks entry running hook.sh NAME
host_hook() {
	local name=$1
	shift
	jq -cn --arg p "$HOOK" --arg n "$name" '{path: $p, args: [$p, $n], env: $ARGS.positional}' \
		--args "$@"
}

# add_hook KIND JSON
add_hook() {
	update_config '.hooks[$k] += [$h]' --arg k "$1" --argjson h "$2"
}

# the hook names in log order, one line
hook_order() {
	[ -f "$LOG" ] && awk '{ print $1 }' "$LOG" | tr '\n' ' '
}

# hook_state NAME: the state JSON that hook NAME received on stdin
hook_state() {
	awk -v n="$1" '$1 == n { sub(/^[^ ]+ /, ""); print; exit }' "$LOG"
}

# a startContainer hook runs in the container: busybox sh, path inside the rootfs
start_container_hook() {
	jq -cn '{path: "/bin/sh", args: ["sh", "-c",
		"printf \"startContainer %s\\n\" \"$(cat | tr -d \"\\n\")\" >> /hooklog/hooks.log"]}'
}

@test "hooks: all six kinds run, in the order of the lifecycle" {
	not_runtime runc "1.1.5 runs poststart hooks at create, before start"
	add_hook prestart "$(host_hook prestart)"
	add_hook createRuntime "$(host_hook createRuntime)"
	add_hook createContainer "$(host_hook createContainer)"
	add_hook startContainer "$(start_container_hook)"
	add_hook poststart "$(host_hook poststart)"
	add_hook poststop "$(host_hook poststop)"
	create_container
	order=$(hook_order)
	for h in prestart createRuntime createContainer; do
		[[ " $order" == *" $h "* ]] || fail_with "after create, '$h' has not run: '$order'" || return 1
	done
	[[ "$order" != *startContainer* && "$order" != *poststart* ]] ||
		fail_with "start hooks ran at create: '$order'"
	run berth start "$CID"
	expect_status 0
	wait_for_state "$CID" running
	run berth kill "$CID" KILL
	wait_for_state "$CID" stopped
	[[ "$(hook_order)" != *poststop* ]] || fail_with "poststop ran before delete: '$(hook_order)'"
	run berth delete "$CID"
	expect_status 0
	order=$(hook_order)
	# prestart and createRuntime may run in either order; the rest is fixed
	tail=$(sed -E 's/^(prestart createRuntime|createRuntime prestart) //' <<<"$order")
	[ "$tail" = "createContainer startContainer poststart poststop " ] ||
		fail_with "hook order is '$order'"
}

@test "hooks: the state on stdin has the container's id, pid and bundle" {
	add_hook prestart "$(host_hook prestart)"
	add_hook createRuntime "$(host_hook createRuntime)"
	add_hook poststart "$(host_hook poststart)"
	run_container
	for h in prestart createRuntime poststart; do
		st=$(hook_state "$h")
		jq -e --arg id "$CID" --arg b "$BUNDLE" --argjson pid "$(container_pid)" \
			'.id == $id and .pid == $pid and .bundle == $b' <<<"$st" >/dev/null ||
			fail_with "$h got state '$st'" || return 1
	done
}

@test "hooks: the startContainer hook runs inside the container with its state" {
	add_hook startContainer "$(start_container_hook)"
	run_container
	st=$(hook_state startContainer)
	jq -e --arg id "$CID" '.id == $id' <<<"$st" >/dev/null || fail_with "startContainer got '$st'"
}

@test "hooks: env is passed to the hook" {
	add_hook prestart "$(jq -cn --arg p /bin/sh --arg log "$LOG" \
		'{path: $p, args: ["sh", "-c", ("echo \"env HOOKVAR=$HOOKVAR\" >> " + $log)],
		  env: ["HOOKVAR=forty-two"]}')"
	create_container
	grep -qx "env HOOKVAR=forty-two" "$LOG" || fail_with "hook log: $(cat "$LOG")"
}

# env_hook KIND: a hook without env that logs "KIND HOOKMARK=<value of $HOOKMARK>", to the
# log wherever its mount namespace sees it (as hook.sh)
env_hook() {
	jq -cn --arg log "$LOG" --arg k "$1" '{path: "/bin/sh", args: ["sh", "-c",
		("for f in " + $log + " /hooklog/hooks.log; do if [ -d \"${f%/*}\" ]; then echo \"" + $k +
		 " HOOKMARK=$HOOKMARK\" >> $f; break; fi; done")]}'
}

# regression: issue #15. runc and crun run a hook that has no env with the runtime's own
# environment (containerd's and podman's hooks read PATH, XDG_* and their own variables).
@test "hooks: a host hook without env inherits the runtime's environment" {
	add_hook prestart "$(env_hook prestart)"
	add_hook createRuntime "$(env_hook createRuntime)"
	add_hook poststart "$(env_hook poststart)"
	add_hook poststop "$(env_hook poststop)"
	HOOKMARK=m1 create_container
	HOOKMARK=m1 run berth start "$CID"
	expect_status 0
	wait_for_state "$CID" running
	HOOKMARK=m1 run berth delete --force "$CID"
	expect_status 0
	for k in prestart createRuntime poststart poststop; do
		grep -qx "$k HOOKMARK=m1" "$LOG" || fail_with "$k: hook log: $(cat "$LOG")" || return 1
	done
}

@test "hooks: a createContainer hook without env inherits the runtime's environment" {
	not_runtime runc "gives createContainer the container process's environment"
	add_hook createContainer "$(env_hook createContainer)"
	HOOKMARK=m2 create_container
	grep -qx "createContainer HOOKMARK=m2" "$LOG" || fail_with "hook log: $(cat "$LOG")"
}

@test "hooks: a startContainer hook without env gets the container process's environment" {
	update_config '.process.env += ["CTRMARK=c3"]'
	add_hook startContainer "$(jq -cn \
		'{path: "/bin/sh", args: ["sh", "-c", "echo \"startContainer $CTRMARK $HOME HOOKMARK=$HOOKMARK\" >> /hooklog/hooks.log"]}')"
	HOOKMARK=m3 run_container
	grep -qx "startContainer c3 /root HOOKMARK=" "$LOG" || fail_with "hook log: $(cat "$LOG")"
}

@test "hooks: args are passed to the hook, args[0] included" {
	add_hook prestart "$(jq -cn --arg log "$LOG" \
		'{path: "/bin/sh", args: ["sh", "-c", ("echo \"args $0 $1\" >> " + $log), "zero", "one"]}')"
	create_container
	grep -qx "args zero one" "$LOG" || fail_with "hook log: $(cat "$LOG")"
}

@test "hooks: a failing prestart hook fails create and leaves no container" {
	add_hook prestart "$(host_hook prestart HOOK_EXIT=3)"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ -z "$(berth list -q)" ] || fail_with "container left: $(berth list -q)"
	leftover=$(leftover_pids)
	[ -z "$leftover" ] || fail_with "processes left: $leftover"
}

@test "hooks: a failing createRuntime hook fails create" {
	add_hook createRuntime "$(host_hook createRuntime HOOK_EXIT=1)"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ -z "$(berth list -q)" ] || fail_with "container left: $(berth list -q)"
}

@test "hooks: the error for a failing prestart hook names the hook" {
	requires berth -- "runc 1.1.5 reports 'error running hook #0' without the kind or path"
	add_hook prestart "$(host_hook prestart HOOK_EXIT=3)"
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming prestart
}

@test "hooks: a hook that outlives its timeout fails create" {
	add_hook prestart "$(host_hook prestart HOOK_SLEEP=30 | jq -c '.timeout = 1')"
	SECONDS=0
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	# not a timing assertion on the runtime's speed: 30s would mean no timeout at all
	[ "$SECONDS" -lt 25 ] || fail_with "create waited for the whole hook ($SECONDS s)"
	expect_output_contains "time"
}

# OCI: "If any poststart hook fails, the runtime MUST log a warning, but the remaining hooks
# and lifecycle continue as if the hook had succeeded."
@test "hooks: a failing poststart hook only warns; the container keeps running" {
	requires berth -- "runc 1.1.5 fails start and kills the container when poststart fails"
	add_hook poststart "$(host_hook poststart HOOK_EXIT=1)"
	add_hook poststart "$(host_hook poststart2)"
	create_container
	run berth start "$CID"
	expect_status 0
	[ "$(state_of "$CID")" = running ] || fail_with "container is '$(state_of "$CID")'"
	grep -q '^poststart2 ' "$LOG" || fail_with "the hook after the failing one did not run"
}

@test "hooks: a failing poststop hook only warns; delete succeeds" {
	add_hook poststop "$(host_hook poststop HOOK_EXIT=1)"
	set_args exit 0
	run_container
	wait_for_state "$CID" stopped
	run berth delete "$CID"
	expect_status 0
	grep -q '^poststop ' "$LOG" || fail_with "poststop did not run"
	run berth state "$CID"
	expect_failure
}

@test "hooks: poststop runs when a running container is deleted with --force" {
	add_hook poststop "$(host_hook poststop)"
	run_container
	run berth delete --force "$CID"
	expect_status 0
	grep -q '^poststop ' "$LOG" || fail_with "poststop did not run: $(hook_order)"
}

@test "hooks: a hook path that does not exist fails create and names it" {
	add_hook prestart '{"path": "/no/such/hook"}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_failure
	[ -z "$(berth list -q)" ] || fail_with "container left: $(berth list -q)"
}
