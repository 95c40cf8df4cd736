/*
 * shim/mount.c - mounts the rootfs containerd passes in CreateTaskRequest
 * (e.g. an overlay from the snapshotter) onto <bundle>/rootfs, and unmounts it
 * at delete. Options are mount(8)-style: known flags become MS_* bits, the
 * rest is passed as data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/api/types/mount.pb-c.h"
#include "shim/shim.h"

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
	{"ro", false, MS_RDONLY},	    {"rw", true, MS_RDONLY},
	{"nosuid", false, MS_NOSUID},	    {"suid", true, MS_NOSUID},
	{"nodev", false, MS_NODEV},	    {"dev", true, MS_NODEV},
	{"noexec", false, MS_NOEXEC},	    {"exec", true, MS_NOEXEC},
	{"sync", false, MS_SYNCHRONOUS},    {"async", true, MS_SYNCHRONOUS},
	{"noatime", false, MS_NOATIME},	    {"nodiratime", false, MS_NODIRATIME},
	{"relatime", false, MS_RELATIME},   {"bind", false, MS_BIND},
	{"rbind", false, MS_BIND | MS_REC}, {"defaults", false, 0},
};

static int mount_one(const Containerd__Types__Mount *m, const char *target, struct berth_err **err)
{
	cleanup(strv_freep) char **data = NULL;
	cleanup_free char *joined = NULL;
	unsigned long flags = 0;

	for (size_t i = 0; i < m->n_options; i++) {
		bool known = false;

		for (size_t j = 0; j < sizeof(mount_flags) / sizeof(mount_flags[0]); j++) {
			if (strcmp(m->options[i], mount_flags[j].name) != 0)
				continue;
			known = true;
			if (mount_flags[j].clear)
				flags &= ~mount_flags[j].flag;
			else
				flags |= mount_flags[j].flag;
		}
		if (!known)
			strv_push(&data, m->options[i]);
	}
	if (strcmp(m->type, "bind") == 0)
		flags |= MS_BIND;
	joined = data ? strv_join(data, ",") : NULL;
	if (mount(m->source, target, m->type, flags & ~MS_RDONLY, joined) < 0)
		return berth_err_sys(err, errno, "mount %s '%s' on '%s'", m->type, m->source,
				     target);
	/* a bind mount ignores MS_RDONLY until remounted */
	if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
	    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return berth_err_sys(err, errno, "remount '%s' read-only", target);
	return 0;
}

int shim_mount_rootfs(struct Containerd__Types__Mount *const *mounts, size_t n, const char *target,
		      struct berth_err **err)
{
	for (size_t i = 0; i < n; i++) {
		if (mount_one(mounts[i], target, err) < 0) {
			shim_unmount_rootfs(target);
			return -1;
		}
	}
	return 0;
}

void shim_unmount_rootfs(const char *target)
{
	/* stacked mounts: unmount until nothing is left */
	for (int i = 0; i < 32 && umount2(target, MNT_DETACH) == 0; i++)
		;
}
