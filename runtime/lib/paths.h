/*
 * runtime/lib/paths.h - resolving paths inside a container root.
 *
 * Every lookup treats a directory fd as "/": absolute symlinks restart at it
 * and ".." never climbs above it, so a hostile rootfs (a symlink to /etc, to
 * ../../.., a loop) can never make berth open, create or mount on a host path.
 * The primary implementation is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
 * when the kernel lacks it (ENOSYS, before Linux 5.6) a user-space walk does
 * the same, one component at a time with O_NOFOLLOW, expanding each symlink
 * itself. Both return O_PATH | O_CLOEXEC fds; nothing here keeps state.
 */
#ifndef BERTH_RUNTIME_PATHS_H
#define BERTH_RUNTIME_PATHS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"

/* Symlinks expanded in one lookup before ELOOP (the kernel's limit). */
#define RT_PATH_MAX_SYMLINKS 40

enum {
	RT_PATH_NOFOLLOW = 1 << 0, /* do not follow a symlink in the last component */
	RT_PATH_MKDIR = 1 << 1, /* create missing directories (rt_path_open_parent: the parents) */
	RT_PATH_FORCE_WALK = 1 << 2, /* tests: use the user-space walk even with openat2 */
};

/*
 * Opens path (absolute or not, either way relative to rootfd) inside the tree
 * of rootfd. Returns an O_PATH|O_CLOEXEC fd owned by the caller, or -1 with
 * *err ("resolve '/a/b' in root: ...": ENOENT, ENOTDIR, ELOOP, ...).
 * With RT_PATH_MKDIR missing directories are created with mode (the umask
 * applies) through the user-space walk, so a dangling symlink is followed and
 * its target created inside the root, never outside.
 */
int rt_path_open(int rootfd, const char *path, int flags, mode_t mode, struct berth_err **err);

/*
 * Opens the parent directory of path inside rootfd (creating it when
 * RT_PATH_MKDIR) and returns it; *name is set to the last component
 * (a pointer into the caller-owned copy *buf, freed by the caller). The last
 * component is never ".", ".." or empty: a path that cleans to "/" is refused
 * (EINVAL). The path is cleaned lexically first (like runc's CleanPath).
 */
int rt_path_open_parent(int rootfd, const char *path, int flags, mode_t mode, char **buf,
			const char **name, struct berth_err **err);

/* Lexically cleans path into an absolute one: "//a/./b/../c/" -> "/a/c". Caller frees. */
char *rt_path_clean(const char *path);

/* "/proc/self/fd/N" for fd, into buf (at least RT_PATH_FD_LEN bytes); returns buf. */
#define RT_PATH_FD_LEN 32
const char *rt_path_fd(int fd, char *buf);

/* Whether the two fds name the same inode. */
bool rt_path_same_inode(int a, int b);

#endif
