/*
 * supervisor/meta/meta_table.c - what every object table does the same way, driven by
 * its struct meta_table (meta_internal.h): existence checks with the table's NOT_FOUND
 * and EXISTS messages, reading one row or a namespace's rows with their labels,
 * deleting, and the rows of its label-like tables (labels, annotations). The SQL is
 * built from the descriptor's table and column names, which are constants of the
 * meta_*.c files, never input; values are always bound.
 */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

/* the parameters binding one row: (namespace, key), or (name) for namespaces */
#define ROW_BINDS(t, ns, key) ((t)->key ? 2 : 1), (ns), (key)

/*
 * "<head> FROM <table> WHERE <one row>" for t's own table or one of its label tables;
 * the namespaces table calls its key column "name", its label table "namespace".
 */
static char *row_sql(const struct meta_table *t, const char *table, const char *head)
{
	if (!t->key)
		return xasprintf("%s FROM %s WHERE %s = ?", head, table,
				 table == t->name ? "name" : "namespace");
	return xasprintf("%s FROM %s WHERE namespace = ? AND %s = ?", head, table, t->key);
}

/* "image 'x:1'", "content sha256:...", "namespace 'default'" */
static char *row_subject(const struct meta_table *t, const char *ns, const char *key)
{
	return xasprintf(t->bare ? "%s %s" : "%s '%s'", t->noun, t->key ? key : ns);
}

int meta_row_exists(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		    struct berth_err **err)
{
	cleanup_free char *sql = row_sql(t, t->name, "SELECT count(*)");
	int64_t n;

	if (meta_count(db, &n, err, sql, ROW_BINDS(t, ns, key)) < 0)
		return -1;
	return n > 0;
}

int meta_row_need(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		  struct berth_err **err)
{
	cleanup_free char *what = NULL;
	int r = meta_row_exists(db, t, ns, key, err);

	if (r != 0)
		return r > 0 ? 0 : -1;
	what = row_subject(t, ns, key);
	return berth_err_new(err, BERTH_E_NOT_FOUND, "%s: not found", what);
}

int meta_row_claim(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		   struct berth_err **err)
{
	cleanup_free char *what = NULL;
	int r = meta_row_exists(db, t, ns, key, err);

	if (r == 0)
		return meta_ns_ensure(db, ns, err);
	if (r < 0)
		return -1;
	what = row_subject(t, ns, key);
	return berth_err_new(err, BERTH_E_EXISTS, "%s: already exists", what);
}

int meta_row_delete(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		    struct berth_err **err)
{
	cleanup_free char *sql = row_sql(t, t->name, "DELETE");

	if (meta_row_need(db, t, ns, key, err) < 0)
		return -1;
	return meta_execf(db, err, sql, ROW_BINDS(t, ns, key));
}

/* ---------------------------------------------------------------- reading objects */

struct rows {
	const struct meta_table *t;
	void **v;
	size_t n;
};

static void rows_add(sqlite3_stmt *st, void *arg)
{
	struct rows *r = arg;

	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	r->v[r->n++] = r->t->row(st);
}

static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		r->t->free(r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

static const char *object_key(const struct meta_table *t, const void *obj)
{
	return *(char *const *)((const char *)obj + t->key_at);
}

/* Fills what the row did not carry: labels, then the table's own load(). */
static int object_load(struct meta_db *db, const struct meta_table *t, const char *ns,
		       const char *key, void *obj, struct berth_err **err)
{
	char ***labels = (char ***)((char *)obj + t->labels_at);

	if (t->labels && meta_kv_load(db, t, t->labels, ns, key, labels, err) < 0)
		return -1;
	return t->load ? t->load(db, ns, obj, err) : 0;
}

void *meta_row_read(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		    struct berth_err **err)
{
	cleanup_free char *head = xasprintf("SELECT %s", t->cols);
	cleanup_free char *sql = row_sql(t, t->name, head);
	cleanup_free char *what = xasprintf("read %s", t->noun);
	struct rows r = {.t = t};
	void *obj;

	if (meta_query(db, what, rows_add, &r, err, sql, ROW_BINDS(t, ns, key)) < 0) {
		rows_free(&r);
		return NULL;
	}
	if (r.n == 0) {
		cleanup_free char *subject = row_subject(t, ns, key);

		berth_err_new(err, BERTH_E_NOT_FOUND, "%s: not found", subject);
		return NULL;
	}
	obj = r.v[0];
	r.v[0] = r.v[--r.n]; /* take obj out of r (a key names one row: r is now empty) */
	rows_free(&r);
	if (object_load(db, t, ns, key, obj, err) < 0) {
		t->free(obj);
		return NULL;
	}
	return obj;
}

int meta_rows_read(struct meta_db *db, const struct meta_table *t, const char *ns, void ***out,
		   size_t *n, struct berth_err **err)
{
	cleanup_free char *sql = xasprintf("SELECT %s FROM %s WHERE namespace = ? ORDER BY %s",
					   t->cols, t->name, t->key);
	cleanup_free char *what = xasprintf("list %s", t->name);
	struct rows r = {.t = t};

	if (meta_query(db, what, rows_add, &r, err, sql, 1, ns) < 0) {
		rows_free(&r);
		return -1;
	}
	for (size_t i = 0; i < r.n; i++)
		if (object_load(db, t, ns, object_key(t, r.v[i]), r.v[i], err) < 0) {
			rows_free(&r);
			return -1;
		}
	*out = r.v;
	*n = r.n;
	return 0;
}

/* ---------------------------------------------------------------- own transactions */

struct table_q {
	const struct meta_table *t;
	const char *ns, *key;
	void *obj;
	void **v;
	size_t n;
};

static int get_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct table_q *q = arg;

	q->obj = meta_row_read(db, q->t, q->ns, q->key, err);
	return q->obj ? 0 : -1;
}

int meta_table_get(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		   void *out, struct berth_err **err)
{
	struct table_q q = {.t = t, .ns = ns, .key = key};

	if (meta_tx(db, false, get_tx, &q, err) < 0)
		return -1;
	memcpy(out, &q.obj, sizeof(q.obj));
	return 0;
}

static int list_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct table_q *q = arg;

	return meta_rows_read(db, q->t, q->ns, &q->v, &q->n, err);
}

int meta_table_list(struct meta_db *db, const struct meta_table *t, const char *ns, void *out,
		    size_t *n, struct berth_err **err)
{
	struct table_q q = {.t = t, .ns = ns};

	if (meta_tx(db, false, list_tx, &q, err) < 0)
		return -1;
	memcpy(out, &q.v, sizeof(q.v));
	*n = q.n;
	return 0;
}

static int delete_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct table_q *q = arg;

	return meta_row_delete(db, q->t, q->ns, q->key, err);
}

int meta_table_delete(struct meta_db *db, const struct meta_table *t, const char *ns,
		      const char *key, struct berth_err **err)
{
	struct table_q q = {.t = t, .ns = ns, .key = key};

	return meta_tx(db, true, delete_tx, &q, err);
}

int meta_table_write(struct meta_db *db, const struct meta_table *t, meta_tx_fn fn, void *arg,
		     void **obj, void *out, struct berth_err **err)
{
	if (meta_tx(db, true, fn, arg, err) < 0) {
		if (*obj)
			t->free(*obj);
		*obj = NULL;
		return -1;
	}
	if (out)
		memcpy(out, obj, sizeof(*obj));
	else
		t->free(*obj);
	return 0;
}

/* ---------------------------------------------------------------- labels */

int meta_kv_load(struct meta_db *db, const struct meta_table *t, const char *kv, const char *ns,
		 const char *key, char ***out, struct berth_err **err)
{
	cleanup_free char *sql = row_sql(t, kv, "SELECT key, value");
	cleanup_free char *ordered = xasprintf("%s ORDER BY key", sql);
	char **v = NULL;

	if (meta_query(db, "read labels", meta_row_strs, &v, err, ordered, ROW_BINDS(t, ns, key)) <
	    0) {
		strv_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

int meta_kv_store(struct meta_db *db, const struct meta_table *t, const char *kv, const char *ns,
		  const char *key, char *const *v, struct berth_err **err)
{
	cleanup_free char *del = row_sql(t, kv, "DELETE");
	cleanup_free char *ins = NULL;
	sqlite3_stmt *st;

	st = meta_prep(db, del, err);
	if (!st)
		return -1;
	meta_bind_strs(st, ROW_BINDS(t, ns, key));
	if (meta_run(db, st, "delete labels", err) < 0)
		return -1;
	if (t->key)
		ins = xasprintf("INSERT OR REPLACE INTO %s(namespace, %s, key, value) "
				"VALUES (?, ?, ?, ?)",
				kv, t->key);
	else
		ins = xasprintf("INSERT OR REPLACE INTO %s(namespace, key, value) VALUES (?, ?, ?)",
				kv);
	for (size_t i = 0; v && v[i] && v[i + 1]; i += 2) {
		st = meta_prep(db, ins, err);
		if (!st)
			return -1;
		if (t->key)
			meta_bind_strs(st, 4, ns, key, v[i], v[i + 1]);
		else
			meta_bind_strs(st, 3, ns, v[i], v[i + 1]);
		if (meta_run(db, st, "store label", err) < 0)
			return -1;
	}
	return 0;
}

int meta_labels_update(struct meta_db *db, const struct meta_table *t, const char *ns,
		       const char *key, char *const *upd, char *const *paths, char ***out,
		       struct berth_err **err)
{
	cleanup(strv_freep) char **old = NULL;
	char **res;

	if (meta_row_need(db, t, ns, key, err) < 0 ||
	    meta_kv_load(db, t, t->labels, ns, key, &old, err) < 0)
		return -1;
	res = meta_labels_apply(old, upd, paths, "labels");
	if (meta_kv_store(db, t, t->labels, ns, key, res, err) < 0) {
		strv_free(res);
		return -1;
	}
	*out = res;
	return 0;
}
