/*
 * supervisor/meta/meta_lease.c - leases and their resources (see meta.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

void meta_lease_free(struct meta_lease *l)
{
	if (!l)
		return;
	free(l->id);
	strv_free(l->labels);
	free(l);
}

void meta_lease_list_free(struct meta_lease **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		meta_lease_free(v[i]);
	free(v);
}

void meta_resource_list_free(struct meta_resource *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].type);
		free(v[i].id);
	}
	free(v);
}

static void *lease_row(sqlite3_stmt *st)
{
	struct meta_lease *l = xnew(struct meta_lease);

	l->id = meta_col_str(st, 0);
	l->created = sqlite3_column_int64(st, 1);
	return l;
}

static void lease_free(void *l)
{
	meta_lease_free(l);
}

static const struct meta_table lease_table = {
	.name = "leases",
	.key = "name",
	.noun = "lease",
	.labels = "lease_labels",
	.key_at = offsetof(struct meta_lease, id),
	.labels_at = offsetof(struct meta_lease, labels),
	.cols = "name, created",
	.row = lease_row,
	.free = lease_free,
};

struct lease_q {
	const char *ns, *id, *type, *rid;
	char *const *labels;
	void *obj;	 /* the created lease */
	const char *sql; /* what to do with a resource */
	struct meta_resource *res;
	size_t n;
};

static int create_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;

	struct meta_lease *l;

	if (meta_row_claim(db, &lease_table, q->ns, q->id, err) < 0)
		return -1;
	q->obj = l = xnew(struct meta_lease);
	l->id = xstrdup(q->id);
	l->created = meta_now();
	l->labels = meta_labels_sort(strv_dup(q->labels));
	if (meta_execf(db, err, "INSERT INTO leases(namespace, name, created) VALUES (?, ?, ?)", 3,
		       q->ns, q->id, META_I64(l->created)) < 0)
		return -1;
	return meta_kv_store(db, &lease_table, lease_table.labels, q->ns, q->id, l->labels, err);
}

int meta_lease_create(struct meta_db *db, const char *ns, const char *id, char *const *labels,
		      struct meta_lease **out, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id, .labels = labels};

	return meta_table_write(db, &lease_table, create_tx, &q, &q.obj, out, err);
}

int meta_lease_delete(struct meta_db *db, const char *ns, const char *id, struct berth_err **err)
{
	return meta_table_delete(db, &lease_table, ns, id, err);
}

int meta_lease_list(struct meta_db *db, const char *ns, struct meta_lease ***out, size_t *n,
		    struct berth_err **err)
{
	return meta_table_list(db, &lease_table, ns, out, n, err);
}

/* adds or removes one resource: q->sql binds namespace, lease, type, id */
static int resource_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;

	if (meta_row_need(db, &lease_table, q->ns, q->id, err) < 0)
		return -1;
	return meta_execf(db, err, q->sql, 4, q->ns, q->id, q->type, q->rid);
}

int meta_lease_add_resource(struct meta_db *db, const char *ns, const char *id, const char *type,
			    const char *rid, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id, .type = type, .rid = rid};

	q.sql = "INSERT OR IGNORE INTO lease_resources(namespace, name, type, id) "
		"VALUES (?, ?, ?, ?)";
	return meta_tx(db, true, resource_tx, &q, err);
}

int meta_lease_delete_resource(struct meta_db *db, const char *ns, const char *id, const char *type,
			       const char *rid, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id, .type = type, .rid = rid};

	q.sql = "DELETE FROM lease_resources WHERE namespace = ? AND name = ? AND type = ? AND id = ?";
	return meta_tx(db, true, resource_tx, &q, err);
}

static void resource_row(sqlite3_stmt *st, void *arg)
{
	struct lease_q *q = arg;

	q->res = xreallocarray(q->res, q->n + 1, sizeof(*q->res));
	q->res[q->n].type = meta_col_str(st, 0);
	q->res[q->n].id = meta_col_str(st, 1);
	q->n++;
}

static int list_res_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;

	if (meta_row_need(db, &lease_table, q->ns, q->id, err) < 0)
		return -1;
	return meta_query(db, "list lease resources", resource_row, q, err,
			  "SELECT type, id FROM lease_resources WHERE namespace = ? AND name = ? "
			  "ORDER BY type, id",
			  2, q->ns, q->id);
}

int meta_lease_list_resources(struct meta_db *db, const char *ns, const char *id,
			      struct meta_resource **out, size_t *n, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id};

	if (meta_tx(db, false, list_res_tx, &q, err) < 0) {
		meta_resource_list_free(q.res, q.n);
		return -1;
	}
	*out = q.res;
	*n = q.n;
	return 0;
}
