#!/bin/bash
# tests/run.sh [unit|integration|compat|conformance ...] - runs berth's test suites
# and ends with one line "N passed, N failed[, N skipped]".
#
# Every suite speaks TAP: cmocka unit tests (CMOCKA_MESSAGE_OUTPUT=TAP), bats
# files under tests/integration/<area>/ and tests/compat/ (bats --tap), and the
# OCI runtime-tools validation suite (tests/conformance/run.sh against
# $BUILD/berth, built once in $BUILD/conformance): one TAP line per test binary,
# its failures listed in tests/conformance/expected-failures.txt counted as
# skipped; its own count of TAP assertions is printed as "conformance: ...".
# Each suite's full output goes to $BUILD/test-logs/; failures are shown.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export BERTH_TOP=$PWD BUILD
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
suites=${*:-unit integration compat conformance}

pass=0 fail=0 skip=0

count() { # count TAP file
	local f=$1 p s n
	# cmocka reports a skipped test as "not ok N # SKIP", bats as "ok N ... # skip"
	p=$(grep -E '^ok [0-9]+' "$f" | grep -vciE '# skip')
	s=$(grep -ciE '^(not )?ok [0-9]+.*# skip' "$f")
	n=$(grep -E '^not ok [0-9]+' "$f" | grep -vciE '# skip')
	pass=$((pass + p)); skip=$((skip + s)); fail=$((fail + n))
	printf '%-48s %4d passed %4d failed %4d skipped\n' "$2" "$p" "$n" "$s"
	if [ "$n" -gt 0 ]; then
		grep -E -A12 '^not ok' "$f" | sed 's/^/    /' | head -80
	fi
}

run_tap() { # name log cmd...
	local name=$1 log=$2 rc
	shift 2
	"$@" > "$log" 2>&1
	rc=$?
	count "$log" "$name"
	# a suite that died without reporting any failure still fails
	if [ $rc -ne 0 ] && [ "$(grep -E '^not ok' "$log" | grep -vciE '# skip')" -eq 0 ]; then
		echo "    $name: exited $rc without a failing test; last lines:"; tail -5 "$log" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
}

for suite in $suites; do
	case $suite in
	unit)
		for t in "$BUILD"/tests/unit/test_*; do
			[ -x "$t" ] || continue
			name=unit/$(basename "$t")
			CMOCKA_MESSAGE_OUTPUT=TAP run_tap "$name" "$LOGS/$(basename "$t").tap" "$t"
		done
		;;
	integration|compat)
		if [ "$suite" = integration ]; then dirs=$(ls -d tests/integration/*/ 2>/dev/null); else dirs=tests/compat/; fi
		for d in $dirs; do
			ls "$d"*.bats >/dev/null 2>&1 || continue
			name=$suite/$(basename "$d")
			[ "$suite" = compat ] && name=compat
			run_tap "$name" "$LOGS/$(echo "$name" | tr / _).tap" bats --tap "$d"
		done
		;;
	conformance)
		log=$LOGS/conformance.log tap=$LOGS/conformance.tap
		case $tap in /*) ;; *) tap=$PWD/$tap ;; esac
		rm -f "$tap"
		if [ "$(id -u)" != 0 ]; then
			printf '1..1\nok 1 conformance # skip the OCI suite needs root\n' >"$tap"
			count "$tap" conformance
			continue
		fi
		RT_TAP=$tap RT_WORK=${RT_WORK:-$BUILD/conformance} \
			tests/conformance/run.sh "$BUILD/berth" >"$log" 2>&1
		rc=$?
		[ -s "$tap" ] && count "$tap" conformance
		sum=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
		echo "conformance: ${sum:-no summary} (TAP assertions of the OCI suite; log: $log)"
		nf=$(grep -c '^not ok' "$tap" 2>/dev/null)
		if [ $rc -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then
			echo "    conformance: tests/conformance/run.sh exited $rc; last lines:"
			tail -5 "$log" | sed 's/^/    /'
			fail=$((fail + 1))
		fi
		;;
	*) echo "tests/run.sh: unknown suite '$suite'" >&2; exit 2 ;;
	esac
done

line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ]
