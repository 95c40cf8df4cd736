/*
 * supervisor/registry/pull.c - pull: resolve the reference to a manifest (choosing the
 * platform out of an index), then fetch the config and layers into the content store,
 * several at once with curl multi, each through a content ingest that is resumed with
 * a Range request when a partial one is there; blobs already in the store are skipped.
 * The caller hears of every blob, children before parents, through reg_hooks.blob.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/registry/manifest.h"
#include "supervisor/registry/registry_internal.h"

const char *reg_blob_state_name(enum reg_blob_state st)
{
	switch (st) {
	case REG_BLOB_WAITING:
		return "waiting";
	case REG_BLOB_DOWNLOADING:
		return "downloading";
	case REG_BLOB_DONE:
		return "done";
	case REG_BLOB_EXISTS:
		return "exists";
	case REG_BLOB_MOUNTED:
		return "mounted";
	case REG_BLOB_UPLOADING:
		return "uploading";
	}
	return "unknown";
}

struct pull {
	struct reg_client *c;
	struct content_store *cs;
	const char *ns;
	const struct reg_ref *ref; /* where from: the registry or a mirror */
	const char *source;	   /* the registry the labels name */
	const struct reg_hooks *hooks;
	char *scope;
};

static void progress(struct pull *p, const struct reg_desc *d, int64_t done, enum reg_blob_state st)
{
	if (p->hooks && p->hooks->progress)
		p->hooks->progress(p->hooks->arg, d->digest, d->media_type, done, d->size, st);
}

static bool cancelled(struct pull *p)
{
	return p->hooks && p->hooks->cancelled && p->hooks->cancelled(p->hooks->arg);
}

/* labels: containerd's gc.ref labels (given) + the distribution source of every blob */
static int record(struct pull *p, const struct reg_desc *d, char **labels, struct berth_err **err)
{
	cleanup_free char *src = xasprintf("containerd.io/distribution.source.%s", p->source);

	strv_push(&labels, src);
	strv_push(&labels, p->ref->path);
	int ret = 0;
	if (p->hooks && p->hooks->blob)
		ret = p->hooks->blob(p->hooks->arg, d->digest, d->size, d->media_type, labels, err);
	strv_free(labels);
	return ret < 0 ? -1 : 0;
}

static const char *kind(const char *mt)
{
	if (reg_mt_is_index(mt))
		return "index";
	if (reg_mt_is_manifest(mt))
		return "manifest";
	if (strstr(mt, "config"))
		return "config";
	return "layer";
}

/* ---- blobs, several at once ---- */

struct job {
	const struct reg_desc *d;
	struct content_ingest *ing;
	CURL *h;
	struct curl_slist *hdrs;
	struct reg_resp resp;
	char *url;
	int64_t offset; /* where this attempt started */
	int64_t shown;
	bool retried, done;
	bool parked;	       /* another writer holds the ingest: wait for it */
	int64_t park_offset;   /* its offset when last seen moving */
	struct timespec moved; /* when that was */
};

static void job_reset(struct job *j)
{
	if (j->h)
		curl_easy_cleanup(j->h);
	curl_slist_free_all(j->hdrs);
	j->h = NULL;
	j->hdrs = NULL;
	reg_resp_clear(&j->resp);
}

/* Checks the bytes, then commits through the caller's hook (or the store itself). */
static int commit_ingest(struct pull *p, struct content_ingest *ing, const struct reg_desc *d,
			 struct berth_err **err)
{
	cleanup_free char *actual = content_ingest_digest(ing);
	cleanup_err struct berth_err *e = NULL;
	int r;

	if (strcmp(actual, d->digest) != 0) {
		cleanup_free char *ref = xasprintf("%s-%s", kind(d->media_type), d->digest);
		content_ingest_close(ing);
		/* the bytes are wrong: keep nothing to resume from */
		content_ingest_abort(p->cs, p->ns, ref, &e);
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"blob '%s': digest mismatch: the registry sent content of digest '%s'",
			d->digest, actual);
	}
	if (p->hooks && p->hooks->commit)
		r = p->hooks->commit(p->hooks->arg, ing, d->digest, d->size, &e);
	else
		r = content_ingest_commit(ing, d->size, d->digest, NULL, &e);
	content_ingest_close(ing);
	if (r < 0 && e->code != BERTH_E_EXISTS) {
		*err = take_ptr(e);
		return berth_err_wrap(err, "blob '%s': commit", d->digest);
	}
	return 0;
}

/* Opens (or resumes) the ingest of d, after telling the caller its ref. */
static struct content_ingest *open_ingest(struct pull *p, const struct reg_desc *d,
					  struct berth_err **err)
{
	cleanup_free char *ref = xasprintf("%s-%s", kind(d->media_type), d->digest);
	struct content_ingest *ing;

	if (p->hooks && p->hooks->ingest && p->hooks->ingest(p->hooks->arg, ref, err) < 0)
		return NULL;
	ing = content_ingest_open(p->cs, p->ns, ref, d->size, d->digest, err);
	if (!ing)
		berth_err_wrap(err, "blob '%s'", d->digest);
	return ing;
}

static int job_commit(struct pull *p, struct job *j, struct berth_err **err)
{
	int64_t got = content_ingest_offset(j->ing);
	struct content_ingest *ing;

	if (got < j->d->size)
		return berth_err_new(err, BERTH_E_UNAVAILABLE,
				     "blob '%s': truncated: got %lld of %lld bytes", j->d->digest,
				     (long long)got, (long long)j->d->size);
	ing = j->ing;
	j->ing = NULL; /* commit_ingest closes it */
	if (commit_ingest(p, ing, j->d, err) < 0)
		return -1;
	progress(p, j->d, j->d->size, REG_BLOB_DONE);
	return 0;
}

/*
 * Starts (or restarts) j: 0, or 1 when it was complete already and is now committed, or 2
 * when another writer holds its ingest (j->parked).
 */
static int job_start(struct pull *p, struct job *j, CURLM *multi, struct berth_err **err)
{
	cleanup_free char *range = NULL;
	char *extra[2] = {NULL, NULL};

	if (!j->ing) {
		cleanup_err struct berth_err *e = NULL;
		j->ing = open_ingest(p, j->d, &e);
		if (!j->ing && e->code == BERTH_E_UNAVAILABLE) {
			/* another pull is writing this blob: wait for it (run_jobs) */
			if (!j->parked)
				clock_gettime(CLOCK_MONOTONIC, &j->moved);
			j->parked = true;
			return 2;
		}
		if (!j->ing) {
			*err = take_ptr(e);
			return -1;
		}
		j->parked = false;
	}
	j->offset = content_ingest_offset(j->ing);
	if (j->offset == j->d->size && j->d->size > 0) {
		/* all there from an earlier attempt (interrupted before the commit) */
		cleanup_err struct berth_err *e = NULL;
		if (job_commit(p, j, &e) == 0)
			return 1;
		if (e->code != BERTH_E_PRECONDITION) {
			*err = take_ptr(e);
			return -1;
		}
		/* the bytes were wrong and are gone: fetch them again */
		j->ing = open_ingest(p, j->d, err);
		if (!j->ing)
			return -1;
		j->offset = content_ingest_offset(j->ing);
	}
	if (j->offset > j->d->size && content_ingest_truncate(j->ing, 0, err) < 0)
		return -1;
	if (j->offset > j->d->size)
		j->offset = 0;
	j->resp.ing = j->ing;
	j->resp.expect_size = j->d->size;
	j->resp.max = 64 * 1024;
	if (j->offset > 0 && j->offset < j->d->size) {
		range = xasprintf("Range: bytes=%lld-", (long long)j->offset);
		extra[0] = range;
		j->resp.truncate_first = true;
	}
	j->h = reg_easy_new(p->c, p->ref->domain, j->url, p->scope, extra, &j->hdrs, &j->resp);
	/* object-store backed registries redirect blob GETs to another host */
	curl_easy_setopt(j->h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(j->h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
	curl_multi_add_handle(multi, j->h);
	progress(p, j->d, j->offset, REG_BLOB_DOWNLOADING);
	return 0;
}

/* A finished transfer: 1 = retry it, 0 = done, -1 = error. */
static int job_finish(struct pull *p, struct job *j, CURLcode rc, struct berth_err **err)
{
	cleanup_free char *what = xasprintf("blob '%s'", j->d->digest);

	if (rc != CURLE_OK)
		return reg_curl_error(p->c, rc, &j->resp, err, what);
	if (j->resp.status == 401 && !j->retried && j->resp.www_auth) {
		cleanup_free char *ch = take_ptr(j->resp.www_auth);
		j->retried = true;
		if (reg_authorize(p->c, p->ref->domain, p->scope, ch, err) < 0)
			return -1;
		return 1;
	}
	if (j->resp.status == 416 && !j->retried) {
		/* the registry refuses our Range: start over */
		j->retried = true;
		if (content_ingest_truncate(j->ing, 0, err) < 0)
			return -1;
		return 1;
	}
	if (j->resp.status != 200 && j->resp.status != 206) {
		j->resp.ing = NULL; /* the body in memory is the error text */
		return reg_http_error(&j->resp, err, "%s", what);
	}
	return job_commit(p, j, err);
}

static void show_progress(struct pull *p, struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		if (!j->h || j->done)
			continue;
		int64_t now = content_ingest_offset(j->ing);
		if (now - j->shown >= 256 * 1024) {
			j->shown = now;
			progress(p, j->d, now, REG_BLOB_DOWNLOADING);
		}
	}
}

/*
 * A parked job: 1 once the other writer committed the blob (or we took its ingest over and
 * started, then active), 0 while it still writes, -1 if it stalled for timeout_s.
 */
static int job_unpark(struct pull *p, struct job *j, CURLM *multi, size_t *active,
		      struct berth_err **err)
{
	cleanup_free char *ref = xasprintf("%s-%s", kind(j->d->media_type), j->d->digest);
	struct content_status st = {0};
	cleanup_err struct berth_err *e = NULL;
	struct timespec now;
	int64_t size;
	int r;

	if (content_blob_stat(p->cs, j->d->digest, &size, &e) == 0) {
		j->parked = false;
		progress(p, j->d, size, REG_BLOB_EXISTS);
		return 1;
	}
	r = job_start(p, j, multi, err);
	if (r != 2) {
		if (r == 0)
			(*active)++;
		return r < 0 ? -1 : r == 1 ? 1 : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (content_ingest_status(p->cs, p->ns, ref, &st, &e) == 0 && st.offset != j->park_offset) {
		j->park_offset = st.offset;
		j->moved = now;
	}
	content_status_clear(&st);
	if (now.tv_sec - j->moved.tv_sec > p->c->timeout_s)
		return berth_err_new(
			err, BERTH_E_TIMEOUT,
			"blob '%s': another pull holds its ingest and made no progress for %ld s",
			j->d->digest, p->c->timeout_s);
	return 0;
}

static int run_jobs(struct pull *p, CURLM *multi, struct job *jobs, size_t n,
		    struct berth_err **err)
{
	size_t next = 0, active = 0, finished = 0;
	int running = 0, left;

	while (finished < n) {
		while (active < p->c->parallel && next < n) {
			int r = job_start(p, &jobs[next], multi, err);
			if (r < 0)
				return -1;
			jobs[next++].done = r == 1;
			if (r == 1)
				finished++;
			else if (r == 0)
				active++;
		}
		for (size_t i = 0; i < next; i++) {
			int r;
			if (!jobs[i].parked || jobs[i].done)
				continue;
			r = job_unpark(p, &jobs[i], multi, &active, err);
			if (r < 0)
				return -1;
			if (r == 1) {
				jobs[i].done = true;
				finished++;
			}
		}
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			return berth_err_new(err, BERTH_E_INTERNAL, "curl multi failed");
		for (CURLMsg *m; (m = curl_multi_info_read(multi, &left));) {
			struct job *j;
			int r;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			CURLcode rc = m->data.result;
			curl_multi_remove_handle(multi, j->h);
			r = job_finish(p, j, rc, err);
			job_reset(j);
			if (r < 0)
				return -1;
			if (r == 1) {
				r = job_start(p, j, multi, err);
				if (r < 0)
					return -1;
				if (r == 0)
					continue;
				if (r == 2) { /* parked: waits for the other writer */
					active--;
					continue;
				}
			}
			j->done = true;
			active--;
			finished++;
		}
		if (finished == n)
			break;
		if (cancelled(p))
			return berth_err_new(err, BERTH_E_CANCELLED, "pull cancelled");
		show_progress(p, jobs, n);
		curl_multi_poll(multi, NULL, 0, 200, NULL);
	}
	return 0;
}

/* Fetches every blob of descs not yet in the store, then records them all. */
static int fetch_blobs(struct pull *p, struct reg_desc *const *descs, size_t n,
		       struct berth_err **err)
{
	cleanup_free struct job *jobs = xzalloc((n + 1) * sizeof(*jobs));
	cleanup_free char *base = reg_base_url(p->c, p->ref->domain);
	size_t nj = 0;
	int ret;
	CURLM *multi;

	for (size_t i = 0; i < n; i++) {
		int64_t size;
		cleanup_err struct berth_err *e = NULL;
		bool dup = false;
		for (size_t k = 0; k < nj; k++)
			dup = dup || !strcmp(jobs[k].d->digest, descs[i]->digest);
		if (dup)
			continue;
		if (content_blob_stat(p->cs, descs[i]->digest, &size, &e) == 0) {
			progress(p, descs[i], size, REG_BLOB_EXISTS);
			/* recorded at once: an unreferenced blob could be collected meanwhile */
			if (record(p, descs[i], NULL, err) < 0)
				return -1;
			continue;
		}
		jobs[nj].d = descs[i];
		jobs[nj].url = xasprintf("%s/v2/%s/blobs/%s", base, p->ref->path, descs[i]->digest);
		progress(p, descs[i], 0, REG_BLOB_WAITING);
		nj++;
	}
	multi = curl_multi_init();
	ret = run_jobs(p, multi, jobs, nj, err);
	for (size_t k = 0; k < nj; k++) {
		if (jobs[k].h)
			curl_multi_remove_handle(multi, jobs[k].h);
		job_reset(&jobs[k]);
		content_ingest_close(jobs[k].ing); /* a partial one stays for a resume */
		free(jobs[k].url);
	}
	curl_multi_cleanup(multi);
	if (ret < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (record(p, descs[i], NULL, err) < 0)
			return -1;
	return 0;
}

/* Stores a manifest or index body (verified by reg_manifest_get) through an ingest. */
static int store_doc(struct pull *p, const struct reg_doc *m, struct berth_err **err)
{
	struct content_ingest *ing;
	int64_t size;
	cleanup_err struct berth_err *e = NULL;

	if (content_blob_stat(p->cs, m->self.digest, &size, &e) == 0) {
		/* on disk (maybe for another namespace): the record comes with the blob hook */
		progress(p, &m->self, m->self.size, REG_BLOB_EXISTS);
		return 0;
	}
	ing = open_ingest(p, &m->self, err);
	if (!ing)
		return -1;
	if (content_ingest_truncate(ing, 0, err) < 0 ||
	    content_ingest_write(ing, m->body, (size_t)m->self.size, err) < 0) {
		content_ingest_close(ing);
		return berth_err_wrap(err, "store '%s'", m->self.digest);
	}
	if (commit_ingest(p, ing, &m->self, err) < 0)
		return -1;
	progress(p, &m->self, m->self.size, REG_BLOB_DONE);
	return 0;
}

static int pull_manifest(struct pull *p, const struct reg_doc *m, struct berth_err **err)
{
	cleanup_free struct reg_desc **descs = xzalloc((m->n + 2) * sizeof(*descs));
	char **labels = NULL;
	size_t n = 0;

	descs[n++] = (struct reg_desc *)&m->config;
	for (size_t i = 0; i < m->n; i++)
		descs[n++] = (struct reg_desc *)&m->children[i].d;
	if (fetch_blobs(p, descs, n, err) < 0)
		return -1;
	strv_push(&labels, "containerd.io/gc.ref.content.config");
	strv_push(&labels, m->config.digest);
	for (size_t i = 0; i < m->n; i++) {
		strv_push_take(&labels, xasprintf("containerd.io/gc.ref.content.l.%zu", i));
		strv_push(&labels, m->children[i].d.digest);
	}
	if (store_doc(p, m, err) < 0) {
		strv_free(labels);
		return -1;
	}
	return record(p, &m->self, labels, err);
}

static int pull_child(struct pull *p, const struct reg_desc *d, struct berth_err **err)
{
	cleanup(reg_doc_freep) struct reg_doc *m = NULL;

	if (!reg_mt_is_manifest(d->media_type))
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "manifest '%s': unsupported media type '%s' in the index",
				     d->digest, d->media_type);
	if (reg_manifest_get(p->c, p->ref, d->digest, &m, err) < 0)
		return -1;
	if (m->index)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "manifest '%s': nested index not supported", d->digest);
	return pull_manifest(p, m, err);
}

static int pull_index(struct pull *p, const struct reg_doc *idx,
		      const struct reg_platform *platform, bool all, struct berth_err **err)
{
	char **labels = NULL;
	bool found = false;

	for (size_t i = 0; i < idx->n; i++) {
		const struct reg_child *ch = &idx->children[i];
		if (!all && (found || !reg_platform_match(platform, ch->os, ch->arch, ch->variant)))
			continue;
		found = true;
		if (pull_child(p, &ch->d, err) < 0) {
			strv_free(labels);
			return -1;
		}
		strv_push_take(&labels, xasprintf("containerd.io/gc.ref.content.m.%zu", i));
		strv_push(&labels, ch->d.digest);
	}
	if (!found)
		return berth_err_new(
			err, BERTH_E_NOT_FOUND,
			"image '%s/%s': no manifest for platform %s/%s%s%s in its index (%zu entries)",
			p->ref->domain, p->ref->path, platform->os, platform->arch,
			platform->variant ? "/" : "", platform->variant ? platform->variant : "",
			idx->n);
	if (store_doc(p, idx, err) < 0) {
		strv_free(labels);
		return -1;
	}
	return record(p, &idx->self, labels, err);
}

static int pull_from(struct reg_client *c, struct content_store *cs, const char *ns,
		     const struct reg_ref *ref, const char *source,
		     const struct reg_platform *platform, bool all_platforms,
		     const struct reg_hooks *hooks, struct reg_desc *target, struct berth_err **err)
{
	cleanup(reg_doc_freep) struct reg_doc *root = NULL;
	cleanup_free char *scope = xasprintf("repository:%s:pull", ref->path);
	struct pull p = {.c = c,
			 .cs = cs,
			 .ns = ns,
			 .ref = ref,
			 .source = source,
			 .hooks = hooks,
			 .scope = scope};
	int ret;

	if (reg_manifest_get(c, ref, ref->digest ? ref->digest : ref->tag, &root, err) < 0)
		return -1;
	if (root->index)
		ret = pull_index(&p, root, platform, all_platforms, err);
	else
		ret = pull_manifest(&p, root, err);
	if (ret < 0)
		return -1;
	target->media_type = xstrdup(root->self.media_type);
	target->digest = xstrdup(root->self.digest);
	target->size = root->self.size;
	return 0;
}

int reg_pull(struct reg_client *c, struct content_store *cs, const char *ns,
	     const struct reg_ref *ref, const struct reg_platform *platform, bool all_platforms,
	     const struct reg_hooks *hooks, struct reg_desc *target, struct berth_err **err)
{
	cleanup_free char *name = reg_ref_string(ref);
	cleanup(strv_freep) char **tried = NULL;

	strv_foreach (url, c->mirrors) {
		bool plain = !strncmp(url, "http://", 7);
		const char *host = url + (plain ? 7 : 8);
		cleanup_free char *h = xstrndup(host, strcspn(host, "/"));
		struct reg_ref mref = *ref;
		cleanup_err struct berth_err *e = NULL;

		if (plain && !reg_host_is_insecure(c, h))
			strv_push(&c->insecure, h);
		mref.domain = h;
		if (pull_from(c, cs, ns, &mref, ref->domain, platform, all_platforms, hooks, target,
			      &e) == 0)
			return 0;
		strv_push_take(&tried, xasprintf("mirror '%s': %s", url, e->msg));
	}
	if (pull_from(c, cs, ns, ref, ref->domain, platform, all_platforms, hooks, target, err) <
	    0) {
		if (tried) {
			cleanup_free char *t = strv_join(tried, "; ");
			berth_err_wrap(err, "(%s); registry", t);
		}
		return berth_err_wrap(err, "pull '%s'", name);
	}
	return 0;
}
