/*
 * supervisor/ctl/content.c - berthctl's content and lease helpers over the containerd API
 * (Content.Read/Info/Update/Write, Leases.Create/Delete). See ctl.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <github.com/containerd/containerd/api/services/content/v1/content.pb-c.h>
#include <github.com/containerd/containerd/api/services/leases/v1/leases.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"
#include "supervisor/image/archive.h"

#define CT(x) Containerd__Services__Content__V1__##x
#define CT_INIT(x) CONTAINERD__SERVICES__CONTENT__V1__##x##__INIT
#define UPLOAD_CHUNK (1 << 20)

struct slurp {
	char *buf;
	size_t len, max;
};

static int slurp_chunk(const void *buf, size_t len, void *arg, struct berth_err **err)
{
	struct slurp *s = arg;

	if (s->len + len > s->max)
		return berth_err_new(err, BERTH_E_RESOURCE, "blob larger than %zu bytes", s->max);
	s->buf = xrealloc(s->buf, s->len + len + 1);
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	s->buf[s->len] = '\0';
	return 0;
}

int ctl_blob_stream(struct ctl *c, const char *digest,
		    int (*fn)(const void *buf, size_t len, void *arg, struct berth_err **err),
		    void *arg, struct berth_err **err)
{
	CT(ReadContentRequest) req = CT_INIT(READ_CONTENT_REQUEST);
	struct rpc_client_stream *s;
	ProtobufCMessage *m;
	int r;

	req.digest = (char *)digest;
	s = rpc_client_stream_invoke(c->rpc,
				     &containerd__services__content__v1__content__descriptor,
				     "Read", &req.base, err);
	if (!s)
		return -1;
	while ((r = rpc_client_stream_recv(s, &m, err)) == 1) {
		const CT(ReadContentResponse) *resp = (const void *)m;

		r = fn(resp->data.data, resp->data.len, arg, err);
		protobuf_c_message_free_unpacked(m, NULL);
		if (r < 0)
			break;
	}
	rpc_client_stream_free(s);
	return r < 0 ? berth_err_wrap(err, "read %s", digest) : 0;
}

int ctl_blob_read(struct ctl *c, const char *digest, size_t max, char **out, size_t *len,
		  struct berth_err **err)
{
	struct slurp s = {xzalloc(1), 0, max};

	if (ctl_blob_stream(c, digest, slurp_chunk, &s, err) < 0) {
		free(s.buf);
		return -1;
	}
	*out = s.buf;
	*len = s.len;
	return 0;
}

int ctl_blob_info(struct ctl *c, const char *digest, int64_t *size, char ***labels,
		  struct berth_err **err)
{
	CT(InfoRequest) req = CT_INIT(INFO_REQUEST);
	ProtobufCMessage *m = NULL;
	const CT(InfoResponse) * resp;

	req.digest = (char *)digest;
	if (rpc_client_invoke(c->rpc, &containerd__services__content__v1__content__descriptor,
			      "Info", &req.base, &m, err) < 0)
		return -1;
	resp = (const void *)m;
	if (size)
		*size = resp->info ? resp->info->size : 0;
	if (labels) {
		char **kv = NULL;

		for (size_t i = 0; resp->info && i < resp->info->n_labels; i++) {
			strv_push(&kv, resp->info->labels[i]->key);
			strv_push(&kv, resp->info->labels[i]->value);
		}
		*labels = kv;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_blob_label(struct ctl *c, const char *digest, char *const *kv, struct berth_err **err)
{
	CT(UpdateRequest) req = CT_INIT(UPDATE_REQUEST);
	CT(Info) info = CT_INIT(INFO);
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	size_t n = strv_len(kv) / 2;
	CT(Info__LabelsEntry) *e = xcalloc(n + 1, sizeof(*e));
	CT(Info__LabelsEntry) **ep = xcalloc(n + 1, sizeof(*ep));
	char **paths = xcalloc(n + 1, sizeof(char *));
	ProtobufCMessage *m = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		containerd__services__content__v1__info__labels_entry__init(&e[i]);
		e[i].key = kv[2 * i];
		e[i].value = kv[2 * i + 1];
		ep[i] = &e[i];
		paths[i] = xasprintf("labels.%s", kv[2 * i]);
	}
	info.digest = (char *)digest;
	info.labels = ep;
	info.n_labels = n;
	mask.paths = paths;
	mask.n_paths = n;
	req.info = &info;
	req.update_mask = &mask;
	r = rpc_client_invoke(c->rpc, &containerd__services__content__v1__content__descriptor,
			      "Update", &req.base, &m, err);
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(ep);
	free(e);
	return r;
}

struct ctl_upload {
	struct rpc_client_stream *s;
	char *ref;
	int64_t offset, total;
};

/* One request, one response (the Write protocol); the response's offset is checked. */
static int upload_rt(struct ctl_upload *u, const CT(WriteContentRequest) * req, char **digest,
		     struct berth_err **err)
{
	ProtobufCMessage *m = NULL;
	const CT(WriteContentResponse) * resp;
	int r;

	if (rpc_client_stream_send(u->s, &req->base, err) < 0)
		return -1;
	r = rpc_client_stream_recv(u->s, &m, err);
	if (r <= 0)
		return r < 0 ? -1
			     : berth_err_new(err, BERTH_E_INTERNAL, "write %s: no reply", u->ref);
	resp = (const void *)m;
	u->offset = resp->offset;
	if (digest && resp->digest && *resp->digest)
		*digest = xstrdup(resp->digest);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

struct ctl_upload *ctl_upload_begin(struct ctl *c, const char *ref, int64_t total,
				    const char *expected, struct berth_err **err)
{
	struct ctl_upload *u = xnew(struct ctl_upload);
	CT(WriteContentRequest) req = CT_INIT(WRITE_CONTENT_REQUEST);

	u->ref = xstrdup(ref);
	u->total = total;
	u->s = rpc_client_stream_invoke(c->rpc,
					&containerd__services__content__v1__content__descriptor,
					"Write", NULL, err);
	if (!u->s) {
		ctl_upload_free(u);
		return NULL;
	}
	/* STAT opens (or resumes) the ingest and declares what we will send */
	req.action = CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__STAT;
	req.ref = u->ref;
	req.total = total;
	req.expected = (char *)(expected ? expected : "");
	if (upload_rt(u, &req, NULL, err) < 0) {
		ctl_upload_free(u);
		return NULL;
	}
	/* a previous attempt may have left bytes behind: start over at 0 (a write at offset 0
	 * makes the server truncate) rather than trusting a half-written ingest */
	u->offset = 0;
	return u;
}

int ctl_upload_write(struct ctl_upload *u, const void *buf, size_t len, struct berth_err **err)
{
	while (len > 0) {
		CT(WriteContentRequest) req = CT_INIT(WRITE_CONTENT_REQUEST);
		size_t n = len < UPLOAD_CHUNK ? len : UPLOAD_CHUNK;
		int64_t want = u->offset + (int64_t)n;

		req.action = CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__WRITE;
		req.ref = u->ref;
		req.offset = u->offset;
		req.data.data = (uint8_t *)buf;
		req.data.len = n;
		if (upload_rt(u, &req, NULL, err) < 0)
			return -1;
		if (u->offset != want)
			return berth_err_new(err, BERTH_E_INTERNAL,
					     "write %s: server at offset %" PRId64
					     ", want %" PRId64,
					     u->ref, u->offset, want);
		buf = (const char *)buf + n;
		len -= n;
	}
	return 0;
}

int ctl_upload_commit(struct ctl_upload *u, const char *expected, char *const *labels,
		      char **digest, struct berth_err **err)
{
	CT(WriteContentRequest) req = CT_INIT(WRITE_CONTENT_REQUEST);
	size_t n = strv_len(labels) / 2;
	CT(WriteContentRequest__LabelsEntry) *e = xcalloc(n + 1, sizeof(*e));
	CT(WriteContentRequest__LabelsEntry) **ep = xcalloc(n + 1, sizeof(*ep));
	struct berth_err *e2 = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		containerd__services__content__v1__write_content_request__labels_entry__init(&e[i]);
		e[i].key = labels[2 * i];
		e[i].value = labels[2 * i + 1];
		ep[i] = &e[i];
	}
	req.action = CONTAINERD__SERVICES__CONTENT__V1__WRITE_ACTION__COMMIT;
	req.ref = u->ref;
	req.offset = u->offset;
	req.total = u->offset;
	req.expected = (char *)(expected ? expected : "");
	req.labels = ep;
	req.n_labels = n;
	r = upload_rt(u, &req, digest, &e2);
	free(ep);
	free(e);
	if (r < 0 && e2->code == BERTH_E_EXISTS) {
		berth_err_free(&e2);
		if (digest && !*digest && expected)
			*digest = xstrdup(expected);
		return 0;
	}
	if (r < 0) {
		berth_err_set(err, e2->code, e2->errnum, e2->msg);
		berth_err_free(&e2);
		return -1;
	}
	rpc_client_stream_close_send(u->s, NULL);
	return 0;
}

void ctl_upload_free(struct ctl_upload *u)
{
	if (!u)
		return;
	rpc_client_stream_free(u->s);
	free(u->ref);
	free(u);
}

int ctl_blob_put(struct ctl *c, const void *buf, size_t len, const char *media_type,
		 char *const *labels, char **digest, struct berth_err **err)
{
	cleanup_free char *d = image_digest_buf(buf, len);
	cleanup_free char *ref = xasprintf("berthctl-%s", d + 7);
	struct ctl_upload *u = ctl_upload_begin(c, ref, (int64_t)len, d, err);
	int r;

	if (!u) {
		if (!*err || (*err)->code != BERTH_E_EXISTS)
			return -1;
		/* the namespace has it already: just make sure the labels are there */
		berth_err_free(err);
		r = labels ? ctl_blob_label(c, d, labels, err) : 0;
	} else {
		r = ctl_upload_write(u, buf, len, err);
		if (r == 0)
			r = ctl_upload_commit(u, d, labels, NULL, err);
		ctl_upload_free(u);
		if (r < 0 && *err && (*err)->code == BERTH_E_EXISTS) {
			berth_err_free(err);
			r = labels ? ctl_blob_label(c, d, labels, err) : 0;
		}
	}
	if (r == 0 && digest)
		*digest = xstrdup(d);
	return r;
}

int ctl_lease_begin(struct ctl *c, struct berth_err **err)
{
	Containerd__Services__Leases__V1__CreateRequest req =
		CONTAINERD__SERVICES__LEASES__V1__CREATE_REQUEST__INIT;
	Containerd__Services__Leases__V1__CreateRequest__LabelsEntry exp =
		CONTAINERD__SERVICES__LEASES__V1__CREATE_REQUEST__LABELS_ENTRY__INIT;
	Containerd__Services__Leases__V1__CreateRequest__LabelsEntry *ep[1] = {&exp};
	const Containerd__Services__Leases__V1__CreateResponse *resp;
	ProtobufCMessage *m = NULL;
	char when[64];
	time_t t = time(NULL) + 24 * 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	exp.key = (char *)"containerd.io/gc.expire";
	exp.value = when;
	req.labels = ep;
	req.n_labels = 1;
	if (rpc_client_invoke(c->rpc, &containerd__services__leases__v1__leases__descriptor,
			      "Create", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "create lease");
	resp = (const void *)m;
	c->lease = xstrdup(resp->lease ? resp->lease->id : "");
	protobuf_c_message_free_unpacked(m, NULL);
	rpc_client_set_metadata(c->rpc, "containerd-lease", c->lease);
	return 0;
}

void ctl_lease_end(struct ctl *c)
{
	Containerd__Services__Leases__V1__DeleteRequest req =
		CONTAINERD__SERVICES__LEASES__V1__DELETE_REQUEST__INIT;
	ProtobufCMessage *m = NULL;

	if (!c->lease)
		return;
	rpc_client_set_metadata(c->rpc, "containerd-lease", NULL);
	req.id = c->lease;
	if (rpc_client_invoke(c->rpc, &containerd__services__leases__v1__leases__descriptor,
			      "Delete", &req.base, &m, NULL) == 0)
		protobuf_c_message_free_unpacked(m, NULL);
	free(c->lease);
	c->lease = NULL;
}
