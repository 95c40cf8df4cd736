/* common/ttrpc.c - see ttrpc.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "berth/ttrpc.pb-c.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/ttrpc.h"
#include "common/xalloc.h"

void ttrpc_header_encode(uint8_t b[TTRPC_HEADER_LEN], const struct ttrpc_header *h)
{
	b[0] = h->length >> 24;
	b[1] = h->length >> 16;
	b[2] = h->length >> 8;
	b[3] = h->length;
	b[4] = h->stream_id >> 24;
	b[5] = h->stream_id >> 16;
	b[6] = h->stream_id >> 8;
	b[7] = h->stream_id;
	b[8] = h->type;
	b[9] = h->flags;
}

void ttrpc_header_decode(const uint8_t b[TTRPC_HEADER_LEN], struct ttrpc_header *h)
{
	h->length = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	h->stream_id = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
	h->type = b[8];
	h->flags = b[9];
}

enum ttrpc_code ttrpc_code_from_err(const struct berth_err *err)
{
	switch (err ? err->code : BERTH_E_UNKNOWN) {
	case BERTH_E_INVALID:
		return TTRPC_INVALID_ARGUMENT;
	case BERTH_E_NOT_FOUND:
		return TTRPC_NOT_FOUND;
	case BERTH_E_EXISTS:
		return TTRPC_ALREADY_EXISTS;
	case BERTH_E_PERMISSION:
		return TTRPC_PERMISSION_DENIED;
	case BERTH_E_PRECONDITION:
		return TTRPC_FAILED_PRECONDITION;
	case BERTH_E_UNIMPLEMENTED:
		return TTRPC_UNIMPLEMENTED;
	case BERTH_E_UNAVAILABLE:
		return TTRPC_UNAVAILABLE;
	case BERTH_E_RESOURCE:
		return TTRPC_RESOURCE_EXHAUSTED;
	case BERTH_E_INTERNAL:
		return TTRPC_INTERNAL;
	case BERTH_E_CANCELLED:
		return TTRPC_CANCELLED;
	case BERTH_E_TIMEOUT:
		return TTRPC_DEADLINE_EXCEEDED;
	default:
		return TTRPC_UNKNOWN;
	}
}

/* ---- connection: framing, buffered non-blocking writes ---- */

struct conn;

struct conn_ops {
	void (*frame)(struct conn *c, const struct ttrpc_header *h, const uint8_t *body);
	void (*oversize)(struct conn *c, const struct ttrpc_header *h);
	void (*closed)(struct conn *c);
};

struct conn {
	struct evloop *loop;
	struct evloop_watch *watch;
	int fd;
	int refs; /* the owner's plus one per pending server call */
	bool closed;
	const struct conn_ops *ops;
	void *owner;
	struct conn *next; /* the server's list */

	uint8_t hdr[TTRPC_HEADER_LEN];
	size_t hdr_got;
	struct ttrpc_header h;
	uint8_t *body;
	size_t body_got;
	bool discarding;

	uint8_t *out;
	size_t out_len, out_off;
};

static void conn_unref(struct conn *c)
{
	if (--c->refs > 0)
		return;
	free(c->body);
	free(c->out);
	free(c);
}

static void conn_close(struct conn *c)
{
	if (c->closed)
		return;
	c->closed = true;
	evloop_remove(c->loop, c->watch);
	c->watch = NULL;
	close(c->fd);
	c->fd = -1;
	if (c->ops->closed)
		c->ops->closed(c);
}

static void conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			evloop_mod(c->loop, c->watch, EPOLLIN | EPOLLOUT, NULL);
			return;
		}
		if (n < 0) {
			log_debug("ttrpc: write: %s", strerror(errno));
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	evloop_mod(c->loop, c->watch, EPOLLIN, NULL);
}

static void conn_send(struct conn *c, uint8_t type, uint32_t id, const uint8_t *body, size_t len)
{
	struct ttrpc_header h = {.length = (uint32_t)len, .stream_id = id, .type = type};

	if (c->closed)
		return;
	c->out = xrealloc(c->out, c->out_len + TTRPC_HEADER_LEN + len);
	ttrpc_header_encode(c->out + c->out_len, &h);
	if (len)
		memcpy(c->out + c->out_len + TTRPC_HEADER_LEN, body, len);
	c->out_len += TTRPC_HEADER_LEN + len;
	conn_flush(c);
}

/* Feeds received bytes to the frame parser; stops when the connection closes. */
static void conn_feed(struct conn *c, const uint8_t *p, size_t n)
{
	while (n > 0 && !c->closed) {
		size_t take;

		if (c->hdr_got < TTRPC_HEADER_LEN) {
			take = TTRPC_HEADER_LEN - c->hdr_got;
			take = take < n ? take : n;
			memcpy(c->hdr + c->hdr_got, p, take);
			c->hdr_got += take;
			p += take;
			n -= take;
			if (c->hdr_got < TTRPC_HEADER_LEN)
				return;
			ttrpc_header_decode(c->hdr, &c->h);
			c->body_got = 0;
			c->discarding = c->h.length > TTRPC_MAX_BODY;
			if (!c->discarding)
				c->body = xmalloc(c->h.length ? c->h.length : 1);
		}
		take = c->h.length - c->body_got;
		take = take < n ? take : n;
		if (!c->discarding)
			memcpy(c->body + c->body_got, p, take);
		c->body_got += take;
		p += take;
		n -= take;
		if (c->body_got < c->h.length)
			return;
		/* a whole frame */
		c->hdr_got = 0;
		if (c->discarding) {
			c->ops->oversize(c, &c->h);
		} else {
			cleanup_free uint8_t *body = take_ptr(c->body);

			c->ops->frame(c, &c->h, body);
		}
	}
}

static void conn_io(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct conn *c = data;
	uint8_t buf[16384];

	c->refs++; /* callbacks may close and drop the owner's reference */
	if (events & EPOLLOUT)
		conn_flush(c);
	while (!c->closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			if (n == 0 && (c->hdr_got > 0))
				log_debug("ttrpc: connection closed in the middle of a frame");
			conn_close(c);
			break;
		}
		conn_feed(c, buf, (size_t)n);
	}
	conn_unref(c);
}

static struct conn *conn_new(struct evloop *loop, int fd, const struct conn_ops *ops, void *owner,
			     struct berth_err **err)
{
	struct conn *c;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return berth_err_sys(err, errno, "set O_NONBLOCK on fd %d", fd), NULL;
	c = xnew(struct conn);
	c->loop = loop;
	c->fd = fd;
	c->refs = 1;
	c->ops = ops;
	c->owner = owner;
	c->watch = evloop_add(loop, fd, EPOLLIN, conn_io, c, err);
	if (!c->watch) {
		free(c);
		return NULL;
	}
	return c;
}

static void status_send(struct conn *c, uint32_t id, enum ttrpc_code code, const char *msg,
			const uint8_t *payload, size_t len)
{
	Ttrpc__Status st = TTRPC__STATUS__INIT;
	Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
	cleanup_free uint8_t *buf = NULL;
	size_t n;

	st.code = (int32_t)code;
	st.message = (char *)(msg ? msg : "");
	resp.status = &st;
	resp.payload.data = (uint8_t *)payload;
	resp.payload.len = len;
	n = ttrpc__response__get_packed_size(&resp);
	if (n > TTRPC_MAX_BODY) {
		/* the peer would discard it: say why instead */
		resp.payload.data = NULL;
		resp.payload.len = 0;
		st.code = TTRPC_RESOURCE_EXHAUSTED;
		st.message = "response exceeds the 4 MiB ttrpc message limit";
		n = ttrpc__response__get_packed_size(&resp);
	}
	buf = xmalloc(n ? n : 1);
	ttrpc__response__pack(&resp, buf);
	conn_send(c, TTRPC_TYPE_RESPONSE, id, buf, n);
}

/* ---- server ---- */

struct ttrpc_server {
	struct evloop *loop;
	const struct ttrpc_method *methods;
	size_t n_methods;
	void *data;
	int lfd;
	struct evloop_watch *lwatch;
	struct conn *conns;
};

struct ttrpc_call {
	struct conn *conn; /* a reference */
	uint32_t id;
	Ttrpc__Request *req;
};

static void call_free(struct ttrpc_call *call)
{
	ttrpc__request__free_unpacked(call->req, NULL);
	conn_unref(call->conn);
	free(call);
}

const char *ttrpc_call_metadata(const struct ttrpc_call *call, const char *key)
{
	for (size_t i = 0; i < call->req->n_metadata; i++)
		if (strcmp(call->req->metadata[i]->key, key) == 0)
			return call->req->metadata[i]->value;
	return NULL;
}

const char *ttrpc_call_method(const struct ttrpc_call *call)
{
	return call->req->method;
}

void ttrpc_call_reply_raw(struct ttrpc_call *call, const uint8_t *payload, size_t len)
{
	status_send(call->conn, call->id, TTRPC_OK, NULL, payload, len);
	call_free(call);
}

void ttrpc_call_reply(struct ttrpc_call *call, const ProtobufCMessage *msg)
{
	cleanup_free uint8_t *buf = NULL;
	size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0;

	buf = xmalloc(n ? n : 1);
	if (msg)
		protobuf_c_message_pack(msg, buf);
	ttrpc_call_reply_raw(call, buf, n);
}

static void call_vfail(struct ttrpc_call *call, enum ttrpc_code code, const char *fmt, va_list ap)
{
	cleanup_free char *msg = xvasprintf(fmt, ap);

	status_send(call->conn, call->id, code, msg, NULL, 0);
	call_free(call);
}

void ttrpc_call_fail(struct ttrpc_call *call, enum ttrpc_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	call_vfail(call, code, fmt, ap);
	va_end(ap);
}

void ttrpc_call_fail_err(struct ttrpc_call *call, const struct berth_err *err)
{
	ttrpc_call_fail(call, ttrpc_code_from_err(err), "%s", err && err->msg ? err->msg : "error");
}

static const struct ttrpc_method *method_find(const struct ttrpc_server *srv, const char *service,
					      const char *method, bool *service_known)
{
	*service_known = false;
	for (size_t i = 0; i < srv->n_methods; i++) {
		if (strcmp(srv->methods[i].service, service) != 0)
			continue;
		*service_known = true;
		if (strcmp(srv->methods[i].method, method) == 0)
			return &srv->methods[i];
	}
	return NULL;
}

static void server_frame(struct conn *c, const struct ttrpc_header *h, const uint8_t *body)
{
	struct ttrpc_server *srv = c->owner;
	const struct ttrpc_method *m;
	struct ttrpc_call *call;
	Ttrpc__Request *req;
	bool service_known;

	if (h->type != TTRPC_TYPE_REQUEST)
		return; /* ttrpc: unknown frame types are ignored for future compatibility */
	if (h->stream_id % 2 == 0) {
		status_send(c, h->stream_id, TTRPC_INVALID_ARGUMENT,
			    "stream id must be odd for client initiated streams", NULL, 0);
		return;
	}
	req = ttrpc__request__unpack(NULL, h->length, body);
	if (!req) {
		status_send(c, h->stream_id, TTRPC_INVALID_ARGUMENT,
			    "unmarshal request: invalid protobuf", NULL, 0);
		return;
	}
	m = method_find(srv, req->service, req->method, &service_known);
	if (!m) {
		if (service_known)
			status_send(c, h->stream_id, TTRPC_UNIMPLEMENTED, "method", NULL, 0);
		else
			status_send(c, h->stream_id, TTRPC_UNIMPLEMENTED, "service", NULL, 0);
		ttrpc__request__free_unpacked(req, NULL);
		return;
	}
	call = xnew(struct ttrpc_call);
	call->conn = c;
	c->refs++;
	call->id = h->stream_id;
	call->req = req;
	m->fn(call, req->payload.data, req->payload.len, srv->data);
}

static void server_oversize(struct conn *c, const struct ttrpc_header *h)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "message length %u exceeds maximum message size of %u",
		 h->length, TTRPC_MAX_BODY);
	status_send(c, h->stream_id, TTRPC_RESOURCE_EXHAUSTED, msg, NULL, 0);
}

static void server_closed(struct conn *c)
{
	struct ttrpc_server *srv = c->owner;

	for (struct conn **pp = &srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	conn_unref(c); /* the server's reference */
}

static const struct conn_ops server_conn_ops = {
	.frame = server_frame,
	.oversize = server_oversize,
	.closed = server_closed,
};

struct ttrpc_server *ttrpc_server_new(struct evloop *loop, const struct ttrpc_method *methods,
				      size_t n_methods, void *data)
{
	struct ttrpc_server *srv = xnew(struct ttrpc_server);

	srv->loop = loop;
	srv->methods = methods;
	srv->n_methods = n_methods;
	srv->data = data;
	srv->lfd = -1;
	return srv;
}

void ttrpc_server_free(struct ttrpc_server *srv)
{
	if (!srv)
		return;
	while (srv->conns)
		conn_close(srv->conns); /* server_closed unlinks it */
	evloop_remove(srv->loop, srv->lwatch);
	if (srv->lfd >= 0)
		close(srv->lfd);
	free(srv);
}

int ttrpc_server_add_conn(struct ttrpc_server *srv, int fd, struct berth_err **err)
{
	struct conn *c = conn_new(srv->loop, fd, &server_conn_ops, srv, err);

	if (!c) {
		close(fd);
		return -1;
	}
	c->next = srv->conns;
	srv->conns = c;
	return 0;
}

size_t ttrpc_server_n_conns(const struct ttrpc_server *srv)
{
	size_t n = 0;

	for (const struct conn *c = srv->conns; c; c = c->next)
		n++;
	return n;
}

static void server_accept(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct ttrpc_server *srv = data;

	for (;;) {
		cleanup(berth_err_free) struct berth_err *err = NULL;
		int fd = accept4(srv->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("ttrpc: accept: %s", strerror(errno));
			return;
		}
		if (ttrpc_server_add_conn(srv, fd, &err) < 0)
			log_warn("ttrpc: %s", err->msg);
	}
}

int ttrpc_server_listen(struct ttrpc_server *srv, int fd, struct berth_err **err)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		return berth_err_sys(err, errno, "set O_NONBLOCK on listener");
	}
	srv->lfd = fd;
	srv->lwatch = evloop_add(srv->loop, fd, EPOLLIN, server_accept, srv, err);
	return srv->lwatch ? 0 : -1;
}

/* ---- client ---- */

struct pending {
	uint32_t id;
	ttrpc_reply_fn fn;
	void *data;
	struct evloop_watch *timer;
	struct ttrpc_client *client;
	struct pending *next;
};

struct ttrpc_client {
	struct evloop *loop;
	struct conn *conn;
	uint32_t next_id;
	struct pending *pending;
};

static struct pending *pending_take(struct ttrpc_client *cl, uint32_t id)
{
	for (struct pending **pp = &cl->pending; *pp; pp = &(*pp)->next) {
		struct pending *p = *pp;

		if (p->id == id) {
			*pp = p->next;
			evloop_remove(cl->loop, p->timer);
			return p;
		}
	}
	return NULL;
}

static void pending_finish(struct pending *p, enum ttrpc_code code, const char *msg,
			   const uint8_t *payload, size_t len)
{
	p->fn(p->data, code, msg, payload, len);
	free(p);
}

static void client_frame(struct conn *c, const struct ttrpc_header *h, const uint8_t *body)
{
	struct ttrpc_client *cl = c->owner;
	struct pending *p;
	Ttrpc__Response *resp;

	if (h->type != TTRPC_TYPE_RESPONSE)
		return;
	p = pending_take(cl, h->stream_id);
	if (!p)
		return; /* late answer to a call that timed out */
	resp = ttrpc__response__unpack(NULL, h->length, body);
	if (!resp) {
		pending_finish(p, TTRPC_INTERNAL, "unmarshal response: invalid protobuf", NULL, 0);
		return;
	}
	if (resp->status && resp->status->code != TTRPC_OK)
		pending_finish(p, (enum ttrpc_code)resp->status->code, resp->status->message, NULL,
			       0);
	else
		pending_finish(p, TTRPC_OK, "", resp->payload.data, resp->payload.len);
	ttrpc__response__free_unpacked(resp, NULL);
}

static void client_oversize(struct conn *c, const struct ttrpc_header *h)
{
	struct pending *p = pending_take(c->owner, h->stream_id);

	if (p)
		pending_finish(p, TTRPC_RESOURCE_EXHAUSTED, "response exceeds 4 MiB", NULL, 0);
}

static void client_closed(struct conn *c)
{
	struct ttrpc_client *cl = c->owner;

	while (cl->pending)
		pending_finish(pending_take(cl, cl->pending->id), TTRPC_UNAVAILABLE,
			       "ttrpc: connection closed", NULL, 0);
}

static const struct conn_ops client_conn_ops = {
	.frame = client_frame,
	.oversize = client_oversize,
	.closed = client_closed,
};

struct ttrpc_client *ttrpc_client_connect(struct evloop *loop, const char *path,
					  struct berth_err **err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ttrpc_client *cl;
	int fd;

	if (strncmp(path, "unix://", 7) == 0)
		path += 7;
	if (strlen(path) >= sizeof(sun.sun_path))
		return berth_err_new(err, BERTH_E_INVALID, "socket path '%s' is too long", path),
		       NULL;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_err_sys(err, errno, "socket"), NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		return berth_err_sys(err, e, "connect '%s'", path), NULL;
	}
	cl = xnew(struct ttrpc_client);
	cl->loop = loop;
	cl->next_id = 1;
	cl->conn = conn_new(loop, fd, &client_conn_ops, cl, err);
	if (!cl->conn) {
		close(fd);
		free(cl);
		return NULL;
	}
	return cl;
}

void ttrpc_client_free(struct ttrpc_client *cl)
{
	if (!cl)
		return;
	conn_close(cl->conn);
	conn_unref(cl->conn);
	free(cl);
}

bool ttrpc_client_is_closed(const struct ttrpc_client *cl)
{
	return cl->conn->closed;
}

static void client_timeout(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct pending *p = data;

	p->timer = NULL; /* fired timers are retired by the loop */
	p = pending_take(p->client, p->id);
	if (p)
		pending_finish(p, TTRPC_DEADLINE_EXCEEDED, "ttrpc: call timed out", NULL, 0);
}

int ttrpc_client_call_raw(struct ttrpc_client *cl, const char *service, const char *method,
			  const uint8_t *payload, size_t len, uint64_t timeout_ms,
			  ttrpc_reply_fn fn, void *data, struct berth_err **err)
{
	Ttrpc__Request r = TTRPC__REQUEST__INIT;
	cleanup_free uint8_t *buf = NULL;
	struct pending *p;
	size_t n;

	if (cl->conn->closed)
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "ttrpc: connection closed");
	r.service = (char *)service;
	r.method = (char *)method;
	r.payload.data = (uint8_t *)payload;
	r.payload.len = len;
	r.timeout_nano = (int64_t)timeout_ms * 1000000;
	n = ttrpc__request__get_packed_size(&r);
	if (n > TTRPC_MAX_BODY)
		return berth_err_new(err, BERTH_E_RESOURCE,
				     "ttrpc: request of %zu bytes exceeds 4 MiB", n);
	buf = xmalloc(n ? n : 1);
	ttrpc__request__pack(&r, buf);

	p = xnew(struct pending);
	p->id = cl->next_id;
	cl->next_id += 2;
	p->fn = fn;
	p->data = data;
	p->client = cl;
	if (timeout_ms) {
		p->timer = evloop_timer_add(cl->loop, timeout_ms, client_timeout, p, err);
		if (!p->timer) {
			free(p);
			return -1;
		}
	}
	p->next = cl->pending;
	cl->pending = p;
	/* a write error closes the connection and fails p from client_closed */
	conn_send(cl->conn, TTRPC_TYPE_REQUEST, p->id, buf, n);
	return 0;
}

int ttrpc_client_call(struct ttrpc_client *cl, const char *service, const char *method,
		      const ProtobufCMessage *req, uint64_t timeout_ms, ttrpc_reply_fn fn,
		      void *data, struct berth_err **err)
{
	size_t n = req ? protobuf_c_message_get_packed_size(req) : 0;
	cleanup_free uint8_t *payload = xmalloc(n ? n : 1);

	if (req)
		protobuf_c_message_pack(req, payload);
	return ttrpc_client_call_raw(cl, service, method, payload, n, timeout_ms, fn, data, err);
}
