/* shim/service.c - see service.h. */
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

/* Decodes the request into a variable `req` freed at scope exit, or fails the call. */
#define DECODE(type, prefix, call, payload, len)                                           \
	cleanup(prefix##__freep) type *req = prefix##__unpack(NULL, len, payload);         \
	if (!req) {                                                                        \
		ttrpc_call_fail(call, TTRPC_INVALID_ARGUMENT, "%s: cannot decode request", \
				ttrpc_call_method(call));                                  \
		return;                                                                    \
	}

#define FREEP(type, prefix)                                \
	static void prefix##__freep(type **p)              \
	{                                                  \
		if (*p)                                    \
			prefix##__free_unpacked(*p, NULL); \
	}

FREEP(Containerd__Task__V2__StateRequest, containerd__task__v2__state_request)
FREEP(Containerd__Task__V2__CreateTaskRequest, containerd__task__v2__create_task_request)
FREEP(Containerd__Task__V2__StartRequest, containerd__task__v2__start_request)
FREEP(Containerd__Task__V2__DeleteRequest, containerd__task__v2__delete_request)
FREEP(Containerd__Task__V2__PidsRequest, containerd__task__v2__pids_request)
FREEP(Containerd__Task__V2__PauseRequest, containerd__task__v2__pause_request)
FREEP(Containerd__Task__V2__ResumeRequest, containerd__task__v2__resume_request)
FREEP(Containerd__Task__V2__KillRequest, containerd__task__v2__kill_request)
FREEP(Containerd__Task__V2__ExecProcessRequest, containerd__task__v2__exec_process_request)
FREEP(Containerd__Task__V2__ResizePtyRequest, containerd__task__v2__resize_pty_request)
FREEP(Containerd__Task__V2__CloseIORequest, containerd__task__v2__close_iorequest)
FREEP(Containerd__Task__V2__UpdateTaskRequest, containerd__task__v2__update_task_request)
FREEP(Containerd__Task__V2__WaitRequest, containerd__task__v2__wait_request)
FREEP(Containerd__Task__V2__StatsRequest, containerd__task__v2__stats_request)
FREEP(Containerd__Task__V2__ConnectRequest, containerd__task__v2__connect_request)
FREEP(Containerd__Task__V2__ShutdownRequest, containerd__task__v2__shutdown_request)
FREEP(Containerd__Runc__V1__Options, containerd__runc__v1__options)

static void fail(struct ttrpc_call *call, struct berth_err **err)
{
	log_debug("%s: %s", ttrpc_call_method(call), (*err)->msg);
	ttrpc_call_fail_err(call, *err);
	berth_err_free(err);
}

static void reply_empty(struct ttrpc_call *call)
{
	Google__Protobuf__Empty e = GOOGLE__PROTOBUF__EMPTY__INIT;

	ttrpc_call_reply(call, &e.base);
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

static void do_state(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__StateRequest, containerd__task__v2__state_request, call,
	       payload, len);
	Containerd__Task__V2__StateResponse resp = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, req->exec_id, &err);

	if (!p)
		return fail(call, &err);
	resp.id = *p->exec_id ? p->exec_id : d->task->id;
	resp.bundle = d->task->bundle;
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
	ttrpc_call_reply(call, &resp.base);
}

static void do_create(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__CreateTaskRequest, containerd__task__v2__create_task_request,
	       call, payload, len);
	Containerd__Task__V2__CreateTaskResponse resp =
		CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
	cleanup(containerd__runc__v1__options__freep) Containerd__Runc__V1__Options *opts = NULL;
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
	struct berth_err *err = NULL;

	if (!*req->id || !*req->bundle)
		return ttrpc_call_fail(call, TTRPC_INVALID_ARGUMENT, "create: %s is empty",
				       *req->id ? "bundle" : "id");
	if (any_is(req->options, RUNC_OPTIONS_URL)) {
		opts = containerd__runc__v1__options__unpack(NULL, req->options->value.len,
							     req->options->value.data);
		if (!opts)
			return ttrpc_call_fail(call, TTRPC_INVALID_ARGUMENT,
					       "create: options: cannot decode %s",
					       RUNC_OPTIONS_URL);
		c.opt_binary = opts->binary_name;
		c.opt_root = opts->root;
		c.no_pivot = opts->no_pivot_root;
		c.no_new_keyring = opts->no_new_keyring;
	}
	if (shim_task_create(d->task, &c, &err) < 0)
		return fail(call, &err);
	resp.pid = (uint32_t)d->task->init->pid;
	ttrpc_call_reply(call, &resp.base);
}

static void do_start(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__StartRequest, containerd__task__v2__start_request, call,
	       payload, len);
	Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, req->exec_id, &err);

	if (!p || shim_task_start(d->task, p, &err) < 0)
		return fail(call, &err);
	resp.pid = (uint32_t)p->pid;
	ttrpc_call_reply(call, &resp.base);
}

static void do_delete(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__DeleteRequest, containerd__task__v2__delete_request, call,
	       payload, len);
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, req->exec_id, &err);
	struct timespec at;

	if (!p || shim_task_delete(d->task, p, &resp.pid, &resp.exit_status, &at, &err) < 0)
		return fail(call, &err);
	shim_timestamp_set(&ts, &at);
	resp.exited_at = &ts;
	ttrpc_call_reply(call, &resp.base);
}

static void do_pids(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__PidsRequest, containerd__task__v2__pids_request, call, payload,
	       len);
	Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
	cleanup_free uint32_t *pids = NULL;
	cleanup_free Containerd__V1__Types__ProcessInfo *infos = NULL;
	cleanup_free Containerd__V1__Types__ProcessInfo **ptrs = NULL;
	cleanup_free Google__Protobuf__Any *anys = NULL;
	cleanup_free Containerd__Runc__V1__ProcessDetails *details = NULL;
	cleanup_free uint8_t *packed = NULL;
	struct berth_err *err = NULL;
	size_t n = 0, off = 0;

	if (!shim_task_find(d->task, req->id, NULL, &err) ||
	    shim_task_pids(d->task, &pids, &n, &err) < 0)
		return fail(call, &err);
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
		for (struct shim_proc *p = d->task->execs; p; p = p->next) {
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
	ttrpc_call_reply(call, &resp.base);
}

static void do_pause(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__PauseRequest, containerd__task__v2__pause_request, call,
	       payload, len);
	struct berth_err *err = NULL;

	if (!shim_task_find(d->task, req->id, NULL, &err) || shim_task_pause(d->task, &err) < 0)
		return fail(call, &err);
	reply_empty(call);
}

static void do_resume(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__ResumeRequest, containerd__task__v2__resume_request, call,
	       payload, len);
	struct berth_err *err = NULL;

	if (!shim_task_find(d->task, req->id, NULL, &err) || shim_task_resume(d->task, &err) < 0)
		return fail(call, &err);
	reply_empty(call);
}

static void do_checkpoint(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	ttrpc_call_fail(call, TTRPC_UNIMPLEMENTED, "checkpoint is not supported by berth-shim");
}

static void do_kill(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__KillRequest, containerd__task__v2__kill_request, call, payload,
	       len);
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, req->exec_id, &err);

	if (!p || shim_task_kill(d->task, p, req->signal, req->all, &err) < 0)
		return fail(call, &err);
	reply_empty(call);
}

static void do_exec(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__ExecProcessRequest, containerd__task__v2__exec_process_request,
	       call, payload, len);
	cleanup_free char *spec = NULL;
	struct berth_err *err = NULL;

	if (!shim_task_find(d->task, req->id, NULL, &err))
		return fail(call, &err);
	if (!req->spec)
		return ttrpc_call_fail(call, TTRPC_INVALID_ARGUMENT, "exec '%s': spec is missing",
				       req->exec_id);
	spec = any_json(req->spec);
	if (shim_task_exec(d->task, req->exec_id, req->terminal, req->stdin, req->stdout,
			   req->stderr, spec, &err) < 0)
		return fail(call, &err);
	reply_empty(call);
}

static void do_resize_pty(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__ResizePtyRequest, containerd__task__v2__resize_pty_request,
	       call, payload, len);
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, req->exec_id, &err);

	if (!p)
		return fail(call, &err);
	if (!p->io)
		return ttrpc_call_fail(call, TTRPC_FAILED_PRECONDITION, "process has no stdio yet");
	if (shim_stdio_resize(p->io, req->width, req->height, &err) < 0)
		return fail(call, &err);
	reply_empty(call);
}

static void do_close_io(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__CloseIORequest, containerd__task__v2__close_iorequest, call,
	       payload, len);
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, req->exec_id, &err);

	if (!p)
		return fail(call, &err);
	if (req->stdin && p->io)
		shim_stdio_close_stdin(p->io);
	reply_empty(call);
}

static void do_update(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__UpdateTaskRequest, containerd__task__v2__update_task_request,
	       call, payload, len);
	cleanup_free char *json = NULL;
	struct berth_err *err = NULL;

	if (!shim_task_find(d->task, req->id, NULL, &err))
		return fail(call, &err);
	if (!req->resources)
		return ttrpc_call_fail(call, TTRPC_INVALID_ARGUMENT,
				       "update: resources are missing");
	json = any_json(req->resources);
	if (shim_task_update(d->task, json, &err) < 0)
		return fail(call, &err);
	reply_empty(call);
}

static void do_wait(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__WaitRequest, containerd__task__v2__wait_request, call, payload,
	       len);
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, req->exec_id, &err);

	if (!p)
		return fail(call, &err);
	shim_task_wait(d->task, p, call); /* may answer later */
}

static void do_stats(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__StatsRequest, containerd__task__v2__stats_request, call,
	       payload, len);
	Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	cleanup_free char *url = NULL;
	cleanup_free uint8_t *stats = NULL;
	struct berth_err *err = NULL;
	struct shim_proc *p = shim_task_find(d->task, req->id, NULL, &err);

	if (!p)
		return fail(call, &err);
	if (p->reaped)
		return ttrpc_call_fail(call, TTRPC_FAILED_PRECONDITION, "task '%s' is stopped",
				       req->id);
	if (shim_stats_collect(p->pid, &url, &stats, &any.value.len, &err) < 0)
		return fail(call, &err);
	any.type_url = url;
	any.value.data = stats;
	resp.stats = &any;
	ttrpc_call_reply(call, &resp.base);
}

static void do_connect(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__ConnectRequest, containerd__task__v2__connect_request, call,
	       payload, len);
	Containerd__Task__V2__ConnectResponse resp = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;

	resp.shim_pid = (uint32_t)getpid();
	resp.task_pid = d->task->init ? (uint32_t)d->task->init->pid : 0;
	resp.version = SHIM_VERSION;
	ttrpc_call_reply(call, &resp.base);
}

static void do_shutdown(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct shim_daemon *d = data;
	DECODE(Containerd__Task__V2__ShutdownRequest, containerd__task__v2__shutdown_request, call,
	       payload, len);

	/* like runc's shim: a shim that still serves a task ignores Shutdown */
	if (shim_task_is_empty(d->task)) {
		d->shutdown = true;
		d->shutdown_now = req->now;
	}
	reply_empty(call);
}

const struct ttrpc_method shim_service_methods[SHIM_N_METHODS] = {
	{SHIM_TASK_SERVICE, "State", do_state},
	{SHIM_TASK_SERVICE, "Create", do_create},
	{SHIM_TASK_SERVICE, "Start", do_start},
	{SHIM_TASK_SERVICE, "Delete", do_delete},
	{SHIM_TASK_SERVICE, "Pids", do_pids},
	{SHIM_TASK_SERVICE, "Pause", do_pause},
	{SHIM_TASK_SERVICE, "Resume", do_resume},
	{SHIM_TASK_SERVICE, "Checkpoint", do_checkpoint},
	{SHIM_TASK_SERVICE, "Kill", do_kill},
	{SHIM_TASK_SERVICE, "Exec", do_exec},
	{SHIM_TASK_SERVICE, "ResizePty", do_resize_pty},
	{SHIM_TASK_SERVICE, "CloseIO", do_close_io},
	{SHIM_TASK_SERVICE, "Update", do_update},
	{SHIM_TASK_SERVICE, "Wait", do_wait},
	{SHIM_TASK_SERVICE, "Stats", do_stats},
	{SHIM_TASK_SERVICE, "Connect", do_connect},
	{SHIM_TASK_SERVICE, "Shutdown", do_shutdown},
};
