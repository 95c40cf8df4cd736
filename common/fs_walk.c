/*
 * common/fs_walk.c - the iterative tree walk and the rm -rf built on it. See fs_walk.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs_walk.h"
#include "common/strv.h"
#include "common/xalloc.h"

/* One directory being walked: its names, the next to visit, how it was reached. */
struct frame {
	char **names;
	size_t n, next;
	char *name;	     /* its name in the parent (NULL for the root) */
	size_t rel_len;	     /* length of its rel path (without the trailing '/') */
	struct stat st, mst; /* the directory and its mirror (mst.st_ino 0 without one) */
};

struct walk {
	struct frame *v;
	size_t depth, cap;
	int fd, mfd;
	char *rel;
	size_t rel_cap;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd (borrowed), without "." and "..". */
static int read_names(int fd, bool sorted, char ***out, size_t *n, struct berth_err **err)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;

	if (!d) {
		int e = errno;

		if (dfd >= 0)
			close(dfd);
		return berth_err_sys(err, e, "open directory");
	}
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[cnt++] = xstrdup(de->d_name);
	}
	if (errno) {
		int e = errno;

		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return berth_err_sys(err, e, "read directory");
	}
	if (sorted && cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_name);
	*out = v;
	*n = cnt;
	return 0;
}

static void frame_fini(struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->name);
	memset(f, 0, sizeof(*f));
}

/* Sets w->rel to the current directory's rel path plus "/name" (or name at the root). */
static void rel_set(struct walk *w, size_t base, const char *name)
{
	size_t nl = strlen(name), need = base + 1 + nl + 1;

	if (need > w->rel_cap) {
		w->rel_cap = need * 2;
		w->rel = xrealloc(w->rel, w->rel_cap);
	}
	if (base)
		w->rel[base++] = '/';
	memcpy(w->rel + base, name, nl + 1);
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Opens dir name of fd, checking it is the inode want (if given). */
static int open_checked(int fd, const char *name, const struct stat *want, struct stat *got,
			struct berth_err **err)
{
	int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (nfd < 0)
		return berth_err_sys(err, errno, "open directory");
	if (fstat(nfd, got) < 0) {
		int e = errno;

		close(nfd);
		return berth_err_sys(err, e, "stat directory");
	}
	if (want && !same_inode(want, got)) {
		close(nfd);
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "directory changed while it was walked");
	}
	return nfd;
}

static int descend(struct walk *w, unsigned flags, const char *name, const struct stat *st,
		   struct berth_err **err)
{
	struct frame f = {0};
	int nfd, nmfd = -1;

	nfd = open_checked(w->fd, name, st, &f.st, err);
	if (nfd < 0)
		return -1;
	if (w->mfd >= 0) {
		nmfd = open_checked(w->mfd, name, NULL, &f.mst, err);
		if (nmfd < 0) {
			close(nfd);
			return berth_err_wrap(err, "mirror");
		}
	}
	if (read_names(nfd, flags & FS_WALK_SORTED, &f.names, &f.n, err) < 0) {
		close(nfd);
		if (nmfd >= 0)
			close(nmfd);
		return -1;
	}
	f.name = xstrdup(name);
	f.rel_len = strlen(w->rel);
	if (w->depth == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->v = xreallocarray(w->v, w->cap, sizeof(*w->v));
	}
	w->v[w->depth++] = f;
	close(w->fd);
	w->fd = nfd;
	if (w->mfd >= 0)
		close(w->mfd);
	w->mfd = nmfd;
	return 0;
}

/* Goes back to the parent of the current directory; *left takes the finished frame. */
static int ascend(struct walk *w, struct frame *left, struct berth_err **err)
{
	const struct frame *parent = &w->v[w->depth - 2];
	struct stat st;
	int pfd, pmfd = -1;

	pfd = open_checked(w->fd, "..", &parent->st, &st, err);
	if (pfd < 0)
		return -1;
	if (w->mfd >= 0) {
		pmfd = open_checked(w->mfd, "..", &parent->mst, &st, err);
		if (pmfd < 0) {
			close(pfd);
			return berth_err_wrap(err, "mirror");
		}
	}
	close(w->fd);
	w->fd = pfd;
	if (w->mfd >= 0)
		close(w->mfd);
	w->mfd = pmfd;
	*left = w->v[--w->depth];
	return 0;
}

/* One step: visit the next entry of the current directory, or leave it. 1 when done. */
static int step(struct walk *w, unsigned flags, const struct fs_walk_ops *ops, void *arg,
		struct berth_err **err)
{
	struct frame *f = &w->v[w->depth - 1];
	struct fs_walk_entry e = {.dirfd = w->fd, .mirrorfd = w->mfd, .depth = w->depth};
	int r;

	if (f->next < f->n) {
		const char *name = f->names[f->next++];

		rel_set(w, f->rel_len, name);
		e.name = name;
		e.rel = w->rel;
		if (fstatat(w->fd, name, &e.st, AT_SYMLINK_NOFOLLOW) < 0)
			return errno == ENOENT ? 0 : berth_err_sys(err, errno, "stat");
		r = ops->visit(arg, &e, err);
		if (r < 0)
			return -1;
		if (r == FS_WALK_DESCEND && S_ISDIR(e.st.st_mode))
			return descend(w, flags, name, &e.st, err);
		return 0;
	}
	if (w->depth == 1)
		return 1;
	{
		cleanup_free char *name = NULL;
		struct frame left;

		if (ascend(w, &left, err) < 0)
			return -1;
		w->rel[left.rel_len] = '\0';
		name = take_ptr(left.name);
		e = (struct fs_walk_entry){.dirfd = w->fd,
					   .mirrorfd = w->mfd,
					   .name = name,
					   .rel = w->rel,
					   .depth = w->depth,
					   .st = left.st};
		frame_fini(&left);
		if (ops->leave && ops->leave(arg, &e, err) < 0)
			return -1;
		/* the parent's rel path again, for the next entry's rel_set */
		w->rel[w->v[w->depth - 1].rel_len] = '\0';
	}
	return 0;
}

int fs_walk(int rootfd, int mirrorfd, unsigned flags, const struct fs_walk_ops *ops, void *arg,
	    struct berth_err **err)
{
	struct walk w = {.fd = -1, .mfd = -1};
	struct frame root = {0};
	int ret = 0;

	w.fd = open_checked(rootfd, ".", NULL, &root.st, err);
	if (w.fd < 0)
		return -1;
	if (mirrorfd >= 0) {
		w.mfd = open_checked(mirrorfd, ".", NULL, &root.mst, err);
		if (w.mfd < 0) {
			close(w.fd);
			return -1;
		}
	}
	if (read_names(w.fd, flags & FS_WALK_SORTED, &root.names, &root.n, err) < 0) {
		ret = -1;
	} else {
		w.rel = xstrdup("");
		w.rel_cap = 1;
		w.v = xnew(struct frame);
		w.cap = 1;
		w.v[w.depth++] = root;
		while ((ret = step(&w, flags, ops, arg, err)) == 0)
			;
		if (ret < 0 && w.rel)
			berth_err_wrap(err, "'%s'", w.rel);
		ret = ret < 0 ? -1 : 0;
	}
	for (size_t i = 0; i < w.depth; i++)
		frame_fini(&w.v[i]);
	free(w.v);
	free(w.rel);
	close(w.fd);
	if (w.mfd >= 0)
		close(w.mfd);
	return ret;
}

struct rm_ctx {
	dev_t dev;
};

static int rm_visit(void *arg, const struct fs_walk_entry *e, struct berth_err **err)
{
	const struct rm_ctx *c = arg;

	if (S_ISDIR(e->st.st_mode)) {
		if (e->st.st_dev != c->dev)
			return berth_err_new(err, BERTH_E_PRECONDITION,
					     "a mount point, not removing");
		return FS_WALK_DESCEND;
	}
	if (unlinkat(e->dirfd, e->name, 0) < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "unlink");
	return FS_WALK_SKIP;
}

static int rm_leave(void *arg, const struct fs_walk_entry *e, struct berth_err **err)
{
	if (unlinkat(e->dirfd, e->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "rmdir");
	return 0;
}

int fs_rm_rf_at(int dirfd, const char *name, struct berth_err **err)
{
	static const struct fs_walk_ops ops = {rm_visit, rm_leave};
	cleanup_close int fd = -1;
	struct rm_ctx c;
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_err_sys(err, errno, "stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return berth_err_sys(err, errno, "unlink '%s'", name);
		return 0;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", name);
	c.dev = st.st_dev;
	if (fs_walk(fd, -1, 0, &ops, &c, err) < 0)
		return berth_err_wrap(err, "remove '%s'", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "rmdir '%s'", name);
	return 0;
}
