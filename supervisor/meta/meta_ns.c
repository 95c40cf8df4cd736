/*
 * supervisor/meta/meta_ns.c - namespaces and their labels (see meta.h).
 */
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

int meta_ns_ensure(struct meta_db *db, const char *ns, struct berth_err **err)
{
	char created[32];

	snprintf(created, sizeof(created), "%lld", (long long)meta_now());
	return meta_execf(db, err, "INSERT OR IGNORE INTO namespaces(name, created) VALUES (?, ?)",
			  2, ns, created);
}

static int ns_exists(struct meta_db *db, const char *name, struct berth_err **err)
{
	int64_t n;

	if (meta_count(db, &n, err, "SELECT count(*) FROM namespaces WHERE name = ?", 1, name) < 0)
		return -1;
	return n > 0;
}

int meta_ns_create(struct meta_db *db, const char *name, char *const *labels,
		   struct berth_err **err)
{
	int r;

	if (meta_begin(db, true, err) < 0)
		return -1;
	r = ns_exists(db, name, err);
	if (r != 0) {
		meta_rollback(db);
		if (r > 0)
			berth_err_new(err, BERTH_E_EXISTS, "namespace '%s': already exists", name);
		return -1;
	}
	if (meta_ns_ensure(db, name, err) < 0 ||
	    meta_labels_store(db, "namespace_labels", name, NULL, NULL, labels, err) < 0) {
		meta_rollback(db);
		return -1;
	}
	return meta_commit(db, err);
}

int meta_ns_get(struct meta_db *db, const char *name, char ***labels, struct berth_err **err)
{
	int r;

	if (meta_begin(db, false, err) < 0)
		return -1;
	r = ns_exists(db, name, err);
	if (r <= 0) {
		meta_rollback(db);
		if (r == 0)
			berth_err_new(err, BERTH_E_NOT_FOUND, "namespace '%s': not found", name);
		return -1;
	}
	r = meta_labels_load(db, "namespace_labels", name, NULL, NULL, labels, err);
	meta_rollback(db);
	return r;
}

int meta_ns_list(struct meta_db *db, char ***names, struct berth_err **err)
{
	sqlite3_stmt *st;
	char **v = NULL;
	int rc;

	if (meta_begin(db, false, err) < 0)
		return -1;
	st = meta_prep(db, "SELECT name FROM namespaces ORDER BY name", err);
	if (!st) {
		meta_rollback(db);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		strv_push_take(&v, meta_col_str(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		meta_sqlerr(db, err, "list namespaces");
		meta_rollback(db);
		strv_free(v);
		return -1;
	}
	meta_rollback(db);
	*names = v;
	return 0;
}

struct ns_update {
	const char *name;
	char *const *labels, *const *paths;
	char **res;
};

static int ns_update_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct ns_update *u = arg;
	cleanup(strv_freep) char **old = NULL;
	int r = ns_exists(db, u->name, err);

	if (r <= 0)
		return r < 0 ? -1
			     : berth_err_new(err, BERTH_E_NOT_FOUND, "namespace '%s': not found",
					     u->name);
	if (meta_labels_load(db, "namespace_labels", u->name, NULL, NULL, &old, err) < 0)
		return -1;
	u->res = meta_labels_apply(old, u->labels, u->paths, "labels");
	return meta_labels_store(db, "namespace_labels", u->name, NULL, NULL, u->res, err);
}

int meta_ns_update_labels(struct meta_db *db, const char *name, char *const *labels,
			  char *const *paths, char ***out, struct berth_err **err)
{
	struct ns_update u = {name, labels, paths, NULL};

	if (meta_tx(db, true, ns_update_tx, &u, err) < 0) {
		strv_free(u.res);
		return -1;
	}
	if (out)
		*out = u.res;
	else
		strv_free(u.res);
	return 0;
}

int meta_ns_delete(struct meta_db *db, const char *name, struct berth_err **err)
{
	static const char *const tables[] = {"images", "content", "leases", "containers",
					     "snapshots"};
	int r;

	if (meta_begin(db, true, err) < 0)
		return -1;
	r = ns_exists(db, name, err);
	if (r <= 0) {
		meta_rollback(db);
		if (r == 0)
			berth_err_new(err, BERTH_E_NOT_FOUND, "namespace '%s': not found", name);
		return -1;
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		cleanup_free char *sql =
			xasprintf("SELECT count(*) FROM %s WHERE namespace = ?", tables[i]);
		int64_t n;

		if (meta_count(db, &n, err, sql, 1, name) < 0) {
			meta_rollback(db);
			return -1;
		}
		if (n > 0) {
			meta_rollback(db);
			return berth_err_new(err, BERTH_E_PRECONDITION,
					     "namespace '%s' must be empty, but it still has %s",
					     name, tables[i]);
		}
	}
	if (meta_execf(db, err, "DELETE FROM namespaces WHERE name = ?", 1, name) < 0) {
		meta_rollback(db);
		return -1;
	}
	return meta_commit(db, err);
}
