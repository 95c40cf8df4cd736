#!/usr/bin/env bats
# tests/lint/rpc-paths.sh (run by make lint) refuses a hand-spelled "/containerd.services."
# or "/containerd.task." string in C files, ignores the same text in comments, and passes
# on the tree as it is (every path comes from a protoc-c service descriptor).

LINT=$BATS_TEST_DIRNAME/../../lint/rpc-paths.sh

setup() {
	F=$(mktemp "${BATS_TEST_TMPDIR:-/tmp}/rpcpath-XXXXXX.c")
}

teardown() {
	rm -f "$F"
}

@test "lint: a hand-spelled containerd method path in a C string is refused, by file and line" {
	# (the paths are split over printf's arguments, so that no C file spells them)
	printf 'int x;\nstatic const char *p = "/containerd.%s/Create";\n' 'task.v2.Task' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$F:2:"* ]]
	[[ "$output" == *"service descriptor"* ]]
	printf 'f(c, "/containerd.%s/List", r);\n' 'services.tasks.v1.Tasks' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$F:1:"* ]]
}

@test "lint: the same text in a comment, or a service name without the slash, passes" {
	printf '/* e.g. "/containerd.%s/Write" */\n// "/containerd.%s/Kill"\n/*\n "/containerd.%s/x"\n */\nconst char *s = "containerd.%s";\n' \
		'services.content.v1.Content' 'task.v2.Task' 'services.a' 'task.v2.Task' >"$F"
	run "$LINT" "$F"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "lint: the tree's C files have no hand-spelled containerd method path" {
	run "$LINT"
	[ "$status" -eq 0 ]
}
