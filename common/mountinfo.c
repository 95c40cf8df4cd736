/*
 * common/mountinfo.c - /proc/<pid>/mountinfo, parsed in place. See mountinfo.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/mountinfo.h"
#include "common/xalloc.h"

#define MOUNTINFO_MAX (16 << 20)

struct mountinfo_reader {
	FILE *f;
	char *path;
	char *line; /* getline's buffer, reused: entries point into it */
	size_t cap;
	size_t lineno;
};

static char *mountinfo_path(const char *path, pid_t pid)
{
	if (path)
		return xstrdup(path);
	if (pid > 0)
		return xasprintf("/proc/%d/mountinfo", (int)pid);
	return xstrdup("/proc/self/mountinfo");
}

/* Cuts the next ' '-terminated field off *p; NULL if no ' ' is left. Empty fields count. */
static char *field(char **p)
{
	char *s = *p, *sp = strchr(s, ' ');

	if (!sp)
		return NULL;
	*sp = '\0';
	*p = sp + 1;
	return s;
}

/* A decimal number making up all of s. */
static bool parse_uint(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 0xffffffffUL)
		return false;
	*out = (unsigned int)v;
	return true;
}

/* The kernel's mangle(): ' ', '\t', '\n', '\\' became \ooo. Only shrinks, so in place. */
static void unescape(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

static int fail(const char **why, const char *reason)
{
	*why = reason;
	return -1;
}

static int parse_ids(char *const f[3], struct mountinfo_entry *e, const char **why)
{
	char *colon = strchr(f[2], ':');

	if (!parse_uint(f[0], &e->mount_id))
		return fail(why, "field 1 (mount id) is not a number");
	if (!parse_uint(f[1], &e->parent_id))
		return fail(why, "field 2 (parent id) is not a number");
	if (!colon)
		return fail(why, "field 3 (major:minor) has no ':'");
	*colon = '\0';
	if (!parse_uint(f[2], &e->major) || !parse_uint(colon + 1, &e->minor))
		return fail(why, "field 3 (major:minor) is not two numbers");
	return 0;
}

int mountinfo_parse_line(char *line, struct mountinfo_entry *e, const char **why)
{
	size_t len = strlen(line);
	char *p = line, *f[6], *sep, *fstype, *source;

	if (len && line[len - 1] == '\n')
		line[len - 1] = '\0';
	for (int i = 0; i < 5; i++)
		if (!(f[i] = field(&p)))
			return fail(why, "fewer than 6 fields before the optional fields");
	/* field 6, the mount options, is always followed by at least " - " */
	if (!(f[5] = field(&p)))
		return fail(why, "missing ' - ' separator");
	if (parse_ids(f, e, why) < 0)
		return -1;
	/* the optional fields run up to a lone "-" (a tag is never "-") */
	if (strncmp(p, "- ", 2) == 0) {
		e->optional = "";
		p += 2;
	} else if ((sep = strstr(p, " - "))) {
		*sep = '\0';
		e->optional = p;
		p = sep + 3;
	} else {
		return fail(why, "missing ' - ' separator");
	}
	fstype = field(&p);
	source = fstype ? field(&p) : NULL;
	if (!source)
		return fail(why, "want type, source and super options after ' - '");
	if (!*fstype)
		return fail(why, "empty filesystem type");
	if (!*f[3] || !*f[4])
		return fail(why, "empty root or mount point");
	unescape(f[3]);
	unescape(f[4]);
	unescape(fstype);
	unescape(source);
	e->root = f[3];
	e->mount_point = f[4];
	e->mount_opts = f[5];
	e->fstype = fstype;
	e->source = source;
	e->super_opts = p;
	return 0;
}

bool mountinfo_entry_tag(const struct mountinfo_entry *e, const char *tag, unsigned int *value)
{
	size_t tlen = strlen(tag);

	for (const char *p = e->optional; *p; p += strcspn(p, " "), p += *p == ' ') {
		size_t n = strcspn(p, " ");
		unsigned long v = 0;
		char *end;

		if (n < tlen || strncmp(p, tag, tlen) != 0 || (n > tlen && p[tlen] != ':'))
			continue;
		if (n > tlen) {
			if (p[tlen + 1] < '0' || p[tlen + 1] > '9')
				continue;
			v = strtoul(p + tlen + 1, &end, 10);
			if (end != p + n || v > 0xffffffffUL)
				continue;
		}
		if (value)
			*value = (unsigned int)v;
		return true;
	}
	return false;
}

/* ---- streaming ---- */

struct mountinfo_reader *mountinfo_open(const char *path, pid_t pid, struct berth_err **err)
{
	struct mountinfo_reader *r;
	char *p = mountinfo_path(path, pid);
	FILE *f = fopen(p, "re");

	if (!f) {
		berth_err_sys(err, errno, "open '%s'", p);
		free(p);
		return NULL;
	}
	r = xnew(struct mountinfo_reader);
	r->f = f;
	r->path = p;
	return r;
}

void mountinfo_close(struct mountinfo_reader *r)
{
	if (!r)
		return;
	fclose(r->f);
	free(r->path);
	free(r->line);
	free(r);
}

void mountinfo_closep(struct mountinfo_reader **r)
{
	mountinfo_close(*r);
}

int mountinfo_next(struct mountinfo_reader *r, struct mountinfo_entry *e, struct berth_err **err)
{
	const char *why;
	ssize_t n;

	do {
		errno = 0;
		n = getline(&r->line, &r->cap, r->f);
		if (n < 0 && ferror(r->f))
			return berth_err_sys(err, errno ? errno : EIO, "read '%s'", r->path);
		if (n < 0)
			return 0;
		r->lineno++;
	} while (r->line[0] == '\n' || r->line[0] == '\0');
	if (mountinfo_parse_line(r->line, e, &why) < 0)
		return berth_err_new(err, BERTH_E_INVALID, "'%s' line %zu: %s", r->path, r->lineno,
				     why);
	return 1;
}

/* ---- the whole file ---- */

struct mountinfo *mountinfo_load(const char *path, pid_t pid, struct berth_err **err)
{
	cleanup_free char *p = mountinfo_path(path, pid);
	cleanup(mountinfo_freep) struct mountinfo *mi = xnew(struct mountinfo);
	size_t cap = 0, lineno = 0;
	char *line, *next;

	if (fs_read_file_max(AT_FDCWD, p, MOUNTINFO_MAX, &mi->buf, NULL, err) < 0)
		return NULL;
	for (line = mi->buf; *line; line = next) {
		const char *why;

		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		lineno++;
		if (!*line)
			continue;
		if (mi->n == cap) {
			cap = cap ? 2 * cap : 32;
			mi->v = xreallocarray(mi->v, cap, sizeof(*mi->v));
		}
		if (mountinfo_parse_line(line, &mi->v[mi->n], &why) < 0) {
			berth_err_new(err, BERTH_E_INVALID, "'%s' line %zu: %s", p, lineno, why);
			return NULL;
		}
		mi->n++;
	}
	return take_ptr(mi);
}

void mountinfo_free(struct mountinfo *mi)
{
	if (!mi)
		return;
	free(mi->v);
	free(mi->buf);
	free(mi);
}

void mountinfo_freep(struct mountinfo **mi)
{
	mountinfo_free(*mi);
}
