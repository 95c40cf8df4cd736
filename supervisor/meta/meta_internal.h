/*
 * supervisor/meta/meta_internal.h - what the meta_*.c files share: the connection,
 * its mutex, transactions, statement and label helpers. Not for other modules.
 */
#ifndef BERTH_SUPERVISOR_META_INTERNAL_H
#define BERTH_SUPERVISOR_META_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "supervisor/meta/meta.h"

struct meta_db {
	sqlite3 *h;
	pthread_mutex_t lock; /* one connection, one transaction at a time */
	int version;
};

/* Takes the mutex and BEGIN IMMEDIATE (write) or BEGIN (read). */
int meta_begin(struct meta_db *db, bool write, struct berth_err **err);
/* COMMIT and release; on failure rolls back. */
int meta_commit(struct meta_db *db, struct berth_err **err);
/* ROLLBACK and release. */
void meta_rollback(struct meta_db *db);

/* Runs fn(db, arg, err) in one transaction: commit if it returns 0, else roll back. */
typedef int (*meta_tx_fn)(struct meta_db *db, void *arg, struct berth_err **err);
int meta_tx(struct meta_db *db, bool write, meta_tx_fn fn, void *arg, struct berth_err **err);

/* Error from the connection's last failure: "what: sqlite message". */
int meta_sqlerr(struct meta_db *db, struct berth_err **err, const char *what);
/* Prepares sql; NULL + err on failure. */
sqlite3_stmt *meta_prep(struct meta_db *db, const char *sql, struct berth_err **err);
/* Binds strings (NULL = SQL NULL) to parameters 1..n. */
void meta_bind_strs(sqlite3_stmt *st, int n, ...);
/* Runs a statement that returns no rows (finalizes it). */
int meta_run(struct meta_db *db, sqlite3_stmt *st, const char *what, struct berth_err **err);
/* Runs sql with n string parameters, no rows. */
int meta_execf(struct meta_db *db, struct berth_err **err, const char *sql, int n, ...);
/* Counts rows of "SELECT count(*) ..." with n string parameters. */
int meta_count(struct meta_db *db, int64_t *out, struct berth_err **err, const char *sql, int n,
	       ...);
char *meta_col_str(sqlite3_stmt *st, int col);

/* Ensures the namespace row exists (inside a write transaction). */
int meta_ns_ensure(struct meta_db *db, const char *ns, struct berth_err **err);

/*
 * Labels of an owner in table `table` whose key columns are
 * "namespace" plus `cols` (NULL-terminated, e.g. {"name", NULL}) with values `vals`.
 */
int meta_labels_load(struct meta_db *db, const char *table, const char *ns, const char *const *cols,
		     const char *const *vals, char ***out, struct berth_err **err);
/* Replaces every label of the owner with kv. */
int meta_labels_store(struct meta_db *db, const char *table, const char *ns,
		      const char *const *cols, const char *const *vals, char *const *kv,
		      struct berth_err **err);

#endif
