/*
 * runtime/lib/rootfs.h - the container's filesystem view, built inside its
 * new mount namespace by the container child.
 *
 * rt_rootfs_setup() runs in the child after unshare(CLONE_NEWNS) (and after
 * the user namespace is set up, if any), before pivot_root. In order:
 * rootfsPropagation / make / private, bind the rootfs onto itself, every
 * mount of spec->mounts (destinations resolved inside the rootfs with
 * openat2(RESOLVE_IN_ROOT), never following a symlink out of it), /dev
 * (default devices, linux.devices, /dev/pts, /dev/shm, /dev/fd etc. symlinks,
 * /dev/console bind of the pty when console_path is given), then
 * rt_rootfs_pivot() does pivot_root (or chroot when no_pivot) and
 * rt_rootfs_finish() applies maskedPaths, readonlyPaths, readonly root, in
 * the new root.
 * Errors name the mount ("mounts[3] '/proc': mount 'proc': ...").
 */
#ifndef BERTH_RUNTIME_ROOTFS_H
#define BERTH_RUNTIME_ROOTFS_H

#include <stdbool.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_rootfs_opts {
	const char *bundle;	  /* absolute bundle dir; root.path is relative to it */
	const char *console_path; /* pty slave path to bind at /dev/console, or NULL */
	bool no_pivot;
	bool userns;		  /* in a new user namespace: mknod not allowed, bind devices */
};

int rt_rootfs_setup(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		    struct berth_err **err);
int rt_rootfs_pivot(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		    struct berth_err **err);
int rt_rootfs_finish(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		     struct berth_err **err);
/* Applies linux.sysctl (writes under /proc/sys) in the container's namespaces. */
int rt_sysctl_apply(const struct oci_spec *spec, struct berth_err **err);

#endif
