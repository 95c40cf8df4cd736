/*
 * shim/service.c - see service.h. serve() does what every Task method shares:
 * decode the request, look up the task or process it names, and turn a failed
 * body into a ttrpc status; the do_*() bodies hold only their own logic.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb-c.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "shim/service.h"
#include "shim/stdio.h"

#define RUNC_OPTIONS_URL "containerd.runc.v1.Options"

/* What serve() looks up, from the request's "id" (and "exec_id"), before the body runs. */
enum task_lookup {
	LOOKUP_NONE,
	LOOKUP_TASK, /* the task named by id: its init process */
	LOOKUP_PROC, /* the process named by id and exec_id ("" or absent: the init) */
};

/* One Task call as a method body sees it. */
struct task_call {
	struct shim_daemon *d;
	struct ttrpc_call *call; /* NULL once answered or handed on */
	const void *req;	 /* the decoded request (NULL without one); freed after the body */
	struct shim_proc *p;	 /* the looked-up process; NULL with LOOKUP_NONE */
};

/*
 * A method body: returns 0 when done, or -1 with *err set, which serve()
 * answers with err's class and message. A body answers with reply() or hands
 * t->call on (Wait); one that returns 0 without answering gets an Empty.
 */
typedef int (*task_fn)(struct task_call *t, struct berth_err **err);

/* a method: its name in containerd.task.v2.Task's descriptor (which gives the request type) */
struct task_method {
	const char *name;
	enum task_lookup lookup;
	task_fn fn;
};

static void options_freep(Containerd__Runc__V1__Options **p)
{
	if (*p)
		containerd__runc__v1__options__free_unpacked(*p, NULL);
}

static void request_freep(ProtobufCMessage **p)
{
	if (*p)
		protobuf_c_message_free_unpacked(*p, NULL);
}

static void fail(struct ttrpc_call *call, struct berth_err **err)
{
	log_debug("%s: %s", ttrpc_call_method(call), (*err)->msg);
	ttrpc_call_fail_err(call, *err);
	berth_err_free(err);
}

static int reply(struct task_call *t, const ProtobufCMessage *msg)
{
	ttrpc_call_reply(t->call, msg);
	t->call = NULL;
	return 0;
}

/* true if an Any's type URL names msg ("types.example.com/pkg.Msg" or "pkg.Msg") */
static bool any_is(const Google__Protobuf__Any *any, const char *msg)
{
	const char *slash;

	if (!any || !any->type_url)
		return false;
	slash = strrchr(any->type_url, '/');
	return strcmp(slash ? slash + 1 : any->type_url, msg) == 0;
}

static char *any_json(const Google__Protobuf__Any *any)
{
	return xstrndup((const char *)any->value.data, any->value.len);
}

static Containerd__V1__Types__Status proc_status(const struct shim_proc *p)
{
	switch (p->state) {
	case SHIM_PROC_CREATED:
		return CONTAINERD__V1__TYPES__STATUS__CREATED;
	case SHIM_PROC_RUNNING:
		return CONTAINERD__V1__TYPES__STATUS__RUNNING;
	case SHIM_PROC_PAUSED:
		return CONTAINERD__V1__TYPES__STATUS__PAUSED;
	case SHIM_PROC_STOPPED:
		return CONTAINERD__V1__TYPES__STATUS__STOPPED;
	}
	return CONTAINERD__V1__TYPES__STATUS__UNKNOWN;
}

static int do_state(struct task_call *t, struct berth_err **err)
{
	Containerd__Task__V2__StateResponse resp = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct shim_proc *p = t->p;

	resp.id = *p->exec_id ? p->exec_id : t->d->task->id;
	resp.bundle = t->d->task->bundle;
	resp.pid = (uint32_t)p->pid;
	resp.status = proc_status(p);
	resp.stdin = p->stdin_path;
	resp.stdout = p->stdout_path;
	resp.stderr = p->stderr_path;
	resp.terminal = p->terminal;
	resp.exec_id = p->exec_id;
	if (p->state == SHIM_PROC_STOPPED) {
		resp.exit_status = p->exit_status;
		shim_timestamp_set(&ts, &p->exited_at);
		resp.exited_at = &ts;
	}
	return reply(t, &resp.base);
}

static int do_create(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__CreateTaskRequest *req = t->req;
	Containerd__Task__V2__CreateTaskResponse resp =
		CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
	cleanup(options_freep) Containerd__Runc__V1__Options *opts = NULL;
	struct shim_create c = {
		.id = req->id,
		.bundle = req->bundle,
		.terminal = req->terminal,
		.in = req->stdin,
		.out = req->stdout,
		.err = req->stderr,
		.rootfs = req->rootfs,
		.n_rootfs = req->n_rootfs,
		.checkpoint = req->checkpoint,
	};

	if (!*req->id || !*req->bundle)
		return berth_err_new(err, BERTH_E_INVALID, "create: %s is empty",
				     *req->id ? "bundle" : "id");
	if (any_is(req->options, RUNC_OPTIONS_URL)) {
		opts = containerd__runc__v1__options__unpack(NULL, req->options->value.len,
							     req->options->value.data);
		if (!opts)
			return berth_err_new(err, BERTH_E_INVALID,
					     "create: options: cannot decode %s", RUNC_OPTIONS_URL);
		c.opt_binary = opts->binary_name;
		c.opt_root = opts->root;
		c.no_pivot = opts->no_pivot_root;
		c.no_new_keyring = opts->no_new_keyring;
	}
	if (shim_task_create(t->d->task, &c, err) < 0)
		return -1;
	resp.pid = (uint32_t)t->d->task->init->pid;
	return reply(t, &resp.base);
}

static int do_start(struct task_call *t, struct berth_err **err)
{
	Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;

	if (shim_task_start(t->d->task, t->p, err) < 0)
		return -1;
	resp.pid = (uint32_t)t->p->pid;
	return reply(t, &resp.base);
}

static int do_delete(struct task_call *t, struct berth_err **err)
{
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct timespec at;

	if (shim_task_delete(t->d->task, t->p, &resp.pid, &resp.exit_status, &at, err) < 0)
		return -1;
	shim_timestamp_set(&ts, &at);
	resp.exited_at = &ts;
	return reply(t, &resp.base);
}

static int do_pids(struct task_call *t, struct berth_err **err)
{
	Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
	cleanup_free uint32_t *pids = NULL;
	cleanup_free Containerd__V1__Types__ProcessInfo *infos = NULL;
	cleanup_free Containerd__V1__Types__ProcessInfo **ptrs = NULL;
	cleanup_free Google__Protobuf__Any *anys = NULL;
	cleanup_free Containerd__Runc__V1__ProcessDetails *details = NULL;
	cleanup_free uint8_t *packed = NULL;
	size_t n = 0, off = 0;

	if (shim_task_pids(t->d->task, &pids, &n, err) < 0)
		return -1;
	infos = xcalloc(n + 1, sizeof(*infos));
	ptrs = xcalloc(n + 1, sizeof(*ptrs));
	anys = xcalloc(n + 1, sizeof(*anys));
	details = xcalloc(n + 1, sizeof(*details));
	packed = xmalloc(n * 256 + 1);
	for (size_t i = 0; i < n; i++) {
		infos[i] = (Containerd__V1__Types__ProcessInfo)
			CONTAINERD__V1__TYPES__PROCESS_INFO__INIT;
		infos[i].pid = pids[i];
		ptrs[i] = &infos[i];
		for (struct shim_proc *p = t->d->task->execs; p; p = p->next) {
			if ((uint32_t)p->pid != pids[i] || p->reaped || strlen(p->exec_id) > 200)
				continue;
			details[i] = (Containerd__Runc__V1__ProcessDetails)
				CONTAINERD__RUNC__V1__PROCESS_DETAILS__INIT;
			details[i].exec_id = p->exec_id;
			anys[i] = (Google__Protobuf__Any)GOOGLE__PROTOBUF__ANY__INIT;
			anys[i].type_url = "containerd.runc.v1.ProcessDetails";
			anys[i].value.data = packed + off;
			anys[i].value.len = containerd__runc__v1__process_details__pack(
				&details[i], packed + off);
			off += anys[i].value.len;
			infos[i].info = &anys[i];
		}
	}
	resp.n_processes = n;
	resp.processes = ptrs;
	return reply(t, &resp.base);
}

static int do_pause(struct task_call *t, struct berth_err **err)
{
	return shim_task_pause(t->d->task, err);
}

static int do_resume(struct task_call *t, struct berth_err **err)
{
	return shim_task_resume(t->d->task, err);
}

static int do_checkpoint(struct task_call *t, struct berth_err **err)
{
	return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
			     "checkpoint is not supported by berth-shim");
}

static int do_kill(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__KillRequest *req = t->req;

	return shim_task_kill(t->d->task, t->p, req->signal, req->all, err);
}

static int do_exec(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__ExecProcessRequest *req = t->req;
	cleanup_free char *spec = NULL;

	if (!req->spec)
		return berth_err_new(err, BERTH_E_INVALID, "exec '%s': spec is missing",
				     req->exec_id);
	spec = any_json(req->spec);
	return shim_task_exec(t->d->task, req->exec_id, req->terminal, req->stdin, req->stdout,
			      req->stderr, spec, err);
}

static int do_resize_pty(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__ResizePtyRequest *req = t->req;

	if (!t->p->io)
		return berth_err_new(err, BERTH_E_PRECONDITION, "process has no stdio yet");
	return shim_stdio_resize(t->p->io, req->width, req->height, err);
}

static int do_close_io(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__CloseIORequest *req = t->req;

	if (req->stdin && t->p->io)
		shim_stdio_close_stdin(t->p->io);
	return 0;
}

static int do_update(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__UpdateTaskRequest *req = t->req;
	cleanup_free char *json = NULL;

	if (!req->resources)
		return berth_err_new(err, BERTH_E_INVALID, "update: resources are missing");
	json = any_json(req->resources);
	return shim_task_update(t->d->task, json, err);
}

static int do_wait(struct task_call *t, struct berth_err **err)
{
	shim_task_wait(t->d->task, t->p, t->call); /* may answer later */
	t->call = NULL;
	return 0;
}

static int do_stats(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__StatsRequest *req = t->req;
	Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	cleanup_free char *url = NULL;
	cleanup_free uint8_t *stats = NULL;

	if (t->p->reaped)
		return berth_err_new(err, BERTH_E_PRECONDITION, "task '%s' is stopped", req->id);
	if (shim_stats_collect(t->p->pid, &url, &stats, &any.value.len, err) < 0)
		return -1;
	any.type_url = url;
	any.value.data = stats;
	resp.stats = &any;
	return reply(t, &resp.base);
}

static int do_connect(struct task_call *t, struct berth_err **err)
{
	Containerd__Task__V2__ConnectResponse resp = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
	struct shim_task *task = t->d->task;

	resp.shim_pid = (uint32_t)getpid();
	resp.task_pid = task->init ? (uint32_t)task->init->pid : 0;
	resp.version = SHIM_VERSION;
	return reply(t, &resp.base);
}

static int do_shutdown(struct task_call *t, struct berth_err **err)
{
	const Containerd__Task__V2__ShutdownRequest *req = t->req;

	/* like runc's shim: a shim that still serves a task ignores Shutdown */
	if (shim_task_is_empty(t->d->task)) {
		t->d->shutdown = true;
		t->d->shutdown_now = req->now;
	}
	return 0;
}

/* the Task service: its name and every method's request type */
#define TASK_SERVICE_DESC (&containerd__task__v2__task__descriptor)

/*
 * The Task service, one line a method: name, lookup, body. The request type is the
 * descriptor's (shim_service_check refuses a name it lacks). It is expanded twice, into
 * task_methods[] for serve() and into the ttrpc table, so a method is declared in one
 * place only.
 */
#define TASK_METHODS(X)                             \
	X("State", LOOKUP_PROC, do_state)           \
	X("Create", LOOKUP_NONE, do_create)         \
	X("Start", LOOKUP_PROC, do_start)           \
	X("Delete", LOOKUP_PROC, do_delete)         \
	X("Pids", LOOKUP_TASK, do_pids)             \
	X("Pause", LOOKUP_TASK, do_pause)           \
	X("Resume", LOOKUP_TASK, do_resume)         \
	X("Checkpoint", LOOKUP_NONE, do_checkpoint) \
	X("Kill", LOOKUP_PROC, do_kill)             \
	X("Exec", LOOKUP_TASK, do_exec)             \
	X("ResizePty", LOOKUP_PROC, do_resize_pty)  \
	X("CloseIO", LOOKUP_PROC, do_close_io)      \
	X("Update", LOOKUP_TASK, do_update)         \
	X("Wait", LOOKUP_PROC, do_wait)             \
	X("Stats", LOOKUP_TASK, do_stats)           \
	X("Connect", LOOKUP_NONE, do_connect)       \
	X("Shutdown", LOOKUP_NONE, do_shutdown)

#define TASK_METHOD(name, lookup, fn) {name, lookup, fn},
static const struct task_method task_methods[] = {TASK_METHODS(TASK_METHOD)};
#undef TASK_METHOD

_Static_assert(sizeof(task_methods) / sizeof(task_methods[0]) == SHIM_N_METHODS,
	       "SHIM_N_METHODS is the number of Task methods");

/* The string field `name` of a decoded request; "" when there is no such field. */
static const char *req_string(const ProtobufCMessage *req, const char *name)
{
	const ProtobufCFieldDescriptor *f =
		req ? protobuf_c_message_descriptor_get_field_by_name(req->descriptor, name) : NULL;
	const char *v;

	if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
		return "";
	memcpy(&v, (const char *)req + f->offset, sizeof(v));
	return v ? v : "";
}

static void serve(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	const char *name = ttrpc_call_method(call);
	const struct task_method *m = NULL;
	const ProtobufCMethodDescriptor *md =
		protobuf_c_service_descriptor_get_method_by_name(TASK_SERVICE_DESC, name);
	cleanup(request_freep) ProtobufCMessage *req = NULL;
	struct task_call t = {.d = data, .call = call};
	Google__Protobuf__Empty empty = GOOGLE__PROTOBUF__EMPTY__INIT;
	struct berth_err *err = NULL;

	for (size_t i = 0; i < SHIM_N_METHODS && !m; i++)
		if (!strcmp(task_methods[i].name, name))
			m = &task_methods[i];
	if (!m || !md)
		return ttrpc_call_fail(call, TTRPC_UNIMPLEMENTED, "%s: not a Task method", name);
	req = protobuf_c_message_unpack(md->input, NULL, len, payload);
	if (!req)
		return ttrpc_call_fail(call, TTRPC_INVALID_ARGUMENT, "%s: cannot decode request",
				       name);
	t.req = req;
	if (m->lookup != LOOKUP_NONE) {
		t.p = shim_task_find(t.d->task, req_string(req, "id"),
				     m->lookup == LOOKUP_PROC ? req_string(req, "exec_id") : NULL,
				     &err);
		if (!t.p)
			return fail(call, &err);
	}
	if (m->fn(&t, &err) < 0)
		fail(call, &err);
	else if (t.call)
		ttrpc_call_reply(call, &empty.base);
}

#define TTRPC_METHOD(name, lookup, fn) {SHIM_TASK_SERVICE, name, serve},
const struct ttrpc_method shim_service_methods[SHIM_N_METHODS] = {TASK_METHODS(TTRPC_METHOD)};
#undef TTRPC_METHOD

int shim_service_check(struct berth_err **err)
{
	if (strcmp(SHIM_TASK_SERVICE, TASK_SERVICE_DESC->name) != 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "shim service '%s': the descriptor is '%s'", SHIM_TASK_SERVICE,
				     TASK_SERVICE_DESC->name);
	for (size_t i = 0; i < SHIM_N_METHODS; i++)
		if (!protobuf_c_service_descriptor_get_method_by_name(TASK_SERVICE_DESC,
								      task_methods[i].name))
			return berth_err_new(err, BERTH_E_INVALID,
					     "shim service '%s': has no method '%s'",
					     TASK_SERVICE_DESC->name, task_methods[i].name);
	return 0;
}
