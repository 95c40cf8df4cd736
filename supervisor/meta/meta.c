/*
 * supervisor/meta/meta.c - opening meta.db, migrations, transactions, label helpers.
 * See meta.h for the contract and schema.sql for the tables.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

extern const char meta_schema_sql[];

int64_t meta_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int meta_sqlerr(struct meta_db *db, struct berth_err **err, const char *what)
{
	int rc = sqlite3_errcode(db->h);
	enum berth_err_code code = BERTH_E_INTERNAL;

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		code = BERTH_E_UNAVAILABLE;
	else if (rc == SQLITE_FULL)
		code = BERTH_E_RESOURCE;
	return berth_err_new(err, code, "%s: %s", what, sqlite3_errmsg(db->h));
}

sqlite3_stmt *meta_prep(struct meta_db *db, const char *sql, struct berth_err **err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		meta_sqlerr(db, err, "prepare statement");
		return NULL;
	}
	return st;
}

static void bind_va(sqlite3_stmt *st, int n, va_list ap)
{
	for (int i = 1; i <= n; i++) {
		const char *s = va_arg(ap, const char *);

		if (s)
			sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, i);
	}
}

void meta_bind_strs(sqlite3_stmt *st, int n, ...)
{
	va_list ap;

	va_start(ap, n);
	bind_va(st, n, ap);
	va_end(ap);
}

int meta_run(struct meta_db *db, sqlite3_stmt *st, const char *what, struct berth_err **err)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return meta_sqlerr(db, err, what);
	return 0;
}

int meta_execf(struct meta_db *db, struct berth_err **err, const char *sql, int n, ...)
{
	sqlite3_stmt *st = meta_prep(db, sql, err);
	va_list ap;

	if (!st)
		return -1;
	va_start(ap, n);
	bind_va(st, n, ap);
	va_end(ap);
	return meta_run(db, st, "write", err);
}

int meta_count(struct meta_db *db, int64_t *out, struct berth_err **err, const char *sql, int n,
	       ...)
{
	sqlite3_stmt *st = meta_prep(db, sql, err);
	va_list ap;
	int rc;

	if (!st)
		return -1;
	va_start(ap, n);
	bind_va(st, n, ap);
	va_end(ap);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return meta_sqlerr(db, err, "count");
	}
	*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

char *meta_col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return xstrdup(s ? (const char *)s : "");
}

int meta_begin(struct meta_db *db, bool write, struct berth_err **err)
{
	pthread_mutex_lock(&db->lock);
	if (sqlite3_exec(db->h, write ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		meta_sqlerr(db, err, "begin transaction");
		pthread_mutex_unlock(&db->lock);
		return -1;
	}
	return 0;
}

int meta_commit(struct meta_db *db, struct berth_err **err)
{
	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		meta_sqlerr(db, err, "commit");
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
		pthread_mutex_unlock(&db->lock);
		return -1;
	}
	pthread_mutex_unlock(&db->lock);
	return 0;
}

void meta_rollback(struct meta_db *db)
{
	sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&db->lock);
}

int meta_tx(struct meta_db *db, bool write, meta_tx_fn fn, void *arg, struct berth_err **err)
{
	if (meta_begin(db, write, err) < 0)
		return -1;
	if (fn(db, arg, err) < 0) {
		meta_rollback(db);
		return -1;
	}
	if (!write) {
		meta_rollback(db); /* nothing to commit: just end the read transaction */
		return 0;
	}
	return meta_commit(db, err);
}

/* ---------------------------------------------------------------- migrations */

#define MIGRATION_MARK "\n-- migration "

/* The next "-- migration N" line at the start of a line with a digit, or NULL. */
static const char *next_mark(const char *p)
{
	while ((p = strstr(p, MIGRATION_MARK)))
		if (p[strlen(MIGRATION_MARK)] >= '0' && p[strlen(MIGRATION_MARK)] <= '9')
			return p;
		else
			p++;
	return NULL;
}

/* Runs every "-- migration N:" section with N > the current user_version. */
static int migrate(struct meta_db *db, struct berth_err **err)
{
	const char *p = next_mark(meta_schema_sql);
	sqlite3_stmt *st;
	int cur;

	st = meta_prep(db, "PRAGMA user_version", err);
	if (!st)
		return -1;
	cur = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);

	while (p) {
		const char *body, *next = next_mark(p + 1);
		int n = atoi(p + strlen(MIGRATION_MARK));
		cleanup_free char *sql = NULL;
		char *msg = NULL;

		if (n <= 0)
			return berth_err_new(err, BERTH_E_INTERNAL,
					     "schema.sql: bad migration mark");
		if (n <= cur) {
			p = next;
			continue;
		}
		body = p;
		sql = next ? xstrndup(body, (size_t)(next - body)) : xstrdup(body);
		sql = xrealloc(sql, strlen(sql) + 64);
		sprintf(sql + strlen(sql), ";\nPRAGMA user_version = %d;", n);
		if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return meta_sqlerr(db, err, "begin migration");
		if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
			berth_err_new(err, BERTH_E_INTERNAL, "schema migration %d: %s", n,
				      msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return meta_sqlerr(db, err, "commit migration");
		cur = n;
		p = next;
	}
	db->version = cur;
	return 0;
}

struct meta_db *meta_open(const char *path, struct berth_err **err)
{
	struct meta_db *db = xnew(struct meta_db);
	char *msg = NULL;

	pthread_mutex_init(&db->lock, NULL);
	if (sqlite3_open_v2(path, &db->h,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		berth_err_new(err, BERTH_E_INTERNAL, "open '%s': %s", path,
			      db->h ? sqlite3_errmsg(db->h) : "out of memory");
		meta_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, 5000);
	/* WAL: readers (sqlite3 CLI, integrity checks) do not block the writer; FULL sync
	 * makes each commit durable, not only each checkpoint (https://sqlite.org/wal.html) */
	if (sqlite3_exec(
		    db->h,
		    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
		    NULL, NULL, &msg) != SQLITE_OK) {
		berth_err_new(err, BERTH_E_INTERNAL, "'%s': set pragmas: %s", path,
			      msg ? msg : "?");
		sqlite3_free(msg);
		meta_close(db);
		return NULL;
	}
	if (migrate(db, err) < 0) {
		berth_err_wrap(err, "'%s'", path);
		meta_close(db);
		return NULL;
	}
	return db;
}

void meta_close(struct meta_db *db)
{
	if (!db)
		return;
	if (db->h)
		sqlite3_close_v2(db->h);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

int meta_schema_version(struct meta_db *db)
{
	return db->version;
}

int meta_check(struct meta_db *db, struct berth_err **err)
{
	sqlite3_stmt *st;
	cleanup_free char *res = NULL;

	if (meta_begin(db, false, err) < 0)
		return -1;
	st = meta_prep(db, "PRAGMA integrity_check", err);
	if (!st) {
		meta_rollback(db);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		res = meta_col_str(st, 0);
	sqlite3_finalize(st);
	meta_rollback(db);
	if (!res || strcmp(res, "ok") != 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "integrity check: %s",
				     res ? res : "no result");
	return 0;
}

/* ---------------------------------------------------------------- settings */

int meta_setting_get_or_init(struct meta_db *db, const char *key, char *(*init)(void), char **out,
			     struct berth_err **err)
{
	sqlite3_stmt *st;
	char *val = NULL;

	if (meta_begin(db, true, err) < 0)
		return -1;
	st = meta_prep(db, "SELECT value FROM settings WHERE key = ?", err);
	if (!st) {
		meta_rollback(db);
		return -1;
	}
	meta_bind_strs(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		val = meta_col_str(st, 0);
	sqlite3_finalize(st);
	if (!val) {
		val = init();
		if (meta_execf(db, err, "INSERT INTO settings(key, value) VALUES (?, ?)", 2, key,
			       val) < 0) {
			free(val);
			meta_rollback(db);
			return -1;
		}
	}
	if (meta_commit(db, err) < 0) {
		free(val);
		return -1;
	}
	*out = val;
	return 0;
}

/* ---------------------------------------------------------------- labels */

const char *meta_labels_get(char *const *kv, const char *key)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
		if (strcmp(kv[i], key) == 0)
			return kv[i + 1];
	return NULL;
}

static int kv_cmp(const void *a, const void *b)
{
	char *const *x = a, *const *y = b;

	return strcmp(x[0], y[0]);
}

char **meta_labels_sort(char **kv)
{
	size_t n = strv_len(kv) / 2, j = 0;

	if (n == 0)
		return kv;
	/* later duplicates win: drop earlier ones before a stable-enough sort */
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		for (size_t k = i + 1; k < n; k++)
			if (strcmp(kv[2 * i], kv[2 * k]) == 0)
				dup = true;
		if (dup) {
			free(kv[2 * i]);
			free(kv[2 * i + 1]);
			continue;
		}
		kv[2 * j] = kv[2 * i];
		kv[2 * j + 1] = kv[2 * i + 1];
		j++;
	}
	kv[2 * j] = NULL;
	qsort(kv, j, 2 * sizeof(char *), kv_cmp);
	return kv;
}

static void kv_set(char ***kv, const char *k, const char *v)
{
	for (size_t i = 0; *kv && (*kv)[i]; i += 2)
		if (strcmp((*kv)[i], k) == 0) {
			free((*kv)[i + 1]);
			(*kv)[i + 1] = xstrdup(v);
			return;
		}
	strv_push(kv, k);
	strv_push(kv, v);
}

static void kv_del(char ***kv, const char *k)
{
	size_t n = strv_len(*kv);

	for (size_t i = 0; i + 1 < n; i += 2)
		if (strcmp((*kv)[i], k) == 0) {
			free((*kv)[i]);
			free((*kv)[i + 1]);
			memmove(&(*kv)[i], &(*kv)[i + 2], (n - i - 1) * sizeof(char *));
			return;
		}
}

char **meta_labels_apply(char *const *old, char *const *upd, char *const *paths, const char *prefix)
{
	size_t plen = strlen(prefix);
	char **res;

	if (!paths || !paths[0])
		return meta_labels_sort(strv_dup(upd));
	res = strv_dup(old);
	strv_foreach (p, paths) {
		if (strncmp(p, prefix, plen) != 0)
			continue;
		if (p[plen] == '\0') {
			strv_free(res);
			res = strv_dup(upd);
		} else if (p[plen] == '.' && p[plen + 1]) {
			const char *k = p + plen + 1, *v = meta_labels_get(upd, k);

			if (v)
				kv_set(&res, k, v);
			else
				kv_del(&res, k);
		}
	}
	return meta_labels_sort(res);
}

static char *owner_where(const char *const *cols)
{
	char *w = xstrdup("namespace = ?");

	for (size_t i = 0; cols && cols[i]; i++) {
		char *n = xasprintf("%s AND %s = ?", w, cols[i]);

		free(w);
		w = n;
	}
	return w;
}

static void bind_owner(sqlite3_stmt *st, const char *ns, const char *const *vals, int *idx)
{
	sqlite3_bind_text(st, (*idx)++, ns, -1, SQLITE_TRANSIENT);
	for (size_t i = 0; vals && vals[i]; i++)
		sqlite3_bind_text(st, (*idx)++, vals[i], -1, SQLITE_TRANSIENT);
}

int meta_labels_load(struct meta_db *db, const char *table, const char *ns, const char *const *cols,
		     const char *const *vals, char ***out, struct berth_err **err)
{
	cleanup_free char *where = owner_where(cols);
	cleanup_free char *sql =
		xasprintf("SELECT key, value FROM %s WHERE %s ORDER BY key", table, where);
	sqlite3_stmt *st = meta_prep(db, sql, err);
	char **kv = NULL;
	int idx = 1, rc;

	if (!st)
		return -1;
	bind_owner(st, ns, vals, &idx);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		strv_push_take(&kv, meta_col_str(st, 0));
		strv_push_take(&kv, meta_col_str(st, 1));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		strv_free(kv);
		return meta_sqlerr(db, err, "read labels");
	}
	*out = kv;
	return 0;
}

int meta_labels_store(struct meta_db *db, const char *table, const char *ns,
		      const char *const *cols, const char *const *vals, char *const *kv,
		      struct berth_err **err)
{
	cleanup_free char *where = owner_where(cols);
	cleanup_free char *del = xasprintf("DELETE FROM %s WHERE %s", table, where);
	cleanup_free char *names = xstrdup("namespace");
	cleanup_free char *marks = xstrdup("?");
	cleanup_free char *ins = NULL;
	sqlite3_stmt *st;
	int idx = 1;

	st = meta_prep(db, del, err);
	if (!st)
		return -1;
	bind_owner(st, ns, vals, &idx);
	if (meta_run(db, st, "delete labels", err) < 0)
		return -1;
	for (size_t i = 0; cols && cols[i]; i++) {
		char *n = xasprintf("%s, %s", names, cols[i]), *m = xasprintf("%s, ?", marks);

		free(names);
		free(marks);
		names = n;
		marks = m;
	}
	ins = xasprintf("INSERT OR REPLACE INTO %s(%s, key, value) VALUES (%s, ?, ?)", table, names,
			marks);
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
		st = meta_prep(db, ins, err);
		if (!st)
			return -1;
		idx = 1;
		bind_owner(st, ns, vals, &idx);
		sqlite3_bind_text(st, idx++, kv[i], -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, idx++, kv[i + 1], -1, SQLITE_TRANSIENT);
		if (meta_run(db, st, "store label", err) < 0)
			return -1;
	}
	return 0;
}
