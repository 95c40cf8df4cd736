/*
 * supervisor/registry/manifest.c - fetching and reading manifests and indexes:
 * the Accept list, the size cap, digest checks, schema 1 refusal, and the descriptors
 * an index or manifest points at.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/registry/manifest.h"
#include "supervisor/registry/registry_internal.h"

void reg_desc_clear(struct reg_desc *d)
{
	free(d->media_type);
	free(d->digest);
	memset(d, 0, sizeof(*d));
}

void reg_doc_free(struct reg_doc *m)
{
	if (!m)
		return;
	reg_desc_clear(&m->self);
	free(m->body);
	reg_desc_clear(&m->config);
	for (size_t i = 0; i < m->n; i++) {
		reg_desc_clear(&m->children[i].d);
		free(m->children[i].os);
		free(m->children[i].arch);
		free(m->children[i].variant);
	}
	free(m->children);
	free(m);
}

void reg_doc_freep(struct reg_doc **m)
{
	reg_doc_free(*m);
	*m = NULL;
}

bool reg_mt_is_index(const char *mt)
{
	return !strcmp(mt, REG_MT_OCI_INDEX) || !strcmp(mt, REG_MT_DOCKER_LIST);
}

bool reg_mt_is_manifest(const char *mt)
{
	return !strcmp(mt, REG_MT_OCI_MANIFEST) || !strcmp(mt, REG_MT_DOCKER_MANIFEST);
}

static int read_desc(const struct bjson *o, const char *where, struct reg_desc *d,
		     struct berth_err **err)
{
	const char *mt = bjson_get_str(o, "mediaType"), *dg = bjson_get_str(o, "digest");
	int64_t size;
	cleanup_err struct berth_err *bad = NULL;

	if (!o || !bjson_is_object(o))
		return berth_err_new(err, BERTH_E_INVALID, "%s: not an object", where);
	if (!dg || content_digest_check(dg, &bad) < 0)
		return berth_err_new(err, BERTH_E_INVALID, "%s.digest: missing or invalid", where);
	if (!bjson_get_int(o, "size", &size) || size < 0)
		return berth_err_new(err, BERTH_E_INVALID, "%s.size: missing or negative", where);
	d->media_type = xstrdup(mt ? mt : "");
	d->digest = xstrdup(dg);
	d->size = size;
	return 0;
}

int reg_doc_parse(const char *body, size_t len, const char *media_type, const char *name,
		  struct reg_doc **out, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;
	cleanup(reg_doc_freep) struct reg_doc *m = xzalloc(sizeof(*m));
	const char *mt = media_type && *media_type ? media_type : NULL;
	const struct bjson *arr;
	int64_t schema = 0;

	if (bjson_parse(body, len, name, &doc, err) < 0)
		return -1;
	if (!bjson_is_object(doc))
		return berth_err_new(err, BERTH_E_INVALID, "%s: not a JSON object", name);
	bjson_get_int(doc, "schemaVersion", &schema);
	if (schema == 1 ||
	    (mt && (!strcmp(mt, REG_MT_DOCKER_V1) || !strcmp(mt, REG_MT_DOCKER_V1_SIGNED))))
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			"%s: Docker image manifest schema 1 is not supported (deprecated since 2017); push the image again with a current client",
			name);
	if (!mt || !strcmp(mt, "application/json") || !strncmp(mt, "text/plain", 10))
		mt = bjson_get_str(doc, "mediaType");
	if (!mt) /* OCI allows an index or manifest without mediaType: tell by shape */
		mt = bjson_get(doc, "manifests") ? REG_MT_OCI_INDEX : REG_MT_OCI_MANIFEST;
	if (!reg_mt_is_index(mt) && !reg_mt_is_manifest(mt))
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED, "%s: unsupported media type '%s'",
				     name, mt);
	m->self.media_type = xstrdup(mt);
	m->self.size = (int64_t)len;
	m->index = reg_mt_is_index(mt);
	arr = bjson_get(doc, m->index ? "manifests" : "layers");
	if (!arr || !bjson_is_array(arr))
		return berth_err_new(err, BERTH_E_INVALID, "%s: %s: missing or not an array", name,
				     m->index ? "manifests" : "layers");
	if (!m->index) {
		cleanup_free char *w = xasprintf("%s: config", name);
		if (read_desc(bjson_get(doc, "config"), w, &m->config, err) < 0)
			return -1;
	}
	m->n = bjson_array_len(arr);
	m->children = xzalloc((m->n + 1) * sizeof(*m->children));
	for (size_t i = 0; i < m->n; i++) {
		const struct bjson *e = bjson_array_get(arr, i), *p;
		cleanup_free char *w =
			xasprintf("%s: %s[%zu]", name, m->index ? "manifests" : "layers", i);
		if (read_desc(e, w, &m->children[i].d, err) < 0)
			return -1;
		p = bjson_get(e, "platform");
		if (p) {
			const char *os = bjson_get_str(p, "os"),
				   *a = bjson_get_str(p, "architecture");
			const char *v = bjson_get_str(p, "variant");
			m->children[i].os = os ? xstrdup(os) : NULL;
			m->children[i].arch = a ? xstrdup(a) : NULL;
			m->children[i].variant = v ? xstrdup(v) : NULL;
		}
	}
	*out = take_ptr(m);
	return 0;
}

static const char *const accept_hdr = "Accept: " REG_MT_OCI_INDEX ", " REG_MT_OCI_MANIFEST
				      ", " REG_MT_DOCKER_LIST ", " REG_MT_DOCKER_MANIFEST;

int reg_manifest_get(struct reg_client *c, const struct reg_ref *ref, const char *reference,
		     struct reg_doc **out, struct berth_err **err)
{
	cleanup_free char *base = reg_base_url(c, ref->domain);
	cleanup_free char *url = xasprintf("%s/v2/%s/manifests/%s", base, ref->path, reference);
	cleanup_free char *scope = xasprintf("repository:%s:pull", ref->path);
	cleanup_free char *name =
		xasprintf("manifest '%s/%s' at '%s'", ref->domain, ref->path, reference);
	cleanup_free char *digest = NULL;
	cleanup(reg_resp_clear) struct reg_resp resp = {.max = c->max_manifest};
	char *extra[] = {(char *)accept_hdr, NULL};
	struct reg_doc *m;

	if (reg_request(c, ref->domain, scope, "GET", url, extra, NULL, 0, &resp, err) < 0)
		return berth_err_wrap(err, "%s", name);
	if (resp.status != 200)
		return reg_http_error(&resp, err, "%s", name);
	digest = content_digest_buf(resp.body ? resp.body : "", resp.len);
	if (strchr(reference, ':') && strcmp(reference, digest) != 0)
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"%s: digest mismatch: the registry sent content of digest '%s'", name,
			digest);
	if (resp.digest && !strncmp(resp.digest, "sha256:", 7) && strcmp(resp.digest, digest) != 0)
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"%s: digest mismatch: Docker-Content-Digest says '%s', content is '%s'",
			name, resp.digest, digest);
	if (reg_doc_parse(resp.body ? resp.body : "", resp.len, resp.content_type, name, &m, err) <
	    0)
		return -1;
	m->self.digest = take_ptr(digest);
	m->body = take_ptr(resp.body);
	*out = m;
	return 0;
}
