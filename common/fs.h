/*
 * common/fs.h - file helpers that report errors as struct berth_err.
 *
 * Every fd is opened O_CLOEXEC. fs_write_atomic is temp file + fsync + rename
 * (+ fsync of the directory), so a crash leaves the old or the new content,
 * never a partial file. fs_write_replace is the same without the fsyncs: a
 * reader never sees a partial file, but a power loss may lose the write; for
 * state that does not outlive a reboot (the runtime's, under /run).
 */
#ifndef BERTH_COMMON_FS_H
#define BERTH_COMMON_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

/* Writes len bytes of data to dirfd/name atomically with the given mode. */
int fs_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		    struct berth_err **err);
int fs_write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
		     struct berth_err **err);
/* Reads the whole file at dirfd/path (AT_FDCWD ok); *out is NUL-terminated, caller frees. */
int fs_read_file(int dirfd, const char *path, char **out, size_t *len, struct berth_err **err);
/* Reads at most max bytes (files in /proc report size 0). */
int fs_read_file_max(int dirfd, const char *path, size_t max, char **out, size_t *len,
		     struct berth_err **err);
/* Writes the string to an existing file (cgroup, proc files); no O_CREAT. */
int fs_write_string(int dirfd, const char *path, const char *s, struct berth_err **err);
/* mkdir -p with mode for every component created. */
int fs_mkdir_p(const char *path, mode_t mode, struct berth_err **err);
/* rm -rf of path; not crossing mounts; ENOENT is success. */
int fs_rm_rf(const char *path, struct berth_err **err);
/* Full write/read loops; return -1 with errno set. */
ssize_t fs_write_all(int fd, const void *buf, size_t len);
ssize_t fs_read_all(int fd, void *buf, size_t len);
bool fs_exists(const char *path);

#endif
