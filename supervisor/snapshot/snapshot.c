/*
 * supervisor/snapshot/snapshot.c - the snapshotter front end: containerd's snapshot
 * semantics (names, kinds, parents, labels) over a driver (overlay.c, native.c) and
 * the metadata store (store.c). See snapshot.h.
 *
 * Order of effects, so that a crash leaves nothing half-visible:
 *   create: mkdir snapshots/new-<id>, driver fills it, rename to snapshots/<id>,
 *           then journal the record (a crash before leaves an unreferenced dir);
 *   remove: journal the removal, then rename the dir to rm-<id> and delete it (a crash
 *           leaves an unreferenced dir).
 * snap_cleanup() deletes unreferenced dirs, and snap_open() does the same (restart after a
 * crash); ids are never reused while a dir exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot_internal.h"

#define LABEL_MAX 4096

const char *snap_kind_name(enum snap_kind k)
{
	switch (k) {
	case SNAP_KIND_VIEW:
		return "view";
	case SNAP_KIND_ACTIVE:
		return "active";
	case SNAP_KIND_COMMITTED:
		return "committed";
	default:
		return "unknown";
	}
}

enum snap_kind snap_kind_parse(const char *s)
{
	if (strcasecmp(s, "view") == 0)
		return SNAP_KIND_VIEW;
	if (strcasecmp(s, "active") == 0)
		return SNAP_KIND_ACTIVE;
	if (strcasecmp(s, "committed") == 0)
		return SNAP_KIND_COMMITTED;
	return SNAP_KIND_UNKNOWN;
}

void snap_info_free(struct snap_info *i)
{
	if (!i)
		return;
	free(i->name);
	free(i->parent);
	strv_free(i->labels);
	memset(i, 0, sizeof(*i));
}

void snap_infos_free(struct snap_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snap_info_free(&v[i]);
	free(v);
}

void snap_mounts_free(struct snap_mounts *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].type);
		free(m->v[i].source);
		strv_free(m->v[i].options);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

void snap_mounts_add(struct snap_mounts *out, const char *type, const char *source, char **options)
{
	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	out->v[out->n++] = (struct snap_mount){xstrdup(type), xstrdup(source), options};
}

const char *snap_driver(const struct snapshotter *s)
{
	return s->ops->name;
}

const char *snap_root(const struct snapshotter *s)
{
	return s->root;
}

static struct timespec now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static char *rec_dir(const struct snapshotter *s, uint64_t id)
{
	return xasprintf("%s/snapshots/%" PRIu64, s->root, id);
}

static int check_labels(char *const *labels, struct berth_err **err)
{
	for (char *const *l = labels; l && l[0]; l += 2) {
		if (!l[1])
			return berth_err_new(err, BERTH_E_INVALID, "label '%s' has no value", l[0]);
		if (!*l[0])
			return berth_err_new(err, BERTH_E_INVALID, "label with an empty key");
		if (strlen(l[0]) + strlen(l[1]) > LABEL_MAX)
			return berth_err_new(err, BERTH_E_INVALID,
					     "label '%.64s': key and value longer than %d bytes",
					     l[0], LABEL_MAX);
	}
	return 0;
}

static int check_names(const char *ns, const char *key, struct berth_err **err)
{
	if (!ns || !*ns)
		return berth_err_new(err, BERTH_E_INVALID, "namespace is required");
	if (!key || !*key)
		return berth_err_new(err, BERTH_E_INVALID, "snapshot key is required");
	return 0;
}

/* Fills info from r (deep copy). */
static void rec_info(const struct snap_rec *r, struct snap_info *info)
{
	info->name = xstrdup(r->name);
	info->parent = xstrdup_or_null(r->parent);
	info->kind = r->kind;
	info->labels = strv_dup(r->labels);
	info->created = r->created;
	info->updated = r->updated;
}

/* The fs dirs of r's parents, nearest first. */
static int parent_dirs(struct snapshotter *s, const struct snap_rec *r, char ***out,
		       struct berth_err **err)
{
	char **dirs = NULL;
	const char *p = r->parent;

	while (p) {
		struct snap_rec *pr = snap_store_find(&s->st, r->ns, p);

		if (!pr || strv_len(dirs) > s->st.n) {
			strv_free(dirs);
			return berth_err_new(err, BERTH_E_INTERNAL,
					     "snapshot '%s': parent chain broken at '%s'", r->name,
					     p);
		}
		strv_push_take(&dirs, xasprintf("%s/snapshots/%" PRIu64 "/fs", s->root, pr->id));
		p = pr->parent;
	}
	*out = dirs;
	return 0;
}

static int rec_mounts(struct snapshotter *s, const struct snap_rec *r, struct snap_mounts *out,
		      struct berth_err **err)
{
	cleanup_free char *dir = rec_dir(s, r->id);
	char **parents = NULL;
	struct snap_ctx ctx = {.root = s->root, .dir = dir, .kind = r->kind};
	int ret;

	if (parent_dirs(s, r, &parents, err) < 0)
		return -1;
	ctx.parents = parents;
	ret = s->ops->mounts(&ctx, out, err);
	strv_free(parents);
	return ret;
}

static int cleanup_locked(struct snapshotter *s, struct berth_err **err);

/*
 * Drops childless records whose directory is gone: a remove on a full disk deletes the
 * directory before it saves the metadata, and a crash in between leaves such a record.
 */
static void drop_dirless(struct snapshotter *s)
{
	struct berth_err *err = NULL;
	bool dropped = false;

	for (size_t i = 0; i < s->st.n;) {
		struct snap_rec *r = &s->st.v[i];
		cleanup_free char *rel = xasprintf("snapshots/%" PRIu64, r->id);

		if (faccessat(s->rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT ||
		    snap_store_has_children(&s->st, r)) {
			i++;
			continue;
		}
		log_warn("snapshotter '%s': snapshot '%s' has no directory '%s': dropped",
			 s->ops->name, r->name, rel);
		snap_store_del(&s->st, r);
		dropped = true;
	}
	if (dropped && snap_store_save(s->rootfd, &s->st, &err) < 0) {
		log_warn("snapshotter '%s': %s", s->ops->name, err->msg);
		berth_err_free(&err);
	}
}

struct snapshotter *snap_open(const char *driver, const char *root, struct berth_err **err)
{
	const struct snap_ops *ops = NULL;
	cleanup_free char *snapdir = NULL;
	struct berth_err *cerr = NULL;
	struct snapshotter *s;

	if (strcmp(driver, "overlayfs") == 0)
		ops = &snap_overlay_ops;
	else if (strcmp(driver, "native") == 0)
		ops = &snap_native_ops;
	else
		return berth_err_new(err, BERTH_E_INVALID, "unknown snapshotter '%s'", driver),
		       NULL;
	if (ops->check(root, err) < 0)
		return NULL;
	snapdir = xasprintf("%s/snapshots", root);
	if (fs_mkdir_p(snapdir, 0700, err) < 0)
		return berth_err_wrap(err, "snapshotter '%s'", driver), NULL;
	s = xnew(struct snapshotter);
	s->ops = ops;
	s->root = xstrdup(root);
	s->lockfd = -1;
	s->st.next_id = 1;
	pthread_mutex_init(&s->lock, NULL);
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		berth_err_sys(err, errno, "open '%s'", root);
		goto fail;
	}
	s->lockfd = openat(s->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->lockfd < 0) {
		berth_err_sys(err, errno, "open '%s/lock'", root);
		goto fail;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			berth_err_new(err, BERTH_E_UNAVAILABLE,
				      "snapshotter root '%s' is in use by another snapshotter",
				      root);
		else
			berth_err_sys(err, errno, "lock '%s/lock'", root);
		goto fail;
	}
	if (snap_store_load(s->rootfd, &s->st, err) < 0) {
		berth_err_wrap(err, "snapshotter root '%s'", root);
		goto fail;
	}
	/* opening is recovery: a crash leaves new-<id> (half-made), rm-<id> (half-removed) or
	 * <id> dirs no metadata references; nobody else can use them (the root is locked) */
	drop_dirless(s);
	if (cleanup_locked(s, &cerr) < 0) {
		log_warn("snapshotter '%s': %s", root, cerr->msg);
		berth_err_free(&cerr);
	}
	return s;
fail:
	snap_close(s);
	return NULL;
}

void snap_close(struct snapshotter *s)
{
	if (!s)
		return;
	snap_store_clear(&s->st);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->rootfd >= 0)
		close(s->rootfd);
	pthread_mutex_destroy(&s->lock);
	free(s->root);
	free(s);
}

/* An id no record and no directory uses. */
static uint64_t alloc_id(struct snapshotter *s)
{
	for (;;) {
		uint64_t id = s->st.next_id++;
		cleanup_free char *a = xasprintf("snapshots/%" PRIu64, id);
		cleanup_free char *b = xasprintf("snapshots/new-%" PRIu64, id);
		bool used = false;

		for (size_t i = 0; i < s->st.n && !used; i++)
			used = s->st.v[i].id == id;
		if (!used && faccessat(s->rootfd, a, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
		    faccessat(s->rootfd, b, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			return id;
	}
}

/* After a failed save: reload, so that memory matches the disk again. */
static int store_failed(struct snapshotter *s)
{
	struct berth_err *lerr = NULL;

	if (snap_store_load(s->rootfd, &s->st, &lerr) < 0) {
		log_error("snapshotter '%s': reload metadata: %s", s->root, lerr->msg);
		berth_err_free(&lerr);
	}
	return -1;
}

/* Journals r as it now is (store.c); on failure memory is reloaded from the disk. */
static int store_put(struct snapshotter *s, const struct snap_rec *r, struct berth_err **err)
{
	return snap_store_log_put(s->rootfd, &s->st, r, err) == 0 ? 0 : store_failed(s);
}

/* Journals the removal of id (already gone from memory). */
static int store_drop(struct snapshotter *s, uint64_t id, struct berth_err **err)
{
	return snap_store_log_del(s->rootfd, &s->st, id, err) == 0 ? 0 : store_failed(s);
}

static int create_locked(struct snapshotter *s, enum snap_kind kind, const char *ns,
			 const char *key, const char *parent, char *const *labels,
			 struct snap_mounts *out, struct berth_err **err)
{
	struct snap_rec tmp = {.kind = kind, .ns = (char *)ns, .name = (char *)key};
	struct snap_rec *p = NULL, *r;
	struct snap_mounts mounts = {0};
	cleanup_free char *dir = NULL, *newdir = NULL;
	char **parents = NULL;
	struct snap_ctx ctx = {.root = s->root, .kind = kind};
	int ret;

	if (snap_store_find(&s->st, ns, key))
		return berth_err_new(err, BERTH_E_EXISTS, "snapshot '%s' already exists", key);
	if (parent && *parent) {
		p = snap_store_find(&s->st, ns, parent);
		if (!p)
			return berth_err_new(err, BERTH_E_NOT_FOUND,
					     "parent snapshot '%s' does not exist", parent);
		if (p->kind != SNAP_KIND_COMMITTED)
			return berth_err_new(err, BERTH_E_INVALID,
					     "parent snapshot '%s' is not committed", parent);
		tmp.parent = p->name;
	}
	tmp.id = alloc_id(s);
	dir = rec_dir(s, tmp.id);
	/* mounts first: an impossible mount (too many layers) must fail before any effect */
	if (rec_mounts(s, &tmp, &mounts, err) < 0)
		return -1;
	if (parent_dirs(s, &tmp, &parents, err) < 0) {
		snap_mounts_free(&mounts);
		return -1;
	}
	newdir = xasprintf("%s/snapshots/new-%" PRIu64, s->root, tmp.id);
	ctx.dir = newdir;
	ctx.parents = parents;
	ret = mkdir(newdir, 0700) < 0 ? berth_err_sys(err, errno, "mkdir '%s'", newdir) : 0;
	if (ret == 0)
		ret = s->ops->create(&ctx, err);
	if (ret == 0 && rename(newdir, dir) < 0)
		ret = berth_err_sys(err, errno, "rename '%s' to '%s'", newdir, dir);
	strv_free(parents);
	if (ret < 0) {
		struct berth_err *rerr = NULL;

		if (fs_rm_rf(newdir, &rerr) < 0)
			berth_err_free(&rerr);
		snap_mounts_free(&mounts);
		return -1;
	}
	r = snap_store_add(&s->st);
	r->id = tmp.id;
	r->kind = kind;
	r->ns = xstrdup(ns);
	r->name = xstrdup(key);
	r->parent = xstrdup_or_null(tmp.parent);
	r->created = r->updated = now();
	r->labels = strv_dup(labels);
	if (store_put(s, r, err) < 0) {
		struct berth_err *rerr = NULL;

		if (fs_rm_rf(dir, &rerr) < 0)
			berth_err_free(&rerr);
		snap_mounts_free(&mounts);
		return -1;
	}
	*out = mounts;
	return 0;
}

static int create_snapshot(struct snapshotter *s, enum snap_kind kind, const char *ns,
			   const char *key, const char *parent, char *const *labels,
			   struct snap_mounts *out, struct berth_err **err)
{
	int ret;

	if (check_names(ns, key, err) < 0 || check_labels(labels, err) < 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	ret = create_locked(s, kind, ns, key, parent, labels, out, err);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return berth_err_wrap(err, "%s '%s'", kind == SNAP_KIND_VIEW ? "view" : "prepare",
				      key);
	return 0;
}

int snap_prepare(struct snapshotter *s, const char *ns, const char *key, const char *parent,
		 char *const *labels, struct snap_mounts *out, struct berth_err **err)
{
	return create_snapshot(s, SNAP_KIND_ACTIVE, ns, key, parent, labels, out, err);
}

int snap_view(struct snapshotter *s, const char *ns, const char *key, const char *parent,
	      char *const *labels, struct snap_mounts *out, struct berth_err **err)
{
	return create_snapshot(s, SNAP_KIND_VIEW, ns, key, parent, labels, out, err);
}

/* Finds ns/key or fails with NOT_FOUND. */
static struct snap_rec *find(struct snapshotter *s, const char *ns, const char *key,
			     struct berth_err **err)
{
	struct snap_rec *r;

	if (check_names(ns, key, err) < 0)
		return NULL;
	r = snap_store_find(&s->st, ns, key);
	if (!r)
		berth_err_new(err, BERTH_E_NOT_FOUND, "snapshot '%s' does not exist", key);
	return r;
}

int snap_mounts(struct snapshotter *s, const char *ns, const char *key, struct snap_mounts *out,
		struct berth_err **err)
{
	struct snap_rec *r;
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	r = find(s, ns, key, err);
	if (r && r->kind == SNAP_KIND_COMMITTED)
		berth_err_new(
			err, BERTH_E_PRECONDITION,
			"snapshot '%s' is committed: only active snapshots and views have mounts",
			key);
	else if (r)
		ret = rec_mounts(s, r, out, err);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int commit_locked(struct snapshotter *s, const char *ns, const char *name, const char *key,
			 char *const *labels, struct berth_err **err)
{
	struct snap_rec *r = find(s, ns, key, err);
	cleanup_free char *fsdir = NULL;
	struct snap_usage u;

	if (!r)
		return -1;
	if (r->kind != SNAP_KIND_ACTIVE)
		return berth_err_new(err, BERTH_E_PRECONDITION, "snapshot '%s' is %s, not active",
				     key, snap_kind_name(r->kind));
	if (snap_store_find(&s->st, ns, name))
		return berth_err_new(err, BERTH_E_EXISTS, "snapshot '%s' already exists", name);
	fsdir = xasprintf("%s/snapshots/%" PRIu64 "/fs", s->root, r->id);
	if (snap_tree_usage(fsdir, &u, err) < 0)
		return -1;
	free(r->name);
	r->name = xstrdup(name);
	r->kind = SNAP_KIND_COMMITTED;
	r->size = u.size;
	r->inodes = u.inodes;
	strv_free(r->labels);
	r->labels = strv_dup(labels);
	r->created = r->updated = now();
	return store_put(s, r, err);
}

int snap_commit(struct snapshotter *s, const char *ns, const char *name, const char *key,
		char *const *labels, struct berth_err **err)
{
	int ret;

	if (!name || !*name)
		return berth_err_new(err, BERTH_E_INVALID, "commit '%s': snapshot name is required",
				     key ? key : "");
	if (check_labels(labels, err) < 0)
		return berth_err_wrap(err, "commit '%s'", key ? key : "");
	pthread_mutex_lock(&s->lock);
	ret = commit_locked(s, ns, name, key, labels, err);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return berth_err_wrap(err, "commit '%s' as '%s'", key ? key : "", name);
	return 0;
}

/* Renames snapshot id's dir to rm-<id> (invisible from then on) and deletes it. */
static int delete_dir(struct snapshotter *s, const char *key, uint64_t id)
{
	cleanup_free char *dir = rec_dir(s, id);
	cleanup_free char *rmdir_ = xasprintf("%s/snapshots/rm-%" PRIu64, s->root, id);
	struct berth_err *rerr = NULL;

	if (rename(dir, rmdir_) < 0) {
		log_warn("snapshot '%s': rename '%s': %m (left for cleanup)", key, dir);
		return 0;
	}
	if (fs_rm_rf(rmdir_, &rerr) < 0) {
		log_warn("snapshot '%s': %s (left for cleanup)", key, rerr->msg);
		berth_err_free(&rerr);
	}
	return 0;
}

static int remove_locked(struct snapshotter *s, const char *ns, const char *key,
			 struct berth_err **err)
{
	struct snap_rec *r = find(s, ns, key, err);
	uint64_t id;

	if (!r)
		return -1;
	if (snap_store_has_children(&s->st, r))
		return berth_err_new(err, BERTH_E_PRECONDITION, "snapshot '%s' has children", key);
	id = r->id;
	snap_store_del(&s->st, r);
	if (store_drop(s, id, err) < 0) {
		/*
		 * A full disk (issue #15): the metadata's rewrite needs room, so the files go
		 * first, then the save is retried. A crash in between leaves a record without
		 * its dir, which snap_open drops.
		 */
		if (!berth_err_is(*err, ENOSPC) && !berth_err_is(*err, EDQUOT))
			return -1;
		r = snap_store_find(&s->st, ns, key); /* the failed commit reloaded the store */
		if (!r || r->id != id)
			return -1;
		berth_err_free(err);
		delete_dir(s, key, id);
		snap_store_del(&s->st, r);
		return store_drop(s, id, err);
	}
	return delete_dir(s, key, id);
}

int snap_remove(struct snapshotter *s, const char *ns, const char *key, struct berth_err **err)
{
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = remove_locked(s, ns, key, err);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return berth_err_wrap(err, "remove '%s'", key ? key : "");
	return 0;
}

int snap_stat(struct snapshotter *s, const char *ns, const char *key, struct snap_info *out,
	      struct berth_err **err)
{
	struct snap_rec *r;

	pthread_mutex_lock(&s->lock);
	r = find(s, ns, key, err);
	if (r)
		rec_info(r, out);
	pthread_mutex_unlock(&s->lock);
	return r ? 0 : -1;
}

static const char *label_get(char *const *labels, const char *key)
{
	for (char *const *l = labels; l && l[0] && l[1]; l += 2)
		if (strcmp(l[0], key) == 0)
			return l[1];
	return NULL;
}

/* Sets (value != NULL) or deletes key in *labels. */
static void label_set(char ***labels, const char *key, const char *value)
{
	char **out = NULL;

	for (char **l = *labels; l && l[0] && l[1]; l += 2) {
		if (strcmp(l[0], key) == 0)
			continue;
		strv_push(&out, l[0]);
		strv_push(&out, l[1]);
	}
	if (value) {
		strv_push(&out, key);
		strv_push(&out, value);
	}
	strv_free(*labels);
	*labels = out;
}

static int update_labels(char ***labels, const struct snap_info *in, char *const *fieldpaths,
			 struct berth_err **err)
{
	char **next = strv_dup(*labels);

	if (!fieldpaths || !fieldpaths[0]) {
		strv_free(next);
		next = strv_dup(in->labels);
	}
	strv_foreach (fp, fieldpaths) {
		if (strcmp(fp, "labels") == 0) {
			strv_free(next);
			next = strv_dup(in->labels);
		} else if (strncmp(fp, "labels.", 7) == 0 && fp[7]) {
			label_set(&next, fp + 7, label_get(in->labels, fp + 7));
		} else {
			strv_free(next);
			return berth_err_new(err, BERTH_E_INVALID,
					     "field path '%s': only labels can be updated", fp);
		}
	}
	if (check_labels(next, err) < 0) {
		strv_free(next);
		return -1;
	}
	strv_free(*labels);
	*labels = next;
	return 0;
}

int snap_update(struct snapshotter *s, const char *ns, const struct snap_info *in,
		char *const *fieldpaths, struct snap_info *out, struct berth_err **err)
{
	struct snap_rec *r;
	int ret = -1;

	if (check_labels(in->labels, err) < 0)
		return berth_err_wrap(err, "update '%s'", in->name ? in->name : "");
	pthread_mutex_lock(&s->lock);
	r = find(s, ns, in->name, err);
	if (r && update_labels(&r->labels, in, fieldpaths, err) == 0) {
		r->updated = now();
		ret = store_put(s, r, err);
		/* the store may have been reloaded: look the record up again */
		r = ret == 0 ? snap_store_find(&s->st, ns, in->name) : NULL;
		if (r)
			rec_info(r, out);
	}
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return berth_err_wrap(err, "update '%s'", in->name ? in->name : "");
	return 0;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct snap_info *)a)->name, ((const struct snap_info *)b)->name);
}

int snap_list(struct snapshotter *s, const char *ns, struct snap_info **out, size_t *n,
	      struct berth_err **err)
{
	struct snap_info *v;
	size_t cnt = 0;

	if (!ns || !*ns)
		return berth_err_new(err, BERTH_E_INVALID, "namespace is required");
	pthread_mutex_lock(&s->lock);
	v = xcalloc(s->st.n + 1, sizeof(*v));
	for (size_t i = 0; i < s->st.n; i++)
		if (strcmp(s->st.v[i].ns, ns) == 0)
			rec_info(&s->st.v[i], &v[cnt++]);
	pthread_mutex_unlock(&s->lock);
	qsort(v, cnt, sizeof(*v), info_cmp);
	*out = v;
	*n = cnt;
	return 0;
}

int snap_usage(struct snapshotter *s, const char *ns, const char *key, struct snap_usage *out,
	       struct berth_err **err)
{
	struct snap_rec *r;
	cleanup_free char *fsdir = NULL;
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	r = find(s, ns, key, err);
	if (r && r->kind == SNAP_KIND_COMMITTED) {
		out->size = r->size;
		out->inodes = r->inodes;
		ret = 0;
	} else if (r) {
		fsdir = xasprintf("%s/snapshots/%" PRIu64 "/fs", s->root, r->id);
		ret = snap_tree_usage(fsdir, out, err);
	}
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return berth_err_wrap(err, "usage of '%s'", key ? key : "");
	return 0;
}

static bool referenced(const struct snap_store *st, const char *name)
{
	char *end;
	uint64_t id = strtoull(name, &end, 10);

	if (*end || end == name)
		return false;
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].id == id)
			return true;
	return false;
}

static int cleanup_locked(struct snapshotter *s, struct berth_err **err)
{
	cleanup_free char *snapdir = xasprintf("%s/snapshots", s->root);
	cleanup_dir DIR *d = opendir(snapdir);
	struct dirent *de;

	if (!d)
		return berth_err_sys(err, errno, "open '%s'", snapdir);
	while ((errno = 0, de = readdir(d))) {
		cleanup_free char *path = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    referenced(&s->st, de->d_name))
			continue;
		path = xasprintf("%s/%s", snapdir, de->d_name);
		log_info("snapshotter '%s': removing unreferenced '%s'", s->ops->name, path);
		if (fs_rm_rf(path, err) < 0)
			return -1;
	}
	if (errno)
		return berth_err_sys(err, errno, "read '%s'", snapdir);
	return 0;
}

int snap_cleanup(struct snapshotter *s, struct berth_err **err)
{
	int ret;

	pthread_mutex_lock(&s->lock);
	ret = cleanup_locked(s, err);
	pthread_mutex_unlock(&s->lock);
	if (ret < 0)
		return berth_err_wrap(err, "cleanup");
	return 0;
}

int snap_apply_target(struct snapshotter *s, const char *ns, const char *key, char **upper,
		      char ***lowers, struct berth_err **err)
{
	struct snap_rec *r;
	int ret = -1;

	pthread_mutex_lock(&s->lock);
	r = find(s, ns, key, err);
	if (r && r->kind != SNAP_KIND_ACTIVE) {
		berth_err_new(err, BERTH_E_PRECONDITION, "snapshot '%s' is %s, not active", key,
			      snap_kind_name(r->kind));
	} else if (r && parent_dirs(s, r, lowers, err) == 0) {
		*upper = xasprintf("%s/snapshots/%" PRIu64 "/fs", s->root, r->id);
		ret = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int snap_check_active_dir(struct snapshotter *s, const char *path, struct berth_err **err)
{
	char real[PATH_MAX], root[PATH_MAX];
	const char *rest;
	uint64_t id;
	int used = 0, ret = -1;

	if (!realpath(path, real) || !realpath(s->root, root))
		return berth_err_sys(err, errno, "resolve '%s'", path);
	rest = real + strlen(root);
	if (strncmp(real, root, strlen(root)) != 0 ||
	    sscanf(rest, "/snapshots/%" SCNu64 "/fs%n", &id, &used) != 1 || rest[used] != '\0')
		return berth_err_new(err, BERTH_E_NOT_FOUND,
				     "'%s' is not a snapshot of the %s snapshotter", path,
				     s->ops->name);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->st.n; i++) {
		if (s->st.v[i].id != id)
			continue;
		if (s->st.v[i].kind == SNAP_KIND_ACTIVE)
			ret = 0;
		else
			berth_err_new(
				err, BERTH_E_PRECONDITION,
				"'%s' is the directory of %s snapshot '%s', not of an active one",
				path, snap_kind_name(s->st.v[i].kind), s->st.v[i].name);
		break;
	}
	pthread_mutex_unlock(&s->lock);
	if (ret < 0 && !*err)
		berth_err_new(err, BERTH_E_NOT_FOUND,
			      "'%s' is not a snapshot of the %s snapshotter", path, s->ops->name);
	return ret;
}
