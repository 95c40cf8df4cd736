/*
 * Unit tests for berth-shim's Task service over ttrpc (with a fake runtime
 * script standing in for berth/runc) and for its pure helpers: JSON scanning,
 * CRI log records, sha256 socket names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/evloop.h"
#include "common/fs.h"
#include "common/ttrpc.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "shim/service.h"
#include "shim/shim.h"
#include "shim/stdio.h"
#include "shim/task.h"

/* create: starts a sleep and writes its pid; any verb on id "bad" fails with a log record */
static const char fake_runtime[] =
	"#!/bin/sh\n"
	"log=\n"
	"while [ $# -gt 0 ]; do case $1 in --root) shift 2;; --log) log=$2; shift 2;;\n"
	"  --log-format) shift 2;; *) break;; esac; done\n"
	"verb=$1; shift\n"
	"for a in \"$@\"; do id=$a; done\n"
	"if [ \"$id\" = bad ]; then\n"
	"  echo '{\"level\":\"info\",\"msg\":\"starting\",\"time\":\"2026-01-01T00:00:00Z\"}' >> \"$log\"\n"
	"  echo '{\"level\":\"error\",\"msg\":\"boom: \\\"quoted\\\"\",\"time\":\"2026-01-01T00:00:00Z\"}' >> \"$log\"\n"
	"  exit 1; fi\n"
	"case $verb in\n"
	"create) while [ $# -gt 1 ]; do case $1 in --pid-file) pf=$2; shift 2;; *) shift;; esac; done\n"
	"  sleep 30 </dev/null >/dev/null 2>&1 & echo $! > \"$pf\";;\n"
	"ps) echo '[1,2,3]';;\n"
	"update) cat > \"${log%/*}/update.json\";;\n"
	"esac\n"
	"exit 0\n";

struct fixture {
	char dir[64];
	char *bundle;
	struct evloop *loop;
	struct shim_daemon d;
	struct ttrpc_server *srv;
	struct ttrpc_client *client;
	pid_t sleeper;
};

static int setup(void **state)
{
	struct fixture *f = xnew(struct fixture);
	struct shim_flags fl = {.ns = "testns", .id = "c1", .address = "/nonexistent/c.sock"};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	cleanup_free char *rt = NULL;
	int fd, dfd;

	strcpy(f->dir, "/tmp/test_ttrpc_shim.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	rt = xasprintf("%s/fake-runtime", f->dir);
	dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(fs_write_atomic(dfd, "fake-runtime", fake_runtime, strlen(fake_runtime),
					 0755, NULL),
			 0);
	close(dfd);
	setenv("BERTH_SHIM_RUNTIME", rt, 1);
	setenv("BERTH_SHIM_RUNTIME_ROOT", f->dir, 1);
	f->bundle = xasprintf("%s/bundle", f->dir);
	assert_int_equal(mkdir(f->bundle, 0700), 0);

	f->loop = evloop_new(NULL);
	f->d.loop = f->loop;
	f->d.events = shim_events_new(f->loop, NULL, "testns");
	f->d.task = shim_task_new(f->loop, f->d.events, &fl);
	f->srv = ttrpc_server_new(f->loop, shim_service_methods, SHIM_N_METHODS, &f->d);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s.sock", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(ttrpc_server_listen(f->srv, fd, NULL), 0);
	f->client = ttrpc_client_connect(f->loop, sun.sun_path, NULL);
	assert_non_null(f->client);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->sleeper > 0)
		kill(f->sleeper, SIGKILL);
	ttrpc_client_free(f->client);
	ttrpc_server_free(f->srv);
	shim_task_free(f->d.task);
	shim_events_free(f->d.events);
	evloop_free(f->loop);
	fs_rm_rf(f->dir, NULL);
	free(f->bundle);
	free(f);
	return 0;
}

struct reply {
	bool done;
	enum ttrpc_code code;
	char msg[256];
	uint8_t payload[512];
	size_t len;
};

static void on_reply(void *data, enum ttrpc_code code, const char *msg, const uint8_t *p,
		     size_t len)
{
	struct reply *r = data;

	r->done = true;
	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", msg ? msg : "");
	r->len = len < sizeof(r->payload) ? len : sizeof(r->payload);
	if (p)
		memcpy(r->payload, p, r->len);
}

static void call_raw(struct fixture *f, const char *method, const void *p, size_t len,
		     struct reply *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(ttrpc_client_call_raw(f->client, SHIM_TASK_SERVICE, method, p, len, 5000,
					       on_reply, r, NULL),
			 0);
	for (int i = 0; i < 500 && !r->done; i++)
		evloop_run_once(f->loop, 10, NULL);
	assert_true(r->done);
}

static void call(struct fixture *f, const char *method, const ProtobufCMessage *m, struct reply *r)
{
	uint8_t buf[2048];
	size_t n = protobuf_c_message_pack(m, buf);

	call_raw(f, method, buf, n, r);
}

static void create(struct fixture *f, const char *id, struct reply *r)
{
	Containerd__Task__V2__CreateTaskRequest req =
		CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;

	req.id = (char *)id;
	req.bundle = f->bundle;
	call(f, "Create", &req.base, r);
	if (r->code == TTRPC_OK) {
		Containerd__Task__V2__CreateTaskResponse *resp =
			containerd__task__v2__create_task_response__unpack(NULL, r->len,
									   r->payload);

		assert_non_null(resp);
		f->sleeper = (pid_t)resp->pid;
		containerd__task__v2__create_task_response__free_unpacked(resp, NULL);
	}
}

static void garbage_payloads_are_invalid_argument_for_every_method(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	for (size_t i = 0; i < SHIM_N_METHODS; i++) {
		const char *m = shim_service_methods[i].method;

		call_raw(f, m, "\x0a\xff\xff", 3, &r);
		if (r.code != TTRPC_INVALID_ARGUMENT)
			fail_msg("%s: expected InvalidArgument, got %d (%s)", m, r.code, r.msg);
	}
}

/* the ttrpc table names methods of containerd.task.v2.Task's descriptor, which types them */
static void the_task_table_agrees_with_the_service_descriptor(void **state)
{
	const ProtobufCServiceDescriptor *d = &containerd__task__v2__task__descriptor;
	struct berth_err *err = NULL;

	assert_int_equal(shim_service_check(&err), 0);
	assert_int_equal(SHIM_N_METHODS, d->n_methods);
	for (size_t i = 0; i < SHIM_N_METHODS; i++) {
		assert_string_equal(shim_service_methods[i].service, d->name);
		if (!protobuf_c_service_descriptor_get_method_by_name(
			    d, shim_service_methods[i].method))
			fail_msg("%s: not a method of %s", shim_service_methods[i].method, d->name);
	}
}

static void unknown_task_id_is_not_found(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__StateRequest st = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
	Containerd__Task__V2__KillRequest kill_req = CONTAINERD__TASK__V2__KILL_REQUEST__INIT;
	struct reply r;

	st.id = "nope";
	call(f, "State", &st.base, &r);
	assert_int_equal(r.code, TTRPC_NOT_FOUND);
	kill_req.id = "nope";
	kill_req.signal = 9;
	call(f, "Kill", &kill_req.base, &r);
	assert_int_equal(r.code, TTRPC_NOT_FOUND);
}

static void checkpoint_is_unimplemented(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	call_raw(f, "Checkpoint", "", 0, &r);
	assert_int_equal(r.code, TTRPC_UNIMPLEMENTED);
}

static void runtime_failure_carries_the_last_log_error(void **state)
{
	struct fixture *f = *state;
	struct shim_flags fl = {.ns = "testns", .id = "bad", .address = "/nonexistent/c.sock"};
	struct reply r;

	shim_task_free(f->d.task);
	f->d.task = shim_task_new(f->loop, f->d.events, &fl);
	create(f, "bad", &r);
	assert_int_not_equal(r.code, TTRPC_OK);
	if (!strstr(r.msg, "create: boom: \"quoted\""))
		fail_msg("expected the runtime's log record in '%s'", r.msg);
}

static void runc_options_binary_name_and_root_choose_the_runtime(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__CreateTaskRequest req =
		CONTAINERD__TASK__V2__CREATE_TASK_REQUEST__INIT;
	Containerd__Runc__V1__Options opts = CONTAINERD__RUNC__V1__OPTIONS__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	cleanup_free char *rt = xasprintf("%s/fake-runtime", f->dir);
	cleanup_free char *root = xasprintf("%s/optroot", f->dir);
	cleanup_free char *saved = xasprintf("%s/shim-options", f->bundle);
	cleanup_free char *want = xasprintf("%s\n%s\n", rt, root);
	cleanup_free char *got = NULL;
	uint8_t buf[512];
	struct reply r;
	size_t len;

	setenv("BERTH_SHIM_RUNTIME", "/bin/false", 1); /* the options win over the env */
	opts.binary_name = rt;
	opts.root = root;
	any.type_url = "containerd.runc.v1.Options";
	any.value.data = buf;
	any.value.len = containerd__runc__v1__options__pack(&opts, buf);
	req.id = "c1";
	req.bundle = f->bundle;
	req.options = &any;
	call(f, "Create", &req.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	f->sleeper = f->d.task->init->pid;
	/* kept in the bundle for `berth-shim delete` */
	assert_int_equal(fs_read_file(AT_FDCWD, saved, &got, &len, NULL), 0);
	assert_string_equal(got, want);
}

static void create_for_another_id_is_refused(void **state)
{
	struct fixture *f = *state;
	struct reply r;

	create(f, "other", &r);
	assert_int_equal(r.code, TTRPC_INVALID_ARGUMENT);
}

static void lifecycle_states_and_wrong_state_errors(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__StateRequest st = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
	Containerd__Task__V2__StartRequest start = CONTAINERD__TASK__V2__START_REQUEST__INIT;
	Containerd__Task__V2__DeleteRequest del = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
	Containerd__Task__V2__PauseRequest pause = CONTAINERD__TASK__V2__PAUSE_REQUEST__INIT;
	Containerd__Task__V2__ResumeRequest resume = CONTAINERD__TASK__V2__RESUME_REQUEST__INIT;
	Containerd__Task__V2__StateResponse *sr;
	struct reply r;

	create(f, "c1", &r);
	assert_int_equal(r.code, TTRPC_OK);
	create(f, "c1", &r);
	assert_int_equal(r.code, TTRPC_ALREADY_EXISTS);
	st.id = start.id = del.id = pause.id = resume.id = "c1";
	call(f, "State", &st.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	sr = containerd__task__v2__state_response__unpack(NULL, r.len, r.payload);
	assert_int_equal(sr->status, CONTAINERD__V1__TYPES__STATUS__CREATED);
	assert_int_equal(sr->pid, f->sleeper);
	containerd__task__v2__state_response__free_unpacked(sr, NULL);
	call(f, "Resume", &resume.base, &r);
	assert_int_equal(r.code, TTRPC_FAILED_PRECONDITION);
	call(f, "Start", &start.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	call(f, "Start", &start.base, &r);
	assert_int_equal(r.code, TTRPC_FAILED_PRECONDITION);
	call(f, "Pause", &pause.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	call(f, "Pause", &pause.base, &r);
	assert_int_equal(r.code, TTRPC_FAILED_PRECONDITION);
	call(f, "Resume", &resume.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	call(f, "Delete", &del.base, &r);
	assert_int_equal(r.code, TTRPC_FAILED_PRECONDITION);
}

static void exec_with_bad_json_spec_is_invalid_argument(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__StartRequest start = CONTAINERD__TASK__V2__START_REQUEST__INIT;
	Containerd__Task__V2__ExecProcessRequest ex =
		CONTAINERD__TASK__V2__EXEC_PROCESS_REQUEST__INIT;
	Google__Protobuf__Any spec = GOOGLE__PROTOBUF__ANY__INIT;
	struct reply r;

	create(f, "c1", &r);
	start.id = "c1";
	call(f, "Start", &start.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	ex.id = "c1";
	ex.exec_id = "e1";
	spec.type_url = "types.containerd.io/opencontainers/runtime-spec/1/Process";
	spec.value.data = (uint8_t *)"{\"args\": [\"sh\",}";
	spec.value.len = strlen((char *)spec.value.data);
	ex.spec = &spec;
	call(f, "Exec", &ex.base, &r);
	assert_int_equal(r.code, TTRPC_INVALID_ARGUMENT);
	assert_non_null(strstr(r.msg, "e1"));
	spec.value.data = (uint8_t *)"{\"args\": [\"sh\"], \"cwd\": \"/\"}";
	spec.value.len = strlen((char *)spec.value.data);
	call(f, "Exec", &ex.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	call(f, "Exec", &ex.base, &r);
	assert_int_equal(r.code, TTRPC_ALREADY_EXISTS);
	ex.exec_id = "";
	call(f, "Exec", &ex.base, &r);
	assert_int_equal(r.code, TTRPC_INVALID_ARGUMENT);
}

static void update_passes_resources_on_stdin_and_rejects_bad_json(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__UpdateTaskRequest req =
		CONTAINERD__TASK__V2__UPDATE_TASK_REQUEST__INIT;
	Google__Protobuf__Any res = GOOGLE__PROTOBUF__ANY__INIT;
	const char *json = "{\"memory\":{\"limit\":1048576}}";
	cleanup_free char *path = xasprintf("%s/update.json", f->bundle);
	cleanup_free char *got = NULL;
	struct reply r;
	size_t len;

	create(f, "c1", &r);
	req.id = "c1";
	res.type_url = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
	res.value.data = (uint8_t *)"{\"memory\":";
	res.value.len = strlen((char *)res.value.data);
	req.resources = &res;
	call(f, "Update", &req.base, &r);
	assert_int_equal(r.code, TTRPC_INVALID_ARGUMENT);
	assert_false(fs_exists(path));
	res.value.data = (uint8_t *)json;
	res.value.len = strlen(json);
	call(f, "Update", &req.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	assert_int_equal(fs_read_file(AT_FDCWD, path, &got, &len, NULL), 0);
	assert_string_equal(got, json);
}

static void pids_parses_the_runtime_ps_output(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__PidsRequest req = CONTAINERD__TASK__V2__PIDS_REQUEST__INIT;
	Containerd__Task__V2__PidsResponse *resp;
	struct reply r;

	create(f, "c1", &r);
	req.id = "c1";
	call(f, "Pids", &req.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	resp = containerd__task__v2__pids_response__unpack(NULL, r.len, r.payload);
	assert_int_equal(resp->n_processes, 3);
	assert_int_equal(resp->processes[2]->pid, 3);
	containerd__task__v2__pids_response__free_unpacked(resp, NULL);
}

static void connect_reports_shim_and_task_pids(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__ConnectRequest req = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
	Containerd__Task__V2__ConnectResponse *resp;
	struct reply r;

	create(f, "c1", &r);
	req.id = "c1";
	call(f, "Connect", &req.base, &r);
	resp = containerd__task__v2__connect_response__unpack(NULL, r.len, r.payload);
	assert_int_equal(resp->shim_pid, getpid());
	assert_int_equal(resp->task_pid, f->sleeper);
	containerd__task__v2__connect_response__free_unpacked(resp, NULL);
}

static void shutdown_is_ignored_while_a_task_exists(void **state)
{
	struct fixture *f = *state;
	Containerd__Task__V2__ShutdownRequest req = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
	struct reply r;

	req.id = "c1";
	create(f, "c1", &r);
	call(f, "Shutdown", &req.base, &r);
	assert_int_equal(r.code, TTRPC_OK);
	assert_false(f->d.shutdown);
}

/* ---- helpers ---- */

static void jscan_validates_strict_json(void **state)
{
	const char *good[] = {"{}", " [1, -2.5e3, true, false, null, \"a\\u00e9\\n\"] ",
			      "{\"a\":{\"b\":[{}]}}", "0"};
	const char *bad[] = {"",   "{",	      "{\"a\":}", "[1,]", "{'a':1}",
			     "01", "\"\\x\"", "[] []",	  "tru",  "{\"a\" 1}"};

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (!shim_jscan_valid(good[i], strlen(good[i])))
			fail_msg("expected valid: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (shim_jscan_valid(bad[i], strlen(bad[i])))
			fail_msg("expected invalid: %s", bad[i]);
}

static void jscan_reads_log_record_members(void **state)
{
	const char *rec = "{\"level\":\"error\",\"x\":[1,{\"msg\":\"inner\"}],"
			  "\"msg\":\"exec: \\\"sh\\\": not found\\u0021\"}";
	cleanup_free char *msg = shim_jscan_get_string(rec, "msg");
	cleanup_free char *level = shim_jscan_get_string(rec, "level");
	cleanup_free char *none = shim_jscan_get_string(rec, "nope");

	assert_string_equal(msg, "exec: \"sh\": not found!");
	assert_string_equal(level, "error");
	assert_null(none);
}

static void jscan_int_array_accepts_pids_only(void **state)
{
	cleanup_free uint32_t *v = NULL;
	uint32_t *w = NULL;
	size_t n = 0;

	assert_int_equal(shim_jscan_int_array(" [12, 3,4] \n", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0], 12);
	assert_int_equal(shim_jscan_int_array("null\n", &w, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(shim_jscan_int_array("nul", &w, &n), -1);
	assert_int_equal(shim_jscan_int_array("[1,-2]", &w, &n), -1);
	assert_int_equal(shim_jscan_int_array("[99999999999]", &w, &n), -1);
}

static void crilog_records_full_and_partial_lines(void **state)
{
	cleanup_free char *full =
		shim_crilog_format("2026-01-02T03:04:05.000000001Z", "stdout", false, "hello", 5);
	cleanup_free char *part = shim_crilog_format("T", "stderr", true, "ab", 2);
	char path[] = "/tmp/test_crilog.XXXXXX";
	cleanup_free char *text = NULL;
	int fd = mkstemp(path);
	struct shim_crilog *l = shim_crilog_new(fd, "stdout");
	size_t len;

	assert_string_equal(full, "2026-01-02T03:04:05.000000001Z stdout F hello\n");
	assert_string_equal(part, "T stderr P ab\n");
	shim_crilog_write(l, "one\ntw", 6);
	shim_crilog_write(l, "o\nthree", 7);
	shim_crilog_free(l);
	close(fd);
	assert_int_equal(fs_read_file(AT_FDCWD, path, &text, &len, NULL), 0);
	unlink(path);
	assert_non_null(strstr(text, " stdout F one\n"));
	assert_non_null(strstr(text, " stdout F two\n"));
	assert_non_null(strstr(text, " stdout F three\n"));
}

static void sha256_matches_known_vectors(void **state)
{
	char hex[65];

	shim_sha256_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	shim_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	shim_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void socket_path_lives_next_to_the_containerd_address(void **state)
{
	cleanup_free char *p = NULL;
	cleanup_free char *q = NULL;
	char hex[65];

	unsetenv("BERTH_SHIM_SOCKET_DIR");
	shim_sha256_hex("/run/containerd/containerd.sock/default/c1", 42, hex);
	p = shim_socket_path("/run/containerd/containerd.sock", "default", "c1", NULL);
	q = xasprintf("/run/containerd/s/%s", hex);
	assert_string_equal(p, q);
	free(p);
	setenv("BERTH_SHIM_SOCKET_DIR", "/tmp/x", 1);
	p = shim_socket_path("/run/containerd/containerd.sock", "default", "c1", NULL);
	assert_int_equal(strncmp(p, "/tmp/x/", 7), 0);
	unsetenv("BERTH_SHIM_SOCKET_DIR");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(garbage_payloads_are_invalid_argument_for_every_method),
		T(unknown_task_id_is_not_found),
		T(checkpoint_is_unimplemented),
		T(runtime_failure_carries_the_last_log_error),
		T(runc_options_binary_name_and_root_choose_the_runtime),
		T(create_for_another_id_is_refused),
		T(lifecycle_states_and_wrong_state_errors),
		T(exec_with_bad_json_spec_is_invalid_argument),
		T(update_passes_resources_on_stdin_and_rejects_bad_json),
		T(pids_parses_the_runtime_ps_output),
		T(connect_reports_shim_and_task_pids),
		T(shutdown_is_ignored_while_a_task_exists),
		cmocka_unit_test(the_task_table_agrees_with_the_service_descriptor),
		cmocka_unit_test(jscan_validates_strict_json),
		cmocka_unit_test(jscan_reads_log_record_members),
		cmocka_unit_test(jscan_int_array_accepts_pids_only),
		cmocka_unit_test(crilog_records_full_and_partial_lines),
		cmocka_unit_test(sha256_matches_known_vectors),
		cmocka_unit_test(socket_path_lives_next_to_the_containerd_address),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
