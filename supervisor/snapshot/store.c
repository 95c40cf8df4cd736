/*
 * supervisor/snapshot/store.c - the snapshot metadata file <root>/metadata.
 *
 * A text file rewritten whole and atomically (fs_write_atomic) on every change; it is
 * small (one line per snapshot) and the snapshotter keeps it in memory. Format:
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

#include "common/hex.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot_internal.h"

#define STORE_FILE "metadata"
#define STORE_MAGIC "berth-snapshots 1"

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

int snap_store_load(int rootfd, struct snap_store *st, struct berth_err **err)
{
	cleanup_free char *data = NULL;
	char *line, *save = NULL;
	int lineno = 0;

	snap_store_clear(st);
	if (fs_read_file(rootfd, STORE_FILE, &data, NULL, err) < 0) {
		if (berth_err_is(*err, ENOENT)) {
			berth_err_free(err);
			return 0;
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
	return 0;
}

int snap_store_save(int rootfd, const struct snap_store *st, struct berth_err **err)
{
	struct buf b = {0};
	int ret;

	buf_puts(&b, STORE_MAGIC "\n");
	buf_printf(&b, "next %" PRIu64 "\n", st->next_id);
	for (size_t i = 0; i < st->n; i++) {
		const struct snap_rec *r = &st->v[i];

		buf_printf(&b, "%" PRIu64 " %s", r->id, kind_word(r->kind));
		put_str(&b, r->ns);
		put_str(&b, r->name);
		put_str(&b, r->parent);
		buf_printf(&b, " %lld.%09ld %lld.%09ld %" PRId64 " %" PRId64,
			   (long long)r->created.tv_sec, r->created.tv_nsec,
			   (long long)r->updated.tv_sec, r->updated.tv_nsec, r->size, r->inodes);
		for (char **l = r->labels; l && l[0] && l[1]; l += 2) {
			put_str(&b, l[0]);
			put_str(&b, l[1]);
		}
		buf_puts(&b, "\n");
	}
	ret = fs_write_atomic(rootfd, STORE_FILE, b.p, b.len, 0600, err);
	free(b.p);
	if (ret < 0)
		return berth_err_wrap(err, "save snapshot metadata");
	return 0;
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
