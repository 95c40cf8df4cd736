/*
 * supervisor/meta/meta_content.c - content records: which namespace sees which blob,
 * with its labels (see meta.h). The blobs are content/store.h's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

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

static void *content_row(sqlite3_stmt *st)
{
	struct meta_content *c = xnew(struct meta_content);

	c->digest = meta_col_str(st, 0);
	c->size = sqlite3_column_int64(st, 1);
	c->created = sqlite3_column_int64(st, 2);
	c->updated = sqlite3_column_int64(st, 3);
	return c;
}

static void content_free(void *c)
{
	meta_content_free(c);
}

static const struct meta_table content_table = {
	.name = "content",
	.key = "digest",
	.noun = "content",
	.bare = true,
	.labels = "content_labels",
	.key_at = offsetof(struct meta_content, digest),
	.labels_at = offsetof(struct meta_content, labels),
	.cols = "digest, size, created, updated",
	.row = content_row,
	.free = content_free,
};

int meta_content_get(struct meta_db *db, const char *ns, const char *digest,
		     struct meta_content **out, struct berth_err **err)
{
	return meta_table_get(db, &content_table, ns, digest, out, err);
}

int meta_content_list(struct meta_db *db, const char *ns, struct meta_content ***out, size_t *n,
		      struct berth_err **err)
{
	return meta_table_list(db, &content_table, ns, out, n, err);
}

struct content_q {
	const char *ns, *digest;
	int64_t size;
	char *const *labels, *const *paths;
	void *obj; /* the updated record */
	bool flag;
};

static int add_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;
	const char *now = META_I64(meta_now());

	if (meta_row_claim(db, &content_table, q->ns, q->digest, err) < 0 ||
	    meta_execf(db, err,
		       "INSERT INTO content(namespace, digest, size, created, updated) "
		       "VALUES (?, ?, ?, ?, ?)",
		       5, q->ns, q->digest, META_I64(q->size), now, now) < 0)
		return -1;
	return meta_kv_store(db, &content_table, content_table.labels, q->ns, q->digest, q->labels,
			     err);
}

int meta_content_add(struct meta_db *db, const char *ns, const char *digest, int64_t size,
		     char *const *labels, struct berth_err **err)
{
	cleanup(strv_freep) char **sorted = meta_labels_sort(strv_dup(labels));
	struct content_q q = {.ns = ns, .digest = digest, .size = size, .labels = sorted};

	return meta_tx(db, true, add_tx, &q, err);
}

static int update_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct content_q *q = arg;
	cleanup(strv_freep) char **res = NULL;

	if (meta_labels_update(db, &content_table, q->ns, q->digest, q->labels, q->paths, &res,
			       err) < 0 ||
	    meta_execf(db, err, "UPDATE content SET updated = ? WHERE namespace = ? AND digest = ?",
		       3, META_I64(meta_now()), q->ns, q->digest) < 0)
		return -1;
	q->obj = meta_row_read(db, &content_table, q->ns, q->digest, err);
	return q->obj ? 0 : -1;
}

int meta_content_update_labels(struct meta_db *db, const char *ns, const char *digest,
			       char *const *labels, char *const *paths, struct meta_content **out,
			       struct berth_err **err)
{
	struct content_q q = {.ns = ns, .digest = digest, .labels = labels, .paths = paths};

	return meta_table_write(db, &content_table, update_tx, &q, &q.obj, out, err);
}

int meta_content_delete(struct meta_db *db, const char *ns, const char *digest,
			struct berth_err **err)
{
	return meta_table_delete(db, &content_table, ns, digest, err);
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

int meta_content_all_digests(struct meta_db *db, char ***out, struct berth_err **err)
{
	return meta_query_strv(db, "list digests",
			       "SELECT DISTINCT digest FROM content ORDER BY digest", out, err);
}
