/*
 * supervisor/tasks/call.c - calls to a shim's containerd.task.v2.Task over ttrpc.
 *
 * Every call is a job on the manager thread: it (re)connects to the shim's address when
 * there is no open connection (the shim may have been restarted with berthd, or the
 * connection dropped), then starts the ttrpc call; the reply callback runs on the same
 * thread. tasks_call() waits on a condition variable for that callback; Wait uses
 * tasks_call_async() so that no gRPC worker is held while a process runs.
 * The shim's log FIFO is read on this thread too and copied to berthd's stderr, as
 * containerd copies it to its own.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "supervisor/tasks/tasks_internal.h"

/* the shims' Task service: its name, and each method's request and reply types */
#define TASK_SERVICE_DESC (&containerd__task__v2__task__descriptor)

enum berth_err_code tasks_code_from_ttrpc(enum ttrpc_code code)
{
	switch (code) {
	case TTRPC_OK:
		return BERTH_E_UNKNOWN;
	case TTRPC_CANCELLED:
		return BERTH_E_CANCELLED;
	case TTRPC_INVALID_ARGUMENT:
		return BERTH_E_INVALID;
	case TTRPC_DEADLINE_EXCEEDED:
		return BERTH_E_TIMEOUT;
	case TTRPC_NOT_FOUND:
		return BERTH_E_NOT_FOUND;
	case TTRPC_ALREADY_EXISTS:
		return BERTH_E_EXISTS;
	case TTRPC_PERMISSION_DENIED:
		return BERTH_E_PERMISSION;
	case TTRPC_RESOURCE_EXHAUSTED:
		return BERTH_E_RESOURCE;
	case TTRPC_FAILED_PRECONDITION:
		return BERTH_E_PRECONDITION;
	case TTRPC_OUT_OF_RANGE:
		return BERTH_E_OUT_OF_RANGE;
	case TTRPC_UNIMPLEMENTED:
		return BERTH_E_UNIMPLEMENTED;
	case TTRPC_UNAVAILABLE:
		return BERTH_E_UNAVAILABLE;
	case TTRPC_INTERNAL:
		return BERTH_E_INTERNAL;
	default:
		return BERTH_E_UNKNOWN;
	}
}

struct call_job {
	struct tasks_task *t; /* a reference */
	char *method;
	uint8_t *payload;
	size_t len;
	uint64_t timeout_ms;
	tasks_reply_fn fn;
	void *data;
};

static void call_job_finish(struct call_job *j, const struct berth_err *err, const uint8_t *payload,
			    size_t len)
{
	j->fn(j->data, err, payload, len);
	tasks_task_put(j->t);
	free(j->method);
	free(j->payload);
	free(j);
}

static void call_reply(void *data, enum ttrpc_code code, const char *msg, const uint8_t *payload,
		       size_t len)
{
	struct call_job *j = data;
	cleanup_err struct berth_err *err = NULL;

	if (code != TTRPC_OK) {
		berth_err_new(&err, tasks_code_from_ttrpc(code), "%s",
			      msg && *msg ? msg : "failed");
		call_job_finish(j, err, NULL, 0);
		return;
	}
	call_job_finish(j, NULL, payload, len);
}

static int task_connect(struct tasks_task *t, struct berth_err **err)
{
	if (t->closed)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "task '%s' not found", t->id);
	if (t->client && !ttrpc_client_is_closed(t->client))
		return 0;
	ttrpc_client_free(t->client);
	t->client = ttrpc_client_connect(tasks_loop_evloop(t->m->loop), t->address, err);
	if (!t->client) {
		berth_err_wrap(err, "task '%s': shim", t->id);
		(*err)->code = BERTH_E_UNAVAILABLE;
		return -1;
	}
	return 0;
}

static void call_start(void *arg)
{
	struct call_job *j = arg;
	cleanup_err struct berth_err *err = NULL;

	if (task_connect(j->t, &err) < 0 ||
	    ttrpc_client_call_raw(j->t->client, TASK_SERVICE_DESC->name, j->method, j->payload,
				  j->len, j->timeout_ms, call_reply, j, &err) < 0)
		call_job_finish(j, err, NULL, 0);
}

void tasks_call_async(struct tasks_task *t, const char *method, const ProtobufCMessage *req,
		      uint64_t timeout_ms, tasks_reply_fn fn, void *data)
{
	struct call_job *j = xnew(struct call_job);

	j->t = tasks_task_ref(t);
	j->method = xstrdup(method);
	j->len = protobuf_c_message_get_packed_size(req);
	j->payload = xmalloc(j->len + 1);
	protobuf_c_message_pack(req, j->payload);
	j->timeout_ms = timeout_ms;
	j->fn = fn;
	j->data = data;
	tasks_loop_post(t->m->loop, call_start, j);
}

struct sync_call {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	struct berth_err *err;
	uint8_t *payload;
	size_t len;
};

static void sync_reply(void *data, const struct berth_err *err, const uint8_t *payload, size_t len)
{
	struct sync_call *s = data;

	pthread_mutex_lock(&s->lock);
	if (err)
		berth_err_set(&s->err, err->code, err->errnum, err->msg);
	else {
		s->payload = xmalloc(len + 1);
		if (len) /* an Empty answer has no payload at all */
			memcpy(s->payload, payload, len);
		s->len = len;
	}
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int tasks_call(struct tasks_task *t, const char *method, const ProtobufCMessage *req,
	       ProtobufCMessage **resp, uint64_t timeout_ms, struct berth_err **err)
{
	const ProtobufCMethodDescriptor *md =
		protobuf_c_service_descriptor_get_method_by_name(TASK_SERVICE_DESC, method);
	struct sync_call s = {0};
	cleanup_free uint8_t *payload = NULL;
	ProtobufCMessage *msg;

	if (!md)
		return berth_err_new(err, BERTH_E_INVALID, "task '%s': '%s' has no method '%s'",
				     t->id, TASK_SERVICE_DESC->name, method);
	if (req->descriptor != md->input)
		return berth_err_new(
			err, BERTH_E_INVALID, "task '%s': %s.%s: request is a %s, not a %s", t->id,
			TASK_SERVICE_DESC->name, method, req->descriptor->name, md->input->name);

	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	tasks_call_async(t, method, req, timeout_ms, sync_reply, &s);
	pthread_mutex_lock(&s.lock);
	while (!s.done)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
	payload = s.payload;
	if (s.err) {
		*err = s.err;
		return -1;
	}
	if (!resp)
		return 0;
	msg = protobuf_c_message_unpack(md->output, NULL, s.len, payload);
	if (!msg)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "task '%s': %s: bad response from the shim", t->id, method);
	*resp = msg;
	return 0;
}

static void log_io(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct tasks_task *t = data;
	char buf[4096];
	ssize_t n;

	while ((n = read(t->log_fd, buf, sizeof(buf))) > 0)
		fs_write_all(STDERR_FILENO, buf, (size_t)n);
}

void tasks_task_watch_log(struct tasks_task *t, int fd)
{
	struct berth_err *err = NULL;

	t->log_fd = fd;
	t->log_watch = evloop_add(tasks_loop_evloop(t->m->loop), fd, EPOLLIN, log_io, t, &err);
	if (!t->log_watch) {
		log_warn("task '%s': shim log: %s", t->id, err->msg);
		berth_err_free(&err);
	}
}

void tasks_task_close_io(struct tasks_task *t)
{
	t->closed = true;
	tasks_task_unwatch_shim(t);
	ttrpc_client_free(t->client);
	t->client = NULL;
	evloop_remove(tasks_loop_evloop(t->m->loop), t->log_watch);
	t->log_watch = NULL;
	if (t->log_fd >= 0) {
		/* what the shim wrote last (its exit) is still in the FIFO */
		log_io(NULL, NULL, 0, t);
		close(t->log_fd);
	}
	t->log_fd = -1;
}

static void close_job(void *arg)
{
	tasks_task_close_io(arg);
}

void tasks_task_close_sync(struct tasks_task *t)
{
	tasks_loop_run_sync(t->m->loop, close_job, t);
}

struct watch_job {
	struct tasks_task *t;
	int fd;
};

static void watch_job_run(void *arg)
{
	struct watch_job *w = arg;

	if (w->t->closed)
		close(w->fd);
	else
		tasks_task_watch_log(w->t, w->fd);
	tasks_task_put(w->t);
	free(w);
}

void tasks_task_watch_log_async(struct tasks_task *t, int fd)
{
	struct watch_job *w = xnew(struct watch_job);

	w->t = tasks_task_ref(t);
	w->fd = fd;
	tasks_loop_post(t->m->loop, watch_job_run, w);
}
