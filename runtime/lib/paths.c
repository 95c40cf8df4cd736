/*
 * runtime/lib/paths.c - resolution inside a root (see paths.h).
 *
 * The user-space walk keeps a stack of O_PATH fds, one per directory it has
 * entered: ".." pops the stack (never below the root), an absolute symlink
 * drops back to the root, a relative one is spliced in front of what is left
 * of the path. Every component is opened with O_NOFOLLOW relative to the fd on
 * top of the stack, so a rename racing with the walk can at worst make it
 * fail, never step outside. Like RESOLVE_NO_MAGICLINKS, the walk refuses the
 * "magic" symlinks of procfs (/proc/<pid>/root, fd/N, exe...).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/paths.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

const char *rt_path_fd(int fd, char *buf)
{
	snprintf(buf, RT_PATH_FD_LEN, "/proc/self/fd/%d", fd);
	return buf;
}

bool rt_path_same_inode(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

char *rt_path_clean(const char *path)
{
	size_t len = strlen(path);
	char *out = xmalloc(len + 2);
	size_t o = 0;
	const char *p = path;

	out[o++] = '/';
	while (*p) {
		const char *c;
		size_t n;

		while (*p == '/')
			p++;
		c = p;
		while (*p && *p != '/')
			p++;
		n = p - c;
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			/* drop the last component written, never the leading '/' */
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

/* ---- openat2 ---- */

static bool openat2_missing;

static int open_openat2(int rootfd, const char *path, bool nofollow)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1;

	/* EAGAIN: a rename elsewhere raced with a ".." lookup; the kernel asks us to retry */
	for (int i = 0; i < 32; i++) {
		fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

/* ---- the user-space walk ---- */

struct walk {
	int *fds; /* fds[0] is the root; owned */
	size_t n, cap;
	int links;
};

static void walk_release(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		close(w->fds[i]);
	free(w->fds);
	w->fds = NULL;
	w->n = 0;
}

static void walk_push(struct walk *w, int fd)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->fds = xreallocarray(w->fds, w->cap, sizeof(*w->fds));
	}
	w->fds[w->n++] = fd;
}

static void walk_pop_to(struct walk *w, size_t n)
{
	while (w->n > n)
		close(w->fds[--w->n]);
}

/* The non-magic symlinks procfs has; any other symlink there is a magic link. */
static bool proc_link_is_plain(const char *name)
{
	return !strcmp(name, "self") || !strcmp(name, "thread-self") || !strcmp(name, "mounts") ||
	       !strcmp(name, "net");
}

/* Opens component c in the directory on top of the stack, creating it if asked. */
static int walk_open_one(struct walk *w, const char *c, bool mkdir_it, mode_t mode)
{
	int top = w->fds[w->n - 1];
	int fd = openat(top, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT || !mkdir_it)
		return fd;
	if (mkdirat(top, c, mode) < 0 && errno != EEXIST)
		return -1;
	return openat(top, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

/*
 * Replaces *todo (whose unparsed part starts at rest) with target + "/" + rest.
 * Returns the new string; *todo is freed.
 */
static char *splice_link(char *todo, const char *rest, const char *target)
{
	char *s = xasprintf("%s/%s", target, rest);

	free(todo);
	return s;
}

static int walk_link(struct walk *w, int fd, const char *c, char **todo, const char **p)
{
	char target[PATH_MAX];
	struct statfs sfs;
	ssize_t n;

	if (++w->links > RT_PATH_MAX_SYMLINKS) {
		errno = ELOOP;
		return -1;
	}
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC && !proc_link_is_plain(c)) {
		errno = ELOOP;
		return -1;
	}
	n = readlinkat(fd, "", target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = '\0';
	if (target[0] == '/')
		walk_pop_to(w, 1);
	*todo = splice_link(*todo, *p, target);
	*p = *todo;
	return 0;
}

/* Resolves path in w (whose stack holds the root); on success the result is on top. */
static int walk_path(struct walk *w, const char *path, int flags, mode_t mode)
{
	cleanup_free char *todo = xstrdup(path);
	const char *p = todo;

	for (;;) {
		char c[NAME_MAX + 1];
		const char *start;
		struct stat st;
		bool last;
		size_t len;
		int fd;

		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		start = p;
		while (*p && *p != '/')
			p++;
		len = p - start;
		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(c, start, len);
		c[len] = '\0';
		while (*p == '/')
			p++;
		last = !*p;
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			walk_pop_to(w, w->n > 1 ? w->n - 1 : 1);
			continue;
		}
		fd = walk_open_one(w, c, flags & RT_PATH_MKDIR, mode);
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -1;
		}
		if (S_ISLNK(st.st_mode) && !(last && (flags & RT_PATH_NOFOLLOW))) {
			int r = walk_link(w, fd, c, &todo, &p);

			close(fd);
			if (r < 0)
				return -1;
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode)) {
			close(fd);
			errno = ENOTDIR;
			return -1;
		}
		walk_push(w, fd);
	}
}

static int open_walk(int rootfd, const char *path, int flags, mode_t mode)
{
	struct walk w = {0};
	int root = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd, saved;

	if (root < 0)
		return -1;
	walk_push(&w, root);
	if (walk_path(&w, path, flags, mode) < 0) {
		saved = errno;
		walk_release(&w);
		errno = saved;
		return -1;
	}
	/* hand the top of the stack to the caller */
	fd = w.fds[--w.n];
	walk_release(&w);
	return fd;
}

static int open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	int fd;

	if (!(flags & (RT_PATH_FORCE_WALK | RT_PATH_MKDIR)) && !openat2_missing) {
		fd = open_openat2(rootfd, path, flags & RT_PATH_NOFOLLOW);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		openat2_missing = true;
	}
	if ((flags & RT_PATH_MKDIR) && !(flags & RT_PATH_FORCE_WALK) && !openat2_missing) {
		/* fast path: it usually exists already */
		fd = open_openat2(rootfd, path, flags & RT_PATH_NOFOLLOW);
		if (fd >= 0 || (errno != ENOENT && errno != ENOSYS))
			return fd;
		if (errno == ENOSYS)
			openat2_missing = true;
	}
	return open_walk(rootfd, path, flags, mode);
}

int rt_path_open(int rootfd, const char *path, int flags, mode_t mode, struct berth_err **err)
{
	int fd = open_in_root(rootfd, path, flags, mode);

	if (fd < 0)
		return berth_err_sys(err, errno, "resolve '%s' in root", path);
	return fd;
}

int rt_path_open_parent(int rootfd, const char *path, int flags, mode_t mode, char **buf,
			const char **name, struct berth_err **err)
{
	cleanup_free char *clean = rt_path_clean(path);
	char *slash = strrchr(clean, '/');
	int fd;

	if (!strcmp(clean, "/"))
		return berth_err_new(err, BERTH_E_INVALID,
				     "'%s' names the root, not an entry in it", path);
	*slash = '\0';
	fd = rt_path_open(rootfd, clean[0] ? clean : "/", flags & ~RT_PATH_NOFOLLOW, mode, err);
	if (fd < 0)
		return -1;
	memmove(clean, slash + 1, strlen(slash + 1) + 1);
	*name = clean;
	*buf = take_ptr(clean);
	return fd;
}
