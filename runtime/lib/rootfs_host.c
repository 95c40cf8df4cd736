/*
 * runtime/lib/rootfs_host.c - the rootfs of a container that has no mount
 * namespace of its own (linux.namespaces lists no "mount"; the spec says it
 * then inherits the runtime's).
 *
 * Its mounts have to live in the host's mount table. To keep that change to
 * the bundle's rootfs alone, `create` binds the rootfs onto itself and makes
 * that bind rprivate before the init starts: the init's mounts go under it and
 * propagate nowhere, the host's "/" keeps its propagation, and nothing is
 * pivoted or moved (the init chroots). `delete` (or a failed create) detaches
 * the bind, which takes every mount under it along.
 */
#include <errno.h>
#include <sys/mount.h>

#include "runtime/lib/rootfs.h"

int rt_rootfs_host_bind(const char *rootfs, struct berth_err **err)
{
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_err_sys(err, errno, "no mount namespace: bind rootfs '%s' onto itself",
				     rootfs);
	if (mount(NULL, rootfs, NULL, MS_PRIVATE | MS_REC, NULL) < 0) {
		int e = errno;

		umount2(rootfs, MNT_DETACH);
		return berth_err_sys(err, e, "no mount namespace: make rootfs '%s' rprivate",
				     rootfs);
	}
	return 0;
}

int rt_rootfs_host_release(const char *rootfs, struct berth_err **err)
{
	/* EINVAL: not a mount point any more (someone unmounted it by hand) */
	if (umount2(rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return berth_err_sys(err, errno, "unmount rootfs '%s' from the host", rootfs);
	return 0;
}
