/*
 * supervisor/snapshot/tree.c - copying a snapshot tree (native driver) and measuring
 * one (Usage). Both walk with fs_walk (iterative, two fds at any depth) and *at() calls,
 * never follow symlinks and never cross into another mount.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs_walk.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot_internal.h"

struct inode_key {
	dev_t dev;
	ino_t ino;
	char *path; /* first copy's path relative to the destination root */
};

struct copy_ctx {
	int dstroot;
	dev_t dev;
	struct inode_key *links;
	size_t nlinks;
};

static const char *find_link(const struct copy_ctx *c, const struct stat *st)
{
	for (size_t i = 0; i < c->nlinks; i++)
		if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
			return c->links[i].path;
	return NULL;
}

static void add_link(struct copy_ctx *c, const struct stat *st, const char *rel)
{
	c->links = xreallocarray(c->links, c->nlinks + 1, sizeof(*c->links));
	c->links[c->nlinks++] = (struct inode_key){st->st_dev, st->st_ino, xstrdup(rel)};
}

/* Copies the extended attributes of sdir/name onto ddir/name (no symlink following). */
static int copy_xattrs(int sdir, int ddir, const char *name, struct berth_err **err)
{
	char spath[64 + NAME_MAX], dpath[64 + NAME_MAX];
	cleanup_free char *list = NULL;
	ssize_t len;

	snprintf(spath, sizeof(spath), "/proc/self/fd/%d/%s", sdir, name);
	snprintf(dpath, sizeof(dpath), "/proc/self/fd/%d/%s", ddir, name);
	len = llistxattr(spath, NULL, 0);
	if (len < 0) {
		if (errno == ENOTSUP || errno == ENODATA)
			return 0;
		return berth_err_sys(err, errno, "list xattrs of '%s'", name);
	}
	if (len == 0)
		return 0;
	list = xmalloc((size_t)len);
	len = llistxattr(spath, list, (size_t)len);
	if (len < 0)
		return berth_err_sys(err, errno, "list xattrs of '%s'", name);
	for (char *k = list; k < list + len; k += strlen(k) + 1) {
		cleanup_free char *val = NULL;
		ssize_t vl = lgetxattr(spath, k, NULL, 0);

		if (vl < 0)
			return berth_err_sys(err, errno, "get xattr '%s' of '%s'", k, name);
		val = xmalloc((size_t)vl + 1);
		vl = lgetxattr(spath, k, val, (size_t)vl);
		if (vl < 0)
			return berth_err_sys(err, errno, "get xattr '%s' of '%s'", k, name);
		if (lsetxattr(dpath, k, val, (size_t)vl, 0) < 0)
			return berth_err_sys(err, errno, "set xattr '%s' on '%s'", k, name);
	}
	return 0;
}

/* Owner, mode, xattrs, times, in that order: chown clears set-id bits and capabilities. */
static int copy_meta(int sdir, int ddir, const char *name, const struct stat *st,
		     struct berth_err **err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_sys(err, errno, "chown '%s'", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
		return berth_err_sys(err, errno, "chmod '%s'", name);
	if (copy_xattrs(sdir, ddir, name, err) < 0)
		return -1;
	if (utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_sys(err, errno, "set times of '%s'", name);
	return 0;
}

static int copy_data(int sdir, int ddir, const char *name, struct berth_err **err)
{
	cleanup_close int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;
	char buf[65536];

	if (in < 0)
		return berth_err_sys(err, errno, "open '%s'", name);
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berth_err_sys(err, errno, "create '%s'", name);
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
			return berth_err_sys(err, errno, "copy '%s'", name);
		break;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_err_sys(err, errno, "read '%s'", name);
		if (n == 0)
			return 0;
		if (write(out, buf, (size_t)n) != n)
			return berth_err_sys(err, errno, "write '%s'", name);
	}
}

/* fs_walk visit: e is in the source tree, e->mirrorfd the same directory of the copy. */
static int copy_visit(void *arg, const struct fs_walk_entry *e, struct berth_err **err)
{
	struct copy_ctx *c = arg;
	const struct stat *st = &e->st;
	int sdir = e->dirfd, ddir = e->mirrorfd;
	const char *name = e->name, *rel = e->rel, *first;

	if (st->st_dev != c->dev)
		return FS_WALK_SKIP; /* a mount point inside the snapshot: not ours to copy */
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		first = find_link(c, st);
		if (first) {
			if (linkat(c->dstroot, first, ddir, name, 0) < 0)
				return berth_err_sys(err, errno, "link '%s' to '%s'", rel, first);
			return FS_WALK_SKIP;
		}
		add_link(c, st, rel);
	}
	if (S_ISDIR(st->st_mode)) {
		if (mkdirat(ddir, name, 0700) < 0)
			return berth_err_sys(err, errno, "mkdir '%s'", rel);
		return FS_WALK_DESCEND; /* its attributes once its entries are in: copy_leave */
	} else if (S_ISREG(st->st_mode)) {
		if (copy_data(sdir, ddir, name, err) < 0)
			return berth_err_wrap(err, "'%s'", rel);
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX + 1];
		ssize_t n = readlinkat(sdir, name, target, PATH_MAX);

		if (n < 0)
			return berth_err_sys(err, errno, "readlink '%s'", rel);
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return berth_err_sys(err, errno, "symlink '%s'", rel);
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) || S_ISFIFO(st->st_mode)) {
		if (mknodat(ddir, name, st->st_mode, st->st_rdev) < 0)
			return berth_err_sys(err, errno, "mknod '%s'", rel);
	} else {
		return FS_WALK_SKIP; /* sockets belong to a process that is gone */
	}
	if (copy_meta(sdir, ddir, name, st, err) < 0)
		return berth_err_wrap(err, "copy '%s'", rel);
	return FS_WALK_SKIP;
}

/* A directory's owner, mode and times after its entries: creating them changed its mtime. */
static int copy_leave(void *arg, const struct fs_walk_entry *e, struct berth_err **err)
{
	if (copy_meta(e->dirfd, e->mirrorfd, e->name, &e->st, err) < 0)
		return berth_err_wrap(err, "copy '%s'", e->rel);
	return 0;
}

int snap_tree_copy(const char *src, const char *dst, struct berth_err **err)
{
	cleanup_close int sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct copy_ctx c = {.dstroot = -1};
	struct stat st;
	int ret;

	if (sfd < 0)
		return berth_err_sys(err, errno, "open '%s'", src);
	if (dfd < 0)
		return berth_err_sys(err, errno, "open '%s'", dst);
	if (fstat(sfd, &st) < 0)
		return berth_err_sys(err, errno, "stat '%s'", src);
	c.dev = st.st_dev;
	c.dstroot = dfd;
	/* iterative: a layer decides the depth, not berthd's stack (issue #15) */
	ret = fs_walk(sfd, dfd, 0, &(const struct fs_walk_ops){copy_visit, copy_leave}, &c, err);
	for (size_t i = 0; i < c.nlinks; i++)
		free(c.links[i].path);
	free(c.links);
	if (ret < 0)
		return berth_err_wrap(err, "copy '%s' to '%s'", src, dst);
	/* the root directory's own attributes ("." names the directory itself) */
	if (copy_meta(sfd, dfd, ".", &st, err) < 0)
		return berth_err_wrap(err, "copy '%s' to '%s'", src, dst);
	return 0;
}

struct usage_ctx {
	dev_t dev;
	struct inode_key *seen;
	size_t nseen;
	struct snap_usage u;
};

static int usage_visit(void *arg, const struct fs_walk_entry *e, struct berth_err **err)
{
	struct usage_ctx *c = arg;
	const struct stat *st = &e->st;

	if (st->st_dev != c->dev)
		return FS_WALK_SKIP;
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1) {
		for (size_t i = 0; i < c->nseen; i++)
			if (c->seen[i].ino == st->st_ino)
				return FS_WALK_SKIP;
		c->seen = xreallocarray(c->seen, c->nseen + 1, sizeof(*c->seen));
		c->seen[c->nseen++] = (struct inode_key){st->st_dev, st->st_ino, NULL};
	}
	c->u.inodes++;
	c->u.size += (int64_t)st->st_blocks * 512;
	return S_ISDIR(st->st_mode) ? FS_WALK_DESCEND : FS_WALK_SKIP;
}

int snap_tree_usage(const char *path, struct snap_usage *out, struct berth_err **err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct usage_ctx c = {0};
	struct stat st;
	int ret;

	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	if (fstat(fd, &st) < 0)
		return berth_err_sys(err, errno, "stat '%s'", path);
	c.dev = st.st_dev;
	c.u.inodes = 1;
	c.u.size = (int64_t)st.st_blocks * 512;
	ret = fs_walk(fd, -1, 0, &(const struct fs_walk_ops){usage_visit, NULL}, &c, err);
	free(c.seen);
	if (ret < 0)
		return berth_err_wrap(err, "disk usage of '%s'", path);
	*out = c.u;
	return 0;
}
