/*
 * supervisor/diff/resolve.c - path handling for layer extraction: cleaning entry names,
 * resolving directories inside the target as if it were '/', removing trees without
 * following symlinks, and the string set extract.c keeps its created paths in.
 *
 * resolve_dir() walks one component at a time with O_NOFOLLOW opens relative to
 * directory fds it already holds; '..' pops its own fd stack (clamped at the root) and
 * an absolute symlink restarts from the root fd, so no path string is ever handed to
 * the kernel that could leave the target. openat2(RESOLVE_IN_ROOT) serves the lookups
 * that only read (hardlink targets, lower dirs, directory times).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/diff/diff_internal.h"

#define MAX_SYMLINKS 40

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void strset_insert(struct strset *s, char *str)
{
	size_t i = hash(str) & (s->cap - 1);

	while (s->slots[i]) {
		if (strcmp(s->slots[i], str) == 0) {
			free(str);
			return;
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->slots[i] = str;
	s->n++;
}

void strset_add(struct strset *s, const char *str)
{
	if ((s->n + 1) * 10 > s->cap * 7) {
		struct strset g = {.cap = s->cap ? s->cap * 2 : 64};

		g.slots = xcalloc(g.cap, sizeof(char *));
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				strset_insert(&g, s->slots[i]);
		free(s->slots);
		*s = g;
	}
	strset_insert(s, xstrdup(str));
}

bool strset_has(const struct strset *s, const char *str)
{
	if (!s->cap)
		return false;
	for (size_t i = hash(str) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slots[i], str) == 0)
			return true;
	return false;
}

void strset_fini(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

int resolve_clean(const char *name, char **out, struct berth_err **err)
{
	cleanup(strv_freep) char **parts = NULL;
	char **keep = NULL;

	if (name[0] == '/')
		return berth_err_new(err, BERTH_E_INVALID, "absolute path escapes the snapshot");
	parts = strv_split(name, "/");
	strv_foreach (p, parts) {
		if (strcmp(p, ".") == 0)
			continue;
		if (strcmp(p, "..") == 0) {
			strv_free(keep);
			return berth_err_new(err, BERTH_E_INVALID, "path escapes the snapshot");
		}
		strv_push(&keep, p);
	}
	*out = keep ? strv_join(keep, "/") : xstrdup("");
	strv_free(keep);
	return 0;
}

int resolve_in_root(int rootfd, const char *rel, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof(how));
}

/*
 * What the nearest lower holds at dir/comp (overlay targets): 0 and *st filled, with
 * *link set for a symlink; -1 if no lower has it (or a whiteout hides it).
 */
static int lower_lookup(struct extract *x, const char *dir, const char *comp, struct stat *st,
			char **link)
{
	for (size_t i = 0; i < x->nlowers; i++) {
		cleanup_close int pfd = resolve_in_root(x->lowerfds[i], dir, O_PATH | O_DIRECTORY);
		char target[PATH_MAX + 1];
		ssize_t n;

		if (pfd < 0 || fstatat(pfd, comp, st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
			return -1;
		if (S_ISLNK(st->st_mode)) {
			n = readlinkat(pfd, comp, target, PATH_MAX);
			if (n < 0)
				return -1;
			target[n] = '\0';
			*link = xstrdup(target);
		}
		return 0;
	}
	return -1;
}

struct walk {
	int *fds;     /* fds[0] is the root; fds[depth] the current directory */
	char **names; /* names[i] leads from fds[i] to fds[i + 1] */
	size_t depth;
};

static void walk_push(struct walk *w, int fd, const char *name)
{
	w->fds = xreallocarray(w->fds, w->depth + 2, sizeof(int));
	w->names = xreallocarray(w->names, w->depth + 2, sizeof(char *));
	w->names[w->depth] = xstrdup(name);
	w->names[w->depth + 1] = NULL;
	w->fds[++w->depth] = fd;
}

static void walk_pop(struct walk *w)
{
	if (w->depth == 0)
		return;
	close(w->fds[w->depth--]);
	free(w->names[w->depth]);
	w->names[w->depth] = NULL;
}

/* Creates dir comp in the current directory, with a lower's owner and mode if it has one. */
static int walk_mkdir(struct walk *w, const char *comp, const struct stat *lower,
		      struct berth_err **err)
{
	int cur = w->fds[w->depth];

	if (mkdirat(cur, comp, 0700) < 0)
		return berth_err_sys(err, errno, "create directory '%s'", comp);
	/* explicit mode: the daemon's umask must not leak into the image */
	if (!lower && fchmodat(cur, comp, 0755, 0) < 0)
		return berth_err_sys(err, errno, "chmod directory '%s'", comp);
	if (lower) {
		if (fchownat(cur, comp, lower->st_uid, lower->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(cur, comp, lower->st_mode & 07777, 0) < 0)
			return berth_err_sys(err, errno, "copy up directory '%s'", comp);
	}
	return 0;
}

/* Replaces todo[*ti..] by the components of target followed by the rest. */
static void walk_splice(char ***todo, size_t *ti, const char *target)
{
	char **next = strv_split(target, "/");

	for (char **r = *todo + *ti; *r; r++)
		strv_push(&next, *r);
	strv_free(*todo);
	*todo = next;
	*ti = 0;
}

static int walk_step(struct extract *x, struct walk *w, char ***todo, size_t *ti, bool create,
		     int *links, struct berth_err **err)
{
	const char *comp = (*todo)[(*ti)++];
	int cur = w->fds[w->depth];
	cleanup_free char *link = NULL, *here = NULL;
	struct stat st, lst;
	bool from_lower = false;
	char target[PATH_MAX + 1];
	int fd;

	if (!*comp || strcmp(comp, ".") == 0)
		return 0;
	if (strcmp(comp, "..") == 0) {
		walk_pop(w);
		return 0;
	}
	if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return berth_err_sys(err, errno, "stat '%s'", comp);
		here = w->depth ? strv_join(w->names, "/") : xstrdup("");
		from_lower = x->nlowers && lower_lookup(x, here, comp, &lst, &link) == 0;
		if (from_lower && S_ISLNK(lst.st_mode)) {
			st = lst;
		} else {
			if (!create)
				return berth_err_sys(err, ENOENT, "'%s'", comp);
			if (from_lower && !S_ISDIR(lst.st_mode))
				from_lower = false;
			if (walk_mkdir(w, comp, from_lower ? &lst : NULL, err) < 0)
				return -1;
			st.st_mode = S_IFDIR;
		}
	}
	if (S_ISLNK(st.st_mode)) {
		if (++*links > MAX_SYMLINKS)
			return berth_err_sys(err, ELOOP, "'%s'", comp);
		if (!link) {
			ssize_t n = readlinkat(cur, comp, target, PATH_MAX);

			if (n < 0)
				return berth_err_sys(err, errno, "readlink '%s'", comp);
			target[n] = '\0';
			link = xstrdup(target);
		}
		if (link[0] == '/')
			while (w->depth)
				walk_pop(w);
		walk_splice(todo, ti, link);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return berth_err_sys(err, ENOTDIR, "'%s'", comp);
	fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", comp);
	walk_push(w, fd, comp);
	return 0;
}

int resolve_dir(struct extract *x, const char *rel, bool create, struct berth_err **err)
{
	struct walk w = {0};
	char **todo = strv_split(rel, "/");
	size_t ti = 0;
	int links = 0, ret = 0, fd;

	w.fds = xmalloc(sizeof(int));
	w.fds[0] = x->rootfd;
	while (todo && todo[ti] && ret == 0)
		ret = walk_step(x, &w, &todo, &ti, create, &links, err);
	strv_free(todo);
	fd = ret == 0 ? dup(w.fds[w.depth]) : -1;
	if (ret == 0 && fd < 0)
		ret = berth_err_sys(err, errno, "dup");
	while (w.depth)
		walk_pop(&w);
	free(w.fds);
	free(w.names);
	if (ret < 0)
		return berth_err_wrap(err, "resolve '%s'", rel);
	return fd;
}
