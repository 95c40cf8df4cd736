/*
 * supervisor/meta/meta_gc.c - the roots garbage collection starts from (see meta.h):
 * image targets, content labelled containerd.io/gc.root, resources of live leases,
 * containers' snapshots. Reading them is one read transaction, so the collector
 * sees one consistent state.
 */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

void meta_gc_roots_free(struct meta_gc_roots *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->refs[i].ns);
		free(r->refs[i].type);
		free(r->refs[i].id);
	}
	free(r->refs);
	strv_free(r->expired_leases);
	memset(r, 0, sizeof(*r));
}

struct roots_q {
	int64_t now;
	struct meta_gc_roots *out;
};

static void ref_row(sqlite3_stmt *st, void *arg)
{
	struct meta_gc_roots *r = arg;

	r->refs = xreallocarray(r->refs, r->n + 1, sizeof(*r->refs));
	r->refs[r->n].ns = meta_col_str(st, 0);
	r->refs[r->n].type = meta_col_str(st, 1);
	r->refs[r->n].id = meta_col_str(st, 2);
	r->n++;
}

/* Appends every row (ns, type, id) of sql, whose one parameter is the lease-expiry time. */
static int collect(struct meta_db *db, struct meta_gc_roots *r, const char *sql, const char *param,
		   struct berth_err **err)
{
	return meta_query(db, "read gc roots", ref_row, r, err, sql, strchr(sql, '?') ? 1 : 0,
			  param);
}

/* leases whose containerd.io/gc.expire label (RFC 3339) is before ?1 (seconds) */
#define EXPIRED_LEASES                                                                    \
	"SELECT namespace, name FROM lease_labels WHERE key = 'containerd.io/gc.expire' " \
	"AND CAST(strftime('%s', value) AS INTEGER) < CAST(?1 AS INTEGER)"

static int roots_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct roots_q *q = arg;
	struct meta_gc_roots *r = q->out;
	const char *now = META_I64(q->now / 1000000000);

	if (collect(db, r, "SELECT namespace, 'content', digest FROM images", NULL, err) < 0 ||
	    collect(db, r,
		    "SELECT namespace, 'content', digest FROM content_labels "
		    "WHERE key = 'containerd.io/gc.root'",
		    NULL, err) < 0 ||
	    collect(db, r,
		    "SELECT namespace, 'snapshots/' || snapshotter, snapshot_key FROM containers "
		    "WHERE snapshotter != '' AND snapshot_key != ''",
		    NULL, err) < 0 ||
	    collect(db, r,
		    "SELECT namespace, 'snapshots/' || snapshotter, name FROM snapshot_labels "
		    "WHERE key = 'containerd.io/gc.root'",
		    NULL, err) < 0 ||
	    collect(db, r,
		    "SELECT r.namespace, r.type, r.id FROM lease_resources r WHERE NOT EXISTS ("
		    "SELECT 1 FROM (" EXPIRED_LEASES ") e "
		    "WHERE e.namespace = r.namespace AND e.name = r.name)",
		    now, err) < 0)
		return -1;
	return meta_query(db, "read expired leases", meta_row_strs, &r->expired_leases, err,
			  EXPIRED_LEASES, 1, now);
}

int meta_gc_roots(struct meta_db *db, int64_t now, struct meta_gc_roots *out,
		  struct berth_err **err)
{
	struct roots_q q = {now, out};

	memset(out, 0, sizeof(*out));
	if (meta_tx(db, false, roots_tx, &q, err) < 0) {
		meta_gc_roots_free(out);
		return -1;
	}
	return 0;
}
