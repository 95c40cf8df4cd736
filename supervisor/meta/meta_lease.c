/*
 * supervisor/meta/meta_lease.c - leases and their resources (see meta.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

#define LEASE_OWNER ((const char *const[]){"name", NULL})

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

struct lease_q {
	const char *ns, *id, *type, *rid;
	char *const *labels;
	struct meta_lease *one;
	struct meta_lease **list;
	struct meta_resource *res;
	size_t n;
};

static int lease_exists(struct meta_db *db, const char *ns, const char *id, struct berth_err **err)
{
	int64_t n;

	if (meta_count(db, &n, err, "SELECT count(*) FROM leases WHERE namespace = ? AND name = ?",
		       2, ns, id) < 0)
		return -1;
	return n > 0;
}

static int lease_need(struct meta_db *db, const char *ns, const char *id, struct berth_err **err)
{
	int r = lease_exists(db, ns, id, err);

	if (r < 0)
		return -1;
	if (r == 0)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "lease '%s': not found", id);
	return 0;
}

static int create_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;
	char now[32];
	int r = lease_exists(db, q->ns, q->id, err);

	if (r < 0)
		return -1;
	if (r > 0)
		return berth_err_new(err, BERTH_E_EXISTS, "lease '%s': already exists", q->id);
	q->one = xnew(struct meta_lease);
	q->one->id = xstrdup(q->id);
	q->one->created = meta_now();
	q->one->labels = meta_labels_sort(strv_dup(q->labels));
	snprintf(now, sizeof(now), "%lld", (long long)q->one->created);
	if (meta_ns_ensure(db, q->ns, err) < 0 ||
	    meta_execf(db, err, "INSERT INTO leases(namespace, name, created) VALUES (?, ?, ?)", 3,
		       q->ns, q->id, now) < 0)
		return -1;
	return meta_labels_store(db, "lease_labels", q->ns, LEASE_OWNER,
				 (const char *const[]){q->id, NULL}, q->one->labels, err);
}

int meta_lease_create(struct meta_db *db, const char *ns, const char *id, char *const *labels,
		      struct meta_lease **out, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id, .labels = labels};

	if (meta_tx(db, true, create_tx, &q, err) < 0) {
		meta_lease_free(q.one);
		return -1;
	}
	if (out)
		*out = q.one;
	else
		meta_lease_free(q.one);
	return 0;
}

static int delete_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;

	if (lease_need(db, q->ns, q->id, err) < 0)
		return -1;
	return meta_execf(db, err, "DELETE FROM leases WHERE namespace = ? AND name = ?", 2, q->ns,
			  q->id);
}

int meta_lease_delete(struct meta_db *db, const char *ns, const char *id, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id};

	return meta_tx(db, true, delete_tx, &q, err);
}

static int list_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;
	sqlite3_stmt *st = meta_prep(
		db, "SELECT name, created FROM leases WHERE namespace = ? ORDER BY name", err);
	int rc;

	if (!st)
		return -1;
	meta_bind_strs(st, 1, q->ns);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct meta_lease *l = xnew(struct meta_lease);

		l->id = meta_col_str(st, 0);
		l->created = sqlite3_column_int64(st, 1);
		q->list = xreallocarray(q->list, q->n + 1, sizeof(*q->list));
		q->list[q->n++] = l;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return meta_sqlerr(db, err, "list leases");
	for (size_t i = 0; i < q->n; i++)
		if (meta_labels_load(db, "lease_labels", q->ns, LEASE_OWNER,
				     (const char *const[]){q->list[i]->id, NULL},
				     &q->list[i]->labels, err) < 0)
			return -1;
	return 0;
}

int meta_lease_list(struct meta_db *db, const char *ns, struct meta_lease ***out, size_t *n,
		    struct berth_err **err)
{
	struct lease_q q = {.ns = ns};

	if (meta_tx(db, false, list_tx, &q, err) < 0) {
		meta_lease_list_free(q.list, q.n);
		return -1;
	}
	*out = q.list;
	*n = q.n;
	return 0;
}

static int add_res_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;

	if (lease_need(db, q->ns, q->id, err) < 0)
		return -1;
	return meta_execf(db, err,
			  "INSERT OR IGNORE INTO lease_resources(namespace, name, type, id) "
			  "VALUES (?, ?, ?, ?)",
			  4, q->ns, q->id, q->type, q->rid);
}

int meta_lease_add_resource(struct meta_db *db, const char *ns, const char *id, const char *type,
			    const char *rid, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id, .type = type, .rid = rid};

	return meta_tx(db, true, add_res_tx, &q, err);
}

static int del_res_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;

	if (lease_need(db, q->ns, q->id, err) < 0)
		return -1;
	return meta_execf(db, err,
			  "DELETE FROM lease_resources WHERE namespace = ? AND name = ? AND "
			  "type = ? AND id = ?",
			  4, q->ns, q->id, q->type, q->rid);
}

int meta_lease_delete_resource(struct meta_db *db, const char *ns, const char *id, const char *type,
			       const char *rid, struct berth_err **err)
{
	struct lease_q q = {.ns = ns, .id = id, .type = type, .rid = rid};

	return meta_tx(db, true, del_res_tx, &q, err);
}

static int list_res_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct lease_q *q = arg;
	sqlite3_stmt *st;
	int rc;

	if (lease_need(db, q->ns, q->id, err) < 0)
		return -1;
	st = meta_prep(db,
		       "SELECT type, id FROM lease_resources WHERE namespace = ? AND name = ? "
		       "ORDER BY type, id",
		       err);
	if (!st)
		return -1;
	meta_bind_strs(st, 2, q->ns, q->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		q->res = xreallocarray(q->res, q->n + 1, sizeof(*q->res));
		q->res[q->n].type = meta_col_str(st, 0);
		q->res[q->n].id = meta_col_str(st, 1);
		q->n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : meta_sqlerr(db, err, "list lease resources");
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
