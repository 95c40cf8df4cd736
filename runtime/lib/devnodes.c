/* runtime/lib/devnodes.c - see devnodes.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/devnodes.h"

struct rt_devnodes {
	size_t n;
	int *fds; /* per linux.devices index: detached clone of the node, or -1 */
};

/* A container id as the host id its mapping gives; 0 (the overflow id inside) if none. */
static uint32_t to_host(const struct oci_id_mapping *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
			return m[i].host_id + (id - m[i].container_id);
	return 0;
}

static mode_t type_bits(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return S_IFCHR;
	}
}

/* A detached tmpfs that allows device nodes; its fd. */
static int scratch_fs(struct berth_err **err)
{
	cleanup_close int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	int mnt;

	if (fs < 0)
		return berth_err_sys(err, errno, "linux.devices: fsopen tmpfs");
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return berth_err_sys(err, errno, "linux.devices: create tmpfs");
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		return berth_err_sys(err, errno, "linux.devices: fsmount tmpfs");
	return mnt;
}

static int make_node(int mnt, const struct oci_linux *l, size_t i, struct berth_err **err)
{
	const struct oci_device *d = &l->devices[i];
	char name[32];
	mode_t mode = d->has_file_mode ? d->file_mode : 0666;
	uint32_t uid = to_host(l->uid_mappings, l->n_uid_mappings, d->has_uid ? d->uid : 0);
	uint32_t gid = to_host(l->gid_mappings, l->n_gid_mappings, d->has_gid ? d->gid : 0);
	int fd;

	snprintf(name, sizeof(name), "d%zu", i);
	if (mknodat(mnt, name, type_bits(d->type) | 0600,
		    makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
		return berth_err_sys(err, errno, "mknod");
	/* mknod applied the umask */
	if (fchmodat(mnt, name, mode & 07777, 0) < 0 || fchownat(mnt, name, uid, gid, 0) < 0)
		return berth_err_sys(err, errno, "set mode and owner");
	fd = open_tree(mnt, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open_tree");
	return fd;
}

int rt_devnodes_prepare(const struct oci_spec *spec, struct rt_devnodes **out,
			struct berth_err **err)
{
	const struct oci_linux *l = spec->linux_;
	cleanup(rt_devnodes_freep) struct rt_devnodes *dn = NULL;
	cleanup_close int mnt = -1;

	*out = NULL;
	if (!l || !l->n_devices)
		return 0;
	mnt = scratch_fs(err);
	if (mnt < 0)
		return -1;
	dn = xnew(struct rt_devnodes);
	dn->n = l->n_devices;
	dn->fds = xcalloc(dn->n, sizeof(*dn->fds));
	for (size_t i = 0; i < dn->n; i++)
		dn->fds[i] = -1;
	for (size_t i = 0; i < dn->n; i++) {
		dn->fds[i] = make_node(mnt, l, i, err);
		if (dn->fds[i] < 0)
			return berth_err_wrap(err, "linux.devices[%zu] '%s'", i,
					      l->devices[i].path ?: "");
	}
	*out = take_ptr(dn);
	return 0;
}

bool rt_devnodes_has(const struct rt_devnodes *dn, size_t i)
{
	return dn && i < dn->n && dn->fds[i] >= 0;
}

int rt_devnodes_attach(struct rt_devnodes *dn, size_t i, int destfd, struct berth_err **err)
{
	cleanup_close int fd = -1;

	if (!rt_devnodes_has(dn, i))
		return berth_err_new(err, BERTH_E_INTERNAL, "device node was not prepared");
	fd = take_fd(&dn->fds[i]);
	if (move_mount(fd, "", destfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berth_err_sys(err, errno, "move the device node into place");
	return 0;
}

void rt_devnodes_free(struct rt_devnodes *dn)
{
	if (!dn)
		return;
	for (size_t i = 0; i < dn->n; i++)
		closep(&dn->fds[i]);
	free(dn->fds);
	free(dn);
}

void rt_devnodes_freep(struct rt_devnodes **dn)
{
	rt_devnodes_free(*dn);
	*dn = NULL;
}
