/*
 * supervisor/services/svc_tasks.c - containerd.services.tasks.v1.Tasks: running containers.
 *
 * Each method looks the container up (meta.db; NOT_FOUND naming it), then the task
 * (supervisor/tasks/tasks.h; NOT_FOUND "task 'ID' not found") and forwards the call to
 * the task's shim as containerd.task.v2.Task over ttrpc, mapping messages field by field
 * and errors code for code, as containerd 1.6's services/tasks does. Differences kept on
 * purpose: Checkpoint is UNIMPLEMENTED; Delete of a running or paused task is refused here
 * with FAILED_PRECONDITION whatever the shim would say.
 *
 * Every other method waits for its shim (bounded by TASKS_CALL_TIMEOUT_MS), so the
 * service runs on workers of its own (rpc_service.workers, TASKS_SVC_WORKERS): frozen or
 * slow shims can hold those, never the shared workers that answer Version, Images,
 * Containers and the rest. Wait is the one call that may last: the handler hands it to
 * the manager thread (tasks_call_async) and returns, and the shim's late answer ends the
 * gRPC call from there. A client that goes away ends it through rpc_call_on_cancel;
 * whichever side takes `call` out of the waiter first ends it (struct waiter below).
 *
 * The task manager is berthd's main's (struct berthd_components): this service borrows it.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>
#include <github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/filter.h"
#include "supervisor/services/svc_util.h"
#include "supervisor/tasks/tasks.h"

#define TS(x) Containerd__Services__Tasks__V1__##x
#define TS_INIT(x) CONTAINERD__SERVICES__TASKS__V1__##x##__INIT
#define SH(x) Containerd__Task__V2__##x
#define SH_INIT(x) CONTAINERD__TASK__V2__##x##__INIT
#define STATUS(x) CONTAINERD__V1__TYPES__STATUS__##x

#define SPEC_TYPE_URL "types.containerd.io/opencontainers/runtime-spec/1/Spec"
#define STATE_TIMEOUT_MS 2000

static struct berthd_components *svc_of(struct rpc_call *call)
{
	return rpc_call_data(call);
}

/* ---- lookups ---- */

/* The task of container id in the call's namespace, or NULL after failing the call. */
static struct tasks_task *task_of(struct rpc_call *call, const char *id)
{
	struct berthd_components *s = svc_of(call);
	cleanup(meta_container_freep) struct meta_container *c = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct tasks_task *t;

	if (!ns)
		return NULL;
	if (meta_container_get(s->db, ns, id, &c, &err) < 0) {
		rpc_call_fail(call, err);
		return NULL;
	}
	t = tasks_get(s->tasks, ns, id, &err);
	if (!t)
		rpc_call_fail(call, err);
	return t;
}

/* Forwards a call whose answer is Empty and replies Empty. */
static void forward_empty(struct rpc_call *call, struct tasks_task *t, const char *method,
			  const ProtobufCMessage *req)
{
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	cleanup_err struct berth_err *err = NULL;

	if (tasks_call(t, method, req, NULL, TASKS_CALL_TIMEOUT_MS, &err) < 0)
		rpc_call_fail(call, err);
	else
		rpc_call_reply(call, &resp.base);
}

static void any_packed(const Google__Protobuf__Any *a, uint8_t **buf, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(&a->base);
	*buf = xmalloc(*len + 1);
	protobuf_c_message_pack(&a->base, *buf);
}

/* ---- Create ---- */

static int spec_check(const struct meta_container *c, struct berth_err **err)
{
	if (!c->spec.len)
		return berth_err_new(err, BERTH_E_INVALID, "container '%s': spec: missing", c->id);
	if (strcmp(c->spec.type_url, SPEC_TYPE_URL) != 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "container '%s': spec: type '%s' is not '" SPEC_TYPE_URL "'",
				     c->id, c->spec.type_url);
	return 0;
}

static int do_create(struct rpc_call *call, const TS(CreateTaskRequest) * req, const char *ns,
		     uint32_t *pid, struct berth_err **err)
{
	struct berthd_components *s = svc_of(call);
	cleanup(meta_container_freep) struct meta_container *c = NULL;
	SH(CreateTaskRequest) sreq = SH_INIT(CREATE_TASK_REQUEST);
	Google__Protobuf__Any ropts = GOOGLE__PROTOBUF__ANY__INIT;
	struct tasks_create_opts o = {.ns = ns, .id = req->container_id};
	cleanup_free uint8_t *opts = NULL;

	if (meta_container_get(s->db, ns, req->container_id, &c, err) < 0)
		return -1;
	if (req->checkpoint)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "task '%s': restoring from a checkpoint is not supported",
				     req->container_id);
	if (spec_check(c, err) < 0)
		return -1;
	sreq.n_rootfs = req->n_rootfs;
	sreq.rootfs = req->rootfs;
	sreq.stdin = req->stdin;
	sreq.stdout = req->stdout;
	sreq.stderr = req->stderr;
	sreq.terminal = req->terminal;
	/* containerd: the task's options, else the container's runtime options */
	sreq.options = req->options;
	if (!sreq.options && c->runtime_options.type_url[0]) {
		ropts.type_url = c->runtime_options.type_url;
		ropts.value.data = c->runtime_options.data;
		ropts.value.len = c->runtime_options.len;
		sreq.options = &ropts;
	}
	if (sreq.options)
		any_packed(sreq.options, &opts, &o.options_len);
	o.options = opts;
	o.runtime = req->runtime_path[0] ? req->runtime_path : c->runtime_name;
	o.spec = c->spec.data;
	o.spec_len = c->spec.len;
	o.req = &sreq.base;
	return tasks_create(s->tasks, &o, pid, err);
}

static void t_create(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(CreateTaskRequest) *req = (const void *)msg;
	TS(CreateTaskResponse) resp = TS_INIT(CREATE_TASK_RESPONSE);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	uint32_t pid = 0;

	if (!ns)
		return;
	if (do_create(call, req, ns, &pid, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.container_id = req->container_id;
	resp.pid = pid;
	rpc_call_reply(call, &resp.base);
}

/* ---- Start, Kill, Exec, ResizePty, CloseIO, Pause, Resume, Update ---- */

static void t_start(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(StartRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	TS(StartResponse) resp = TS_INIT(START_RESPONSE);
	SH(StartRequest) sreq = SH_INIT(START_REQUEST);
	SH(StartResponse) *sresp = NULL;
	cleanup_err struct berth_err *err = NULL;

	if (!t)
		return;
	sreq.id = req->container_id;
	sreq.exec_id = req->exec_id;
	if (tasks_call(t, "Start", &sreq.base, (ProtobufCMessage **)&sresp, TASKS_CALL_TIMEOUT_MS,
		       &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.pid = sresp->pid;
	containerd__task__v2__start_response__free_unpacked(sresp, NULL);
	rpc_call_reply(call, &resp.base);
}

static void t_kill(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(KillRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(KillRequest) sreq = SH_INIT(KILL_REQUEST);

	if (!t)
		return;
	sreq.id = req->container_id;
	sreq.exec_id = req->exec_id;
	sreq.signal = req->signal;
	sreq.all = req->all;
	forward_empty(call, t, "Kill", &sreq.base);
}

static void t_exec(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(ExecProcessRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = NULL;
	SH(ExecProcessRequest) sreq = SH_INIT(EXEC_PROCESS_REQUEST);

	if (!req->exec_id[0]) {
		rpc_call_failf(call, BERTH_E_INVALID, "exec id cannot be empty");
		return;
	}
	t = task_of(call, req->container_id);
	if (!t)
		return;
	sreq.id = req->container_id;
	sreq.exec_id = req->exec_id;
	sreq.terminal = req->terminal;
	sreq.stdin = req->stdin;
	sreq.stdout = req->stdout;
	sreq.stderr = req->stderr;
	sreq.spec = req->spec;
	forward_empty(call, t, "Exec", &sreq.base);
}

static void t_resize_pty(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(ResizePtyRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(ResizePtyRequest) sreq = SH_INIT(RESIZE_PTY_REQUEST);

	if (!t)
		return;
	sreq.id = req->container_id;
	sreq.exec_id = req->exec_id;
	sreq.width = req->width;
	sreq.height = req->height;
	forward_empty(call, t, "ResizePty", &sreq.base);
}

static void t_close_io(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(CloseIORequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(CloseIORequest) sreq = SH_INIT(CLOSE_IOREQUEST);
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;

	if (!t)
		return;
	if (!req->stdin) { /* containerd: only stdin can be closed */
		rpc_call_reply(call, &resp.base);
		return;
	}
	sreq.id = req->container_id;
	sreq.exec_id = req->exec_id;
	sreq.stdin = true;
	forward_empty(call, t, "CloseIO", &sreq.base);
}

static void t_pause(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(PauseTaskRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(PauseRequest) sreq = SH_INIT(PAUSE_REQUEST);

	if (!t)
		return;
	sreq.id = req->container_id;
	forward_empty(call, t, "Pause", &sreq.base);
}

static void t_resume(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(ResumeTaskRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(ResumeRequest) sreq = SH_INIT(RESUME_REQUEST);

	if (!t)
		return;
	sreq.id = req->container_id;
	forward_empty(call, t, "Resume", &sreq.base);
}

static void t_update(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(UpdateTaskRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(UpdateTaskRequest) sreq = SH_INIT(UPDATE_TASK_REQUEST);
	cleanup(strv_freep) char **kv = NULL;

	if (!t)
		return;
	sreq.id = req->container_id;
	sreq.resources = req->resources;
	kv = svc_kv_from_pb(req->n_annotations, req->annotations);
	sreq.annotations = svc_kv_to_pb(
		kv, &containerd__task__v2__update_task_request__annotations_entry__descriptor,
		&sreq.n_annotations);
	forward_empty(call, t, "Update", &sreq.base);
	svc_kv_pb_free(sreq.annotations, sreq.n_annotations);
}

static void t_checkpoint(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(CheckpointTaskRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);

	if (!t)
		return;
	rpc_call_failf(call, BERTH_E_UNIMPLEMENTED,
		       "task '%s': checkpoint is not supported by berthd (no CRIU support)",
		       req->container_id);
}

/* ---- Get, List, ListPids ---- */

struct process_pb {
	Containerd__V1__Types__Process pb;
	Google__Protobuf__Timestamp exited_at;
	SH(StateResponse) * st;
};

/* State of a process of t as containerd's getProcessState: a shim that does not answer
 * gives status UNKNOWN, NOT_FOUND is returned. */
static int process_state(struct tasks_task *t, const char *exec_id, struct process_pb *p,
			 struct berth_err **err)
{
	SH(StateRequest) sreq = SH_INIT(STATE_REQUEST);
	Containerd__V1__Types__Process init = CONTAINERD__V1__TYPES__PROCESS__INIT;
	cleanup_err struct berth_err *serr = NULL;

	p->pb = init;
	p->st = NULL;
	p->pb.id = (char *)(exec_id[0] ? exec_id : tasks_task_id(t));
	sreq.id = (char *)tasks_task_id(t);
	sreq.exec_id = (char *)exec_id;
	if (tasks_call(t, "State", &sreq.base, (ProtobufCMessage **)&p->st, STATE_TIMEOUT_MS,
		       &serr) < 0) {
		if (serr->code == BERTH_E_NOT_FOUND) {
			*err = take_ptr(serr);
			return -1;
		}
		log_warn("task '%s': state: %s", tasks_task_id(t), serr->msg);
		return 0;
	}
	p->pb.pid = p->st->pid;
	p->pb.status = p->st->status;
	p->pb.stdin = p->st->stdin;
	p->pb.stdout = p->st->stdout;
	p->pb.stderr = p->st->stderr;
	p->pb.terminal = p->st->terminal;
	p->pb.exit_status = p->st->exit_status;
	if (p->st->exited_at) {
		p->exited_at = *p->st->exited_at;
		p->pb.exited_at = &p->exited_at;
	}
	return 0;
}

static void process_clear(struct process_pb *p)
{
	if (p->st)
		containerd__task__v2__state_response__free_unpacked(p->st, NULL);
	p->st = NULL;
}

static void t_get(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(GetRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	TS(GetResponse) resp = TS_INIT(GET_RESPONSE);
	cleanup_err struct berth_err *err = NULL;
	struct process_pb p;

	if (!t)
		return;
	if (process_state(t, req->exec_id, &p, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.process = &p.pb;
	rpc_call_reply(call, &resp.base);
	process_clear(&p);
}

static void t_list(struct rpc_call *call, const ProtobufCMessage *msg)
{
	TS(ListTasksResponse) resp = TS_INIT(LIST_TASKS_RESPONSE);
	struct tasks_task **v = NULL;
	struct process_pb *ps;
	const char *ns = svc_call_ns(call);
	size_t n;

	if (!ns)
		return;
	n = tasks_list(svc_of(call)->tasks, ns, &v);
	ps = xcalloc(n + 1, sizeof(*ps));
	resp.tasks = xcalloc(n + 1, sizeof(*resp.tasks));
	for (size_t i = 0; i < n; i++) {
		cleanup_err struct berth_err *err = NULL;

		/* NOT_FOUND: deleted meanwhile (containerd skips it too) */
		if (process_state(v[i], "", &ps[i], &err) == 0)
			resp.tasks[resp.n_tasks++] = &ps[i].pb;
	}
	rpc_call_reply(call, &resp.base);
	for (size_t i = 0; i < n; i++)
		process_clear(&ps[i]);
	free(ps);
	free(resp.tasks);
	tasks_list_put(v, n);
}

static void t_list_pids(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(ListPidsRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	TS(ListPidsResponse) resp = TS_INIT(LIST_PIDS_RESPONSE);
	SH(PidsRequest) sreq = SH_INIT(PIDS_REQUEST);
	SH(PidsResponse) *sresp = NULL;
	cleanup_err struct berth_err *err = NULL;

	if (!t)
		return;
	sreq.id = req->container_id;
	if (tasks_call(t, "Pids", &sreq.base, (ProtobufCMessage **)&sresp, TASKS_CALL_TIMEOUT_MS,
		       &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.n_processes = sresp->n_processes;
	resp.processes = sresp->processes;
	rpc_call_reply(call, &resp.base);
	containerd__task__v2__pids_response__free_unpacked(sresp, NULL);
}

/* ---- Delete, DeleteProcess ---- */

static void delete_reply(struct rpc_call *call, const char *id, const struct tasks_exit *x)
{
	TS(DeleteResponse) resp = TS_INIT(DELETE_RESPONSE);
	Google__Protobuf__Timestamp ts;

	resp.id = (char *)id;
	resp.pid = x->pid;
	resp.exit_status = x->status;
	if (x->exited_ns)
		resp.exited_at = svc_ts(&ts, x->exited_ns);
	rpc_call_reply(call, &resp.base);
}

/* containerd's client refuses this too; berthd checks it for every client and shim. */
static int stopped_check(struct tasks_task *t, struct berth_err **err)
{
	struct process_pb p;
	static const char *const names[] = {"unknown", "created", "running",
					    "stopped", "paused",  "pausing"};
	Containerd__V1__Types__Status st;

	if (process_state(t, "", &p, err) < 0)
		return -1;
	st = p.pb.status;
	process_clear(&p);
	if (st == STATUS(RUNNING) || st == STATUS(PAUSED) || st == STATUS(PAUSING))
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "task '%s' must be stopped before deletion: %s",
				     tasks_task_id(t), names[st]);
	return 0;
}

static void t_delete(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(DeleteTaskRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	cleanup_err struct berth_err *err = NULL;
	struct tasks_exit x;

	if (!t)
		return;
	if (stopped_check(t, &err) < 0 || tasks_delete(svc_of(call)->tasks, t, &x, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	delete_reply(call, "", &x);
}

static void t_delete_process(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(DeleteProcessRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(DeleteRequest) sreq = SH_INIT(DELETE_REQUEST);
	SH(DeleteResponse) *sresp = NULL;
	cleanup_err struct berth_err *err = NULL;
	struct tasks_exit x;

	if (!t)
		return;
	if (!req->exec_id[0]) {
		rpc_call_failf(call, BERTH_E_INVALID, "exec id cannot be empty: use Delete");
		return;
	}
	sreq.id = req->container_id;
	sreq.exec_id = req->exec_id;
	if (tasks_call(t, "Delete", &sreq.base, (ProtobufCMessage **)&sresp, TASKS_CALL_TIMEOUT_MS,
		       &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	x.pid = sresp->pid;
	x.status = sresp->exit_status;
	x.exited_ns = svc_ts_ns(sresp->exited_at);
	containerd__task__v2__delete_response__free_unpacked(sresp, NULL);
	delete_reply(call, req->exec_id, &x);
}

/* ---- Metrics ---- */

static const char *metric_field(const void *obj, char *const *path, size_t n)
{
	const struct tasks_task *t = obj;

	if (n == 1 && strcmp(path[0], "id") == 0)
		return tasks_task_id(t);
	if (n == 1 && strcmp(path[0], "namespace") == 0)
		return tasks_task_ns(t);
	return NULL;
}

static SH(StatsResponse) * task_stats(struct tasks_task *t)
{
	SH(StatsRequest) sreq = SH_INIT(STATS_REQUEST);
	SH(StatsResponse) *sresp = NULL;
	cleanup_err struct berth_err *err = NULL;

	sreq.id = (char *)tasks_task_id(t);
	if (tasks_call(t, "Stats", &sreq.base, (ProtobufCMessage **)&sresp, TASKS_CALL_TIMEOUT_MS,
		       &err) < 0) {
		if (err->code != BERTH_E_NOT_FOUND)
			log_warn("task '%s': collecting metrics: %s", tasks_task_id(t), err->msg);
		return NULL;
	}
	return sresp;
}

struct metric_pb {
	Containerd__Types__Metric pb;
	Google__Protobuf__Timestamp ts;
	SH(StatsResponse) * stats;
};

static void t_metrics(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(MetricsRequest) *req = (const void *)msg;
	TS(MetricsResponse) resp = TS_INIT(METRICS_RESPONSE);
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct tasks_task **v = NULL;
	struct metric_pb *ms;
	size_t n;

	if (!ns)
		return;
	if (core_filter_parse(req->filters, req->n_filters, &f, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	n = tasks_list(svc_of(call)->tasks, ns, &v);
	ms = xcalloc(n + 1, sizeof(*ms));
	resp.metrics = xcalloc(n + 1, sizeof(*resp.metrics));
	for (size_t i = 0; i < n; i++) {
		Containerd__Types__Metric init = CONTAINERD__TYPES__METRIC__INIT;
		int64_t now = meta_now();

		if (!core_filter_match(f, metric_field, v[i]))
			continue;
		ms[i].stats = task_stats(v[i]);
		if (!ms[i].stats || !ms[i].stats->stats)
			continue;
		ms[i].pb = init;
		ms[i].pb.timestamp = svc_ts(&ms[i].ts, now);
		ms[i].pb.id = (char *)tasks_task_id(v[i]);
		ms[i].pb.data = ms[i].stats->stats;
		resp.metrics[resp.n_metrics++] = &ms[i].pb;
	}
	rpc_call_reply(call, &resp.base);
	for (size_t i = 0; i < n; i++)
		if (ms[i].stats)
			containerd__task__v2__stats_response__free_unpacked(ms[i].stats, NULL);
	free(ms);
	free(resp.metrics);
	tasks_list_put(v, n);
}

/* ---- Wait ---- */

/*
 * Shared by the shim's late answer (manager thread) and the cancel callback (CQ thread):
 * the one that takes `call` ends it. Two references: the pending shim call's and the
 * gRPC call's (dropped by whoever ended it).
 */
struct waiter {
	pthread_mutex_t lock;
	struct rpc_call *call;
	int refs;
};

static void waiter_put(struct waiter *w)
{
	if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static struct rpc_call *waiter_take(struct waiter *w)
{
	struct rpc_call *call;

	pthread_mutex_lock(&w->lock);
	call = w->call;
	w->call = NULL;
	pthread_mutex_unlock(&w->lock);
	return call;
}

static void wait_cancelled(void *arg)
{
	struct waiter *w = arg;
	struct rpc_call *call = waiter_take(w);

	if (!call)
		return;
	rpc_call_failf(call, BERTH_E_CANCELLED, "wait cancelled");
	waiter_put(w);
}

static void wait_done(void *data, const struct berth_err *err, const uint8_t *payload, size_t len)
{
	struct waiter *w = data;
	struct rpc_call *call = waiter_take(w);
	TS(WaitResponse) resp = TS_INIT(WAIT_RESPONSE);
	SH(WaitResponse) *sresp = NULL;

	if (call) {
		if (!err)
			sresp = containerd__task__v2__wait_response__unpack(NULL, len, payload);
		if (err)
			rpc_call_fail(call, err);
		else if (!sresp)
			rpc_call_failf(call, BERTH_E_INTERNAL, "wait: bad response from the shim");
		else {
			resp.exit_status = sresp->exit_status;
			resp.exited_at = sresp->exited_at;
			rpc_call_reply(call, &resp.base);
			containerd__task__v2__wait_response__free_unpacked(sresp, NULL);
		}
		waiter_put(w);
	}
	waiter_put(w);
}

static void t_wait(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TS(WaitRequest) *req = (const void *)msg;
	cleanup(tasks_task_putp) struct tasks_task *t = task_of(call, req->container_id);
	SH(WaitRequest) sreq = SH_INIT(WAIT_REQUEST);
	struct waiter *w;

	if (!t)
		return;
	w = xnew(struct waiter);
	pthread_mutex_init(&w->lock, NULL);
	w->call = call;
	w->refs = 2;
	sreq.id = req->container_id;
	sreq.exec_id = req->exec_id;
	rpc_call_on_cancel(call, wait_cancelled, w);
	tasks_call_async(t, "Wait", &sreq.base, 0, wait_done, w);
}

/* ---- service ---- */

/* the Tasks service's own workers, started as calls need them */
#define TASKS_SVC_WORKERS 8

static const struct rpc_method tk_methods[] = {
	{"Create", RPC_UNARY, t_create},
	{"Start", RPC_UNARY, t_start},
	{"Delete", RPC_UNARY, t_delete},
	{"DeleteProcess", RPC_UNARY, t_delete_process},
	{"Get", RPC_UNARY, t_get},
	{"List", RPC_UNARY, t_list},
	{"Kill", RPC_UNARY, t_kill},
	{"Exec", RPC_UNARY, t_exec},
	{"ResizePty", RPC_UNARY, t_resize_pty},
	{"CloseIO", RPC_UNARY, t_close_io},
	{"Pause", RPC_UNARY, t_pause},
	{"Resume", RPC_UNARY, t_resume},
	{"ListPids", RPC_UNARY, t_list_pids},
	{"Checkpoint", RPC_UNARY, t_checkpoint},
	{"Update", RPC_UNARY, t_update},
	{"Metrics", RPC_UNARY, t_metrics},
	{"Wait", RPC_UNARY, t_wait},
};

const struct rpc_service svc_tasks_service = {
	.desc = &containerd__services__tasks__v1__tasks__descriptor,
	.methods = tk_methods,
	.n_methods = sizeof(tk_methods) / sizeof(tk_methods[0]),
	.init = svc_init_ctx,
	.workers = TASKS_SVC_WORKERS,
};
