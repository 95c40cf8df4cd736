#!/bin/bash
# tests/conformance/run.sh [RUNTIME] [TEST ...] - runs the OCI runtime-tools validation
# suite (the OCI runtime conformance tests) against RUNTIME (default $BUILD/berth) with
# tests/conformance/runtime-tools.sh (which builds the suite once from Debian's source
# package, see build-suite.sh), prints its per-test table and summary, then compares
# every failure with tests/conformance/expected-failures.txt.
#
# A failure is one "not ok" line of a test binary's TAP log, named "TEST: description",
# or "TEST: <errored>" for a binary that failed without any "not ok" line (non-zero exit,
# timeout, no or short plan). The expected list holds the failures this host causes and
# no runtime can avoid (see the comments in it).
#
# runtime-tools.sh counts a binary that exits 0 without printing any TAP as a passed
# negative test. Only two tests are negative that way (NEGATIVE below: they exit 0 in
# silence when the runtime refused their config). Every other test prints the TAP of
# runtimetest, the checker it runs inside the container; when that output is missing the
# container's process did not run or its stdout was lost, so here it is a failure,
# "TEST: <no TAP output>".
#
# Exit status: 0 when every failure is expected, 1 when there is an unexpected one
# (listed at the end, with the path of its TAP log), 2 when the suite could not run.
#
# Environment: RT_TOOLS (the runner, default tests/conformance/runtime-tools.sh), RT_WORK (scratch dir: sources,
# Go build cache, test binaries, logs; default $BUILD/conformance), EXPECTED (the list),
# RT_TAP (if set, a file that gets one TAP line per test binary, for tests/run.sh: "ok" when
# it had no failure, "ok ... # skip expected on this host: <reason>" when each of its
# failures is listed (the reason is the comment block above the entry), "ok ... # skip"
# when it makes no assertions, "not ok" otherwise), plus what runtime-tools.sh reads
# (RT_TIMEOUT, RT_ORIG_TARBALL, RT_LEGACY_NS, ...).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
RT_TOOLS=${RT_TOOLS:-$top/tests/conformance/runtime-tools.sh}
EXPECTED=${EXPECTED:-$top/tests/conformance/expected-failures.txt}
export RT_WORK=${RT_WORK:-$BUILD/conformance}
NEGATIVE="process_capabilities_fail process_rlimits_fail"

runtime=${1:-$BUILD/berth}
[ $# -gt 0 ] && shift
[ -x "$RT_TOOLS" ] || { echo "conformance: '$RT_TOOLS' not found (set RT_TOOLS)" >&2; exit 2; }
[ -f "$EXPECTED" ] || { echo "conformance: '$EXPECTED' not found" >&2; exit 2; }
rtpath=$(readlink -f "$(command -v "$runtime" || echo "$runtime")")
[ -x "$rtpath" ] || { echo "conformance: runtime '$runtime' is not executable" >&2; exit 2; }
# the runner changes directory: every path it gets must be absolute
mkdir -p "$RT_WORK"
RT_WORK=$(cd "$RT_WORK" && pwd)
export RT_LOG_DIR=${RT_LOG_DIR:-$RT_WORK/logs/$(basename "$rtpath")}
mkdir -p "$RT_LOG_DIR"
RT_LOG_DIR=$(cd "$RT_LOG_DIR" && pwd)

out=$RT_WORK/summary-$(basename "$rtpath").txt
"$RT_TOOLS" "$rtpath" "$@" | tee "$out"
rc=${PIPESTATUS[0]}
if [ "$rc" -gt 1 ] || ! grep -qE '^[0-9]+ passed, [0-9]+ failed$' "$out"; then
	echo "conformance: $(basename "$RT_TOOLS") failed (exit $rc)" >&2
	exit 2
fi

# expected: "TEST: description" lines; '#' starts a comment line
expected=$(grep -vE '^[[:space:]]*(#|$)' "$EXPECTED" | sed 's/[[:space:]]*$//')
is_expected() {
	grep -qxF -- "$1" <<<"$expected"
}

got=() unexpected=()
silent=0
while read -r st name rest; do
	log=$RT_LOG_DIR/$name.tap
	if [ "$st" = PASS ] && [[ "$rest" == *"no TAP output"* ]] && [[ " $NEGATIVE " != *" $name "* ]]; then
		key="$name: <no TAP output>"
		got+=("$key")
		silent=$((silent + 1))
		is_expected "$key" || unexpected+=("$key	($log)")
		continue
	fi
	[ "$st" = FAIL ] || continue
	descs=$(grep -E '^not ok [0-9]+' "$log" 2>/dev/null | grep -v '# TODO' |
		sed -E 's/^not ok [0-9]+( - )?//' | sort -u)
	[ -n "$descs" ] || descs="<errored>"
	while IFS= read -r d; do
		key="$name: $d"
		got+=("$key")
		is_expected "$key" || unexpected+=("$key	($log)")
	done <<<"$descs"
done <"$out"

# expected failures of the tests that ran, which did not fail this time
ran=$(awk '$1 ~ /^(PASS|FAIL|NONE)$/ { print $2 }' "$out")
fixed=()
while IFS= read -r key; do
	[ -n "$key" ] || continue
	grep -qxF -- "${key%%:*}" <<<"$ran" || continue
	printf '%s\n' "${got[@]}" | grep -qxF -- "$key" || fixed+=("$key")
done <<<"$expected"

# RT_TAP: one line per test binary (see the top)
reason_of() { # the comment block above the entry KEY in $EXPECTED
	awk -v key="$1" '
		/^[[:space:]]*$/ { block = ""; next }
		/^[[:space:]]*#/ { sub(/^[[:space:]]*# ?/, ""); block = block (block == "" ? "" : " ") $0; next }
		{ sub(/[[:space:]]*$/, ""); if ($0 == key) { print block; exit } }' "$EXPECTED"
}
write_tap() {
	local n=0 st name rest keys bad k r reasons
	echo "1..$(awk '$1 ~ /^(PASS|FAIL|NONE)$/' "$out" | wc -l)"
	while read -r st name rest; do
		[[ "$st" =~ ^(PASS|FAIL|NONE)$ ]] || continue
		n=$((n + 1))
		keys=$(printf '%s\n' "${got[@]}" | grep -E "^$name: ")
		bad=$(printf '%s\n' "${unexpected[@]}" | grep -E "^$name: " | cut -f1)
		if [ -n "$bad" ]; then
			echo "not ok $n conformance $name"
			sed 's/^/# unexpected failure: /' <<<"$bad"
			echo "# TAP log: $RT_LOG_DIR/$name.tap"
		elif [ -n "$keys" ]; then
			reasons=""
			while IFS= read -r k; do
				r=$(reason_of "$k")
				[[ "$reasons" == *"$r"* ]] || reasons="$reasons${reasons:+ / }$r"
			done <<<"$keys"
			echo "ok $n conformance $name # skip expected on this host: $reasons"
		elif [ "$st" = NONE ]; then
			echo "ok $n conformance $name # skip the test makes no assertions (plan 1..0)"
		else
			echo "ok $n conformance $name"
		fi
	done <"$out"
}
[ -n "${RT_TAP:-}" ] && write_tap >"$RT_TAP"

echo
echo "conformance: $((${#got[@]} - ${#unexpected[@]})) expected failures, ${#unexpected[@]} unexpected (checked against ${EXPECTED#"$top"/})"
[ $silent -gt 0 ] &&
	echo "($silent test(s) counted as passed above printed no TAP at all: failures here)"
if [ ${#fixed[@]} -gt 0 ]; then
	echo "listed but not seen (another runtime's form of a host failure, or fixed):"
	printf '    %s\n' "${fixed[@]}"
fi
if [ ${#unexpected[@]} -gt 0 ]; then
	echo "unexpected failures:"
	printf '    %s\n' "${unexpected[@]}"
	exit 1
fi
exit 0
