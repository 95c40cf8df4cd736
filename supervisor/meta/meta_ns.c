/*
 * supervisor/meta/meta_ns.c - namespaces and their labels (see meta.h).
 */
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

static const struct meta_table ns_table = {
	.name = "namespaces",
	.noun = "namespace",
	.labels = "namespace_labels",
};

int meta_ns_ensure(struct meta_db *db, const char *ns, struct berth_err **err)
{
	return meta_execf(db, err, "INSERT OR IGNORE INTO namespaces(name, created) VALUES (?, ?)",
			  2, ns, META_I64(meta_now()));
}

struct ns_q {
	const char *name;
	char *const *labels, *const *paths;
	char **res;
};

static int create_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct ns_q *q = arg;

	if (meta_row_claim(db, &ns_table, q->name, NULL, err) < 0)
		return -1;
	return meta_kv_store(db, &ns_table, ns_table.labels, q->name, NULL, q->labels, err);
}

int meta_ns_create(struct meta_db *db, const char *name, char *const *labels,
		   struct berth_err **err)
{
	struct ns_q q = {.name = name, .labels = labels};

	return meta_tx(db, true, create_tx, &q, err);
}

static int get_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct ns_q *q = arg;

	if (meta_row_need(db, &ns_table, q->name, NULL, err) < 0)
		return -1;
	return meta_kv_load(db, &ns_table, ns_table.labels, q->name, NULL, &q->res, err);
}

int meta_ns_get(struct meta_db *db, const char *name, char ***labels, struct berth_err **err)
{
	struct ns_q q = {.name = name};

	if (meta_tx(db, false, get_tx, &q, err) < 0)
		return -1;
	*labels = q.res;
	return 0;
}

int meta_ns_list(struct meta_db *db, char ***names, struct berth_err **err)
{
	return meta_query_strv(db, "list namespaces", "SELECT name FROM namespaces ORDER BY name",
			       names, err);
}

static int update_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct ns_q *q = arg;

	return meta_labels_update(db, &ns_table, q->name, NULL, q->labels, q->paths, &q->res, err);
}

int meta_ns_update_labels(struct meta_db *db, const char *name, char *const *labels,
			  char *const *paths, char ***out, struct berth_err **err)
{
	struct ns_q q = {.name = name, .labels = labels, .paths = paths};

	if (meta_tx(db, true, update_tx, &q, err) < 0) {
		strv_free(q.res); /* set when only the commit failed */
		return -1;
	}
	if (out)
		*out = q.res;
	else
		strv_free(q.res);
	return 0;
}

static int delete_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	static const char *const tables[] = {"images", "content", "leases", "containers",
					     "snapshots"};
	struct ns_q *q = arg;

	if (meta_row_need(db, &ns_table, q->name, NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		cleanup_free char *sql =
			xasprintf("SELECT count(*) FROM %s WHERE namespace = ?", tables[i]);
		int64_t n;

		if (meta_count(db, &n, err, sql, 1, q->name) < 0)
			return -1;
		if (n > 0)
			return berth_err_new(err, BERTH_E_PRECONDITION,
					     "namespace '%s' must be empty, but it still has %s",
					     q->name, tables[i]);
	}
	return meta_execf(db, err, "DELETE FROM namespaces WHERE name = ?", 1, q->name);
}

int meta_ns_delete(struct meta_db *db, const char *name, struct berth_err **err)
{
	struct ns_q q = {.name = name};

	return meta_tx(db, true, delete_tx, &q, err);
}
