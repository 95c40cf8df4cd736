/*
 * supervisor/meta/meta.c - opening meta.db, migrations, transactions, statement helpers,
 * settings, label vectors. Per-table helpers are meta_table.c's.
 * See meta.h for the contract and schema.sql for the tables.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
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
	if (rc == SQLITE_FULL)
		db->full = true;
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

/* prepare, bind, step every row through fn (may be NULL), finalize: the one loop */
static int query_va(struct meta_db *db, const char *what, meta_row_fn fn, void *arg,
		    struct berth_err **err, const char *sql, int n, va_list ap)
{
	sqlite3_stmt *st = meta_prep(db, sql, err);
	int rc, rows = 0;

	if (!st)
		return -1;
	bind_va(st, n, ap);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn)
			fn(st, arg);
		rows++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? rows : meta_sqlerr(db, err, what);
}

int meta_query(struct meta_db *db, const char *what, meta_row_fn fn, void *arg,
	       struct berth_err **err, const char *sql, int n, ...)
{
	va_list ap;
	int r;

	va_start(ap, n);
	r = query_va(db, what, fn, arg, err, sql, n, ap);
	va_end(ap);
	return r < 0 ? -1 : 0;
}

int meta_execf(struct meta_db *db, struct berth_err **err, const char *sql, int n, ...)
{
	va_list ap;
	int r;

	va_start(ap, n);
	r = query_va(db, "write", NULL, NULL, err, sql, n, ap);
	va_end(ap);
	return r < 0 ? -1 : 0;
}

static void row_i64(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
}

int meta_count(struct meta_db *db, int64_t *out, struct berth_err **err, const char *sql, int n,
	       ...)
{
	va_list ap;
	int r;

	va_start(ap, n);
	r = query_va(db, "count", row_i64, out, err, sql, n, ap);
	va_end(ap);
	if (r == 0) /* count(*) always has a row: only a broken statement gets here */
		return berth_err_new(err, BERTH_E_INTERNAL, "count: no result");
	return r < 0 ? -1 : 0;
}

void meta_row_strs(sqlite3_stmt *st, void *arg)
{
	char ***v = arg;

	for (int i = 0; i < sqlite3_column_count(st); i++)
		strv_push_take(v, meta_col_str(st, i));
}

struct strv_q {
	const char *what, *sql;
	char **v;
};

static int strv_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct strv_q *q = arg;

	return meta_query(db, q->what, meta_row_strs, &q->v, err, q->sql, 0);
}

int meta_query_strv(struct meta_db *db, const char *what, const char *sql, char ***out,
		    struct berth_err **err)
{
	struct strv_q q = {.what = what, .sql = sql};

	if (meta_tx(db, false, strv_tx, &q, err) < 0) {
		strv_free(q.v);
		return -1;
	}
	*out = q.v;
	return 0;
}

char *meta_col_str(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return xstrdup(s ? (const char *)s : "");
}

const char *meta_i64(char *buf, int64_t v)
{
	sprintf(buf, "%lld", (long long)v);
	return buf;
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

/* ---------------------------------------------------------------- full disk */

/*
 * A full disk must not stop deletes (issue #15): SQLite needs pages of WAL even to delete a
 * row. Two things give it room. The WAL file persists across closes
 * (SQLITE_FCNTL_PERSIST_WAL) and is never truncated, so after a checkpoint a later
 * transaction reuses its blocks without allocating (a write failing with SQLITE_FULL
 * checkpoints for the next one); and <db>.reserve, RESERVE_BYTES kept for this, is freed
 * by a write that finds the disk (nearly) full, made again at open and, at most once a
 * minute, after a write when there is room.
 */
#define RESERVE_BYTES (4 << 20)

static void reserve_make(struct meta_db *db)
{
	int fd;

	db->reserve_try = time(NULL);
	if (access(db->reserve, F_OK) == 0)
		return;
	fd = open(db->reserve, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (posix_fallocate(fd, 0, RESERVE_BYTES) != 0) {
		unlink(db->reserve); /* no room now: a later write tries again */
	}
	close(fd);
}

/* Frees the reserve: true if there was one. */
static bool reserve_release(struct meta_db *db)
{
	if (unlink(db->reserve) < 0)
		return false;
	log_warn("meta: disk (nearly) full: released the %d MiB reserve '%s' for the database",
		 RESERVE_BYTES >> 20, db->reserve);
	return true;
}

/*
 * Below LOW_SPACE_BYTES free, every write is checkpointed at once: the db file then has
 * every page it needs while there is room, and the next write restarts the WAL at its start
 * (reusing its blocks) instead of appending. Below RELEASE_BELOW_BYTES, a write first frees
 * the reserve; it is made again only once LOW_SPACE_BYTES are free.
 */
#define LOW_SPACE_BYTES (INT64_C(64) << 20)
#define RELEASE_BELOW_BYTES (INT64_C(8) << 20)

/* Free bytes on the database's filesystem, -1 if unknown. */
static int64_t free_bytes(struct meta_db *db)
{
	struct statvfs sv;

	if (!db->path || statvfs(db->path, &sv) < 0)
		return -1;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

static int tx_once(struct meta_db *db, bool write, meta_tx_fn fn, void *arg, struct berth_err **err)
{
	if (meta_begin(db, write, err) < 0)
		return -1;
	db->full = false;
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

static void checkpoint(struct meta_db *db)
{
	pthread_mutex_lock(&db->lock);
	sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	pthread_mutex_unlock(&db->lock);
}

/*
 * No retry of fn after a failure: a transaction function may have filled its outputs
 * (meta_table_write's object, a settings value) and must run once. The room is made before.
 */
int meta_tx(struct meta_db *db, bool write, meta_tx_fn fn, void *arg, struct berth_err **err)
{
	int64_t avail = write ? free_bytes(db) : -1;
	int ret;

	if (write && avail >= 0 && avail < RELEASE_BELOW_BYTES && db->reserve)
		reserve_release(db);
	ret = tx_once(db, write, fn, arg, err);
	if (!write)
		return ret;
	/* a checkpoint lets the next transaction write the WAL from its start again */
	if ((ret < 0 && db->full) || (ret == 0 && avail >= 0 && avail < LOW_SPACE_BYTES))
		checkpoint(db);
	if (ret == 0 && db->reserve && (avail < 0 || avail >= LOW_SPACE_BYTES) &&
	    time(NULL) - db->reserve_try >= 60)
		reserve_make(db);
	return ret;
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
	db->path = xstrdup(path);
	db->reserve = xasprintf("%s.reserve", path);
	reserve_make(db);
	{
		int persist = 1;

		sqlite3_file_control(db->h, NULL, SQLITE_FCNTL_PERSIST_WAL, &persist);
	}
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
	free(db->path);
	free(db->reserve);
	free(db);
}

int meta_schema_version(struct meta_db *db)
{
	return db->version;
}

static int check_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	return meta_query(db, "integrity check", meta_row_strs, arg, err, "PRAGMA integrity_check",
			  0);
}

int meta_check(struct meta_db *db, struct berth_err **err)
{
	cleanup(strv_freep) char **res = NULL;

	if (meta_tx(db, false, check_tx, &res, err) < 0)
		return -1;
	if (!res || strcmp(res[0], "ok") != 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "integrity check: %s",
				     res ? res[0] : "no result");
	return 0;
}

/* ---------------------------------------------------------------- settings */

struct setting_q {
	const char *key;
	char *(*init)(void);
	char **val; /* the one value, as a strv */
};

static int setting_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct setting_q *q = arg;

	if (meta_query(db, "read setting", meta_row_strs, &q->val, err,
		       "SELECT value FROM settings WHERE key = ?", 1, q->key) < 0)
		return -1;
	if (q->val)
		return 0;
	strv_push_take(&q->val, q->init());
	return meta_execf(db, err, "INSERT INTO settings(key, value) VALUES (?, ?)", 2, q->key,
			  q->val[0]);
}

int meta_setting_get_or_init(struct meta_db *db, const char *key, char *(*init)(void), char **out,
			     struct berth_err **err)
{
	struct setting_q q = {.key = key, .init = init};

	if (meta_tx(db, true, setting_tx, &q, err) < 0) {
		strv_free(q.val);
		return -1;
	}
	*out = xstrdup(q.val[0]);
	strv_free(q.val);
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
