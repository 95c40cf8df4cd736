#!/usr/bin/env bats
# The process object: user, umask, env, cwd, capabilities, rlimits, noNewPrivileges,
# oomScoreAdj, seccomp, terminal, and the fds that reach the container.

load ../helpers

setup() {
	setup_bundle
}

teardown() {
	teardown_bundle
}

# caps_hex CAP...: the /proc/self/status hex mask of the named capabilities
caps_hex() {
	local mask=0 c n
	for c in "$@"; do
		case $c in
		CAP_CHOWN) n=0 ;;
		CAP_DAC_OVERRIDE) n=1 ;;
		CAP_KILL) n=5 ;;
		CAP_SETUID) n=7 ;;
		CAP_NET_BIND_SERVICE) n=10 ;;
		CAP_NET_RAW) n=13 ;;
		CAP_SYS_ADMIN) n=21 ;;
		CAP_AUDIT_WRITE) n=29 ;;
		*) echo "caps_hex: add $c" >&2; return 1 ;;
		esac
		mask=$((mask | (1 << n)))
	done
	printf '%016x\n' "$mask"
}

@test "user: uid, gid and additionalGids apply" {
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [2000, 2001]}'
	set_args id
	run_fg
	expect_status 0
	expect_output "uid=1000 gid=1001 groups=2000,2001"
}

@test "user: a uid with no additionalGids has no supplementary groups" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_args id
	run_fg
	expect_status 0
	expect_output "uid=1000 gid=1000 groups="
}

# regression: issue #15: uid 4294967295 is (uid_t)-1, which setresuid() takes as "no
# change": the process ran as root. runc refuses ids outside 0-2147483647.
@test "user: a uid or gid above 2147483647 is refused and named, nothing runs" {
	not_runtime crun "1.8.1 has the bug: uid 4294967295 runs the process as uid 0"
	local f
	for f in uid gid; do
		update_config '.process.user = {"uid": 1000, "gid": 1000} | .process.user[$f] = 4294967295' \
			--arg f "$f"
		set_args /bin/sh -c 'echo RAN; id'
		run_fg
		expect_failure
		expect_output_not_contains "RAN"
		if [ "$(runtime_name)" = berth ]; then
			expect_output_contains "process.user.$f" "2147483647"
		fi
	done
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 4294967295]}'
	run_fg
	expect_failure
	expect_output_not_contains "RAN"
	if [ "$(runtime_name)" = berth ]; then
		expect_output_contains "process.user.additionalGids[1]"
	fi
}

@test "user: exec --user with a uid above 2147483647 is refused" {
	not_runtime crun "1.8.1 has the bug: --user 4294967295 runs the process as uid 0"
	set_args /bin/testinit pause
	run_container
	run berth exec --user 4294967295:0 "$CID" /bin/sh -c 'echo RAN; id'
	expect_failure
	expect_output_not_contains "RAN"
	run berth exec --user 0:0 --additional-gids 4294967295 "$CID" /bin/sh -c 'echo RAN; id'
	expect_failure
	expect_output_not_contains "RAN"
}

@test "umask: process.user.umask applies" {
	update_config '.process.user.umask = 63'
	set_args umask
	run_fg
	expect_status 0
	expect_output 0077
}

@test "umask: the default is 0022" {
	set_args umask
	run_fg
	expect_status 0
	expect_output 0022
}

@test "env: the environment is process.env (plus HOME when it has none), nothing of the runtime's" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
	set_args env
	run_fg
	expect_status 0
	expect_line "PATH=/bin"
	expect_line "FOO=bar baz"
	expect_line "EMPTY="
	expect_output_not_contains "BERTH_TEST_TMP="
	expect_output_not_contains "BATS_"
}

# regression: issue #15. runc and crun set HOME from the container's /etc/passwd when
# process.env has none; programs (shells, git, pip) rely on it.
@test "env: without HOME in process.env, HOME is the user's home from the container's /etc/passwd" {
	echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$ROOTFS/etc/passwd"
	set_args env
	run_fg
	expect_status 0
	expect_line "HOME=/root"
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run_fg
	expect_status 0
	expect_line "HOME=/home/app"
}

@test "env: HOME in process.env is kept" {
	update_config '.process.env += ["HOME=/custom"]'
	set_args env
	run_fg
	expect_status 0
	expect_line "HOME=/custom"
	expect_output_not_contains "HOME=/root"
}

@test "env: a user /etc/passwd does not list gets HOME=/" {
	not_runtime crun "sets no HOME for a uid /etc/passwd does not list"
	update_config '.process.user = {"uid": 2000, "gid": 2000}'
	set_args env
	run_fg
	expect_status 0
	expect_line "HOME=/"
}

@test "env: args[0] without a slash is found in the PATH of process.env" {
	update_config '.process.env = ["PATH=/usr/bin:/bin"] | .process.args = ["testinit", "echo", "via-path"]'
	run_fg
	expect_status 0
	expect_output via-path
}

# regression: issue #15: an environment beyond execve's limit made `run` exit 127 with
# nothing on stderr. One string over MAX_ARG_STRLEN (128 KiB) and a total over the
# limit are both E2BIG; the error names the field.
@test "env: an environment larger than the kernel takes fails with E2BIG naming process.env" {
	update_config '.process.env += ["BIG=" + ("x" * 200000)]'
	set_args /bin/sh -c 'echo RAN'
	run_fg
	expect_failure
	[ "$status" != 127 ] || [ -n "$output" ] || fail_with "exit 127 and nothing said"
	expect_output_not_contains "RAN"
	grep -qi "argument list too long" <<<"$output" || fail_with "no E2BIG"
	if [ "$(runtime_name)" = berth ]; then
		expect_output_contains "process.env["
	fi
	# many strings, each short: the total is too large
	update_config '.process.env = [range(0; 9000) | "V\(.)=" + ("y" * 1000)]'
	run_fg
	expect_failure
	expect_output_not_contains "RAN"
	grep -qi "argument list too long" <<<"$output" || fail_with "no E2BIG"
	if [ "$(runtime_name)" = berth ]; then
		expect_output_contains "process.env too large"
	fi
}

@test "args: arguments larger than the kernel takes fail with E2BIG naming process.args" {
	update_config '.process.args = ["/bin/sh", "-c", "echo RAN", ("x" * 200000)]'
	run_fg
	expect_failure
	expect_output_not_contains "RAN"
	grep -qi "argument list too long" <<<"$output" || fail_with "no E2BIG"
	if [ "$(runtime_name)" = berth ]; then
		expect_output_contains "process.args[3]"
	fi
}

@test "env: with create and start, start fails with the E2BIG and the container is stopped" {
	requires berth -- "runc 1.1.5 and crun 1.8.1 start succeed; the exec failure shows on the container's stderr only"
	update_config '.process.env += ["BIG=" + ("x" * 200000)]'
	set_args /bin/sh -c 'echo RAN'
	create_container
	run berth start "$CID"
	expect_failure
	grep -qi "argument list too long" <<<"$output" || fail_with "no E2BIG"
	if [ "$(runtime_name)" = berth ]; then
		expect_output_contains "process.env["
	fi
	wait_for_state "$CID" stopped
}

@test "cwd: the process starts in process.cwd" {
	update_config '.process.cwd = "/tmp"'
	set_args cwd
	run_fg
	expect_status 0
	expect_output /tmp
}

@test "capabilities: a non-root process gets exactly the configured sets" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"],
			"effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
			"inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
		| .process.noNewPrivileges = false'
	set_args caps
	run_fg
	expect_status 0
	expect_line "CapInh:	$(caps_hex CAP_KILL)"
	expect_line "CapPrm:	$(caps_hex CAP_KILL)"
	expect_line "CapEff:	$(caps_hex CAP_KILL)"
	expect_line "CapBnd:	$(caps_hex CAP_CHOWN CAP_KILL)"
	expect_line "CapAmb:	$(caps_hex CAP_KILL)"
}

@test "capabilities: root gets its bounding set as permitted and effective" {
	update_config '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_NET_RAW"],
		"effective": ["CAP_CHOWN", "CAP_NET_RAW"], "permitted": ["CAP_CHOWN", "CAP_NET_RAW"]}'
	set_args caps
	run_fg
	expect_status 0
	expect_line "CapBnd:	$(caps_hex CAP_CHOWN CAP_NET_RAW)"
	expect_line "CapEff:	$(caps_hex CAP_CHOWN CAP_NET_RAW)"
	expect_line "CapPrm:	$(caps_hex CAP_CHOWN CAP_NET_RAW)"
	expect_line "CapAmb:	0000000000000000"
}

@test "capabilities: the template's set is the process's set" {
	set_args caps
	run_fg
	expect_status 0
	expect_line "CapBnd:	$(caps_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)"
	expect_line "CapEff:	$(caps_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)"
}

# runtime-spec 1.1 (config.md, "Linux Process"): a capability that cannot be mapped or
# granted MUST be logged as a warning, and the runtime SHOULD NOT fail. runc 1.1.5 warns
# ("ignoring unknown or unavailable capabilities"); crun 1.8.1 ignores it in silence.
@test "capabilities: an unknown capability is a warning naming it, the others apply" {
	update_config '.process.capabilities.bounding += ["CAP_TEST"]
		| .process.capabilities.effective += ["CAP_TEST"]'
	set_args caps
	run_fg
	expect_status 0
	expect_line "CapBnd:	$(caps_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)"
	expect_line "CapEff:	$(caps_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)"
	[ "$(runtime_name)" = crun ] || expect_output_contains CAP_TEST warn
}

@test "capabilities: the warning for an unknown capability names the field" {
	requires berth -- "runc names only the capability"
	update_config '.process.capabilities.ambient += ["CAP_TEST"]'
	set_args caps
	run_fg
	expect_status 0
	expect_output_contains "process.capabilities.ambient[3]: unknown capability 'CAP_TEST'"
}

# The same rule for a capability the runtime does not hold (this host has no
# CAP_SYS_RESOURCE): a warning, and the process runs without it. runc 1.1.5 and crun 1.8.1
# still fail in capset with EPERM.
@test "capabilities: one missing from the runtime's bounding set is a warning, not granted" {
	requires berth -- "runc 1.1.5 and crun 1.8.1 fail in capset (EPERM)"
	bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
	[ -n "$bnd" ] || fail_with "no CapBnd in /proc/self/status"
	[ $((0x$bnd & (1 << 24))) -eq 0 ] || skip "this host has CAP_SYS_RESOURCE"
	update_config '.process.capabilities.bounding += ["CAP_SYS_RESOURCE"]
		| .process.capabilities.effective += ["CAP_SYS_RESOURCE"]
		| .process.capabilities.permitted += ["CAP_SYS_RESOURCE"]
		| .process.capabilities.inheritable = ["CAP_SYS_RESOURCE", "CAP_KILL"]'
	set_args caps
	run_fg
	expect_status 0
	expect_output_contains "process.capabilities.permitted: 'CAP_SYS_RESOURCE' is not in the runtime's bounding set"
	expect_line "CapEff:	$(caps_hex CAP_AUDIT_WRITE CAP_KILL CAP_NET_BIND_SERVICE)"
	expect_line "CapInh:	$(caps_hex CAP_KILL)"
}

@test "rlimits: RLIMIT_NOFILE soft and hard apply" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000}]'
	set_args ulimit RLIMIT_NOFILE
	run_fg
	expect_status 0
	expect_output "RLIMIT_NOFILE 1000 2000"
}

@test "rlimits: RLIMIT_NPROC applies too" {
	update_config '.process.rlimits += [{"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}]'
	set_args ulimit RLIMIT_NPROC
	run_fg
	expect_status 0
	expect_output "RLIMIT_NPROC 300 400"
}

@test "rlimits: raising NOFILE above the host hard limit fails" {
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "no hard NOFILE limit on this host"
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $n, "hard": $n}]' \
		--argjson n $((hard + 10000))
	set_args ulimit
	run berth_detached run --bundle "$BUNDLE" "$CID"
	expect_failure
	expect_output_not_contains "RLIMIT_NOFILE $((hard + 10000))"
}

@test "rlimits: the error for raising NOFILE above the hard limit names RLIMIT_NOFILE" {
	requires berth -- "runc 1.1.5 says 'error setting rlimit type 7' without the name"
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "no hard NOFILE limit on this host"
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": $n, "hard": $n}]' \
		--argjson n $((hard + 10000))
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming RLIMIT_NOFILE
}

@test "rlimits: an unknown rlimit type fails and names it" {
	update_config '.process.rlimits += [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming RLIMIT_BOGUS
}

@test "noNewPrivileges: true sets NoNewPrivs" {
	update_config '.process.noNewPrivileges = true'
	set_args caps
	run_fg
	expect_status 0
	expect_line "NoNewPrivs:	1"
}

@test "noNewPrivileges: false leaves NoNewPrivs clear" {
	update_config '.process.noNewPrivileges = false'
	set_args caps
	run_fg
	expect_status 0
	expect_line "NoNewPrivs:	0"
}

@test "oomScoreAdj: a positive value is visible in /proc/self/oom_score_adj" {
	update_config '.process.oomScoreAdj = 500'
	set_args cat /proc/self/oom_score_adj
	run_fg
	expect_status 0
	expect_output 500
}

@test "oomScoreAdj: a negative value fails without CAP_SYS_RESOURCE" {
	bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
	[ $((0x$bnd & (1 << 24))) -eq 0 ] || skip "this host has CAP_SYS_RESOURCE"
	update_config '.process.oomScoreAdj = -500'
	set_args cat /proc/self/oom_score_adj
	run berth_detached run --bundle "$BUNDLE" "$CID"
	expect_failure
	expect_output_not_contains "-500"
}

@test "oomScoreAdj: the error for a negative value names oom_score_adj" {
	requires berth -- "runc 1.1.5 fails with 'permission denied' and no name"
	bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
	[ $((0x$bnd & (1 << 24))) -eq 0 ] || skip "this host has CAP_SYS_RESOURCE"
	update_config '.process.oomScoreAdj = -500'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming oom_score_adj
}

@test "seccomp: a denied syscall returns the configured errno" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95}]}'
	set_args /bin/sh -c '/bin/testinit syscall mkdir /tmp/x; /bin/testinit caps'
	run_fg
	expect_status 0
	expect_line "mkdir: errno 95 (Operation not supported)"
	expect_line "Seccomp:	2"
}

@test "seccomp: SCMP_ACT_ERRNO without errnoRet returns EPERM" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}'
	set_args syscall mkdir /tmp/x
	run_fg
	expect_status 0
	expect_line "mkdir: errno 1 (Operation not permitted)"
}

@test "seccomp: SCMP_ACT_KILL kills the process at the syscall" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]}'
	set_args syscall mkdir /tmp/x
	run_fg
	expect_failure
	expect_output_not_contains "mkdir:"
	[ "$status" -eq $((128 + 31)) ] || fail_with "expected status 159 (SIGSYS)"
}

@test "seccomp: the filter applies to a process that is not allowed to exec more" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95}]}'
	set_args /bin/sh -c 'mkdir /tmp/y 2>&1; [ -d /tmp/y ] && echo created || echo not-created'
	run_fg
	expect_line not-created
}

@test "seccomp: an unknown action fails and names it" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming SCMP_ACT_BOGUS
}

@test "terminal: the pty master goes to --console-socket and the process has a tty" {
	update_config '.process.terminal = true'
	set_args tty
	"$RECVTTY" "$TEST_TMP/tty.sock" >"$TEST_TMP/tty.out" 2>"$TEST_TMP/tty.err" &
	rpid=$!
	for _ in $(seq 50); do [ -S "$TEST_TMP/tty.sock" ] && break; sleep 0.1; done
	run berth_detached run --detach --console-socket "$TEST_TMP/tty.sock" --bundle "$BUNDLE" "$CID"
	expect_status 0
	for _ in $(seq 50); do kill -0 "$rpid" 2>/dev/null || break; sleep 0.1; done
	kill "$rpid" 2>/dev/null || true
	output=$(tr -d '\r' <"$TEST_TMP/tty.out")
	expect_line "stdin isatty=1 stdout isatty=1"
	expect_line "ttyname /dev/pts/0"
}

@test "terminal: create without --console-socket fails and names the console socket" {
	update_config '.process.terminal = true'
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming console
}

@test "terminal: without a terminal stdin and stdout are not ttys" {
	set_args tty
	run_fg
	expect_status 0
	expect_line "stdin isatty=0 stdout isatty=0"
}

@test "fds: only stdio reaches the container, not the runtime's other fds" {
	set_args fds
	run berth run --bundle "$BUNDLE" "$CID" </dev/null 5</etc/hostname 7>/dev/null
	expect_status 0
	fds=$(awk '{ print $1 }' <<<"$output" | sort -n | tr '\n' ' ')
	[ "$fds" = "0 1 2 " ] || fail_with "container fds are '$fds', expected '0 1 2 '"
}

@test "fds: --preserve-fds 1 passes fd 3 through" {
	set_args fds
	run berth_keep_fds run --preserve-fds 1 --bundle "$BUNDLE" "$CID" </dev/null 3</etc/hostname
	expect_status 0
	expect_output_contains "3 -> /etc/hostname"
}

@test "capabilities: without CAP_SYS_ADMIN a mount inside the container fails" {
	set_args /bin/sh -c 'mkdir -p /tmp/m && mount -t tmpfs tmpfs /tmp/m && echo mounted; /bin/testinit caps'
	run_fg
	expect_output_not_contains mounted
}
