/* common/fs.c - see fs.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/fs_walk.h"
#include "common/xalloc.h"

ssize_t fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)w;
	}
	return (ssize_t)done;
}

ssize_t fs_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t r = read(fd, p + done, len - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static int write_renamed(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			 bool durable, struct berth_err **err)
{
	cleanup_free char *tmp = xasprintf(".%s.tmp.%d", name, (int)getpid());
	cleanup_close int fd =
		openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return berth_err_sys(err, errno, "create '%s'", tmp);
	if (fs_write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return berth_err_sys(err, e, "write '%s'", tmp);
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;
		unlinkat(dirfd, tmp, 0);
		return berth_err_sys(err, e, "rename '%s' to '%s'", tmp, name);
	}
	if (durable && dirfd != AT_FDCWD)
		fsync(dirfd);
	return 0;
}

int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		    struct berth_err **err)
{
	return write_renamed(dirfd, name, data, len, mode, true, err);
}

int fs_write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		     struct berth_err **err)
{
	return write_renamed(dirfd, name, data, len, mode, false, err);
}

int fs_read_file_max(int dirfd, const char *path, size_t max, char **out, size_t *len,
		     struct berth_err **err)
{
	cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t cap = 4096, n = 0;

	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= max)
				return berth_err_new(err, BERTH_E_RESOURCE,
						     "'%s' is larger than %zu bytes", path, max);
			cap *= 2;
			if (cap > max)
				cap = max;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berth_err_sys(err, errno, "read '%s'", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = take_ptr(buf);
	return 0;
}

int fs_read_file(int dirfd, const char *path, char **out, size_t *len, struct berth_err **err)
{
	return fs_read_file_max(dirfd, path, (size_t)1 << 30, out, len, err);
}

int fs_write_string(int dirfd, const char *path, const char *s, struct berth_err **err)
{
	cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);

	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	if (write(fd, s, len) != (ssize_t)len)
		return berth_err_sys(err, errno, "write '%s' to '%s'", s, path);
	return 0;
}

int fs_mkdir_p(const char *path, mode_t mode, struct berth_err **err)
{
	cleanup_free char *p = xstrdup(path);
	char *s;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return berth_err_sys(err, errno, "mkdir '%s'", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return berth_err_sys(err, errno, "mkdir '%s'", p);
	return 0;
}

int fs_rm_rf(const char *path, struct berth_err **err)
{
	/* iterative (fs_walk.c): a tree's depth comes from its input, never our stack */
	return fs_rm_rf_at(AT_FDCWD, path, err);
}

bool fs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}
