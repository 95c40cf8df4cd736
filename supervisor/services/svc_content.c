/*
 * supervisor/services/svc_content.c - containerd.services.content.v1.Content.
 *
 * Records (which namespace sees which digest, labels) are meta/'s; bytes are
 * content/store.h's. Write follows containerd's content service protocol:
 *
 *   client                                  berthd
 *   Write{STAT|WRITE|COMMIT, ref, ...} ───▶ first message: ref required; open/resume
 *                                           ingest (ns, ref) (locked: UNAVAILABLE)
 *                                    ◀─── one response per request: action, offset (+ digest,
 *                                           total, started/updated on STAT)
 *   WRITE{offset, data}                     offset > 0 must equal the current offset
 *                                           (else OUT_OF_RANGE, as containerd);
 *                                           offset 0 on a non-empty ingest restarts it
 *   COMMIT{total, expected, labels}         verify size and digest, move into blobs/, add the
 *                                           namespace's record (EXISTS if it had one already)
 *   half-close                       ◀─── status OK
 * A request whose expected digest the namespace already has ends the stream with
 * ALREADY_EXISTS and removes the ingest (the client treats that as success).
 * With gRPC metadata "containerd-lease", the ingest and the committed digest are added
 * to that lease so GC keeps them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/events/content.pb-c.h>
#include <github.com/containerd/containerd/api/services/content/v1/content.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/core/commit.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/gc.h"
#include "supervisor/services/svc_util.h"

#define CT(x) Containerd__Services__Content__V1__##x
#define CT_INIT(x) CONTAINERD__SERVICES__CONTENT__V1__##x##__INIT
#define CT_MSG(x) &containerd__services__content__v1__##x##__descriptor
#define INFO_ENTRY_DESC CT_MSG(info__labels_entry)
#define READ_CHUNK (1 << 20)
#define LIST_BATCH 100

struct info_pb {
	CT(Info) info;
	Google__Protobuf__Timestamp created, updated;
};

static CT(Info) * info_fill(struct info_pb *p, const struct meta_content *c)
{
	containerd__services__content__v1__info__init(&p->info);
	p->info.digest = c->digest;
	p->info.size = c->size;
	p->info.created_at = svc_ts(&p->created, c->created);
	p->info.updated_at = svc_ts(&p->updated, c->updated);
	p->info.labels = svc_kv_to_pb(c->labels, INFO_ENTRY_DESC, &p->info.n_labels);
	return &p->info;
}

static void info_clear(struct info_pb *p)
{
	svc_kv_pb_free(p->info.labels, p->info.n_labels);
}

static void ct_info(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(InfoRequest) *req = (const void *)msg;
	CT(InfoResponse) resp = CT_INIT(INFO_RESPONSE);
	cleanup(meta_content_freep) struct meta_content *c = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct info_pb p;

	if (!ns)
		return;
	if (content_digest_check(req->digest, &err) < 0 ||
	    meta_content_get(svc_ctx_of(call)->db, ns, req->digest, &c, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.info = info_fill(&p, c);
	rpc_call_reply(call, &resp.base);
	info_clear(&p);
}

static void ct_update(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(UpdateRequest) *req = (const void *)msg;
	CT(UpdateResponse) resp = CT_INIT(UPDATE_RESPONSE);
	cleanup(meta_content_freep) struct meta_content *c = NULL;
	cleanup_err struct berth_err *err = NULL;
	cleanup(strv_freep) char **labels = NULL;
	cleanup_free char **paths = NULL;
	const char *ns = svc_call_ns(call);
	struct info_pb p;

	if (!ns)
		return;
	if (!req->info) {
		rpc_call_failf(call, BERTH_E_INVALID, "info: missing");
		return;
	}
	paths = svc_mask_paths(req->update_mask);
	strv_foreach (path, paths) {
		if (strcmp(path, "labels") != 0 && strncmp(path, "labels.", 7) != 0) {
			rpc_call_failf(call, BERTH_E_INVALID,
				       "update_mask: cannot update '%s' of content %s", path,
				       req->info->digest);
			return;
		}
	}
	labels = svc_kv_from_pb(req->info->n_labels, req->info->labels);
	if (content_digest_check(req->info->digest, &err) < 0 ||
	    svc_labels_check(labels, &err) < 0 ||
	    meta_content_update_labels(svc_ctx_of(call)->db, ns, req->info->digest, labels, paths,
				       &c, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.info = info_fill(&p, c);
	rpc_call_reply(call, &resp.base);
	info_clear(&p);
}

static const char *content_field(const void *obj, char *const *path, size_t n)
{
	const struct meta_content *c = obj;

	if (n == 1 && strcmp(path[0], "digest") == 0)
		return c->digest;
	if (n >= 2 && strcmp(path[0], "labels") == 0)
		return core_filter_kv(c->labels, path + 1, n - 1);
	return NULL;
}

static void ct_list(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(ListContentRequest) *req = (const void *)msg;
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct meta_content **v = NULL;
	struct info_pb p[LIST_BATCH];
	CT(Info) * ptrs[LIST_BATCH];
	size_t n = 0, i = 0;

	if (!ns)
		return;
	if (core_filter_parse(req->filters, req->n_filters, &f, &err) < 0 ||
	    meta_content_list(svc_ctx_of(call)->db, ns, &v, &n, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	while (i < n) {
		CT(ListContentResponse) resp = CT_INIT(LIST_CONTENT_RESPONSE);
		size_t k = 0;
		int r;

		for (; i < n && k < LIST_BATCH; i++) {
			if (!core_filter_match(f, content_field, v[i]))
				continue;
			ptrs[k] = info_fill(&p[k], v[i]);
			k++;
		}
		if (k == 0)
			break;
		resp.info = ptrs;
		resp.n_info = k;
		r = rpc_stream_push_wait(call, &resp.base);
		for (size_t j = 0; j < k; j++)
			info_clear(&p[j]);
		if (r < 0)
			break;
	}
	meta_content_list_free(v, n);
	rpc_stream_finish(call, NULL);
}

static void ct_delete(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(DeleteContentRequest) *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	Containerd__Events__ContentDelete ev = CONTAINERD__EVENTS__CONTENT_DELETE__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (content_digest_check(req->digest, &err) < 0 ||
	    meta_content_delete(ctx->db, ns, req->digest, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	ev.digest = req->digest;
	svc_publish(ctx, ns, "/content/delete", "containerd.events.ContentDelete", &ev.base);
	/* the blob goes when no namespace records it: the collector decides, under its lock */
	core_gc_schedule(ctx);
	rpc_call_reply(call, &resp.base); /* last: ns is the call's */
}

static void ct_read(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(ReadContentRequest) *req = (const void *)msg;
	cleanup(meta_content_freep) struct meta_content *c = NULL;
	cleanup_err struct berth_err *err = NULL;
	cleanup_free uint8_t *buf = NULL;
	cleanup_close int fd = -1;
	const char *ns = svc_call_ns(call);
	int64_t off, end;

	if (!ns)
		return;
	if (content_digest_check(req->digest, &err) < 0 ||
	    meta_content_get(svc_ctx_of(call)->db, ns, req->digest, &c, &err) < 0) {
		rpc_stream_finish(call, err);
		return;
	}
	if (req->offset < 0 || req->offset > c->size || req->size < 0) {
		rpc_call_failf(call, BERTH_E_INVALID,
			       "read %s: offset %" PRId64 " size %" PRId64 " outside 0..%" PRId64,
			       req->digest, req->offset, req->size, c->size);
		return;
	}
	fd = content_blob_open(svc_ctx_of(call)->content, req->digest, &err);
	if (fd < 0) {
		rpc_stream_finish(call, err);
		return;
	}
	off = req->offset;
	end = req->size > 0 && req->offset + req->size < c->size ? req->offset + req->size
								 : c->size;
	buf = xmalloc(READ_CHUNK);
	while (off < end) {
		CT(ReadContentResponse) resp = CT_INIT(READ_CONTENT_RESPONSE);
		size_t want = end - off < READ_CHUNK ? (size_t)(end - off) : READ_CHUNK;
		ssize_t n = pread(fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			berth_err_sys(&err, n < 0 ? errno : EIO, "read %s at %" PRId64, req->digest,
				      off);
			rpc_stream_finish(call, err);
			return;
		}
		resp.offset = off;
		resp.data.data = buf;
		resp.data.len = (size_t)n;
		if (rpc_stream_push_wait(call, &resp.base) < 0)
			break; /* client gone */
		off += n;
	}
	rpc_stream_finish(call, NULL);
}

struct status_pb {
	CT(Status) st;
	Google__Protobuf__Timestamp started, updated;
};

static CT(Status) * status_fill(struct status_pb *p, const struct content_status *s)
{
	containerd__services__content__v1__status__init(&p->st);
	p->st.ref = s->ref;
	p->st.offset = s->offset;
	p->st.total = s->total;
	p->st.expected = s->expected;
	p->st.started_at = svc_ts(&p->started, s->started);
	p->st.updated_at = svc_ts(&p->updated, s->updated);
	return &p->st;
}

static void ct_status(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(StatusRequest) *req = (const void *)msg;
	CT(StatusResponse) resp = CT_INIT(STATUS_RESPONSE);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct content_status st;
	struct status_pb p;

	if (!ns)
		return;
	if (content_ingest_status(svc_ctx_of(call)->content, ns, req->ref, &st, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.status = status_fill(&p, &st);
	rpc_call_reply(call, &resp.base);
	content_status_clear(&st);
}

static const char *status_field(const void *obj, char *const *path, size_t n)
{
	const struct content_status *s = obj;

	if (n == 1 && strcmp(path[0], "ref") == 0)
		return s->ref;
	return NULL;
}

static void ct_list_statuses(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(ListStatusesRequest) *req = (const void *)msg;
	CT(ListStatusesResponse) resp = CT_INIT(LIST_STATUSES_RESPONSE);
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct content_status *v = NULL;
	struct status_pb *p;
	size_t n = 0, k = 0;

	if (!ns)
		return;
	if (core_filter_parse(req->filters, req->n_filters, &f, &err) < 0 ||
	    content_ingest_list(svc_ctx_of(call)->content, ns, &v, &n, NULL, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	p = xcalloc(n + 1, sizeof(*p));
	resp.statuses = xcalloc(n + 1, sizeof(CT(Status) *));
	for (size_t i = 0; i < n; i++) {
		if (!core_filter_match(f, status_field, &v[i]))
			continue;
		resp.statuses[k] = status_fill(&p[k], &v[i]);
		k++;
	}
	resp.n_statuses = k;
	rpc_call_reply(call, &resp.base);
	free(resp.statuses);
	free(p);
	content_status_list_free(v, n);
}

static void ct_abort(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CT(AbortRequest) *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (content_ingest_abort(svc_ctx_of(call)->content, ns, req->ref, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	rpc_call_reply(call, &resp.base);
}

/* ---------------------------------------------------------------- Write */

struct writer {
	struct rpc_call *call;
	struct berthd_components *ctx;
	const char *ns, *lease;
	struct content_ingest *ing;
	char *ref;
};

/* Adds the committed blob to the namespace (and lease): core/commit.h. */
static int write_commit(struct writer *w, const CT(WriteContentRequest) * req, char **digest,
			struct berth_err **err)
{
	cleanup(strv_freep) char **labels = svc_kv_from_pb(req->n_labels, req->labels);
	struct core_commit_opts o = {
		.ns = w->ns,
		.lease = w->lease,
		.size = req->total,
		.expected = req->expected,
		.labels = labels,
	};

	if (svc_labels_check(labels, err) < 0)
		return -1;
	return core_content_commit(w->ctx, w->ing, &o, digest, err);
}

/* Handles one request; fills resp. Returns 1 to go on, 0 when done, -1 on error. */
static int write_one(struct writer *w, const CT(WriteContentRequest) * req,
		     CT(WriteContentResponse) * resp, char **digest, struct berth_err **err)
{
	int64_t off = content_ingest_offset(w->ing);

	resp->action = req->action;
	resp->offset = off;
	if (req->expected && *req->expected) {
		if (content_digest_check(req->expected, err) < 0)
			return -1;
		if (core_content_check_new(w->ctx, w->ns, w->lease, req->expected, err) < 0) {
			content_ingest_close(w->ing);
			w->ing = NULL;
			content_ingest_abort(w->ctx->content, w->ns, w->ref, NULL);
			return -1;
		}
	}
	content_ingest_expect(w->ing, req->total, req->expected);
	switch (req->action) {
	case CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__STAT: {
		struct content_status st;

		content_ingest_stat(w->ing, &st);
		*digest = content_ingest_digest(w->ing);
		resp->total = st.total;
		content_status_clear(&st);
		return 1;
	}
	case CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__WRITE:
	case CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__COMMIT:
		/* OUT_OF_RANGE as containerd's contentserver answers: clients re-Stat and resume */
		if (req->offset > 0 && req->offset != off)
			return berth_err_new(err, BERTH_E_OUT_OF_RANGE,
					     "ref %s: write @%" PRId64
					     " must occur at current offset %" PRId64,
					     w->ref, req->offset, off);
		if (req->offset == 0 && off > 0) {
			if (content_ingest_truncate(w->ing, 0, err) < 0)
				return -1;
			resp->offset = 0;
		}
		if (req->data.len > 0) {
			if (content_ingest_write(w->ing, req->data.data, req->data.len, err) < 0)
				return -1;
			resp->offset += (int64_t)req->data.len;
		}
		if (req->action == CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__COMMIT) {
			if (write_commit(w, req, digest, err) < 0)
				return -1;
			resp->total = resp->offset;
		}
		return 1;
	default:
		return berth_err_new(err, BERTH_E_INVALID, "ref %s: unknown write action %d",
				     w->ref, (int)req->action);
	}
}

static void ct_write(struct rpc_call *call, const ProtobufCMessage *unused)
{
	struct writer w = {.call = call, .ctx = svc_ctx_of(call)};
	cleanup_err struct berth_err *err = NULL;
	ProtobufCMessage *m = NULL;
	int r;

	w.ns = svc_namespace(call, &err);
	w.lease = rpc_call_metadata(call, "containerd-lease");
	if (!w.ns) {
		rpc_stream_finish(call, err);
		return;
	}
	r = rpc_call_recv(call, &m, &err);
	if (r <= 0) {
		if (r == 0)
			berth_err_new(&err, BERTH_E_INVALID, "write: no request");
		rpc_stream_finish(call, err);
		return;
	}
	for (;;) {
		const CT(WriteContentRequest) *req = (const void *)m;
		CT(WriteContentResponse) resp = CT_INIT(WRITE_CONTENT_RESPONSE);
		Google__Protobuf__Timestamp ts1, ts2;
		cleanup_free char *digest = NULL;

		if (!w.ing) {
			if (!req->ref || !*req->ref) {
				berth_err_new(&err, BERTH_E_INVALID,
					      "first message must have a reference");
				break;
			}
			w.ref = xstrdup(req->ref);
			w.ing = content_ingest_open(w.ctx->content, w.ns, w.ref, req->total,
						    req->expected, &err);
			if (!w.ing || core_lease_add_resource(w.ctx, w.ns, w.lease, "ingests",
							      w.ref, &err) < 0)
				break;
		}
		if (write_one(&w, req, &resp, &digest, &err) < 0)
			break;
		if (req->action == CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__STAT) {
			struct content_status st;

			content_ingest_stat(w.ing, &st);
			resp.started_at = svc_ts(&ts1, st.started);
			resp.updated_at = svc_ts(&ts2, st.updated);
			content_status_clear(&st);
		}
		resp.digest = digest ? digest : (char *)"";
		if (rpc_stream_push(call, &resp.base) < 0)
			break;
		protobuf_c_message_free_unpacked(m, NULL);
		m = NULL;
		r = rpc_call_recv(call, &m, &err);
		if (r <= 0)
			break;
	}
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	content_ingest_close(w.ing);
	free(w.ref);
	rpc_stream_finish(call, err);
}

static const struct rpc_method ct_methods[] = {
	{"Info", RPC_UNARY, ct_info},
	{"Update", RPC_UNARY, ct_update},
	{"List", RPC_SERVER_STREAM, ct_list},
	{"Delete", RPC_UNARY, ct_delete},
	{"Read", RPC_SERVER_STREAM, ct_read},
	{"Status", RPC_UNARY, ct_status},
	{"ListStatuses", RPC_UNARY, ct_list_statuses},
	{"Write", RPC_BIDI, ct_write},
	{"Abort", RPC_UNARY, ct_abort},
};

const struct rpc_service svc_content_service = {
	.desc = &containerd__services__content__v1__content__descriptor,
	.methods = ct_methods,
	.n_methods = sizeof(ct_methods) / sizeof(ct_methods[0]),
	.init = svc_init_ctx,
};
