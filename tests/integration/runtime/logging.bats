#!/usr/bin/env bats
# --log, --log-format: what containerd's runc shim and conmon read after a failure.

load ../helpers

setup() {
	setup_bundle
	rm -rf "$ROOTFS"    # every create below fails: missing rootfs
}

teardown() {
	teardown_bundle
}

@test "log: a failing create writes exactly one JSON error record with level, msg and time" {
	run berth_detached --log "$TEST_TMP/log.json" --log-format json create --bundle "$BUNDLE" "$CID"
	expect_failure
	errors=$(grep -c '"level":"error"' "$TEST_TMP/log.json" || true)
	[ "$errors" = 1 ] || fail_with "expected one error record, log has $errors: $(cat "$TEST_TMP/log.json")"
	rec=$(grep '"level":"error"' "$TEST_TMP/log.json")
	jq -e '(.msg | type == "string" and length > 0) and
	       (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"))' \
		<<<"$rec" >/dev/null || fail_with "bad record: $rec"
}

@test "log: every line of the JSON log is a JSON object" {
	run berth_detached --log "$TEST_TMP/log.json" --log-format json create --bundle "$BUNDLE" "$CID"
	expect_failure
	while IFS= read -r line; do
		jq -e 'type == "object" and has("level") and has("msg") and has("time")' <<<"$line" >/dev/null ||
			fail_with "not a log record: $line" || return 1
	done <"$TEST_TMP/log.json"
}

@test "log: the error message also goes to stderr" {
	requires berth -- "runc 1.1.5 writes the error only to the --log file"
	run berth_detached --log "$TEST_TMP/log.json" --log-format json create --bundle "$BUNDLE" "$CID"
	expect_failure
	msg=$(grep '"level":"error"' "$TEST_TMP/log.json" | jq -r .msg)
	expect_output_contains "$msg"
}

@test "log: the error record names the missing rootfs" {
	run berth_detached --log "$TEST_TMP/log.json" --log-format json create --bundle "$BUNDLE" "$CID"
	expect_failure
	grep '"level":"error"' "$TEST_TMP/log.json" | jq -r .msg | grep -q rootfs ||
		fail_with "record does not name rootfs: $(cat "$TEST_TMP/log.json")"
}

@test "log: --log-format text writes the message to the log file" {
	run berth_detached --log "$TEST_TMP/log.txt" --log-format text create --bundle "$BUNDLE" "$CID"
	expect_failure
	grep -q rootfs "$TEST_TMP/log.txt" || fail_with "log: $(cat "$TEST_TMP/log.txt")"
}

@test "log: without --log the error goes to stderr" {
	run berth_detached create --bundle "$BUNDLE" "$CID"
	expect_fail_naming rootfs
}

@test "log: an unknown --log-format fails and names it" {
	run berth_detached --log-format yaml create --bundle "$BUNDLE" "$CID"
	expect_fail_naming yaml
}
