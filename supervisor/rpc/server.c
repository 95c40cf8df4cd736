/*
 * supervisor/rpc/server.c - the gRPC C core server behind server.h.
 *
 * One completion queue, drained by one thread (cq_main). Every batch we start
 * carries a tag that names its call and its kind; a call holds one reference per
 * batch in flight plus one for its owner (the handler until it ends the call),
 * and is freed when the last comes back (notes/rpc.md §3.2). Per call, at most
 * one batch of each kind is in flight: START (initial metadata + first message),
 * RECV, SEND (one message), STATUS and CLOSE (RECV_CLOSE_ON_SERVER). Every
 * grpc_call_start_batch of a call runs under the call's mutex, as grpc.h asks.
 *
 * Shutdown (notes/rpc.md §2.1.8): under srv->lock set shutting_down (no more
 * request_call), shutdown_and_notify, cancel_all_calls; the CQ thread keeps
 * draining until the shutdown tag, which gRPC delivers only after every call is
 * unref'd; then the CQ is shut down and drained, threads joined.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/rpc/server.h"

#define RPC_ARMED 8	    /* request_call kept pending */
#define RPC_STREAM_WINDOW 4 /* messages queued before rpc_stream_push_wait blocks */

enum tag_kind { TAG_NEW, TAG_START, TAG_RECV, TAG_SEND, TAG_STATUS, TAG_CLOSE, TAG_SHUTDOWN };

struct rpc_tag {
	struct rpc_call *call;
	enum tag_kind kind;
};

struct job {
	struct rpc_call *call;
	ProtobufCMessage *req;
	struct job *next;
};

/*
 * Worker threads and their queue of unary calls (under the server's lock and cond). The
 * shared pool starts all n threads with the server; a service's own pool starts a thread
 * when a call finds none idle, up to n (an idle daemon keeps its thread count).
 */
struct rpc_pool {
	pthread_t *threads; /* n slots, [0, started) running */
	unsigned n, started, idle;
	bool lazy;
	struct job *head, *tail;
	struct rpc_server *srv;
};

static void *worker_main(void *arg);

/* Under srv->lock. */
static void pool_grow(struct rpc_pool *pool)
{
	if (pthread_create(&pool->threads[pool->started], NULL, worker_main, pool) != 0)
		abort(); /* a daemon without handler threads is not worth running */
	pool->started++;
}

struct reg_method {
	char *path; /* "/<package.Service>/<Method>", from the service descriptor */
	const ProtobufCMessageDescriptor *in, *out;
	enum rpc_kind kind;
	rpc_handler_fn handler;
	void *data;
	struct rpc_pool *pool; /* where its unary calls run */
};

struct reg_service {
	const struct rpc_service *svc;
	void *data;
	struct rpc_pool *pool; /* its own workers (svc->workers > 0), else NULL */
};

struct sendq {
	grpc_byte_buffer *bb;
	struct sendq *next;
};

struct rpc_server {
	char *address;
	char *lock_path;
	int lock_fd;
	size_t max_message;
	unsigned mode;

	struct reg_method *methods;
	size_t n_methods;
	struct reg_service *services;
	size_t n_services;

	grpc_server *gs;
	grpc_completion_queue *cq;
	pthread_t cq_thread;
	struct rpc_tag t_shutdown;

	pthread_mutex_t lock; /* shutting_down vs request_call; jobs; thread counts */
	pthread_cond_t cond;
	bool started, shutting_down, shutdown_done, stopped;

	struct rpc_pool pool; /* the shared workers */
	bool jstop;
	unsigned stream_threads; /* streaming handler threads alive */
	unsigned live_calls;	 /* call contexts not yet freed (incl. armed request_calls) */
};

struct rpc_call {
	struct rpc_server *srv;
	grpc_call *gcall;
	grpc_call_details details;
	grpc_metadata_array md;
	const struct reg_method *rm;
	char *path;
	char **md_kv; /* k,v,k,v,...,NULL: request metadata, owned copies */

	struct rpc_tag t_new, t_start, t_recv, t_send, t_status, t_close;
	atomic_int refs;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	int close_cancelled; /* out param of RECV_CLOSE_ON_SERVER */
	bool cancelled;
	bool ended;	  /* the owner ended the call */
	bool status_sent; /* STATUS batch started */

	void (*cancel_fn)(void *arg);
	void *cancel_arg;
	bool cancel_running;

	grpc_byte_buffer *recv_bb;  /* target of the RECV/START batch */
	grpc_byte_buffer *ready_bb; /* received, not yet taken by rpc_call_recv */
	bool recv_inflight, recv_eos, started;

	struct sendq *qhead, *qtail;
	size_t qlen;
	grpc_byte_buffer *send_bb; /* SEND batch in flight */
	bool send_inflight;
	grpc_status_code status;
	grpc_slice status_msg;
	bool status_msg_set;
};

static __thread bool on_cq_thread;

/* ---------------------------------------------------------------- calls */

static struct rpc_call *call_new(struct rpc_server *srv)
{
	struct rpc_call *c = xnew(struct rpc_call);

	c->srv = srv;
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	c->t_new = (struct rpc_tag){c, TAG_NEW};
	c->t_start = (struct rpc_tag){c, TAG_START};
	c->t_recv = (struct rpc_tag){c, TAG_RECV};
	c->t_send = (struct rpc_tag){c, TAG_SEND};
	c->t_status = (struct rpc_tag){c, TAG_STATUS};
	c->t_close = (struct rpc_tag){c, TAG_CLOSE};
	atomic_init(&c->refs, 1); /* the owner's */
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_mutex_lock(&srv->lock);
	srv->live_calls++;
	pthread_mutex_unlock(&srv->lock);
	return c;
}

static void call_free(struct rpc_call *c)
{
	struct rpc_server *srv = c->srv;
	struct sendq *q, *next;

	for (q = c->qhead; q; q = next) {
		next = q->next;
		grpc_byte_buffer_destroy(q->bb);
		free(q);
	}
	if (c->ready_bb)
		grpc_byte_buffer_destroy(c->ready_bb);
	if (c->recv_bb)
		grpc_byte_buffer_destroy(c->recv_bb);
	if (c->send_bb)
		grpc_byte_buffer_destroy(c->send_bb);
	if (c->status_msg_set)
		grpc_slice_unref(c->status_msg);
	if (c->gcall)
		grpc_call_unref(c->gcall);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	if (c->md_kv) {
		for (char **p = c->md_kv; *p; p++)
			free(*p);
		free(c->md_kv);
	}
	free(c->path);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	free(c);
	pthread_mutex_lock(&srv->lock);
	srv->live_calls--;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
}

static void call_unref(struct rpc_call *c)
{
	if (atomic_fetch_sub(&c->refs, 1) == 1)
		call_free(c);
}

static char *slice_dup(grpc_slice s)
{
	return xstrndup((const char *)GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
}

/* Starts a batch under c->lock, taking a reference for its tag. */
static bool call_batch(struct rpc_call *c, const grpc_op *ops, size_t n, struct rpc_tag *tag)
{
	grpc_call_error e;

	atomic_fetch_add(&c->refs, 1);
	e = grpc_call_start_batch(c->gcall, ops, n, tag, NULL);
	if (e != GRPC_CALL_OK) {
		log_error("rpc: %s: start batch (kind %d): grpc_call_error %d", c->path, tag->kind,
			  (int)e);
		atomic_fetch_sub(&c->refs, 1); /* never the last: the caller holds one */
		c->cancelled = true;
		return false;
	}
	return true;
}

static grpc_byte_buffer *pack_message(const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	grpc_slice s = grpc_slice_malloc(len);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

static ProtobufCMessage *unpack_message(const ProtobufCMessageDescriptor *desc,
					grpc_byte_buffer *bb)
{
	grpc_byte_buffer_reader r;
	ProtobufCMessage *msg;
	grpc_slice s;

	if (!grpc_byte_buffer_reader_init(&r, bb))
		return NULL;
	s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	msg = protobuf_c_message_unpack(desc, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return msg;
}

/* Sends the next queued message, or the status once the owner ended. Under c->lock. */
static void call_kick(struct rpc_call *c)
{
	grpc_op ops[2];
	size_t n = 0;

	if (c->send_inflight || c->status_sent)
		return;
	if (c->cancelled) {
		/* nothing more will be delivered: drop what is queued */
		while (c->qhead) {
			struct sendq *q = c->qhead;

			c->qhead = q->next;
			grpc_byte_buffer_destroy(q->bb);
			free(q);
		}
		c->qtail = NULL;
		c->qlen = 0;
	}
	if (c->qhead) {
		struct sendq *q = c->qhead;

		c->qhead = q->next;
		if (!c->qhead)
			c->qtail = NULL;
		c->qlen--;
		c->send_bb = q->bb;
		free(q);
		memset(ops, 0, sizeof(ops));
		ops[0].op = GRPC_OP_SEND_MESSAGE;
		ops[0].data.send_message.send_message = c->send_bb;
		c->send_inflight = call_batch(c, ops, 1, &c->t_send);
		if (!c->send_inflight) {
			grpc_byte_buffer_destroy(c->send_bb);
			c->send_bb = NULL;
		}
		pthread_cond_broadcast(&c->cond);
		return;
	}
	if (!c->ended)
		return;
	memset(ops, 0, sizeof(ops));
	if (!c->started) {
		/* unknown method or failure before START: initial metadata not sent yet */
		ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
		n++;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = c->status;
	ops[n].data.send_status_from_server.status_details =
		c->status_msg_set ? &c->status_msg : NULL;
	n++;
	c->status_sent = true;
	call_batch(c, ops, n, &c->t_status);
}

/* Ends the call with a status; drops the owner's reference. */
static void call_end(struct rpc_call *c, grpc_status_code code, const char *msg)
{
	pthread_mutex_lock(&c->lock);
	if (c->ended) {
		pthread_mutex_unlock(&c->lock);
		log_error("rpc: %s: call ended twice (bug in its handler)",
			  c->path ? c->path : "?");
		return;
	}
	c->ended = true;
	/* a running cancel callback may still use what the owner frees after this returns */
	while (c->cancel_running && !on_cq_thread)
		pthread_cond_wait(&c->cond, &c->lock);
	c->status = code;
	if (msg && *msg) {
		c->status_msg = grpc_slice_from_copied_string(msg);
		c->status_msg_set = true;
	}
	call_kick(c);
	pthread_mutex_unlock(&c->lock);
	call_unref(c);
}

static void call_mark_cancelled(struct rpc_call *c)
{
	void (*fn)(void *) = NULL;
	void *arg = NULL;

	pthread_mutex_lock(&c->lock);
	c->cancelled = true;
	if (c->cancel_fn && !c->ended) {
		fn = c->cancel_fn;
		arg = c->cancel_arg;
		c->cancel_fn = NULL;
		c->cancel_running = true;
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	if (!fn)
		return;
	fn(arg);
	pthread_mutex_lock(&c->lock);
	c->cancel_running = false;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

/* ---------------------------------------------------------------- dispatch */

static void job_push(struct rpc_pool *pool, struct rpc_call *c, ProtobufCMessage *req)
{
	struct rpc_server *srv = pool->srv;
	struct job *j = xnew(struct job);

	j->call = c;
	j->req = req;
	pthread_mutex_lock(&srv->lock);
	if (pool->tail)
		pool->tail->next = j;
	else
		pool->head = j;
	pool->tail = j;
	if (pool->lazy && pool->idle == 0 && pool->started < pool->n && !srv->jstop)
		pool_grow(pool);
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
}

static void *worker_main(void *arg)
{
	struct rpc_pool *pool = arg;
	struct rpc_server *srv = pool->srv;

	for (;;) {
		struct job *j;

		pthread_mutex_lock(&srv->lock);
		pool->idle++;
		while (!pool->head && !srv->jstop)
			pthread_cond_wait(&srv->cond, &srv->lock);
		pool->idle--;
		j = pool->head;
		if (!j) {
			pthread_mutex_unlock(&srv->lock);
			return NULL;
		}
		pool->head = j->next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&srv->lock);

		j->call->rm->handler(j->call, j->req);
		protobuf_c_message_free_unpacked(j->req, NULL);
		free(j);
	}
}

/* Before any call arrives. */
static void pool_start(struct rpc_pool *pool)
{
	struct rpc_server *srv = pool->srv;

	pool->threads = xcalloc(pool->n, sizeof(pthread_t));
	pthread_mutex_lock(&srv->lock);
	while (!pool->lazy && pool->started < pool->n)
		pool_grow(pool);
	pthread_mutex_unlock(&srv->lock);
}

/* After jstop: no thread is started any more. */
static void pool_join(struct rpc_pool *pool)
{
	for (unsigned i = 0; i < pool->started; i++)
		pthread_join(pool->threads[i], NULL);
}

static void *stream_main(void *arg)
{
	struct job *j = arg;
	struct rpc_call *c = j->call;
	struct rpc_server *srv = c->srv;

	c->rm->handler(c, j->req);
	if (j->req)
		protobuf_c_message_free_unpacked(j->req, NULL);
	free(j);
	pthread_mutex_lock(&srv->lock);
	srv->stream_threads--;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static void stream_spawn(struct rpc_call *c, ProtobufCMessage *req)
{
	struct rpc_server *srv = c->srv;
	struct job *j = xnew(struct job);
	pthread_attr_t attr;
	pthread_t t;
	int r;

	j->call = c;
	j->req = req;

	pthread_mutex_lock(&srv->lock);
	srv->stream_threads++;
	pthread_mutex_unlock(&srv->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, stream_main, j);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		if (req)
			protobuf_c_message_free_unpacked(req, NULL);
		free(j);
		pthread_mutex_lock(&srv->lock);
		srv->stream_threads--;
		pthread_mutex_unlock(&srv->lock);
		call_end(c, GRPC_STATUS_RESOURCE_EXHAUSTED, "cannot start a handler thread");
	}
}

static const struct reg_method *method_find(struct rpc_server *srv, grpc_slice path)
{
	for (size_t i = 0; i < srv->n_methods; i++)
		if (grpc_slice_str_cmp(path, srv->methods[i].path) == 0)
			return &srv->methods[i];
	return NULL;
}

static void arm_one(struct rpc_server *srv)
{
	struct rpc_call *c = call_new(srv);
	grpc_call_error e;

	pthread_mutex_lock(&srv->lock);
	if (srv->shutting_down) {
		pthread_mutex_unlock(&srv->lock);
		call_free(c);
		return;
	}
	e = grpc_server_request_call(srv->gs, &c->gcall, &c->details, &c->md, srv->cq, srv->cq,
				     &c->t_new);
	pthread_mutex_unlock(&srv->lock);
	if (e != GRPC_CALL_OK) {
		log_error("rpc: request_call: grpc_call_error %d", (int)e);
		call_free(c);
	}
}

static void copy_metadata(struct rpc_call *c)
{
	size_t n = c->md.count;

	c->md_kv = xcalloc(2 * n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		c->md_kv[2 * i] = slice_dup(c->md.metadata[i].key);
		c->md_kv[2 * i + 1] = slice_dup(c->md.metadata[i].value);
	}
}

static void on_new(struct rpc_call *c, bool ok)
{
	struct rpc_server *srv = c->srv;
	grpc_op ops[2];

	if (!ok) {
		/* server shutting down: this request_call will never get a call */
		call_free(c);
		return;
	}
	arm_one(srv); /* re-arm first (notes/rpc.md §3.1) */
	c->path = slice_dup(c->details.method);
	copy_metadata(c);

	pthread_mutex_lock(&c->lock);
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[0].data.recv_close_on_server.cancelled = &c->close_cancelled;
	call_batch(c, ops, 1, &c->t_close);

	c->rm = method_find(srv, c->details.method);
	if (!c->rm) {
		pthread_mutex_unlock(&c->lock);
		log_debug("rpc: unknown method '%s'", c->path);
		char *msg = xasprintf("unknown method %s", c->path);
		call_end(c, GRPC_STATUS_UNIMPLEMENTED, msg);
		free(msg);
		return;
	}
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_RECV_MESSAGE;
	ops[1].data.recv_message.recv_message = &c->recv_bb;
	c->started = call_batch(c, ops, 2, &c->t_start);
	c->recv_inflight = c->started;
	pthread_mutex_unlock(&c->lock);
	if (!c->started)
		call_end(c, GRPC_STATUS_INTERNAL, "cannot start the call");
}

static void on_start(struct rpc_call *c, bool ok)
{
	const struct reg_method *m = c->rm;
	grpc_byte_buffer *bb;
	ProtobufCMessage *req;

	pthread_mutex_lock(&c->lock);
	c->recv_inflight = false;
	bb = c->recv_bb;
	c->recv_bb = NULL;
	if (!ok)
		c->cancelled = true;
	if (m->kind == RPC_CLIENT_STREAM || m->kind == RPC_BIDI) {
		if (bb)
			c->ready_bb = bb;
		else
			c->recv_eos = true;
		pthread_mutex_unlock(&c->lock);
		stream_spawn(c, NULL);
		return;
	}
	pthread_mutex_unlock(&c->lock);
	if (!ok || !bb) {
		if (bb)
			grpc_byte_buffer_destroy(bb);
		call_end(c, ok ? GRPC_STATUS_INVALID_ARGUMENT : GRPC_STATUS_CANCELLED,
			 ok ? "missing request message" : "call cancelled");
		return;
	}
	req = unpack_message(m->in, bb);
	grpc_byte_buffer_destroy(bb);
	if (!req) {
		char *msg =
			xasprintf("%s: malformed request: cannot decode %s", c->path, m->in->name);

		call_end(c, GRPC_STATUS_INVALID_ARGUMENT, msg);
		free(msg);
		return;
	}
	if (m->kind == RPC_SERVER_STREAM)
		stream_spawn(c, req); /* may push for long (content Read): not on the pool */
	else
		job_push(c->rm->pool, c, req);
}

static void on_recv(struct rpc_call *c, bool ok)
{
	pthread_mutex_lock(&c->lock);
	c->recv_inflight = false;
	if (!ok) {
		c->cancelled = true;
		c->recv_eos = true;
	} else if (c->recv_bb) {
		c->ready_bb = c->recv_bb;
	} else {
		c->recv_eos = true;
	}
	c->recv_bb = NULL;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void on_send(struct rpc_call *c, bool ok)
{
	pthread_mutex_lock(&c->lock);
	c->send_inflight = false;
	grpc_byte_buffer_destroy(c->send_bb);
	c->send_bb = NULL;
	if (!ok)
		c->cancelled = true;
	call_kick(c);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void on_event(struct rpc_server *srv, struct rpc_tag *tag, bool ok)
{
	struct rpc_call *c = tag->call;

	switch (tag->kind) {
	case TAG_SHUTDOWN:
		pthread_mutex_lock(&srv->lock);
		srv->shutdown_done = true;
		pthread_cond_broadcast(&srv->cond);
		pthread_mutex_unlock(&srv->lock);
		return;
	case TAG_NEW:
		on_new(c, ok);
		return; /* the owner's reference now belongs to the handler */
	case TAG_START:
		on_start(c, ok);
		break;
	case TAG_RECV:
		on_recv(c, ok);
		break;
	case TAG_SEND:
		on_send(c, ok);
		break;
	case TAG_STATUS:
		break;
	case TAG_CLOSE:
		if (c->close_cancelled || !ok)
			call_mark_cancelled(c);
		break;
	}
	call_unref(c);
}

static void *cq_main(void *arg)
{
	struct rpc_server *srv = arg;

	on_cq_thread = true;
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(
			srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			return NULL;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		on_event(srv, ev.tag, ev.success != 0);
	}
}

/* ---------------------------------------------------------------- call API */

void *rpc_call_data(const struct rpc_call *call)
{
	return call->rm ? call->rm->data : NULL;
}

const char *rpc_call_method(const struct rpc_call *call)
{
	return call->path;
}

const char *rpc_call_metadata(const struct rpc_call *call, const char *key)
{
	if (!call->md_kv)
		return NULL;
	for (char **p = call->md_kv; p[0]; p += 2)
		if (strcmp(p[0], key) == 0)
			return p[1][0] ? p[1] : NULL;
	return NULL;
}

const char *rpc_call_namespace(const struct rpc_call *call)
{
	return rpc_call_metadata(call, "containerd-namespace");
}

bool rpc_call_is_cancelled(const struct rpc_call *call)
{
	struct rpc_call *c = (struct rpc_call *)call;
	bool r;

	pthread_mutex_lock(&c->lock);
	r = c->cancelled;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void rpc_call_on_cancel(struct rpc_call *call, void (*fn)(void *arg), void *arg)
{
	bool now;

	pthread_mutex_lock(&call->lock);
	now = call->cancelled;
	if (!now) {
		call->cancel_fn = fn;
		call->cancel_arg = arg;
	}
	pthread_mutex_unlock(&call->lock);
	if (now)
		fn(arg);
}

static int call_enqueue(struct rpc_call *c, const ProtobufCMessage *msg, bool wait)
{
	grpc_byte_buffer *bb = pack_message(msg);
	struct sendq *q;

	pthread_mutex_lock(&c->lock);
	while (wait && !c->cancelled && c->qlen >= RPC_STREAM_WINDOW)
		pthread_cond_wait(&c->cond, &c->lock);
	if (c->cancelled || c->ended) {
		pthread_mutex_unlock(&c->lock);
		grpc_byte_buffer_destroy(bb);
		return -1;
	}
	q = xnew(struct sendq);
	q->bb = bb;
	if (c->qtail)
		c->qtail->next = q;
	else
		c->qhead = q;
	c->qtail = q;
	c->qlen++;
	call_kick(c);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void rpc_call_reply(struct rpc_call *call, const ProtobufCMessage *resp)
{
	call_enqueue(call, resp, false);
	call_end(call, GRPC_STATUS_OK, NULL);
}

void rpc_call_fail(struct rpc_call *call, const struct berth_err *err)
{
	if (!err) {
		call_end(call, GRPC_STATUS_INTERNAL, "unknown error");
		return;
	}
	log_debug("rpc: %s: %s", call->path, err->msg);
	call_end(call, rpc_status_from_code(err->code), err->msg);
}

void rpc_call_failf(struct rpc_call *call, enum berth_err_code code, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_debug("rpc: %s: %s", call->path, msg);
	call_end(call, rpc_status_from_code(code), msg);
}

int rpc_stream_push(struct rpc_call *call, const ProtobufCMessage *msg)
{
	return call_enqueue(call, msg, false);
}

int rpc_stream_push_wait(struct rpc_call *call, const ProtobufCMessage *msg)
{
	return call_enqueue(call, msg, true);
}

void rpc_stream_finish(struct rpc_call *call, const struct berth_err *err)
{
	if (err)
		rpc_call_fail(call, err);
	else
		call_end(call, GRPC_STATUS_OK, NULL);
}

int rpc_call_recv(struct rpc_call *c, ProtobufCMessage **msg, struct berth_err **err)
{
	grpc_byte_buffer *bb = NULL;
	ProtobufCMessage *m;
	grpc_op op;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (c->ready_bb) {
			bb = take_ptr(c->ready_bb);
			break;
		}
		if (c->cancelled) {
			pthread_mutex_unlock(&c->lock);
			return berth_err_new(err, BERTH_E_CANCELLED, "call cancelled");
		}
		if (c->recv_eos) {
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
		if (!c->recv_inflight) {
			memset(&op, 0, sizeof(op));
			op.op = GRPC_OP_RECV_MESSAGE;
			op.data.recv_message.recv_message = &c->recv_bb;
			c->recv_inflight = call_batch(c, &op, 1, &c->t_recv);
			continue;
		}
		pthread_cond_wait(&c->cond, &c->lock);
	}
	/* read ahead one message while the handler works on this one */
	if (!c->recv_inflight && !c->recv_eos && !c->cancelled) {
		memset(&op, 0, sizeof(op));
		op.op = GRPC_OP_RECV_MESSAGE;
		op.data.recv_message.recv_message = &c->recv_bb;
		c->recv_inflight = call_batch(c, &op, 1, &c->t_recv);
	}
	pthread_mutex_unlock(&c->lock);
	m = unpack_message(c->rm->in, bb);
	grpc_byte_buffer_destroy(bb);
	if (!m)
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s: malformed request: cannot decode %s", c->path,
				     c->rm->in->name);
	*msg = m;
	return 1;
}

/* ---------------------------------------------------------------- server */

struct rpc_server *rpc_server_new(const struct rpc_server_opts *opts, struct berth_err **err)
{
	struct rpc_server *srv;
	int fd;

	if (!opts->address || !*opts->address) {
		berth_err_new(err, BERTH_E_INVALID, "no socket address");
		return NULL;
	}
	srv = xnew(struct rpc_server);
	srv->address = xstrdup(opts->address);
	srv->lock_path = xasprintf("%s.lock", opts->address);
	srv->max_message = opts->max_message ? opts->max_message : 16u << 20;
	srv->pool.n = opts->workers ? opts->workers : 4;
	srv->pool.srv = srv;
	srv->mode = opts->mode ? opts->mode : 0660;
	srv->lock_fd = -1;
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);
	srv->t_shutdown = (struct rpc_tag){NULL, TAG_SHUTDOWN};

	/* gRPC unlinks a live socket when it binds (notes/rpc.md §3.9): lock first */
	fd = open(srv->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		berth_err_sys(err, errno, "open lockfile '%s'", srv->lock_path);
		goto fail;
	}
	srv->lock_fd = fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			berth_err_new(err, BERTH_E_UNAVAILABLE,
				      "another server is running on '%s' (lockfile '%s' is held)",
				      srv->address, srv->lock_path);
		else
			berth_err_sys(err, errno, "lock '%s'", srv->lock_path);
		goto fail;
	}
	grpc_init();
	return srv;
fail:
	if (srv->lock_fd >= 0)
		close(srv->lock_fd);
	free(srv->address);
	free(srv->lock_path);
	free(srv);
	return NULL;
}

int rpc_server_add_service(struct rpc_server *srv, const struct rpc_service *svc, void *ctx,
			   struct berth_err **err)
{
	const ProtobufCServiceDescriptor *d = svc->desc;
	const ProtobufCMethodDescriptor **mds = NULL;
	struct rpc_pool *pool = NULL;
	void *data = NULL;

	if (!d)
		return berth_err_new(err, BERTH_E_INVALID, "add service: no service descriptor");
	if (srv->started)
		return berth_err_new(err, BERTH_E_PRECONDITION, "add service '%s': server started",
				     d->name);
	mds = xcalloc(svc->n_methods ? svc->n_methods : 1, sizeof(*mds));
	for (size_t i = 0; i < svc->n_methods; i++) {
		const struct rpc_method *m = &svc->methods[i];

		if (!m->name || !m->handler) {
			free(mds);
			return berth_err_new(err, BERTH_E_INVALID,
					     "service '%s': method %zu: incomplete entry", d->name,
					     i);
		}
		mds[i] = protobuf_c_service_descriptor_get_method_by_name(d, m->name);
		if (!mds[i]) {
			free(mds);
			return berth_err_new(err, BERTH_E_INVALID,
					     "service '%s': method '%s': '%s' has no method '%s'",
					     d->name, m->name, d->name, m->name);
		}
		for (size_t j = 0; j < i; j++)
			if (mds[j] == mds[i]) {
				free(mds);
				return berth_err_new(err, BERTH_E_EXISTS,
						     "service '%s': method '%s' listed twice",
						     d->name, m->name);
			}
	}
	for (size_t i = 0; i < srv->n_services; i++)
		if (strcmp(srv->services[i].svc->desc->name, d->name) == 0) {
			free(mds);
			return berth_err_new(err, BERTH_E_EXISTS, "service '%s': added twice",
					     d->name);
		}
	if (svc->init && svc->init(ctx, &data, err) < 0) {
		free(mds);
		return berth_err_wrap(err, "init service '%s'", d->name);
	}
	if (svc->workers) {
		pool = xnew(struct rpc_pool);
		pool->n = svc->workers;
		pool->lazy = true;
		pool->srv = srv;
	}
	srv->services = xreallocarray(srv->services, srv->n_services + 1, sizeof(*srv->services));
	srv->services[srv->n_services++] = (struct reg_service){svc, data, pool};
	srv->methods =
		xreallocarray(srv->methods, srv->n_methods + svc->n_methods, sizeof(*srv->methods));
	for (size_t i = 0; i < svc->n_methods; i++)
		srv->methods[srv->n_methods++] = (struct reg_method){
			.path = xasprintf("/%s/%s", d->name, mds[i]->name),
			.in = mds[i]->input,
			.out = mds[i]->output,
			.kind = svc->methods[i].kind,
			.handler = svc->methods[i].handler,
			.data = data,
			.pool = pool ? pool : &srv->pool,
		};
	free(mds);
	return 0;
}

int rpc_server_start(struct rpc_server *srv, struct berth_err **err)
{
	grpc_arg args[2];
	grpc_channel_args cargs = {2, args};
	grpc_server_credentials *creds;
	cleanup_free char *target = NULL;
	int port;

	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = (int)srv->max_message;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = (int)srv->max_message;

	srv->cq = grpc_completion_queue_create_for_next(NULL);
	srv->gs = grpc_server_create(&cargs, NULL);
	grpc_server_register_completion_queue(srv->gs, srv->cq, NULL);
	target = xasprintf("unix:%s", srv->address);
	creds = grpc_insecure_server_credentials_create();
	port = grpc_server_add_http2_port(srv->gs, target, creds);
	grpc_server_credentials_release(creds);
	if (port == 0) {
		grpc_server_destroy(srv->gs);
		srv->gs = NULL;
		grpc_completion_queue_shutdown(srv->cq);
		while (grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
			       .type != GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(srv->cq);
		srv->cq = NULL;
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "cannot listen on '%s'",
				     srv->address);
	}
	grpc_server_start(srv->gs);
	srv->started = true;
	if (chmod(srv->address, srv->mode) < 0)
		log_warn("chmod '%s': %s", srv->address, strerror(errno));

	pool_start(&srv->pool);
	for (size_t i = 0; i < srv->n_services; i++)
		if (srv->services[i].pool)
			pool_start(srv->services[i].pool);
	if (pthread_create(&srv->cq_thread, NULL, cq_main, srv) != 0)
		abort();
	for (int i = 0; i < RPC_ARMED; i++)
		arm_one(srv);
	return 0;
}

void rpc_server_stop(struct rpc_server *srv)
{
	if (!srv || !srv->started || srv->stopped)
		return;
	srv->stopped = true;

	pthread_mutex_lock(&srv->lock);
	srv->shutting_down = true;
	grpc_server_shutdown_and_notify(srv->gs, srv->cq, &srv->t_shutdown);
	pthread_mutex_unlock(&srv->lock);
	grpc_server_cancel_all_calls(srv->gs);

	pthread_mutex_lock(&srv->lock);
	/*
	 * The shutdown tag does not wait for batches the application still has in flight
	 * (a SEND completing after it would start the STATUS batch on a shut-down CQ, which
	 * aborts): wait until every call context is freed, i.e. all its tags came back.
	 */
	while (!srv->shutdown_done || srv->live_calls > 0 || srv->stream_threads > 0)
		pthread_cond_wait(&srv->cond, &srv->lock);
	srv->jstop = true;
	pthread_cond_broadcast(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	pool_join(&srv->pool);
	for (size_t i = 0; i < srv->n_services; i++)
		if (srv->services[i].pool)
			pool_join(srv->services[i].pool);

	grpc_completion_queue_shutdown(srv->cq);
	pthread_join(srv->cq_thread, NULL);
	grpc_server_destroy(srv->gs);
	grpc_completion_queue_destroy(srv->cq);
	srv->gs = NULL;
	srv->cq = NULL;
}

void rpc_server_free(struct rpc_server *srv)
{
	if (!srv)
		return;
	rpc_server_stop(srv);
	for (size_t i = srv->n_services; i-- > 0;) {
		if (srv->services[i].svc->fini)
			srv->services[i].svc->fini(srv->services[i].data);
		if (srv->services[i].pool) {
			free(srv->services[i].pool->threads);
			free(srv->services[i].pool);
		}
	}
	free(srv->services);
	for (size_t i = 0; i < srv->n_methods; i++)
		free(srv->methods[i].path);
	free(srv->methods);
	free(srv->pool.threads);
	grpc_shutdown();
	/* the lockfile stays: unlinking it would let two servers lock two different inodes */
	close(srv->lock_fd);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->cond);
	free(srv->address);
	free(srv->lock_path);
	free(srv);
}
