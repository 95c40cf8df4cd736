#!/bin/bash
# tests/asan/run.sh - the supervisor and compat berthd test files against the ASan/UBSan
# build (BUILD=build/asan, made by `make asan`); `make check-asan` runs it.
#
# Every instrumented process (berthd, berthctl, the shim, berth) writes its ASan/LSan
# reports to $LOGDIR/asan.<name>.<pid> (ASAN_OPTIONS log_path). UBSan, linked into the ASan
# runtime, ignores log_path and prints on stderr: stop_berthd (tests/integration/berthd.bash)
# copies a berthd log holding a report to $LOGDIR ($BERTH_SANITIZER_LOGS), and
# halt_on_error=1 makes the reporting process exit 67, which fails the test around it. The run fails if a bats file fails or if any report was written: a report
# is a bug even when the test around it passed (a use-after-free that read stale but
# plausible bytes). Leak detection is on: berthd and the clients must exit clean.
#
# Usage: tests/asan/run.sh [BATS_FILE...]  (default: tests/integration/supervisor/*.bats
# tests/compat/ctr-berthd*.bats). Prints the elapsed time.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build/asan}
export BUILD BERTH_TOP=$PWD
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
[ -x "$BUILD/berthd" ] || { echo "check-asan: $BUILD/berthd missing: run 'make asan'" >&2; exit 2; }

LOGDIR=$BUILD/asan-logs
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"
export BERTH_SANITIZER_LOGS=$LOGDIR
# abort_on_error=0: a report ends the process with exitcode, the test sees a failure too
export ASAN_OPTIONS="log_path=$LOGDIR/asan:log_exe_name=1:detect_leaks=1:exitcode=66:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="log_path=$LOGDIR/ubsan:log_exe_name=1:print_stacktrace=1:halt_on_error=1:exitcode=67"
export LSAN_OPTIONS="suppressions=$BERTH_TOP/tests/asan/lsan.supp:print_suppressions=0"

if [ $# -eq 0 ]; then
	set -- tests/integration/supervisor/*.bats tests/compat/ctr-berthd*.bats
fi

start=$(date +%s)
rc=0
bats --tap "$@" || rc=1
end=$(date +%s)

reports=$(find "$LOGDIR" -type f -size +0 2>/dev/null)
if [ -n "$reports" ]; then
	echo "check-asan: sanitizer reports:"
	for f in $reports; do
		echo "==== $f"
		head -60 "$f"
	done
	rc=1
fi
echo "check-asan: $(($# )) files in $((end - start)) s; $(echo "$reports" | grep -c .) reports; exit $rc"
exit $rc
