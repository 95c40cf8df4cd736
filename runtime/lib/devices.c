/*
 * runtime/lib/devices.c - the container's /dev: default device nodes,
 * linux.devices, the /dev/fd & co symlinks, /dev/ptmx and /dev/console.
 *
 * Done like runc: unless /dev is a bind mount (then it is the user's), create
 * null, zero, full, random, urandom, tty (0666, root) and every linux.devices
 * entry with mknod; in a user namespace mknod is not allowed, so each node is
 * an empty file with the host's node bind-mounted on it. An existing entry is
 * kept as is. Every node is created relative to an fd of its parent resolved
 * inside the root, and modes and owners are set through an O_PATH fd of the
 * node itself (never by a path that a symlink could redirect).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/devnodes.h"
#include "runtime/lib/paths.h"
#include "runtime/lib/rootfs_internal.h"

struct dev_node {
	const char *path;
	char type; /* 'c', 'b', 'u', 'p' */
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static const struct dev_node default_devs[] = {
	{"/dev/null", 'c', 1, 3, 0666, 0, 0},	 {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
	{"/dev/full", 'c', 1, 7, 0666, 0, 0},	 {"/dev/random", 'c', 1, 8, 0666, 0, 0},
	{"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static const struct {
	const char *name, *target;
} dev_links[] = {
	{"fd", "/proc/self/fd"},
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
};

bool rootfs_needs_dev(const struct oci_spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		cleanup_free char *d = NULL;

		if (!spec->mounts[i].bind || !spec->mounts[i].destination)
			continue;
		d = rt_path_clean(spec->mounts[i].destination);
		if (!strcmp(d, "/dev"))
			return false;
	}
	return true;
}

static mode_t dev_type_bits(char type)
{
	switch (type) {
	case 'b':
		return S_IFBLK;
	case 'p':
		return S_IFIFO;
	default:
		return S_IFCHR; /* 'c', 'u' */
	}
}

/*
 * An O_PATH fd of parent/name, creating an empty file when it is missing. An
 * existing entry is never opened for real (a tty would become our terminal);
 * a symlink there is replaced, as a bind mount must not land on its target.
 */
static int ensure_file(int parent, const char *name)
{
	struct stat st;
	int fd, f;

	for (int i = 0; i < 2; i++) {
		fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode))
				return fd;
			close(fd);
			if (unlinkat(parent, name, 0) < 0)
				return -1;
		} else if (errno != ENOENT) {
			return -1;
		}
		f = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0);
		if (f >= 0)
			close(f);
		else if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* In a new user namespace, linux.devices[i]: an empty file with the node the parent
 * made (devnodes.h) moved over it. */
static int dev_attach(struct rootfs_ctx *c, const struct dev_node *d, size_t i,
		      struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	cleanup_close int parent = -1, fd = -1;
	const char *name;

	parent = rt_path_open_parent(c->rootfd, d->path, RT_PATH_MKDIR, 0755, &buf, &name, err);
	if (parent < 0)
		return -1;
	fd = ensure_file(parent, name);
	if (fd < 0)
		return berth_err_sys(err, errno, "create '%s'", d->path);
	return rt_devnodes_attach(c->opts->devnodes, i, fd, err);
}

/* In a user namespace: an empty file with the host's node bound over it. */
static int dev_bind(struct rootfs_ctx *c, int parent, const char *name, const struct dev_node *d,
		    struct berth_err **err)
{
	cleanup_close int fd = ensure_file(parent, name);
	char buf[RT_PATH_FD_LEN];

	if (fd < 0)
		return berth_err_sys(err, errno, "create '%s'", d->path);
	if (mount(d->path, rootfs_target(c, fd, d->path, buf), NULL, MS_BIND, NULL) < 0)
		return berth_err_sys(err, errno, "mount '%s' on '%s'", d->path, d->path);
	return 0;
}

static int dev_mknod(struct rootfs_ctx *c, int parent, const char *name, const struct dev_node *d,
		     struct berth_err **err)
{
	mode_t type = dev_type_bits(d->type);
	cleanup_close int fd = -1;
	char buf[RT_PATH_FD_LEN];
	struct stat st;

	if (mknodat(parent, name, type | (d->mode & 0777), makedev(d->major, d->minor)) < 0) {
		if (errno == EEXIST)
			return 0; /* runc keeps what the image has */
		return berth_err_sys(err, errno, "mknod '%s'", d->path);
	}
	fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_err_sys(err, errno, "open '%s'", d->path);
	if ((st.st_mode & S_IFMT) != type)
		return berth_err_new(err, BERTH_E_INTERNAL, "'%s' changed under us", d->path);
	/* mknod applied the umask; chmod through the fd sets the exact mode */
	if (c->procfd ? chmod(rt_path_fd(fd, buf), d->mode & 07777) < 0
		      : fchmodat(parent, name, d->mode & 07777, 0) < 0)
		return berth_err_sys(err, errno, "chmod '%s'", d->path);
	if (fchownat(fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
		return berth_err_sys(err, errno, "chown '%s'", d->path);
	return 0;
}

static int dev_create(struct rootfs_ctx *c, const struct dev_node *d, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	cleanup_close int parent = -1;
	const char *name;

	parent = rt_path_open_parent(c->rootfd, d->path, RT_PATH_MKDIR, 0755, &buf, &name, err);
	if (parent < 0)
		return -1;
	if (c->opts->userns)
		return dev_bind(c, parent, name, d, err);
	return dev_mknod(c, parent, name, d, err);
}

static int dev_links_create(struct rootfs_ctx *c, int devfd, struct berth_err **err)
{
	for (size_t i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlinkat(dev_links[i].target, devfd, dev_links[i].name) < 0 && errno != EEXIST)
			return berth_err_sys(err, errno, "symlink '/dev/%s'", dev_links[i].name);
	/* runc adds /dev/core when the host has /proc/kcore */
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
	    errno != EEXIST)
		return berth_err_sys(err, errno, "symlink '/dev/core'");
	/* /dev/ptmx must be the one of the container's devpts instance */
	if (unlinkat(devfd, "ptmx", 0) < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "remove '/dev/ptmx'");
	if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
		return berth_err_sys(err, errno, "symlink '/dev/ptmx'");
	return 0;
}

/* A default device the spec lists itself is made as the spec says (runc
 * replaces its default entry with the spec's). */
static bool in_spec_devices(const struct oci_linux *lx, const char *path)
{
	for (size_t i = 0; lx && i < lx->n_devices; i++) {
		cleanup_free char *p =
			lx->devices[i].path ? rt_path_clean(lx->devices[i].path) : NULL;

		if (p && !strcmp(p, path))
			return true;
	}
	return false;
}

int rootfs_dev_setup(struct rootfs_ctx *c, struct berth_err **err)
{
	const struct oci_linux *lx = c->spec->linux_;
	cleanup_close int devfd = -1;

	for (size_t i = 0; i < sizeof(default_devs) / sizeof(default_devs[0]); i++)
		if (!in_spec_devices(lx, default_devs[i].path) &&
		    dev_create(c, &default_devs[i], err) < 0)
			return berth_err_wrap(err, "default device '%s'", default_devs[i].path);
	for (size_t i = 0; lx && i < lx->n_devices; i++) {
		const struct oci_device *od = &lx->devices[i];
		struct dev_node d = {
			.path = od->path,
			.type = od->type,
			.major = (unsigned)od->major,
			.minor = (unsigned)od->minor,
			.mode = od->has_file_mode ? od->file_mode : 0666,
			.uid = od->has_uid ? od->uid : 0,
			.gid = od->has_gid ? od->gid : 0,
		};

		if (!od->path || od->path[0] != '/')
			return berth_err_new(err, BERTH_E_INVALID,
					     "linux.devices[%zu].path: not an absolute path", i);
		if ((c->opts->userns && rt_devnodes_has(c->opts->devnodes, i)
			     ? dev_attach(c, &d, i, err)
			     : dev_create(c, &d, err)) < 0)
			return berth_err_wrap(err, "linux.devices[%zu] '%s'", i, od->path);
	}
	devfd = rt_path_open(c->rootfd, "/dev", RT_PATH_MKDIR, 0755, err);
	if (devfd < 0)
		return -1;
	return dev_links_create(c, devfd, err);
}

int rootfs_dev_console(struct rootfs_ctx *c, struct berth_err **err)
{
	cleanup_close int devfd = -1, fd = -1;
	char buf[RT_PATH_FD_LEN];

	if (!c->opts->console_path)
		return 0;
	devfd = rt_path_open(c->rootfd, "/dev", RT_PATH_MKDIR, 0755, err);
	if (devfd < 0)
		return -1;
	fd = ensure_file(devfd, "console");
	if (fd < 0)
		return berth_err_sys(err, errno, "create '/dev/console'");
	if (mount(c->opts->console_path, rootfs_target(c, fd, "/dev/console", buf), NULL, MS_BIND,
		  NULL) < 0)
		return berth_err_sys(err, errno, "mount '%s' on '/dev/console'",
				     c->opts->console_path);
	return 0;
}
