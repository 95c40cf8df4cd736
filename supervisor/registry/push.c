/*
 * supervisor/registry/push.c - push: blobs first (HEAD, cross-repository mount, or
 * upload), then manifests by digest, then the root by tag, so a registry never holds a
 * manifest whose blobs it lacks.
 *
 * Uploads: POST /v2/<name>/blobs/uploads/ gives a session Location; a blob of at most
 * REG_CHUNK bytes goes in one PUT <location>?digest=<d>; a larger one in PATCH chunks
 * of REG_CHUNK (Content-Range), each answer naming the next Location, then an empty PUT
 * with the digest. Memory use is one chunk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/registry/manifest.h"
#include "supervisor/registry/registry_internal.h"

struct push {
	struct reg_client *c;
	struct content_store *cs;
	const struct reg_ref *ref;
	const struct reg_hooks *hooks;
	char *scope, *base;
};

static void progress(struct push *p, const struct reg_desc *d, int64_t done, enum reg_blob_state st)
{
	if (p->hooks && p->hooks->progress)
		p->hooks->progress(p->hooks->arg, d->digest, d->media_type, done, d->size, st);
}

/* Location may be relative to the registry, and may carry a query already. */
static char *absolute(struct push *p, const char *loc)
{
	if (strstr(loc, "://"))
		return xstrdup(loc);
	return xasprintf("%s%s", p->base, loc);
}

static char *with_query(const char *url, const char *q)
{
	return xasprintf("%s%c%s", url, strchr(url, '?') ? '&' : '?', q);
}

static int blob_exists(struct push *p, const struct reg_desc *d, bool *out, struct berth_err **err)
{
	cleanup_free char *url = xasprintf("%s/v2/%s/blobs/%s", p->base, p->ref->path, d->digest);
	cleanup(reg_resp_clear) struct reg_resp resp = {.max = 1 << 16};

	if (reg_request(p->c, p->ref->domain, p->scope, "HEAD", url, NULL, NULL, 0, &resp, err) < 0)
		return -1;
	if (resp.status == 200) {
		*out = true;
		return 0;
	}
	if (resp.status == 404) {
		*out = false;
		return 0;
	}
	return reg_http_error(&resp, err, "blob '%s': HEAD", d->digest);
}

/* POST a session (or a mount); 1 = mounted, 0 = *loc is the upload session. */
static int upload_start(struct push *p, const struct reg_desc *d, const char *from, char **loc,
			struct berth_err **err)
{
	cleanup_free char *url = NULL;
	cleanup(reg_resp_clear) struct reg_resp resp = {.max = 1 << 16};

	if (from)
		url = xasprintf("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", p->base, p->ref->path,
				d->digest, from);
	else
		url = xasprintf("%s/v2/%s/blobs/uploads/", p->base, p->ref->path);
	if (reg_request(p->c, p->ref->domain, p->scope, "POST", url, NULL, "", 0, &resp, err) < 0)
		return -1;
	if (from && resp.status == 201)
		return 1;
	if (resp.status != 202 || !resp.location)
		return reg_http_error(&resp, err, "blob '%s': start upload", d->digest);
	*loc = absolute(p, resp.location);
	return 0;
}

static int send_chunk(struct push *p, const char *method, const char *url, const char *buf,
		      size_t len, int64_t off, const struct reg_desc *d, char **next,
		      struct berth_err **err)
{
	cleanup_free char *range = xasprintf("Content-Range: %lld-%lld", (long long)off,
					     (long long)(off + (int64_t)len - 1));
	char *extra[] = {(char *)"Content-Type: application/octet-stream", len ? range : NULL,
			 NULL};
	cleanup(reg_resp_clear) struct reg_resp resp = {.max = 1 << 16};
	long want = strcmp(method, "PUT") ? 202 : 201;

	if (reg_request(p->c, p->ref->domain, p->scope, method, url, extra, buf, len, &resp, err) <
	    0)
		return berth_err_wrap(err, "blob '%s'", d->digest);
	if (resp.status != want)
		return reg_http_error(&resp, err, "blob '%s': %s upload", d->digest, method);
	if (next) {
		if (!resp.location)
			return berth_err_new(err, BERTH_E_INVALID,
					     "blob '%s': PATCH answer without a Location",
					     d->digest);
		*next = absolute(p, resp.location);
	}
	return 0;
}

static int upload(struct push *p, const struct reg_desc *d, char *loc, struct berth_err **err)
{
	cleanup_close int fd = content_blob_open(p->cs, d->digest, err);
	cleanup_free char *buf = NULL, *url = loc, *q = xasprintf("digest=%s", d->digest);
	cleanup_free char *put = NULL;
	int64_t off = 0;

	if (fd < 0)
		return -1;
	buf = xmalloc(d->size < REG_CHUNK ? (size_t)d->size + 1 : REG_CHUNK);
	if (d->size <= REG_CHUNK) {
		if (fs_read_all(fd, buf, (size_t)d->size) != (ssize_t)d->size)
			return berth_err_sys(err, errno, "read blob '%s'", d->digest);
		put = with_query(url, q);
		return send_chunk(p, "PUT", put, buf, (size_t)d->size, 0, d, NULL, err);
	}
	while (off < d->size) {
		size_t n = d->size - off < REG_CHUNK ? (size_t)(d->size - off) : REG_CHUNK;
		char *next = NULL;
		if (fs_read_all(fd, buf, n) != (ssize_t)n)
			return berth_err_sys(err, errno, "read blob '%s'", d->digest);
		if (send_chunk(p, "PATCH", url, buf, n, off, d, &next, err) < 0)
			return -1;
		free(url);
		url = next;
		off += (int64_t)n;
		progress(p, d, off, REG_BLOB_UPLOADING);
	}
	put = with_query(url, q);
	return send_chunk(p, "PUT", put, NULL, 0, 0, d, NULL, err);
}

static int push_blob(struct push *p, const struct reg_desc *d, struct berth_err **err)
{
	cleanup_free char *from = NULL, *loc = NULL;
	bool exists;
	int r;

	if (blob_exists(p, d, &exists, err) < 0)
		return -1;
	if (exists) {
		progress(p, d, d->size, REG_BLOB_EXISTS);
		return 0;
	}
	if (p->hooks && p->hooks->mount_source)
		from = p->hooks->mount_source(p->hooks->arg, d->digest, p->ref->domain);
	if (from && !strcmp(from, p->ref->path)) {
		free(from);
		from = NULL;
	}
	r = upload_start(p, d, from, &loc, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		progress(p, d, d->size, REG_BLOB_MOUNTED);
		return 0;
	}
	progress(p, d, 0, REG_BLOB_UPLOADING);
	if (upload(p, d, take_ptr(loc), err) < 0)
		return -1;
	progress(p, d, d->size, REG_BLOB_DONE);
	return 0;
}

static int put_manifest(struct push *p, const struct reg_doc *m, const char *reference,
			struct berth_err **err)
{
	cleanup_free char *url =
		xasprintf("%s/v2/%s/manifests/%s", p->base, p->ref->path, reference);
	cleanup_free char *ct = xasprintf("Content-Type: %s", m->self.media_type);
	char *extra[] = {ct, NULL};
	cleanup(reg_resp_clear) struct reg_resp resp = {.max = 1 << 16};

	if (reg_request(p->c, p->ref->domain, p->scope, "PUT", url, extra, m->body,
			(size_t)m->self.size, &resp, err) < 0)
		return berth_err_wrap(err, "manifest '%s'", reference);
	if (resp.status != 201 && resp.status != 200)
		return reg_http_error(&resp, err, "manifest '%s': PUT", reference);
	progress(p, &m->self, m->self.size, REG_BLOB_DONE);
	return 0;
}

static int load_doc(struct push *p, const struct reg_desc *d, struct reg_doc **out,
		    struct berth_err **err)
{
	cleanup_free char *path = content_blob_path(p->cs, d->digest, err);
	cleanup_free char *buf = NULL;
	size_t len;

	if (!path ||
	    fs_read_file_max(AT_FDCWD, path, (size_t)p->c->max_manifest, &buf, &len, err) < 0)
		return -1;
	if (reg_doc_parse(buf, len, d->media_type, d->digest, out, err) < 0)
		return -1;
	(*out)->self.digest = xstrdup(d->digest);
	(*out)->body = take_ptr(buf);
	return 0;
}

static int push_manifest(struct push *p, const struct reg_doc *m, const char *reference,
			 struct berth_err **err)
{
	if (push_blob(p, &m->config, err) < 0)
		return -1;
	for (size_t i = 0; i < m->n; i++)
		if (push_blob(p, &m->children[i].d, err) < 0)
			return -1;
	return put_manifest(p, m, reference, err);
}

int reg_push(struct reg_client *c, struct content_store *cs, const struct reg_desc *target,
	     const struct reg_ref *ref, const struct reg_hooks *hooks, struct berth_err **err)
{
	cleanup_free char *scope = xasprintf("repository:%s:pull,push", ref->path);
	cleanup_free char *base = reg_base_url(c, ref->domain);
	cleanup_free char *name = reg_ref_string(ref);
	cleanup(reg_doc_freep) struct reg_doc *root = NULL;
	struct push p = {
		.c = c, .cs = cs, .ref = ref, .hooks = hooks, .scope = scope, .base = base};
	const char *reference = ref->tag ? ref->tag : ref->digest;

	if (load_doc(&p, target, &root, err) < 0)
		return berth_err_wrap(err, "push '%s'", name);
	if (!root->index) {
		if (push_manifest(&p, root, reference, err) < 0)
			return berth_err_wrap(err, "push '%s'", name);
		return 0;
	}
	for (size_t i = 0; i < root->n; i++) {
		cleanup(reg_doc_freep) struct reg_doc *m = NULL;
		int64_t size;
		cleanup_err struct berth_err *e = NULL;
		if (content_blob_stat(cs, root->children[i].d.digest, &size, &e) < 0)
			continue; /* a platform that was not pulled */
		if (load_doc(&p, &root->children[i].d, &m, err) < 0 ||
		    push_manifest(&p, m, m->self.digest, err) < 0)
			return berth_err_wrap(err, "push '%s'", name);
	}
	if (put_manifest(&p, root, reference, err) < 0)
		return berth_err_wrap(err, "push '%s'", name);
	return 0;
}
