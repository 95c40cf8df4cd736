/*
 * supervisor/snapshot/store.c - the snapshot metadata: <root>/metadata and its journal
 * <root>/metadata.log.
 *
 * The snapshotter keeps every record in memory. A change appends one line to the journal
 * ("put <record>" with the record as it now is, or "del <id>") and fdatasyncs it: O(1)
 * per change (issue #10: rewriting the whole file cost O(N) with fsync at every change).
 * When the journal has more lines than the store has records (at least 1024), the store
 * is saved in full: metadata rewritten atomically (fs_write_atomic), then the journal
 * emptied. Loading replays the journal over metadata; every line is an absolute
 * assignment (by id), so a crash between the two steps of a full save replays lines
 * metadata already holds, to the same result. A last line without its newline is a
 * write torn by a crash: it is ignored and the next change saves in full. metadata:
 *
 *   berth-snapshots 1
 *   next <next id>
 *   <id> <kind> <ns> <name> <parent> <created> <updated> <size> <inodes> [<key> <value>]...
 *
 * Fields are separated by one space. Strings are percent-encoded: every byte outside
 * [A-Za-z0-9._:/@+=,~-] becomes %XX; an empty or absent string is written "-" and a
 * string that is exactly "-" is written "%2D". kind is active, view or committed; times
 * are <seconds>.<9 digits of nanoseconds> since the epoch. Unknown lines fail the load
 * (better than silently dropping snapshots).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot_internal.h"

#define STORE_FILE "metadata"
#define STORE_MAGIC "berth-snapshots 1"
#define LOG_FILE "metadata.log"

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_putn(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_putn(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
	cleanup_free char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_puts(b, s);
}

static bool is_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._:/@+=,~-", c);
}

static void put_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_puts(b, " ");
	if (!s || !*s) {
		buf_puts(b, "-");
		return;
	}
	if (strcmp(s, "-") == 0) {
		buf_puts(b, "%2D");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

		if (is_plain(*p))
			buf_putn(b, (const char *)p, 1);
		else
			buf_putn(b, enc, 3);
	}
}

/* Decodes a field; NULL for "-" and for a malformed escape (*bad set). */
static char *get_str(const char *f, bool *bad)
{
	size_t n = strlen(f), o = 0;
	char *out;

	if (strcmp(f, "-") == 0)
		return NULL;
	out = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if (f[i] != '%') {
			out[o++] = f[i];
			continue;
		}
		if (i + 2 >= n) {
			*bad = true;
			break;
		}
		int hi = hex_digit(f[i + 1]), lo = hex_digit(f[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			*bad = true;
			break;
		}
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

static bool get_time(const char *f, struct timespec *ts)
{
	long long sec;
	long nsec;
	int used = 0;

	if (sscanf(f, "%lld.%9ld%n", &sec, &nsec, &used) != 2 || f[used] != '\0')
		return false;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = nsec;
	return true;
}

static const char *kind_word(enum snap_kind k)
{
	return snap_kind_name(k);
}

void snap_rec_fini(struct snap_rec *r)
{
	free(r->ns);
	free(r->name);
	free(r->parent);
	strv_free(r->labels);
	memset(r, 0, sizeof(*r));
}

void snap_store_clear(struct snap_store *st)
{
	for (size_t i = 0; i < st->n; i++)
		snap_rec_fini(&st->v[i]);
	free(st->v);
	st->v = NULL;
	st->n = 0;
	st->next_id = 1;
	st->nlog = 0;
	st->dirty = false;
}

static int parse_rec(char **f, size_t nf, struct snap_rec *r)
{
	bool bad = false;
	char *end;

	if (nf < 9 || (nf - 9) % 2 != 0)
		return -1;
	r->id = strtoull(f[0], &end, 10);
	if (*end || r->id == 0)
		return -1;
	r->kind = snap_kind_parse(f[1]);
	if (r->kind == SNAP_KIND_UNKNOWN)
		return -1;
	r->ns = get_str(f[2], &bad);
	r->name = get_str(f[3], &bad);
	r->parent = get_str(f[4], &bad);
	if (bad || !r->ns || !r->name)
		return -1;
	if (!get_time(f[5], &r->created) || !get_time(f[6], &r->updated))
		return -1;
	r->size = strtoll(f[7], &end, 10);
	if (*end)
		return -1;
	r->inodes = strtoll(f[8], &end, 10);
	if (*end)
		return -1;
	for (size_t i = 9; i < nf; i += 2) {
		char *k = get_str(f[i], &bad), *v = get_str(f[i + 1], &bad);

		strv_push_take(&r->labels, k ? k : xstrdup(""));
		strv_push_take(&r->labels, v ? v : xstrdup(""));
	}
	return bad ? -1 : 0;
}

static struct snap_rec *find_id(struct snap_store *st, uint64_t id)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].id == id)
			return &st->v[i];
	return NULL;
}

/* One journal line: "put <record>" or "del <id>". */
static int replay_line(struct snap_store *st, char *line)
{
	cleanup(strv_freep) char **f = strv_split(line, " ");
	size_t nf = strv_len(f);
	struct snap_rec r = {0}, *old;
	char *end;

	if (nf == 2 && strcmp(f[0], "del") == 0) {
		uint64_t id = strtoull(f[1], &end, 10);

		if (*end || id == 0)
			return -1;
		old = find_id(st, id);
		if (old)
			snap_store_del(st, old);
		return 0;
	}
	if (nf < 1 || strcmp(f[0], "put") != 0 || parse_rec(f + 1, nf - 1, &r) < 0) {
		snap_rec_fini(&r);
		return -1;
	}
	old = find_id(st, r.id);
	if (old)
		snap_rec_fini(old);
	else
		old = snap_store_add(st);
	*old = r;
	if (r.id >= st->next_id)
		st->next_id = r.id + 1;
	return 0;
}

static int replay_log(int rootfd, struct snap_store *st, struct berth_err **err)
{
	cleanup_free char *data = NULL;
	char *line, *nl;
	size_t len = 0;
	int lineno = 0;

	if (fs_read_file(rootfd, LOG_FILE, &data, &len, err) < 0) {
		if (berth_err_is(*err, ENOENT)) {
			berth_err_free(err);
			return 0;
		}
		return berth_err_wrap(err, "snapshot metadata");
	}
	for (line = data; (nl = memchr(line, '\n', len - (size_t)(line - data))); line = nl + 1) {
		*nl = '\0';
		lineno++;
		if (replay_line(st, line) < 0) {
			snap_store_clear(st);
			return berth_err_new(err, BERTH_E_INVALID, "%s: line %d: malformed change",
					     LOG_FILE, lineno);
		}
		st->nlog++;
	}
	if (line < data + len)
		st->dirty = true; /* a torn last line: never applied, the next change saves all */
	return 0;
}

int snap_store_load(int rootfd, struct snap_store *st, struct berth_err **err)
{
	cleanup_free char *data = NULL;
	char *line, *save = NULL;
	int lineno = 0;

	snap_store_clear(st);
	if (fs_read_file(rootfd, STORE_FILE, &data, NULL, err) < 0) {
		if (berth_err_is(*err, ENOENT)) {
			berth_err_free(err);
			return replay_log(rootfd, st, err);
		}
		return -1;
	}
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **f = NULL;
		size_t nf;

		lineno++;
		if (lineno == 1) {
			if (strcmp(line, STORE_MAGIC) != 0)
				return berth_err_new(err, BERTH_E_INVALID,
						     "metadata: line 1: expected '%s'",
						     STORE_MAGIC);
			continue;
		}
		f = strv_split(line, " ");
		nf = strv_len(f);
		if (nf == 2 && strcmp(f[0], "next") == 0) {
			st->next_id = strtoull(f[1], NULL, 10);
		} else {
			struct snap_rec *r = snap_store_add(st);

			if (parse_rec(f, nf, r) < 0) {
				strv_free(f);
				snap_store_clear(st);
				return berth_err_new(err, BERTH_E_INVALID,
						     "metadata: line %d: malformed snapshot record",
						     lineno);
			}
			if (r->id >= st->next_id)
				st->next_id = r->id + 1;
		}
		strv_free(f);
	}
	return replay_log(rootfd, st, err);
}

static void put_rec(struct buf *b, const struct snap_rec *r)
{
	buf_printf(b, "%" PRIu64 " %s", r->id, kind_word(r->kind));
	put_str(b, r->ns);
	put_str(b, r->name);
	put_str(b, r->parent);
	buf_printf(b, " %lld.%09ld %lld.%09ld %" PRId64 " %" PRId64, (long long)r->created.tv_sec,
		   r->created.tv_nsec, (long long)r->updated.tv_sec, r->updated.tv_nsec, r->size,
		   r->inodes);
	for (char **l = r->labels; l && l[0] && l[1]; l += 2) {
		put_str(b, l[0]);
		put_str(b, l[1]);
	}
	buf_puts(b, "\n");
}

int snap_store_save(int rootfd, struct snap_store *st, struct berth_err **err)
{
	struct buf b = {0};
	int ret;

	buf_puts(&b, STORE_MAGIC "\n");
	buf_printf(&b, "next %" PRIu64 "\n", st->next_id);
	for (size_t i = 0; i < st->n; i++)
		put_rec(&b, &st->v[i]);
	ret = fs_write_atomic(rootfd, STORE_FILE, b.p, b.len, 0600, err);
	free(b.p);
	if (ret == 0) {
		cleanup_close int fd =
			openat(rootfd, LOG_FILE, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0 && errno != ENOENT)
			ret = berth_err_sys(err, errno, "empty '%s'", LOG_FILE);
		else if (fd >= 0 && fdatasync(fd) < 0)
			ret = berth_err_sys(err, errno, "sync '%s'", LOG_FILE);
	}
	if (ret < 0)
		return berth_err_wrap(err, "save snapshot metadata");
	st->nlog = 0;
	st->dirty = false;
	return 0;
}

/* Appends line to the journal and syncs it; a failed append is cut off again. */
static int log_append(int rootfd, struct snap_store *st, const struct buf *line,
		      struct berth_err **err)
{
	cleanup_close int fd = -1;
	struct stat sb;
	bool created = false;

	if (st->dirty || st->nlog >= (st->n > 1024 ? st->n : 1024))
		return snap_store_save(rootfd, st, err);
	fd = openat(rootfd, LOG_FILE, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = openat(rootfd, LOG_FILE,
			    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		created = true;
	}
	if (fd < 0 || fstat(fd, &sb) < 0)
		return berth_err_sys(err, errno, "save snapshot metadata: open '%s'", LOG_FILE);
	if (fs_write_all(fd, line->p, line->len) < 0 || fdatasync(fd) < 0 ||
	    (created && fsync(rootfd) < 0)) {
		int e = errno;

		if (ftruncate(fd, sb.st_size) < 0)
			st->dirty = true;
		return berth_err_sys(err, e, "save snapshot metadata: append to '%s'", LOG_FILE);
	}
	st->nlog++;
	return 0;
}

int snap_store_log_put(int rootfd, struct snap_store *st, const struct snap_rec *r,
		       struct berth_err **err)
{
	struct buf b = {0};
	int ret;

	buf_puts(&b, "put ");
	put_rec(&b, r);
	ret = log_append(rootfd, st, &b, err);
	free(b.p);
	return ret;
}

int snap_store_log_del(int rootfd, struct snap_store *st, uint64_t id, struct berth_err **err)
{
	struct buf b = {0};
	int ret;

	buf_printf(&b, "del %" PRIu64 "\n", id);
	ret = log_append(rootfd, st, &b, err);
	free(b.p);
	return ret;
}

struct snap_rec *snap_store_find(struct snap_store *st, const char *ns, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->v[i].ns, ns) == 0 && strcmp(st->v[i].name, name) == 0)
			return &st->v[i];
	return NULL;
}

bool snap_store_has_children(const struct snap_store *st, const struct snap_rec *r)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i].parent && strcmp(st->v[i].ns, r->ns) == 0 &&
		    strcmp(st->v[i].parent, r->name) == 0)
			return true;
	return false;
}

struct snap_rec *snap_store_add(struct snap_store *st)
{
	st->v = xreallocarray(st->v, st->n + 1, sizeof(*st->v));
	memset(&st->v[st->n], 0, sizeof(st->v[0]));
	return &st->v[st->n++];
}

void snap_store_del(struct snap_store *st, struct snap_rec *r)
{
	size_t i = (size_t)(r - st->v);

	snap_rec_fini(r);
	memmove(&st->v[i], &st->v[i + 1], (st->n - i - 1) * sizeof(*st->v));
	st->n--;
}
