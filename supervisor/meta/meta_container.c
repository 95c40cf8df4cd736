/*
 * supervisor/meta/meta_container.c - container records (see meta.h): the metadata of
 * containerd.services.containers.v1; tasks are not here.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

#define CONTAINER_COLS                                                                        \
	"name, image, runtime_name, runtime_options_type, runtime_options, spec_type, spec, " \
	"snapshotter, snapshot_key, created, updated"

static void any_clear(struct meta_any *a)
{
	free(a->type_url);
	free(a->data);
	memset(a, 0, sizeof(*a));
}

static void any_copy(struct meta_any *dst, const struct meta_any *src)
{
	dst->type_url = xstrdup(src->type_url ? src->type_url : "");
	dst->len = src->len;
	dst->data = src->len ? xmalloc(src->len) : NULL;
	if (src->len)
		memcpy(dst->data, src->data, src->len);
}

static void exts_clear(struct meta_container *c)
{
	for (size_t i = 0; c->ext_keys && c->ext_keys[i]; i++)
		any_clear(&c->exts[i]);
	free(c->exts);
	strv_free(c->ext_keys);
	c->exts = NULL;
	c->ext_keys = NULL;
}

void meta_container_free(struct meta_container *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->image);
	free(c->runtime_name);
	free(c->snapshotter);
	free(c->snapshot_key);
	any_clear(&c->runtime_options);
	any_clear(&c->spec);
	strv_free(c->labels);
	exts_clear(c);
	free(c);
}

void meta_container_freep(struct meta_container **c)
{
	meta_container_free(*c);
}

void meta_container_list_free(struct meta_container **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		meta_container_free(v[i]);
	free(v);
}

static void col_any(sqlite3_stmt *st, int tcol, int dcol, struct meta_any *a)
{
	const void *d = sqlite3_column_blob(st, dcol);
	int n = sqlite3_column_bytes(st, dcol);

	a->type_url = meta_col_str(st, tcol);
	a->len = d && n > 0 ? (size_t)n : 0;
	a->data = a->len ? xmalloc(a->len) : NULL;
	if (a->len)
		memcpy(a->data, d, a->len);
}

static void *container_row(sqlite3_stmt *st)
{
	struct meta_container *c = xnew(struct meta_container);

	c->id = meta_col_str(st, 0);
	c->image = meta_col_str(st, 1);
	c->runtime_name = meta_col_str(st, 2);
	col_any(st, 3, 4, &c->runtime_options);
	col_any(st, 5, 6, &c->spec);
	c->snapshotter = meta_col_str(st, 7);
	c->snapshot_key = meta_col_str(st, 8);
	c->created = sqlite3_column_int64(st, 9);
	c->updated = sqlite3_column_int64(st, 10);
	return c;
}

static void ext_row(sqlite3_stmt *st, void *arg)
{
	struct meta_container *c = arg;
	size_t n = strv_len(c->ext_keys);

	c->exts = xreallocarray(c->exts, n + 1, sizeof(*c->exts));
	strv_push_take(&c->ext_keys, meta_col_str(st, 0));
	col_any(st, 1, 2, &c->exts[n]);
}

/* the extensions: the labels are meta_table.c's */
static int container_load(struct meta_db *db, const char *ns, void *obj, struct berth_err **err)
{
	struct meta_container *c = obj;

	return meta_query(db, "read container extensions", ext_row, c, err,
			  "SELECT key, type_url, value FROM container_extensions "
			  "WHERE namespace = ? AND name = ? ORDER BY key",
			  2, ns, c->id);
}

static void container_free(void *c)
{
	meta_container_free(c);
}

static const struct meta_table container_table = {
	.name = "containers",
	.key = "name",
	.noun = "container",
	.labels = "container_labels",
	.key_at = offsetof(struct meta_container, id),
	.labels_at = offsetof(struct meta_container, labels),
	.cols = CONTAINER_COLS,
	.row = container_row,
	.load = container_load,
	.free = container_free,
};

static void bind_any(sqlite3_stmt *st, int tcol, int dcol, const struct meta_any *a)
{
	sqlite3_bind_text(st, tcol, a->type_url ? a->type_url : "", -1, SQLITE_TRANSIENT);
	if (a->len)
		sqlite3_bind_blob(st, dcol, a->data, (int)a->len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, dcol);
}

/* INSERT OR REPLACE of the row, labels and extensions (inside a write transaction). */
static int container_write(struct meta_db *db, const char *ns, const struct meta_container *c,
			   struct berth_err **err)
{
	sqlite3_stmt *st = meta_prep(db,
				     "INSERT OR REPLACE INTO containers(namespace, " CONTAINER_COLS
				     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				     err);

	if (!st)
		return -1;
	meta_bind_strs(st, 4, ns, c->id, c->image ? c->image : "",
		       c->runtime_name ? c->runtime_name : "");
	bind_any(st, 5, 6, &c->runtime_options);
	bind_any(st, 7, 8, &c->spec);
	sqlite3_bind_text(st, 9, c->snapshotter ? c->snapshotter : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 10, c->snapshot_key ? c->snapshot_key : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 11, c->created);
	sqlite3_bind_int64(st, 12, c->updated);
	if (meta_run(db, st, "write container", err) < 0)
		return -1;
	if (meta_kv_store(db, &container_table, container_table.labels, ns, c->id, c->labels, err) <
	    0)
		return -1;
	if (meta_execf(db, err, "DELETE FROM container_extensions WHERE namespace = ? AND name = ?",
		       2, ns, c->id) < 0)
		return -1;
	for (size_t i = 0; c->ext_keys && c->ext_keys[i]; i++) {
		st = meta_prep(
			db,
			"INSERT INTO container_extensions(namespace, name, key, type_url, value) "
			"VALUES (?, ?, ?, ?, ?)",
			err);
		if (!st)
			return -1;
		meta_bind_strs(st, 3, ns, c->id, c->ext_keys[i]);
		bind_any(st, 4, 5, &c->exts[i]);
		if (meta_run(db, st, "write container extension", err) < 0)
			return -1;
	}
	return 0;
}

struct container_q {
	const char *ns;
	struct meta_container *in;
	const struct meta_container *cin;
	char *const *paths;
	void *obj; /* the updated container */
};

int meta_container_get(struct meta_db *db, const char *ns, const char *id,
		       struct meta_container **out, struct berth_err **err)
{
	return meta_table_get(db, &container_table, ns, id, out, err);
}

int meta_container_list(struct meta_db *db, const char *ns, struct meta_container ***out, size_t *n,
			struct berth_err **err)
{
	return meta_table_list(db, &container_table, ns, out, n, err);
}

static int create_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct container_q *q = arg;

	if (meta_row_claim(db, &container_table, q->ns, q->in->id, err) < 0)
		return -1;
	return container_write(db, q->ns, q->in, err);
}

int meta_container_create(struct meta_db *db, const char *ns, struct meta_container *c,
			  struct berth_err **err)
{
	struct container_q q = {.ns = ns, .in = c};

	c->created = c->updated = meta_now();
	c->labels = meta_labels_sort(c->labels);
	return meta_tx(db, true, create_tx, &q, err);
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* Sets (or, absent from src, deletes) extension key of dst from src. */
static void ext_apply(struct meta_container *dst, const struct meta_container *src, const char *key)
{
	const struct meta_any *val = NULL;
	size_t n = strv_len(dst->ext_keys);

	for (size_t i = 0; src->ext_keys && src->ext_keys[i]; i++)
		if (strcmp(src->ext_keys[i], key) == 0)
			val = &src->exts[i];
	for (size_t i = 0; i < n; i++) {
		if (strcmp(dst->ext_keys[i], key) != 0)
			continue;
		any_clear(&dst->exts[i]);
		if (val) {
			any_copy(&dst->exts[i], val);
			return;
		}
		free(dst->ext_keys[i]);
		memmove(&dst->ext_keys[i], &dst->ext_keys[i + 1], (n - i) * sizeof(char *));
		memmove(&dst->exts[i], &dst->exts[i + 1], (n - i - 1) * sizeof(*dst->exts));
		return;
	}
	if (!val)
		return;
	dst->exts = xreallocarray(dst->exts, n + 1, sizeof(*dst->exts));
	any_copy(&dst->exts[n], val);
	strv_push(&dst->ext_keys, key);
}

static void exts_replace(struct meta_container *dst, const struct meta_container *src)
{
	exts_clear(dst);
	for (size_t i = 0; src->ext_keys && src->ext_keys[i]; i++)
		ext_apply(dst, src, src->ext_keys[i]);
}

static int apply_path(struct meta_container *c, const struct meta_container *in, const char *p,
		      struct berth_err **err)
{
	if (strcmp(p, "labels") == 0 || strncmp(p, "labels.", 7) == 0)
		return 0; /* done with meta_labels_apply */
	if (strcmp(p, "spec") == 0) {
		any_clear(&c->spec);
		any_copy(&c->spec, &in->spec);
	} else if (strcmp(p, "extensions") == 0) {
		exts_replace(c, in);
	} else if (strncmp(p, "extensions.", 11) == 0 && p[11]) {
		ext_apply(c, in, p + 11);
	} else if (strcmp(p, "image") == 0) {
		free(c->image);
		c->image = dup_or_empty(in->image);
	} else if (strcmp(p, "snapshotkey") == 0) {
		free(c->snapshot_key);
		c->snapshot_key = dup_or_empty(in->snapshot_key);
	} else {
		return berth_err_new(err, BERTH_E_INVALID,
				     "cannot update '%s' field on container '%s'", p, in->id);
	}
	return 0;
}

static int update_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct container_q *q = arg;
	const struct meta_container *in = q->cin;
	struct meta_container *c;
	char **labels;

	c = q->obj = meta_row_read(db, &container_table, q->ns, in->id, err);
	if (!c)
		return -1;
	if (!q->paths || !q->paths[0]) {
		if (in->runtime_name && *in->runtime_name &&
		    strcmp(in->runtime_name, c->runtime_name))
			return berth_err_new(err, BERTH_E_INVALID,
					     "container '%s': runtime.name field is immutable",
					     in->id);
		if (in->snapshotter && *in->snapshotter && strcmp(in->snapshotter, c->snapshotter))
			return berth_err_new(err, BERTH_E_INVALID,
					     "container '%s': snapshotter field is immutable",
					     in->id);
		apply_path(c, in, "spec", err);
		apply_path(c, in, "extensions", err);
		apply_path(c, in, "image", err);
		apply_path(c, in, "snapshotkey", err);
	} else {
		strv_foreach (p, q->paths)
			if (apply_path(c, in, p, err) < 0)
				return -1;
	}
	labels = meta_labels_apply(c->labels, in->labels, q->paths, "labels");
	strv_free(c->labels);
	c->labels = labels;
	c->updated = meta_now();
	return container_write(db, q->ns, c, err);
}

int meta_container_update(struct meta_db *db, const char *ns, const struct meta_container *c,
			  char *const *paths, struct meta_container **out, struct berth_err **err)
{
	struct container_q q = {.ns = ns, .cin = c, .paths = paths};

	return meta_table_write(db, &container_table, update_tx, &q, &q.obj, out, err);
}

int meta_container_delete(struct meta_db *db, const char *ns, const char *id,
			  struct berth_err **err)
{
	return meta_table_delete(db, &container_table, ns, id, err);
}
