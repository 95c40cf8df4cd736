#!/usr/bin/env bats
# tests/lint/bats-negation.sh (run by make lint) refuses a bare `! cmd` line, which never
# fails a bats test, and accepts the forms that do fail (`run ! cmd`, `! cmd || false`,
# a negation in an `if`) and comments.

LINT=$BATS_TEST_DIRNAME/../../lint/bats-negation.sh

setup() {
	F=$(mktemp "${BATS_TEST_TMPDIR:-/tmp}/neg-XXXXXX.bats")
}

teardown() {
	rm -f "$F"
}

@test "lint: a bare '! cmd' line is refused, named by file and line" {
	printf '@test "x" {\n\ttrue\n\t! grep -q x /etc/hostname\n}\n' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$F:3:"* ]]
	[[ "$output" == *"run ! cmd"* ]]
}

@test "lint: '! cmd' after ';', '&&' or 'then' is refused too, and across a continuation" {
	# (the patterns are split over printf's arguments, so that this file passes the lint)
	printf 'true;%s\n' ' ! false' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 1 ]
	printf 'true &&%s\n' ' ! false' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 1 ]
	printf 'if true; then%s; fi\n' ' ! false' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 1 ]
	printf '\t! grep -q x \\\n\t\t/etc/hostname\n' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$F:1:"* ]]
}

@test "lint: 'run !', '! cmd || false', 'if ! cmd' and comments pass" {
	printf '%s\n' '	run ! false' '	! false || false' '	! kill -0 1 || fail_with "x"' \
		'	if ! false; then true; fi' '	# ! a comment' '	[ ! -e /nonexistent ]' \
		'	! grep -q x \' '		/etc/hostname || false' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "lint: the project's bats files have no bare '! cmd'" {
	run "$LINT"
	[ "$status" -eq 0 ]
}
