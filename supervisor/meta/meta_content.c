/*
 * supervisor/meta/meta_content.c - content records: which namespace sees which blob,
 * with its labels (see meta.h). The blobs are content/store.h's.
 */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

#define CONTENT_OWNER ((const char *const[]){"digest", NULL})

void meta_content_free(struct meta_content *c)
{
	if (!c)
		return;
	free(c->digest);
	strv_free(c->labels);
	free(c);
}

void meta_content_freep(struct meta_content **c)
{
	meta_content_free(*c);
}

void meta_content_list_free(struct meta_content **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		meta_content_free(v[i]);
	free(v);
}

static struct meta_content *content_row(sqlite3_stmt *st)
{
	struct meta_content *c = xnew(struct meta_content);

	c->digest = meta_col_str(st, 0);
	c->size = sqlite3_column_int64(st, 1);
	c->created = sqlite3_column_int64(st, 2);
	c->updated = sqlite3_column_int64(st, 3);
	return c;
}

/* Reads one record with its labels (inside a transaction); NOT_FOUND if absent. */
static int content_read(struct meta_db *db, const char *ns, const char *digest,
			struct meta_content **out, struct berth_err **err)
{
	sqlite3_stmt *st = meta_prep(
		db,
		"SELECT digest, size, created, updated FROM content WHERE namespace = ? AND digest = ?",
		err);
	struct meta_content *c = NULL;
	int rc;

	if (!st)
		return -1;
	meta_bind_strs(st, 2, ns, digest);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		c = content_row(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return meta_sqlerr(db, err, "read content");
	if (!c)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "content %s: not found", digest);
	if (meta_labels_load(db, "content_labels", ns, CONTENT_OWNER,
			     (const char *const[]){digest, NULL}, &c->labels, err) < 0) {
		meta_content_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

struct content_q {
	const char *ns, *digest;
	int64_t size;
	char *const *labels, *const *paths;
	struct meta_content *one;
	struct meta_content **list;
	size_t n;
	bool flag;
};

static int get_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;

	return content_read(db, q->ns, q->digest, &q->one, err);
}

int meta_content_get(struct meta_db *db, const char *ns, const char *digest,
		     struct meta_content **out, struct berth_err **err)
{
	struct content_q q = {.ns = ns, .digest = digest};

	if (meta_tx(db, false, get_tx, &q, err) < 0)
		return -1;
	*out = q.one;
	return 0;
}

static int list_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;
	sqlite3_stmt *st = meta_prep(db,
				     "SELECT digest, size, created, updated FROM content "
				     "WHERE namespace = ? ORDER BY digest",
				     err);
	int rc;

	if (!st)
		return -1;
	meta_bind_strs(st, 1, q->ns);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		q->list = xreallocarray(q->list, q->n + 1, sizeof(*q->list));
		q->list[q->n++] = content_row(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return meta_sqlerr(db, err, "list content");
	for (size_t i = 0; i < q->n; i++)
		if (meta_labels_load(db, "content_labels", q->ns, CONTENT_OWNER,
				     (const char *const[]){q->list[i]->digest, NULL},
				     &q->list[i]->labels, err) < 0)
			return -1;
	return 0;
}

int meta_content_list(struct meta_db *db, const char *ns, struct meta_content ***out, size_t *n,
		      struct berth_err **err)
{
	struct content_q q = {.ns = ns};

	if (meta_tx(db, false, list_tx, &q, err) < 0) {
		meta_content_list_free(q.list, q.n);
		return -1;
	}
	*out = q.list;
	*n = q.n;
	return 0;
}

static int add_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;
	char size[32], now[32];
	int64_t n;

	if (meta_count(db, &n, err,
		       "SELECT count(*) FROM content WHERE namespace = ? AND digest = ?", 2, q->ns,
		       q->digest) < 0)
		return -1;
	if (n > 0)
		return berth_err_new(err, BERTH_E_EXISTS, "content %s: already exists", q->digest);
	snprintf(size, sizeof(size), "%lld", (long long)q->size);
	snprintf(now, sizeof(now), "%lld", (long long)meta_now());
	if (meta_ns_ensure(db, q->ns, err) < 0 ||
	    meta_execf(db, err,
		       "INSERT INTO content(namespace, digest, size, created, updated) "
		       "VALUES (?, ?, ?, ?, ?)",
		       5, q->ns, q->digest, size, now, now) < 0)
		return -1;
	return meta_labels_store(db, "content_labels", q->ns, CONTENT_OWNER,
				 (const char *const[]){q->digest, NULL}, q->labels, err);
}

int meta_content_add(struct meta_db *db, const char *ns, const char *digest, int64_t size,
		     char *const *labels, struct berth_err **err)
{
	struct content_q q = {.ns = ns, .digest = digest, .size = size, .labels = labels};
	cleanup(strv_freep) char **sorted = meta_labels_sort(strv_dup(labels));

	q.labels = sorted;
	return meta_tx(db, true, add_tx, &q, err);
}

static int update_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;
	char now[32];
	char **res;

	if (content_read(db, q->ns, q->digest, &q->one, err) < 0)
		return -1;
	res = meta_labels_apply(q->one->labels, q->labels, q->paths, "labels");
	strv_free(q->one->labels);
	q->one->labels = res;
	q->one->updated = meta_now();
	snprintf(now, sizeof(now), "%lld", (long long)q->one->updated);
	if (meta_execf(db, err, "UPDATE content SET updated = ? WHERE namespace = ? AND digest = ?",
		       3, now, q->ns, q->digest) < 0)
		return -1;
	return meta_labels_store(db, "content_labels", q->ns, CONTENT_OWNER,
				 (const char *const[]){q->digest, NULL}, res, err);
}

int meta_content_update_labels(struct meta_db *db, const char *ns, const char *digest,
			       char *const *labels, char *const *paths, struct meta_content **out,
			       struct berth_err **err)
{
	struct content_q q = {.ns = ns, .digest = digest, .labels = labels, .paths = paths};

	if (meta_tx(db, true, update_tx, &q, err) < 0) {
		meta_content_free(q.one);
		return -1;
	}
	if (out)
		*out = q.one;
	else
		meta_content_free(q.one);
	return 0;
}

static int delete_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;
	int64_t n;

	if (meta_count(db, &n, err,
		       "SELECT count(*) FROM content WHERE namespace = ? AND digest = ?", 2, q->ns,
		       q->digest) < 0)
		return -1;
	if (n == 0)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "content %s: not found", q->digest);
	return meta_execf(db, err, "DELETE FROM content WHERE namespace = ? AND digest = ?", 2,
			  q->ns, q->digest);
}

int meta_content_delete(struct meta_db *db, const char *ns, const char *digest,
			struct berth_err **err)
{
	struct content_q q = {.ns = ns, .digest = digest};

	return meta_tx(db, true, delete_tx, &q, err);
}

static int referenced_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;
	int64_t n;

	if (meta_count(db, &n, err, "SELECT count(*) FROM content WHERE digest = ?", 1, q->digest) <
	    0)
		return -1;
	q->flag = n > 0;
	return 0;
}

int meta_content_is_referenced(struct meta_db *db, const char *digest, bool *out,
			       struct berth_err **err)
{
	struct content_q q = {.digest = digest};

	if (meta_tx(db, false, referenced_tx, &q, err) < 0)
		return -1;
	*out = q.flag;
	return 0;
}

static int digests_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	char ***out = arg;
	sqlite3_stmt *st =
		meta_prep(db, "SELECT DISTINCT digest FROM content ORDER BY digest", err);
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strv_push_take(out, meta_col_str(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : meta_sqlerr(db, err, "list digests");
}

int meta_content_all_digests(struct meta_db *db, char ***out, struct berth_err **err)
{
	char **v = NULL;

	if (meta_tx(db, false, digests_tx, &v, err) < 0) {
		strv_free(v);
		return -1;
	}
	*out = v;
	return 0;
}
