#!/bin/bash
# tests/conformance/runtime-tools.sh RUNTIME [TEST ...] - runs the OCI runtime-tools
# validation suite against RUNTIME (any binary with runc's CLI), as root, one test
# program at a time (the cgroup tests would collide), and counts its TAP.
# The suite is built once by build-suite.sh in $RT_WORK/runtime-tools.
#
# Output (what tests/conformance/run.sh reads):
#   one line per test program: "STATUS NAME ok=N notok=N skip=N todo=N [NOTE]", STATUS
#   PASS (no failure), FAIL (a "not ok", or the program errored: non-zero exit, timeout,
#   no plan or a plan that does not match its results) or NONE (plan 1..0, no
#   assertions: the hook tests); a program that exits 0 printing no TAP at all counts as
#   one pass with the note "(exit 0, no TAP output: ...)" (the negative tests do that
#   when the runtime refused their config; run.sh decides which programs may);
#   then "runtime: ...", "programs: ...", "skipped: N, todo: N" and last
#   "N passed, M failed" (TAP assertions; M also counts a program that errored without
#   any "not ok").
# Each program's output goes to $RT_LOG_DIR/NAME.tap.
# Exit status: 0 when nothing failed, 1 when something did, 2 on bad usage, 3 when the
# suite could not be built.
#
# Environment: RT_WORK (scratch dir, default $TMPDIR/berth-runtime-tools), RT_LOG_DIR
# (default $RT_WORK/logs/NAME), RT_STATE_ROOT (--root given to the runtime, default
# $RT_WORK/state/NAME; RT_NO_ROOT=1 gives none), RT_TIMEOUT (seconds per program,
# default 120), RT_LEGACY_NS=1 (every runtime call in a private mount namespace without
# the cgroup2 mount /sys/fs/cgroup/unified: crun refuses this host's hybrid layout),
# RT_REBUILD=1 (build again), RT_ORIG_TARBALL (see build-suite.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: runtime-tools.sh RUNTIME [TEST ...]" >&2; exit 2; }
runtime=$(readlink -f "$(command -v "$1" || echo "$1")")
shift
[ -x "$runtime" ] || { echo "runtime-tools: runtime '$runtime' is not executable" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "runtime-tools: the suite must run as root" >&2; exit 2; }

export RT_WORK=${RT_WORK:-${TMPDIR:-/tmp}/berth-runtime-tools}
mkdir -p "$RT_WORK" && RT_WORK=$(cd "$RT_WORK" && pwd)
name=$(basename "$runtime")
logs=${RT_LOG_DIR:-$RT_WORK/logs/$name}
state=${RT_STATE_ROOT:-$RT_WORK/state/$name}
timeout=${RT_TIMEOUT:-120}
suite=$RT_WORK/runtime-tools
scratch=$RT_WORK/tmp

if [ "${RT_REBUILD:-0}" = 1 ] || [ ! -e "$suite/.built" ]; then
	"$here/build-suite.sh" "$suite" || exit 3
fi

# RUNTIME as the suite calls it: with our state root, maybe in the legacy mount ns
mkdir -p "$RT_WORK/bin" "$logs" "$scratch"
wrapper=$RT_WORK/bin/$name
rootopt=""
if [ "${RT_NO_ROOT:-0}" != 1 ]; then
	mkdir -p "$state"
	rootopt="--root '$state'"
fi
{
	echo '#!/bin/sh'
	if [ "${RT_LEGACY_NS:-0}" = 1 ]; then
		echo 'if [ -z "${RT_LEGACY_NS_IN:-}" ]; then'
		echo '	RT_LEGACY_NS_IN=1 exec unshare -m --propagation private "$0" "$@"'
		echo 'fi'
		echo 'umount -l /sys/fs/cgroup/unified 2>/dev/null'
	fi
	echo "exec '$runtime' $rootopt \"\$@\""
} >"$wrapper"
chmod 0755 "$wrapper"

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for t in "$suite"/validation/*/*.t; do tests+=("$(basename "$t" .t)"); done
fi

cd "$suite" || exit 3 # the programs read runtimetest and the rootfs tarball from here
passed=0 failed=0 skipped=0 todos=0 progs=0 progs_ok=0 errored=0 silent=0
for t in "${tests[@]}"; do
	prog=validation/$t/$t.t
	log=$logs/$t.tap
	if [ ! -x "$prog" ]; then
		echo "runtime-tools: no test program '$t' in $suite/validation" >&2
		exit 2
	fi
	TMPDIR=$scratch RUNTIME=$wrapper timeout -k 10 "$timeout" "./$prog" >"$log" 2>&1
	rc=$?
	# results at the top level only: runtimetest's own TAP is nested in indented YAML
	ok=$(grep -cE '^ok [0-9]+( - |$)' "$log")
	notok=$(grep -E '^not ok [0-9]+' "$log" | grep -vc '# TODO')
	skip=$(grep -cE '^ok [0-9]+ # SKIP' "$log")
	todo=$(grep -cE '^(not )?ok [0-9]+ # TODO' "$log")
	plan=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$log" | head -n1)
	results=$((ok + notok + skip + todo))
	status="" note=""
	if [ $rc -eq 0 ] && [ -z "$plan" ] && [ $results -eq 0 ]; then
		ok=1 note="(exit 0, no TAP output: a negative test passes so)"
	elif [ $rc -eq 0 ] && [ "$plan" = 0 ] && [ $results -eq 0 ]; then
		status=NONE note="(plan 1..0: the test makes no assertions)"
		silent=$((silent + 1))
	elif [ $rc -ne 0 ] || [ -z "$plan" ] || [ "$plan" -ne $results ]; then
		note="(errored: exit $rc, plan ${plan:-none}, $results results)"
		errored=$((errored + 1))
		[ "$notok" -gt 0 ] || notok=1
	fi
	if [ -z "$status" ]; then
		if [ "$notok" -eq 0 ]; then
			status=PASS progs_ok=$((progs_ok + 1))
		else
			status=FAIL
		fi
	fi
	passed=$((passed + ok)) failed=$((failed + notok)) skipped=$((skipped + skip))
	todos=$((todos + todo)) progs=$((progs + 1))
	printf '%-4s %-36s ok=%-3s notok=%-3s skip=%-2s todo=%-2s %s\n' \
		"$status" "$t" "$ok" "$notok" "$skip" "$todo" "$note"
done

# what the tests leave behind: containers in our state root, mounts and bundles in our
# scratch dir (unmounted first, deepest first), the empty cgroups the suite's cgroupsPath
# tests create (/cgrouptest, /testdir/cgrouptest/container)
if [ "${RT_NO_ROOT:-0}" != 1 ]; then
	for id in $("$wrapper" list -q 2>/dev/null); do "$wrapper" delete --force "$id" >/dev/null 2>&1; done
fi
findmnt -rn -o TARGET | grep "^$scratch/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
rm -rf --one-file-system "$scratch"/ocitest* "$scratch"/oci-pid* 2>/dev/null
for ctl in /sys/fs/cgroup/*/; do
	for top in cgrouptest testdir; do
		[ -d "$ctl$top" ] && find "$ctl$top" -depth -type d -exec rmdir {} + 2>/dev/null
	done
done

echo "runtime: $runtime ($("$runtime" --version 2>/dev/null | head -n1))  logs: $logs"
echo "programs: $progs run, $progs_ok passed, $((progs - progs_ok - silent)) failed ($errored errored), $silent made no assertions"
echo "skipped: $skipped, todo: $todos"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
