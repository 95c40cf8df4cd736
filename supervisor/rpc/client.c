/*
 * supervisor/rpc/client.c - synchronous gRPC core client (see client.h and
 * notes/rpc.md §2.2). One pluck completion queue per call: every batch is started and
 * then plucked by its own tag, except RECV_STATUS_ON_CLIENT, which is started with the
 * first batch of a stream and plucked when the stream ends.
 */
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/rpc/client.h"

struct rpc_client {
	grpc_channel *ch;
	char *address;
	char **md; /* k,v,...,NULL */
};

struct rpc_client_stream {
	struct rpc_client *c;
	grpc_call *call;
	grpc_completion_queue *cq;
	const ProtobufCMessageDescriptor *out;
	grpc_metadata *md;
	size_t n_md;
	grpc_metadata_array init_md, trail_md;
	grpc_status_code status;
	grpc_slice details;
	bool got_init_md, ended, status_done, send_closed;
	int tag_status; /* address used as the status tag */
};

enum berth_err_code rpc_code_from_status(int status)
{
	switch (status) {
	case GRPC_STATUS_NOT_FOUND:
		return BERTH_E_NOT_FOUND;
	case GRPC_STATUS_ALREADY_EXISTS:
		return BERTH_E_EXISTS;
	case GRPC_STATUS_INVALID_ARGUMENT:
	case GRPC_STATUS_OUT_OF_RANGE:
		return BERTH_E_INVALID;
	case GRPC_STATUS_FAILED_PRECONDITION:
		return BERTH_E_PRECONDITION;
	case GRPC_STATUS_UNIMPLEMENTED:
		return BERTH_E_UNIMPLEMENTED;
	case GRPC_STATUS_UNAVAILABLE:
		return BERTH_E_UNAVAILABLE;
	case GRPC_STATUS_PERMISSION_DENIED:
	case GRPC_STATUS_UNAUTHENTICATED:
		return BERTH_E_PERMISSION;
	case GRPC_STATUS_RESOURCE_EXHAUSTED:
		return BERTH_E_RESOURCE;
	case GRPC_STATUS_CANCELLED:
		return BERTH_E_CANCELLED;
	case GRPC_STATUS_DEADLINE_EXCEEDED:
		return BERTH_E_TIMEOUT;
	default:
		return BERTH_E_INTERNAL;
	}
}

struct rpc_client *rpc_client_new(const char *address, const char *ns, struct berth_err **err)
{
	struct rpc_client *c;
	grpc_channel_credentials *creds;
	cleanup_free char *target = NULL;
	grpc_arg args[2];
	grpc_channel_args cargs = {2, args};

	if (!address || !*address) {
		berth_err_new(err, BERTH_E_INVALID, "no daemon address");
		return NULL;
	}
	grpc_init();
	c = xnew(struct rpc_client);
	c->address = xstrdup(address);
	args[0].type = GRPC_ARG_INTEGER;
	args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
	args[0].value.integer = 16 << 20;
	args[1].type = GRPC_ARG_INTEGER;
	args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
	args[1].value.integer = 16 << 20;
	target = xasprintf("unix:%s", address);
	creds = grpc_insecure_credentials_create();
	c->ch = grpc_channel_create(target, creds, &cargs);
	grpc_channel_credentials_release(creds);
	if (ns && *ns)
		rpc_client_set_metadata(c, "containerd-namespace", ns);
	return c;
}

void rpc_client_free(struct rpc_client *c)
{
	if (!c)
		return;
	grpc_channel_destroy(c->ch);
	strv_free(c->md);
	free(c->address);
	free(c);
	grpc_shutdown();
}

void rpc_client_set_metadata(struct rpc_client *c, const char *key, const char *value)
{
	size_t n = strv_len(c->md);

	for (size_t i = 0; i + 1 < n; i += 2)
		if (strcmp(c->md[i], key) == 0) {
			if (value) {
				free(c->md[i + 1]);
				c->md[i + 1] = xstrdup(value);
			} else {
				free(c->md[i]);
				free(c->md[i + 1]);
				memmove(&c->md[i], &c->md[i + 2], (n - i - 1) * sizeof(char *));
			}
			return;
		}
	if (value) {
		strv_push(&c->md, key);
		strv_push(&c->md, value);
	}
}

static grpc_byte_buffer *pack(const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	grpc_slice s = grpc_slice_malloc(len);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *bb)
{
	grpc_byte_buffer_reader r;
	ProtobufCMessage *m;
	grpc_slice s;

	if (!grpc_byte_buffer_reader_init(&r, bb))
		return NULL;
	s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	m = protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return m;
}

static bool run_batch(struct rpc_client_stream *s, const grpc_op *ops, size_t n, void *tag)
{
	grpc_event ev;

	if (grpc_call_start_batch(s->call, ops, n, tag, NULL) != GRPC_CALL_OK)
		return false;
	ev = grpc_completion_queue_pluck(s->cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	return ev.type == GRPC_OP_COMPLETE && ev.success;
}

/* Waits for the final status and turns a non-OK one into an error. */
static int stream_status(struct rpc_client_stream *s, struct berth_err **err)
{
	if (!s->status_done) {
		grpc_completion_queue_pluck(s->cq, &s->tag_status,
					    gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		s->status_done = true;
	}
	s->ended = true;
	if (s->status == GRPC_STATUS_OK)
		return 0;
	{
		cleanup_free char *msg = xstrndup((const char *)GRPC_SLICE_START_PTR(s->details),
						  GRPC_SLICE_LENGTH(s->details));

		if (s->status == GRPC_STATUS_UNAVAILABLE && !*msg)
			return berth_err_new(err, BERTH_E_UNAVAILABLE, "cannot reach '%s'",
					     s->c->address);
		/* gRPC's own words when the socket is not there; a server's UNAVAILABLE
		 * (a registry berthd could not reach) keeps its message */
		if (s->status == GRPC_STATUS_UNAVAILABLE &&
		    strstr(msg, "failed to connect to all addresses"))
			return berth_err_new(err, BERTH_E_UNAVAILABLE, "cannot reach '%s': %s",
					     s->c->address, msg);
		return berth_err_new(err, rpc_code_from_status(s->status), "%s", msg);
	}
}

static struct rpc_client_stream *stream_new(struct rpc_client *c, const char *path,
					    const ProtobufCMessageDescriptor *out)
{
	struct rpc_client_stream *s = xnew(struct rpc_client_stream);
	size_t n = strv_len(c->md) / 2;
	grpc_slice method = grpc_slice_from_copied_string(path);

	s->c = c;
	s->out = out;
	s->cq = grpc_completion_queue_create_for_pluck(NULL);
	/* the call takes its own reference to the method slice */
	s->call = grpc_channel_create_call(c->ch, NULL, GRPC_PROPAGATE_DEFAULTS, s->cq, method,
					   NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	grpc_slice_unref(method);
	s->md = xcalloc(n + 1, sizeof(grpc_metadata));
	s->n_md = n;
	for (size_t i = 0; i < n; i++) {
		s->md[i].key = grpc_slice_from_copied_string(c->md[2 * i]);
		s->md[i].value = grpc_slice_from_copied_string(c->md[2 * i + 1]);
	}
	grpc_metadata_array_init(&s->init_md);
	grpc_metadata_array_init(&s->trail_md);
	s->details = grpc_empty_slice();
	return s;
}

void rpc_client_stream_free(struct rpc_client_stream *s)
{
	if (!s)
		return;
	if (!s->status_done) {
		grpc_call_cancel(s->call, NULL);
		grpc_completion_queue_pluck(s->cq, &s->tag_status,
					    gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	}
	grpc_call_unref(s->call);
	grpc_completion_queue_shutdown(s->cq);
	while (grpc_completion_queue_pluck(s->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
		       .type != GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(s->cq);
	for (size_t i = 0; i < s->n_md; i++) {
		grpc_slice_unref(s->md[i].key);
		grpc_slice_unref(s->md[i].value);
	}
	free(s->md);
	grpc_metadata_array_destroy(&s->init_md);
	grpc_metadata_array_destroy(&s->trail_md);
	grpc_slice_unref(s->details);
	free(s);
}

static grpc_byte_buffer *raw_buffer(const void *data, size_t len)
{
	grpc_slice s = grpc_slice_from_copied_buffer(data, len);
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);

	grpc_slice_unref(s);
	return bb;
}

/* Opens the call; bb (NULL: none) is sent and the send side closed; bb is consumed. */
static struct rpc_client_stream *stream_open(struct rpc_client *c, const char *path,
					     grpc_byte_buffer *bb,
					     const ProtobufCMessageDescriptor *out,
					     struct berth_err **err)
{
	struct rpc_client_stream *s = stream_new(c, path, out);
	grpc_op ops[4], st;
	size_t n = 0;
	bool ok;

	memset(&st, 0, sizeof(st));
	st.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	st.data.recv_status_on_client.trailing_metadata = &s->trail_md;
	st.data.recv_status_on_client.status = &s->status;
	st.data.recv_status_on_client.status_details = &s->details;
	if (grpc_call_start_batch(s->call, &st, 1, &s->tag_status, NULL) != GRPC_CALL_OK) {
		s->status_done = true;
		rpc_client_stream_free(s);
		if (bb)
			grpc_byte_buffer_destroy(bb);
		berth_err_new(err, BERTH_E_INTERNAL, "start call '%s'", path);
		return NULL;
	}
	memset(ops, 0, sizeof(ops));
	ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[n].data.send_initial_metadata.count = s->n_md;
	ops[n].data.send_initial_metadata.metadata = s->md;
	n++;
	if (bb) {
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n].data.send_message.send_message = bb;
		n++;
		ops[n].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
		n++;
		s->send_closed = true;
	}
	ok = run_batch(s, ops, n, s);
	if (bb)
		grpc_byte_buffer_destroy(bb);
	if (!ok) {
		stream_status(s, err);
		if (err && !*err)
			berth_err_new(err, BERTH_E_UNAVAILABLE, "cannot reach '%s'", c->address);
		rpc_client_stream_free(s);
		return NULL;
	}
	return s;
}

/* method of svc, or NULL with INVALID; req (may be NULL) must be of its input type */
static const ProtobufCMethodDescriptor *method_of(const ProtobufCServiceDescriptor *svc,
						  const char *method, const ProtobufCMessage *req,
						  struct berth_err **err)
{
	const ProtobufCMethodDescriptor *md =
		protobuf_c_service_descriptor_get_method_by_name(svc, method);

	if (!md) {
		berth_err_new(err, BERTH_E_INVALID, "'%s' has no method '%s'", svc->name, method);
		return NULL;
	}
	if (req && req->descriptor != md->input) {
		berth_err_new(err, BERTH_E_INVALID, "%s.%s: request is a %s, not a %s", svc->name,
			      method, req->descriptor->name, md->input->name);
		return NULL;
	}
	return md;
}

struct rpc_client_stream *rpc_client_stream_invoke(struct rpc_client *c,
						   const ProtobufCServiceDescriptor *svc,
						   const char *method, const ProtobufCMessage *req,
						   struct berth_err **err)
{
	const ProtobufCMethodDescriptor *md = method_of(svc, method, req, err);
	cleanup_free char *path = NULL;

	if (!md)
		return NULL;
	path = xasprintf("/%s/%s", svc->name, method);
	return stream_open(c, path, req ? pack(req) : NULL, md->output, err);
}

struct rpc_client_stream *rpc_client_stream_open_raw(struct rpc_client *c, const char *path,
						     const void *data, size_t len,
						     const ProtobufCMessageDescriptor *out,
						     struct berth_err **err)
{
	return stream_open(c, path, raw_buffer(data, len), out, err);
}

int rpc_client_stream_send(struct rpc_client_stream *s, const ProtobufCMessage *msg,
			   struct berth_err **err)
{
	grpc_byte_buffer *bb = pack(msg);
	grpc_op op;
	bool ok;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = bb;
	ok = run_batch(s, &op, 1, s);
	grpc_byte_buffer_destroy(bb);
	if (!ok) /* the server ended the call: its status says why */
		return stream_status(s, err) < 0
			       ? -1
			       : berth_err_new(err, BERTH_E_INTERNAL, "stream ended by the server");
	return 0;
}

int rpc_client_stream_close_send(struct rpc_client_stream *s, struct berth_err **err)
{
	grpc_op op;

	if (s->send_closed)
		return 0;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	s->send_closed = true;
	if (!run_batch(s, &op, 1, s))
		return stream_status(s, err);
	return 0;
}

int rpc_client_stream_recv(struct rpc_client_stream *s, ProtobufCMessage **msg,
			   struct berth_err **err)
{
	grpc_byte_buffer *bb = NULL;
	ProtobufCMessage *m;
	grpc_op ops[2];
	size_t n = 0;

	if (s->ended)
		return stream_status(s, err) < 0 ? -1 : 0;
	memset(ops, 0, sizeof(ops));
	if (!s->got_init_md) {
		ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[n].data.recv_initial_metadata.recv_initial_metadata = &s->init_md;
		n++;
		s->got_init_md = true;
	}
	ops[n].op = GRPC_OP_RECV_MESSAGE;
	ops[n].data.recv_message.recv_message = &bb;
	n++;
	if (!run_batch(s, ops, n, s) || !bb) {
		if (bb)
			grpc_byte_buffer_destroy(bb);
		return stream_status(s, err) < 0 ? -1 : 0;
	}
	m = unpack(s->out, bb);
	grpc_byte_buffer_destroy(bb);
	if (!m)
		return berth_err_new(err, BERTH_E_INTERNAL, "malformed reply: cannot decode %s",
				     s->out->name);
	*msg = m;
	return 1;
}

int rpc_client_invoke(struct rpc_client *c, const ProtobufCServiceDescriptor *svc,
		      const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
		      struct berth_err **err)
{
	struct rpc_client_stream *s = rpc_client_stream_invoke(c, svc, method, req, err);
	ProtobufCMessage *m = NULL;
	int r;

	if (!s)
		return -1;
	r = rpc_client_stream_recv(s, &m, err);
	if (r == 1) {
		/* drain to the status: a unary reply is followed by OK */
		ProtobufCMessage *extra = NULL;
		int r2 = rpc_client_stream_recv(s, &extra, err);

		if (r2 != 0) {
			if (extra)
				protobuf_c_message_free_unpacked(extra, NULL);
			protobuf_c_message_free_unpacked(m, NULL);
			rpc_client_stream_free(s);
			return r2 < 0 ? -1
				      : berth_err_new(err, BERTH_E_INTERNAL,
						      "%s.%s: more than one reply", svc->name,
						      method);
		}
	} else if (r == 0) {
		r = berth_err_new(err, BERTH_E_INTERNAL, "%s.%s: no reply", svc->name, method);
	}
	rpc_client_stream_free(s);
	if (r < 0)
		return -1;
	*resp = m;
	return 0;
}
