/*
 * runtime/lib/rootfs_internal.h - what the pieces of the rootfs module share
 * (rootfs.c orchestrates; mount.c, mount_cgroup.c, mount_copyup.c and
 * devices.c do one job each). Not for use outside runtime/lib/rootfs*.
 *
 * Mounts target "/proc/self/fd/N" of an O_PATH fd resolved inside the root
 * (paths.h) rather than a path string: the kernel then mounts on exactly the
 * inode we resolved, and a symlink swapped in afterwards cannot redirect it.
 * We chose this over the new mount API (fsopen/fsmount/move_mount) because it
 * is one code path for every filesystem type and option string (mount(2)
 * parses "data" itself; fsconfig would need each key split out), it works on
 * kernels before 5.2, and it is what runc does, so errors match.
 */
#ifndef BERTH_RUNTIME_ROOTFS_INTERNAL_H
#define BERTH_RUNTIME_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "runtime/lib/rootfs.h"
#include "spec/config.h"

struct rootfs_ctx {
	const struct oci_spec *spec;	   /* borrowed */
	const struct rt_rootfs_opts *opts; /* borrowed */
	char *rootfs;			   /* realpath of the rootfs; owned ("/" after pivot) */
	int rootfd;			   /* O_PATH of the root (its bind mount); owned */
	bool procfd;			   /* /proc/self/fd works: mount through fds */
};

/* The MS_* bits that are per-mount flags (not operations or propagation). */
#define RT_MNT_FLAGS_MASK                                                                       \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK |          \
	 MS_DIRSYNC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | \
	 MS_I_VERSION | MS_POSIXACL | MS_SILENT | RT_MS_NOSYMFOLLOW)
#define RT_MS_NOSYMFOLLOW 256
/* Flags the kernel locks on a mount that a less privileged namespace received. */
#define RT_MNT_LOCKED_MASK (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* The mount(2) target naming fd ("/proc/self/fd/N"), or path when /proc is not there. */
const char *rootfs_target(const struct rootfs_ctx *c, int fd, const char *path, char *buf);

/* Remounts the bind mount whose root is fd with flags (RT_MNT_FLAGS_MASK bits),
 * keeping the locked flags of the mount that are not in clear. what names it. */
int rootfs_remount_bind(const struct rootfs_ctx *c, int fd, const char *path, unsigned long flags,
			unsigned long clear, struct berth_err **err);

/* Resolves dest in the root, creating it (a directory, or an empty file when
 * is_dir is false) and its parents; refuses the root itself. O_PATH fd. */
int rootfs_dest_prepare(const struct rootfs_ctx *c, const char *dest, bool is_dir,
			struct berth_err **err);

/* mount.c: mounts spec->mounts[i]; errors are prefixed "mounts[i] 'dest'". */
int rootfs_mount_one(struct rootfs_ctx *c, size_t i, struct berth_err **err);
/* mount.c: remounts read-only the tmpfs mounts that asked for "ro" (mounted rw
 * so that devices and copies could be written into them first). */
int rootfs_mount_finalize(struct rootfs_ctx *c, struct berth_err **err);

/* mount_cgroup.c: a "cgroup" mount at dest (cleaned) on v2, v1 or hybrid hosts. */
int rootfs_mount_cgroup(struct rootfs_ctx *c, const struct oci_mount *m, const char *dest,
			struct berth_err **err);

/* mount_copyup.c: copies the tree under srcfd into dstfd (both O_RDONLY dirs),
 * keeping modes, owners, symlinks, device nodes and times. */
int rootfs_copy_tree(int srcfd, int dstfd, struct berth_err **err);

/* devices.c */
bool rootfs_needs_dev(const struct oci_spec *spec);
int rootfs_dev_setup(struct rootfs_ctx *c, struct berth_err **err);
int rootfs_dev_console(struct rootfs_ctx *c, struct berth_err **err);

#endif
