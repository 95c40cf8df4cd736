/*
 * tests/unit/test_tasks.c - supervisor/tasks: how berthd finds and runs a shim binary
 * (runtime name mapping, argv, cwd, environment, stdin, signal state, failures), the
 * manager thread's job queue, and the ttrpc -> error class mapping. The shim here is a
 * shell script that reports what it was given.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "supervisor/tasks/tasks_internal.h"

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = xnew(struct fixture);

	strcpy(f->dir, "/tmp/berth-test-tasks-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;

	assert_int_equal(fs_rm_rf(f->dir, &err), 0);
	free(f);
	return 0;
}

static char *write_script(const char *dir, const char *name, const char *body)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\n%s", body);
	fclose(fp);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static void binary_maps_runtime_names_and_searches_the_extra_dir(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;
	char *want = write_script(f->dir, "containerd-shim-fake-v7", "exit 0\n");
	char *got;

	got = tasks_shim_binary("io.containerd.fake.v7", f->dir, &err);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	/* an absolute path is taken as is */
	got = tasks_shim_binary(want, NULL, &err);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void binary_errors_name_the_runtime(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;

	assert_null(tasks_shim_binary("io.containerd.absent.v9", f->dir, &err));
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	assert_string_equal(err->msg, "runtime 'io.containerd.absent.v9': binary "
				      "'containerd-shim-absent-v9' not installed");
	berth_err_free(&err);
	assert_null(tasks_shim_binary("nonsense", f->dir, &err));
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "invalid runtime name 'nonsense'"));
	berth_err_free(&err);
	assert_null(tasks_shim_binary("", f->dir, &err));
	assert_int_equal(err->code, BERTH_E_INVALID);
	berth_err_free(&err);
	assert_null(tasks_shim_binary("/nonexistent/shim", NULL, &err));
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
}

/* The contract of containerd's shim `start` (notes/rpc.md §6). */
static void run_passes_argv_cwd_env_stdin_and_a_clean_signal_state(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;
	char *bin = write_script(f->dir, "shim",
				 "echo \"args=$*\"\n"
				 "echo \"cwd=$(pwd)\"\n"
				 "echo \"ttrpc=$TTRPC_ADDRESS\"\n"
				 "echo \"stdin=$(cat)\"\n"
				 "grep -E '^(SigBlk|SigIgn):' /proc/self/status\n"
				 "echo oops >&2\n");
	struct tasks_shim_cmd c = {
		.binary = bin,
		.ns = "ns1",
		.id = "id1",
		.address = "/a/b.sock",
		.ttrpc_address = "/a/b.sock.ttrpc",
		.publish_binary = "/bin/berthd",
		.bundle = f->dir,
	};
	char *out = NULL, *want, *end;
	unsigned long long ign;
	size_t len = 0;

	sigset_t term, old;

	/* what berthd does to itself: the shim must not inherit it */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	signal(SIGPIPE, SIG_IGN);
	setenv("TTRPC_ADDRESS", "/inherited/must/not/win", 1);
	assert_int_equal(tasks_shim_run(&c, "start", (const uint8_t *)"OPTS", 4, &out, &len, &err),
			 0);
	unsetenv("TTRPC_ADDRESS");
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	want = xasprintf("args=-namespace ns1 -address /a/b.sock -publish-binary /bin/berthd "
			 "-id id1 start\n"
			 "cwd=%s\n"
			 "ttrpc=/a/b.sock.ttrpc\n"
			 "stdin=OPTS\n"
			 "SigBlk:\t0000000000000000\n"
			 "SigIgn:\t",
			 f->dir);
	assert_int_equal(strncmp(out, want, strlen(want)), 0);
	ign = strtoull(out + strlen(want), &end, 16);
	assert_int_equal(ign & (1ull << (SIGPIPE - 1)), 0);
	/* start: stderr is read with stdout, as containerd does */
	assert_string_equal(end, "\noops\n");
	assert_int_equal(len, strlen(out));
	free(out);
	free(want);
	/* delete: -bundle, and stderr is not part of the answer */
	assert_int_equal(tasks_shim_run(&c, "delete", NULL, 0, &out, &len, &err), 0);
	assert_non_null(strstr(out, "-id id1 -bundle "));
	assert_non_null(strstr(out, " delete\n"));
	assert_null(strstr(out, "oops"));
	free(out);
	free(bin);
}

static void run_failure_reports_status_and_output(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;
	char *bin = write_script(f->dir, "shim", "echo 'no such thing' >&2\nexit 3\n");
	struct tasks_shim_cmd c = {
		.binary = bin,
		.ns = "n",
		.id = "i",
		.address = "/s",
		.ttrpc_address = "/s.ttrpc",
		.publish_binary = "",
		.bundle = f->dir,
	};
	char *out = NULL, *want = xasprintf("'%s start' failed (status 3): no such thing", bin);
	size_t len;

	assert_int_equal(tasks_shim_run(&c, "start", NULL, 0, &out, &len, &err), -1);
	assert_null(out);
	assert_string_equal(err->msg, want);
	berth_err_free(&err);
	free(want);
	free(bin);
}

static void job(void *arg)
{
	int *v = arg;

	v[v[0] + 1] = v[0];
	v[0]++;
}

static void loop_runs_jobs_in_order_and_before_stopping(void **state)
{
	struct berth_err *err = NULL;
	struct tasks_loop *l = tasks_loop_new(&err);
	int v[8] = {0};

	assert_non_null(l);
	tasks_loop_post(l, job, v);
	tasks_loop_post(l, job, v);
	tasks_loop_run_sync(l, job, v);
	assert_int_equal(v[0], 3);
	assert_int_equal(v[1], 0);
	assert_int_equal(v[2], 1);
	assert_int_equal(v[3], 2);
	tasks_loop_post(l, job, v); /* still runs: free drains the queue */
	tasks_loop_free(l);
	assert_int_equal(v[0], 4);
}

/* a method the Task descriptor lacks, or a request of another type, is refused unsent */
static void tasks_call_checks_method_and_request_against_the_descriptor(void **state)
{
	struct tasks_task t = {.id = (char *)"c1"};
	Containerd__Task__V2__StateRequest st = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(tasks_call(&t, "Nope", &st.base, &resp, 0, &err), -1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "'containerd.task.v2.Task' has no method 'Nope'"));
	berth_err_free(&err);
	assert_int_equal(tasks_call(&t, "Kill", &st.base, &resp, 0, &err), -1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "request is a containerd.task.v2.StateRequest"));
	berth_err_free(&err);
	assert_null(resp);
}

static void ttrpc_codes_map_to_error_classes(void **state)
{
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_NOT_FOUND), BERTH_E_NOT_FOUND);
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_ALREADY_EXISTS), BERTH_E_EXISTS);
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_FAILED_PRECONDITION), BERTH_E_PRECONDITION);
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_UNAVAILABLE), BERTH_E_UNAVAILABLE);
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_DEADLINE_EXCEEDED), BERTH_E_TIMEOUT);
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_UNIMPLEMENTED), BERTH_E_UNIMPLEMENTED);
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_INVALID_ARGUMENT), BERTH_E_INVALID);
	assert_int_equal(tasks_code_from_ttrpc(TTRPC_UNKNOWN), BERTH_E_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			binary_maps_runtime_names_and_searches_the_extra_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(binary_errors_name_the_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(
			run_passes_argv_cwd_env_stdin_and_a_clean_signal_state, setup, teardown),
		cmocka_unit_test_setup_teardown(run_failure_reports_status_and_output, setup,
						teardown),
		cmocka_unit_test(loop_runs_jobs_in_order_and_before_stopping),
		cmocka_unit_test(ttrpc_codes_map_to_error_classes),
		cmocka_unit_test(tasks_call_checks_method_and_request_against_the_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
