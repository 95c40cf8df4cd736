/*
 * runtime/lib/rootfs.h - the container's filesystem view, built inside its
 * new mount namespace by the container child.
 *
 * The core calls, in the child, in this order:
 *   rt_rootfs_setup()   after unshare(CLONE_NEWNS) (and after the user
 *                       namespace is set up, if any; the init must already be
 *                       in its cgroup, a "cgroup" mount binds it);
 *   rt_rootfs_pivot();
 *   rt_sysctl_apply()   between the two: readonlyPaths usually holds /proc/sys;
 *   rt_rootfs_finish().
 *
 * rt_rootfs_setup(): makes / rslave (rprivate if linux.rootfsPropagation says
 * so) so nothing propagates to the host, binds the rootfs onto itself, mounts
 * every spec->mounts entry in order (destinations resolved inside the rootfs
 * with openat2(RESOLVE_IN_ROOT) or an equivalent walk, never following a
 * symlink out of it; missing directories, or an empty file for a file bind,
 * are created), then /dev unless /dev is a bind mount (default devices,
 * linux.devices, /dev/fd, stdin, stdout, stderr, core, ptmx symlinks), binds
 * console_path onto /dev/console when given, and remounts read-only the tmpfs
 * mounts asked "ro". rt_rootfs_pivot() does pivot_root (or MS_MOVE + chroot
 * when no_pivot), chdir("/"), and applies a shared/slave/unbindable
 * rootfsPropagation to the new root. rt_rootfs_finish() remounts the root
 * read-only (root.readonly), then applies readonlyPaths and maskedPaths (as
 * runc; missing paths are skipped).
 *
 * host_mntns (no "mount" in linux.namespaces): the container's mounts live in
 * the host's mount table. create calls rt_rootfs_host_bind() before the init
 * runs; rt_rootfs_setup() then leaves the host's "/" alone, rt_rootfs_pivot()
 * only chroots (pivot_root or MS_MOVE would change the host's root), and
 * delete calls rt_rootfs_host_release(). See rootfs_host.c.
 *
 * Nothing here prints. Errors name the spec entry first:
 *   "mounts[3] '/proc': mount 'proc' on '/proc': Operation not permitted"
 *   "linux.maskedPaths[0] '/proc/kcore': ..."
 *   "linux.sysctl 'net.ipv4.ip_forward': write '/proc/sys/net/ipv4/ip_forward': ..."
 * Every fd is O_CLOEXEC and none is left open on return.
 */
#ifndef BERTH_RUNTIME_ROOTFS_H
#define BERTH_RUNTIME_ROOTFS_H

#include <stdbool.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_idmounts;
struct rt_devnodes;

struct rt_rootfs_opts {
	const char *bundle;	  /* absolute bundle dir; root.path is relative to it */
	const char *console_path; /* pty slave path to bind at /dev/console, or NULL */
	bool no_pivot;
	bool host_mntns; /* no mount namespace: see above */
	bool userns;	 /* in a new user namespace: mknod not allowed, bind devices */
	/* borrowed: idmapped trees prepared by the parent (idmount.h), or NULL;
	 * rt_rootfs_setup() moves them into place and closes their fds */
	struct rt_idmounts *idmounts;
	/* per mounts[] index, the bind source opened by the parent (mountsrc.h), or
	 * -1; NULL when none came. O_CLOEXEC, gone at the exec. */
	int *bind_fds;
	/* borrowed: linux.devices nodes made by the parent for a new user namespace
	 * (devnodes.h), or NULL; rt_rootfs_setup() moves them into place */
	struct rt_devnodes *devnodes;
};

int rt_rootfs_setup(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		    struct berth_err **err);
int rt_rootfs_pivot(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		    struct berth_err **err);
int rt_rootfs_finish(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		     struct berth_err **err);
/* No mount namespace: binds the rootfs onto itself, rprivate (rootfs_host.c). */
int rt_rootfs_host_bind(const char *rootfs, struct berth_err **err);
/* Detaches that bind and every mount under it; not mounted is not an error. */
int rt_rootfs_host_release(const char *rootfs, struct berth_err **err);
/* Applies linux.sysctl (writes under /proc/sys) in the container's namespaces. */
int rt_sysctl_apply(const struct oci_spec *spec, struct berth_err **err);
/* Checks every linux.sysctl key (syntax, and that the container has the
 * namespace it belongs to) without side effects; rt_sysctl_apply() calls it
 * first, and create calls it before the first side effect. */
int rt_sysctl_check(const struct oci_spec *spec, struct berth_err **err);

#endif
