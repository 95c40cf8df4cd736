/*
 * supervisor/meta/meta_internal.h - what the meta_*.c files share: the connection,
 * its mutex, transactions, statement helpers (meta.c) and the per-table helpers
 * (meta_table.c). Not for other modules.
 *
 * A meta_*.c file describes its table once (struct meta_table) and keeps only what is
 * its own: how a row becomes an object, what else it loads and writes, its update
 * rules. Checking that a row exists (NOT_FOUND / EXISTS with the table's message),
 * reading one row or every row of a namespace with its labels, deleting, and label
 * updates are the helpers'. Functions named meta_row_* / meta_rows_* / meta_kv_* run
 * inside the caller's transaction; meta_table_* run their own.
 */
#ifndef BERTH_SUPERVISOR_META_INTERNAL_H
#define BERTH_SUPERVISOR_META_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <time.h>

#include "supervisor/meta/meta.h"

struct meta_db {
	sqlite3 *h;
	pthread_mutex_t lock; /* one connection, one transaction at a time */
	int version;
	char *path;	    /* the database file */
	char *reserve;	    /* <db path>.reserve: space SQLite gets back on a full disk */
	bool full;	    /* the last error was SQLITE_FULL */
	time_t reserve_try; /* when the reserve was last (re)made, or tried */
};

/* ---- transactions (meta.c) ---- */

/* Takes the mutex and BEGIN IMMEDIATE (write) or BEGIN (read). */
int meta_begin(struct meta_db *db, bool write, struct berth_err **err);
/* COMMIT and release; on failure rolls back. */
int meta_commit(struct meta_db *db, struct berth_err **err);
/* ROLLBACK and release. */
void meta_rollback(struct meta_db *db);

/* Runs fn(db, arg, err) in one transaction: commit if it returns 0, else roll back. */
typedef int (*meta_tx_fn)(struct meta_db *db, void *arg, struct berth_err **err);
int meta_tx(struct meta_db *db, bool write, meta_tx_fn fn, void *arg, struct berth_err **err);

/* ---- statements (meta.c) ---- */

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

/* Called for each row of a query; arg is the query's. */
typedef void (*meta_row_fn)(sqlite3_stmt *st, void *arg);
/* Runs sql with n string parameters and calls fn(st, arg) for each row; err "what: ...". */
int meta_query(struct meta_db *db, const char *what, meta_row_fn fn, void *arg,
	       struct berth_err **err, const char *sql, int n, ...);
/* Every column of every row of sql (no parameters) as one strv, in a read transaction. */
int meta_query_strv(struct meta_db *db, const char *what, const char *sql, char ***out,
		    struct berth_err **err);
/* A meta_row_fn that appends every column of the row, as text, to the strv at arg (char ***). */
void meta_row_strs(sqlite3_stmt *st, void *arg);

/* Column col as a new string ("" for NULL). */
char *meta_col_str(sqlite3_stmt *st, int col);
/* v in decimal in buf (at least 24 bytes); returns buf. For binding integers as strings. */
const char *meta_i64(char *buf, int64_t v);
#define META_I64(v) meta_i64((char[24]){0}, (v))

/* ---- tables (meta_table.c) ---- */

/*
 * A table whose rows are keyed by (namespace, key), with a label table keyed the same
 * way. The namespaces table itself has key == NULL: its rows are keyed by name alone,
 * and the helpers' ns argument is that name.
 */
struct meta_table {
	const char *name;   /* "images" */
	const char *key;    /* key column after namespace ("name", "digest"), or NULL */
	const char *noun;   /* messages: "image 'x': not found" */
	bool bare;	    /* name the key unquoted: "content sha256:...: not found" */
	const char *labels; /* label table ("image_labels"), (namespace, key, key, value) */
	size_t key_at;	    /* offsetof the object's char *key (meta_rows_read) */
	size_t labels_at;   /* offsetof the object's char **labels, which reads fill */
	const char *cols;   /* columns row() reads, key first */
	void *(*row)(sqlite3_stmt *st); /* a new object from a row of cols */
	/* loads what row() and the labels do not (annotations, extensions); may be NULL */
	int (*load)(struct meta_db *db, const char *ns, void *obj, struct berth_err **err);
	void (*free)(void *obj);
};

/* 1 if the row exists, 0 if not, -1 + err. */
int meta_row_exists(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		    struct berth_err **err);
/* 0 if the row exists, else NOT_FOUND "<noun> '<key>': not found". */
int meta_row_need(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		  struct berth_err **err);
/*
 * What a create does first: EXISTS "<noun> '<key>': already exists" if the row exists,
 * else makes sure the namespace exists.
 */
int meta_row_claim(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		   struct berth_err **err);
/* NOT_FOUND unless the row exists, then deletes it (its labels go by ON DELETE CASCADE). */
int meta_row_delete(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		    struct berth_err **err);
/* The object of one row, with labels and load(); NULL + NOT_FOUND if absent. */
void *meta_row_read(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		    struct berth_err **err);
/*
 * Every object of ns sorted by key, with labels and load() (not for namespaces). *out is an array of the
 * table's object pointers: the meta_*_list() functions hand it out as their own type.
 */
int meta_rows_read(struct meta_db *db, const struct meta_table *t, const char *ns, void ***out,
		   size_t *n, struct berth_err **err);

/*
 * The same in a transaction of their own, for the typed meta_<table>_get/list/update
 * functions: out is the address of their caller's `struct meta_<table> *` (get, write)
 * or `struct meta_<table> **` (list), set only on success. It is written with memcpy
 * from a void *: object pointers share one representation on every ABI berth runs on.
 */
int meta_table_get(struct meta_db *db, const struct meta_table *t, const char *ns, const char *key,
		   void *out, struct berth_err **err);
int meta_table_list(struct meta_db *db, const struct meta_table *t, const char *ns, void *out,
		    size_t *n, struct berth_err **err);
int meta_table_delete(struct meta_db *db, const struct meta_table *t, const char *ns,
		      const char *key, struct berth_err **err);
/*
 * Runs fn(db, arg, err) in a write transaction; fn leaves the object it created or
 * updated in *obj. On success hands it to out (NULL: frees it); on failure frees it.
 */
int meta_table_write(struct meta_db *db, const struct meta_table *t, meta_tx_fn fn, void *arg,
		     void **obj, void *out, struct berth_err **err);

/* The k,v rows of table kv ("image_annotations", t->labels) that row key of t owns. */
int meta_kv_load(struct meta_db *db, const struct meta_table *t, const char *kv, const char *ns,
		 const char *key, char ***out, struct berth_err **err);
/* Replaces them with v. */
int meta_kv_store(struct meta_db *db, const struct meta_table *t, const char *kv, const char *ns,
		  const char *key, char *const *v, struct berth_err **err);
/*
 * Applies meta_labels_apply(old, upd, paths, "labels") to the row's labels and stores
 * the result; *out gets it. NOT_FOUND if the row does not exist.
 */
int meta_labels_update(struct meta_db *db, const struct meta_table *t, const char *ns,
		       const char *key, char *const *upd, char *const *paths, char ***out,
		       struct berth_err **err);

/* ---- namespaces (meta_ns.c) ---- */

/* Ensures the namespace row exists (inside a write transaction). */
int meta_ns_ensure(struct meta_db *db, const char *ns, struct berth_err **err);

#endif
