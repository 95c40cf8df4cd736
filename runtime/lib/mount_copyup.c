/*
 * runtime/lib/mount_copyup.c - "tmpcopyup": copy what a directory held into
 * the tmpfs just mounted over it.
 *
 * Works on fds only: the source is an fd opened on the directory before the
 * mount covered it, the destination the new tmpfs root, and every entry is
 * opened with O_NOFOLLOW relative to its parent, so a symlink in the image is
 * copied as a symlink and never followed. Modes, owners, times, device nodes
 * and fifos are kept; sockets are skipped (they cannot be copied).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/lib/rootfs_internal.h"

static int copy_data(int in, int out)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		ssize_t c = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

		if (c == 0)
			return 0;
		if (c < 0)
			break;
	}
	/* EXDEV, EINVAL, ENOSYS: plain copy */
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (fs_write_all(out, buf, n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static int copy_file(int src, int dst, const char *name, const struct stat *st)
{
	cleanup_close int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;

	if (in < 0)
		return -1;
	out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0 || copy_data(in, out) < 0)
		return -1;
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return -1;
	return 0;
}

static int copy_entry(int src, int dst, const char *name, const struct stat *st,
		      struct berth_err **err)
{
	char target[PATH_MAX];
	ssize_t n;

	switch (st->st_mode & S_IFMT) {
	case S_IFDIR: {
		cleanup_close int s = -1, d = -1;

		if (mkdirat(dst, name, 0700) < 0)
			return berth_err_sys(err, errno, "mkdir '%s'", name);
		s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_err_sys(err, errno, "open '%s'", name);
		if (rootfs_copy_tree(s, d, err) < 0)
			return berth_err_wrap(err, "'%s'", name);
		if (fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, st->st_mode & 07777) < 0)
			return berth_err_sys(err, errno, "chown/chmod '%s'", name);
		break;
	}
	case S_IFREG:
		if (copy_file(src, dst, name, st) < 0)
			return berth_err_sys(err, errno, "copy '%s'", name);
		break;
	case S_IFLNK:
		n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return berth_err_sys(err, errno, "readlink '%s'", name);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0 ||
		    fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_err_sys(err, errno, "symlink '%s'", name);
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (mknodat(dst, name, st->st_mode, st->st_rdev) < 0 ||
		    fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
			return berth_err_sys(err, errno, "mknod '%s'", name);
		break;
	default:
		return 0; /* sockets */
	}
	{
		struct timespec ts[2] = {st->st_atim, st->st_mtim};

		(void)utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW); /* times are best effort */
	}
	return 0;
}

int rootfs_copy_tree(int srcfd, int dstfd, struct berth_err **err)
{
	int dfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 0);
	cleanup_dir DIR *d = NULL;
	struct dirent *de;

	if (dfd < 0)
		return berth_err_sys(err, errno, "dup");
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return berth_err_sys(err, errno, "opendir");
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(srcfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_err_sys(err, errno, "stat '%s'", de->d_name);
		if (copy_entry(srcfd, dstfd, de->d_name, &st, err) < 0)
			return -1;
	}
	if (errno)
		return berth_err_sys(err, errno, "readdir");
	return 0;
}
