/*
 * supervisor/core/gc.c - mark and sweep of content, ingests, leases, snapshots.
 * See gc.h for the rules.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/gc.h"
#include "supervisor/snapshot/snapshot.h"

#define GC_REF_CONTENT "containerd.io/gc.ref.content"
#define GC_REF_SNAPSHOT "containerd.io/gc.ref.snapshot."
#define INGEST_IDLE_NS (3600LL * 1000000000LL)

struct gc_snapshotter {
	const char *name;      /* the <snapshotter> of gc.ref.snapshot.<name> labels */
	struct snapshotter *s; /* borrowed */
};

struct core_gc {
	struct berthd_components *ctx;
	pthread_rwlock_t hold; /* writers of not-yet-referenced objects: read; GC: write */
	pthread_mutex_t lock;  /* thread state and snapshotters */
	pthread_cond_t cond;
	pthread_t thread;
	bool running, stop, requested;
	unsigned interval_s;
	struct gc_snapshotter *snaps;
	size_t n_snaps;
};

/* ---------------------------------------------------------------- string sets */

struct set {
	char **v; /* sorted after set_seal */
	size_t n, cap;
};

static void set_add(struct set *s, const char *k)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof(char *));
	}
	s->v[s->n++] = xstrdup(k);
}

static bool set_has(const struct set *s, const char *k)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], k) == 0)
			return true;
	return false;
}

/* Adds k if absent; true if it was added. */
static bool set_put(struct set *s, const char *k)
{
	if (set_has(s, k))
		return false;
	set_add(s, k);
	return true;
}

static void set_clear(struct set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------- marking */

struct ns_marks {
	const char *ns;
	struct set content; /* digests */
	struct set snaps;   /* "<snapshotter>/<key>" */
};

static struct meta_content *find_content(struct meta_content **v, size_t n, const char *d)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->digest, d) == 0)
			return v[i];
	return NULL;
}

/* Follows gc.ref labels from every marked digest until nothing new is marked. */
static void mark_content(struct ns_marks *m, struct meta_content **v, size_t n)
{
	for (size_t i = 0; i < m->content.n; i++) { /* content.n grows while we walk */
		const struct meta_content *c = find_content(v, n, m->content.v[i]);

		if (!c)
			continue;
		for (size_t j = 0; c->labels && c->labels[j] && c->labels[j + 1]; j += 2) {
			const char *k = c->labels[j], *val = c->labels[j + 1];

			if (strncmp(k, GC_REF_CONTENT, strlen(GC_REF_CONTENT)) == 0) {
				set_put(&m->content, val);
			} else if (strncmp(k, GC_REF_SNAPSHOT, strlen(GC_REF_SNAPSHOT)) == 0) {
				cleanup_free char *key =
					xasprintf("%s/%s", k + strlen(GC_REF_SNAPSHOT), val);

				set_put(&m->snaps, key);
			}
		}
	}
}

/* ---------------------------------------------------------------- snapshots */

struct snap_row {
	char *key, *parent;
	bool root;
};

struct snap_walk {
	struct snap_row *v;
	size_t n;
};

static void snap_visit(const char *key, const char *parent, char *const *labels,
		       struct snap_walk *w)
{
	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n].key = xstrdup(key);
	w->v[w->n].parent = xstrdup(parent ? parent : "");
	w->v[w->n].root = false;
	for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2)
		if (strcmp(labels[i], "containerd.io/gc.root") == 0)
			w->v[w->n].root = true;
	w->n++;
}

/* Every snapshot (committed and active) of namespace ns into w. */
static int snap_walk_fill(struct snapshotter *s, const char *ns, struct snap_walk *w,
			  struct berth_err **err)
{
	struct snap_info *v = NULL;
	size_t n = 0;

	if (snap_list(s, ns, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		snap_visit(v[i].name, v[i].parent, v[i].labels, w);
	snap_infos_free(v, n);
	return 0;
}

static void snap_walk_clear(struct snap_walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].key);
		free(w->v[i].parent);
	}
	free(w->v);
}

static int sweep_snapshots(struct core_gc *gc, struct gc_snapshotter *sn, struct ns_marks *m,
			   struct core_gc_stats *st)
{
	struct snap_walk w = {0};
	cleanup_err struct berth_err *err = NULL;
	struct set keep = {0};
	size_t plen = strlen(sn->name);
	bool changed = true;

	if (snap_walk_fill(sn->s, m->ns, &w, &err) < 0) {
		log_warn("gc: snapshotter '%s': namespace '%s': %s", sn->name, m->ns, err->msg);
		snap_walk_clear(&w);
		return -1;
	}
	for (size_t i = 0; i < m->snaps.n; i++)
		if (strncmp(m->snaps.v[i], sn->name, plen) == 0 && m->snaps.v[i][plen] == '/')
			set_put(&keep, m->snaps.v[i] + plen + 1);
	for (size_t i = 0; i < w.n; i++)
		if (w.v[i].root)
			set_put(&keep, w.v[i].key);
	for (size_t i = 0; i < keep.n; i++) /* parents of kept snapshots are kept */
		for (size_t j = 0; j < w.n; j++)
			if (strcmp(w.v[j].key, keep.v[i]) == 0 && w.v[j].parent[0])
				set_put(&keep, w.v[j].parent);
	/* remove leaves first: a snapshot goes once no remaining one names it as parent */
	while (changed) {
		changed = false;
		for (size_t i = 0; i < w.n; i++) {
			bool is_parent = false;

			if (!w.v[i].key[0] || set_has(&keep, w.v[i].key))
				continue;
			for (size_t j = 0; j < w.n && !is_parent; j++)
				is_parent = w.v[j].key[0] && strcmp(w.v[j].parent, w.v[i].key) == 0;
			if (is_parent)
				continue;
			if (snap_remove(sn->s, m->ns, w.v[i].key, &err) < 0) {
				log_warn("gc: remove snapshot '%s' (%s): %s", w.v[i].key, sn->name,
					 err->msg);
				berth_err_free(&err);
			} else {
				st->snapshots++;
			}
			w.v[i].key[0] = '\0'; /* gone (or unremovable): not a parent any more */
			changed = true;
		}
	}
	set_clear(&keep);
	snap_walk_clear(&w);
	return 0;
}

/* ---------------------------------------------------------------- sweep */

static int collect_ns(struct core_gc *gc, const char *ns, const struct meta_gc_roots *roots,
		      struct set *leased_ingests, struct core_gc_stats *st, struct berth_err **err)
{
	struct berthd_components *ctx = gc->ctx;
	struct ns_marks m = {.ns = ns};
	struct meta_content **v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < roots->n; i++) {
		const struct meta_gc_ref *r = &roots->refs[i];

		if (strcmp(r->ns, ns) != 0)
			continue;
		if (strcmp(r->type, "content") == 0) {
			set_put(&m.content, r->id);
		} else if (strcmp(r->type, "ingests") == 0) {
			cleanup_free char *k = xasprintf("%s/%s", ns, r->id);

			set_put(leased_ingests, k);
		} else if (strncmp(r->type, "snapshots/", 10) == 0) {
			cleanup_free char *k = xasprintf("%s/%s", r->type + 10, r->id);

			set_put(&m.snaps, k);
		}
	}
	if (meta_content_list(ctx->db, ns, &v, &n, err) < 0) {
		set_clear(&m.content);
		set_clear(&m.snaps);
		return -1;
	}
	mark_content(&m, v, n);
	for (size_t i = 0; i < n; i++) {
		cleanup_err struct berth_err *e = NULL;

		if (set_has(&m.content, v[i]->digest))
			continue;
		if (meta_content_delete(ctx->db, ns, v[i]->digest, &e) < 0)
			log_warn("gc: %s", e->msg);
		else
			st->content++;
	}
	meta_content_list_free(v, n);
	pthread_mutex_lock(&gc->lock);
	for (size_t i = 0; i < gc->n_snaps; i++)
		sweep_snapshots(gc, &gc->snaps[i], &m, st);
	pthread_mutex_unlock(&gc->lock);
	set_clear(&m.content);
	set_clear(&m.snaps);
	return 0;
}

struct blob_sweep {
	struct core_gc *gc;
	char **keep; /* digests some namespace records */
	struct core_gc_stats *st;
};

static int blob_visit(const char *digest, int64_t size, void *arg)
{
	struct blob_sweep *b = arg;
	cleanup_err struct berth_err *err = NULL;

	if (strv_contains(b->keep, digest))
		return 0;
	if (content_blob_delete(b->gc->ctx->content, digest, &err) < 0) {
		log_warn("gc: %s", err->msg);
		return 0;
	}
	b->st->blobs++;
	b->st->bytes += size;
	return 0;
}

static void sweep_ingests(struct core_gc *gc, const struct set *leased, struct core_gc_stats *st)
{
	struct content_status *v = NULL;
	cleanup(strv_freep) char **nss = NULL;
	cleanup_err struct berth_err *err = NULL;
	int64_t now = meta_now();
	size_t n = 0;

	if (content_ingest_list(gc->ctx->content, NULL, &v, &n, &nss, &err) < 0) {
		log_warn("gc: %s", err->msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *k = xasprintf("%s/%s", nss[i], v[i].ref);
		cleanup_err struct berth_err *e = NULL;

		if (set_has(leased, k) || now - v[i].updated < INGEST_IDLE_NS)
			continue;
		/* a writer holding it makes abort fail with UNAVAILABLE: it is kept */
		if (content_ingest_abort(gc->ctx->content, nss[i], v[i].ref, &e) == 0)
			st->ingests++;
	}
	content_status_list_free(v, n);
}

static int gc_collect(struct core_gc *gc, struct core_gc_stats *st, struct berth_err **err)
{
	struct berthd_components *ctx = gc->ctx;
	struct meta_gc_roots roots;
	struct set leased_ingests = {0};
	cleanup(strv_freep) char **nss = NULL;
	cleanup(strv_freep) char **keep = NULL;
	struct blob_sweep bs = {gc, NULL, st};

	if (meta_gc_roots(ctx->db, meta_now(), &roots, err) < 0)
		return -1;
	for (size_t i = 0; roots.expired_leases && roots.expired_leases[i]; i += 2) {
		cleanup_err struct berth_err *e = NULL;

		if (meta_lease_delete(ctx->db, roots.expired_leases[i], roots.expired_leases[i + 1],
				      &e) == 0)
			st->leases++;
	}
	if (st->leases > 0) { /* the expired leases' resources are no longer roots */
		meta_gc_roots_free(&roots);
		if (meta_gc_roots(ctx->db, meta_now(), &roots, err) < 0)
			return -1;
	}
	if (meta_ns_list(ctx->db, &nss, err) < 0) {
		meta_gc_roots_free(&roots);
		return -1;
	}
	strv_foreach (ns, nss) {
		if (collect_ns(gc, ns, &roots, &leased_ingests, st, err) < 0) {
			meta_gc_roots_free(&roots);
			set_clear(&leased_ingests);
			return -1;
		}
	}
	meta_gc_roots_free(&roots);
	sweep_ingests(gc, &leased_ingests, st);
	set_clear(&leased_ingests);
	if (meta_content_all_digests(ctx->db, &keep, err) < 0)
		return -1;
	bs.keep = keep;
	return content_blob_walk(ctx->content, blob_visit, &bs, err);
}

int core_gc_run_stats(struct berthd_components *ctx, struct core_gc_stats *st,
		      struct berth_err **err)
{
	struct core_gc *gc = ctx->gc;
	int r;

	memset(st, 0, sizeof(*st));
	if (!gc)
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "garbage collector not running");
	pthread_rwlock_wrlock(&gc->hold);
	r = gc_collect(gc, st, err);
	pthread_rwlock_unlock(&gc->hold);
	if (r == 0 && (st->content || st->blobs || st->leases || st->ingests || st->snapshots))
		log_info("gc: removed %u leases, %u content records, %u blobs (%lld bytes), "
			 "%u ingests, %u snapshots",
			 st->leases, st->content, st->blobs, (long long)st->bytes, st->ingests,
			 st->snapshots);
	return r < 0 ? berth_err_wrap(err, "garbage collection") : 0;
}

int core_gc_run(struct berthd_components *ctx, struct berth_err **err)
{
	struct core_gc_stats st;

	return core_gc_run_stats(ctx, &st, err);
}

void core_gc_schedule(struct berthd_components *ctx)
{
	struct core_gc *gc = ctx->gc;

	if (!gc)
		return;
	pthread_mutex_lock(&gc->lock);
	gc->requested = true;
	pthread_cond_broadcast(&gc->cond);
	pthread_mutex_unlock(&gc->lock);
}

void core_gc_add_snapshotter(struct core_gc *gc, const char *name, struct snapshotter *s)
{
	pthread_mutex_lock(&gc->lock);
	gc->snaps = xreallocarray(gc->snaps, gc->n_snaps + 1, sizeof(*gc->snaps));
	gc->snaps[gc->n_snaps++] = (struct gc_snapshotter){name, s};
	pthread_mutex_unlock(&gc->lock);
}

int core_gc_ns_has_snapshots(struct berthd_components *ctx, const char *ns, bool *out,
			     const char **which, struct berth_err **err)
{
	struct core_gc *gc = ctx->gc;
	int r = 0;

	*out = false;
	if (!gc)
		return 0;
	pthread_mutex_lock(&gc->lock);
	for (size_t i = 0; i < gc->n_snaps && !*out && r == 0; i++) {
		struct snap_info *v = NULL;
		size_t n = 0;

		r = snap_list(gc->snaps[i].s, ns, &v, &n, err);
		snap_infos_free(v, n);
		if (r == 0 && n > 0) {
			*out = true;
			if (which)
				*which = gc->snaps[i].name;
		}
	}
	pthread_mutex_unlock(&gc->lock);
	return r;
}

void core_gc_hold(struct berthd_components *ctx)
{
	if (ctx->gc)
		pthread_rwlock_rdlock(&ctx->gc->hold);
}

void core_gc_release(struct berthd_components *ctx)
{
	if (ctx->gc)
		pthread_rwlock_unlock(&ctx->gc->hold);
}

static void *gc_main(void *arg)
{
	struct core_gc *gc = arg;

	pthread_mutex_lock(&gc->lock);
	while (!gc->stop) {
		struct core_gc_stats st;
		cleanup_err struct berth_err *err = NULL;

		if (!gc->requested) {
			if (gc->interval_s) {
				struct timespec ts;
				int r;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += gc->interval_s;
				r = pthread_cond_timedwait(&gc->cond, &gc->lock, &ts);
				if (r != ETIMEDOUT && !gc->requested)
					continue;
			} else {
				pthread_cond_wait(&gc->cond, &gc->lock);
				continue;
			}
		}
		if (gc->stop)
			break;
		gc->requested = false;
		pthread_mutex_unlock(&gc->lock);
		if (core_gc_run_stats(gc->ctx, &st, &err) < 0)
			log_warn("%s", err->msg);
		pthread_mutex_lock(&gc->lock);
	}
	pthread_mutex_unlock(&gc->lock);
	return NULL;
}

struct core_gc *core_gc_new(struct berthd_components *ctx, unsigned interval_s)
{
	struct core_gc *gc = xnew(struct core_gc);

	gc->ctx = ctx;
	gc->interval_s = interval_s;
	pthread_rwlock_init(&gc->hold, NULL);
	pthread_mutex_init(&gc->lock, NULL);
	pthread_cond_init(&gc->cond, NULL);
	if (pthread_create(&gc->thread, NULL, gc_main, gc) != 0)
		abort();
	gc->running = true;
	return gc;
}

void core_gc_free(struct core_gc *gc)
{
	if (!gc)
		return;
	pthread_mutex_lock(&gc->lock);
	gc->stop = true;
	pthread_cond_broadcast(&gc->cond);
	pthread_mutex_unlock(&gc->lock);
	if (gc->running)
		pthread_join(gc->thread, NULL);
	free(gc->snaps);
	pthread_rwlock_destroy(&gc->hold);
	pthread_mutex_destroy(&gc->lock);
	pthread_cond_destroy(&gc->cond);
	free(gc);
}
