/*
 * runtime/lib/rootfs.c - the order of work of the rootfs module (see rootfs.h):
 * propagation and the rootfs bind, spec mounts, /dev, pivot_root, then the
 * masked, read-only and root read-only mounts in the new root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/mountinfo.h"
#include "common/xalloc.h"
#include "runtime/lib/paths.h"
#include "runtime/lib/rootfs.h"
#include "runtime/lib/rootfs_internal.h"

static void ctx_release(struct rootfs_ctx *c)
{
	free(c->rootfs);
	if (c->rootfd >= 0)
		close(c->rootfd);
}

/* The real path of root.path (relative to the bundle unless absolute). */
static int ctx_rootfs(struct rootfs_ctx *c, struct berth_err **err)
{
	const struct oci_root *root = c->spec->root;
	cleanup_free char *p = NULL;

	if (!root || !root->path || !root->path[0])
		return berth_err_new(err, BERTH_E_INVALID, "root.path: missing");
	if (root->path[0] == '/' || !c->opts->bundle)
		p = xstrdup(root->path);
	else
		p = xasprintf("%s/%s", c->opts->bundle, root->path);
	c->rootfs = realpath(p, NULL);
	if (!c->rootfs)
		return berth_err_sys(err, errno, "root.path '%s'", p);
	return 0;
}

static unsigned long root_propagation(const struct oci_spec *spec)
{
	return spec->linux_ ? spec->linux_->rootfs_propagation_flags : 0;
}

/* Mounting in the host's mount namespace would change the host: refuse, if we
 * can tell (pid 1 of the host's /proc is the host's init). */
static int check_own_mount_ns(struct berth_err **err)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) < 0 || stat("/proc/1/ns/mnt", &init) < 0)
		return 0; /* cannot tell (no permission on pid 1): trust the caller */
	if (self.st_ino == init.st_ino && self.st_dev == init.st_dev)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "rootfs: not in a new mount namespace");
	return 0;
}

/* Before any mount: cut propagation to the host, then bind the rootfs onto
 * itself so that it is a mount point pivot_root accepts. */
static int prepare_root(struct rootfs_ctx *c, struct berth_err **err)
{
	unsigned long want = root_propagation(c->spec);
	/* rslave: host mounts still reach us, ours never reach the host; runc's
	 * default. rprivate when asked, as it is stricter. Anything else
	 * (shared, unbindable) is applied to the new root after pivot_root. */
	unsigned long flags = want == (MS_PRIVATE | MS_REC) ? want : MS_SLAVE | MS_REC;

	if (mount(NULL, "/", NULL, flags, NULL) < 0)
		return berth_err_sys(err, errno, "set propagation of '/'");
	if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_err_sys(err, errno, "bind rootfs '%s' onto itself", c->rootfs);
	c->rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->rootfd < 0)
		return berth_err_sys(err, errno, "open rootfs '%s'", c->rootfs);
	return 0;
}

/* runc creates process.cwd when the image lacks it. */
static int make_cwd(struct rootfs_ctx *c, struct berth_err **err)
{
	const char *cwd = c->spec->process ? c->spec->process->cwd : NULL;
	int fd;

	if (!cwd || !cwd[0])
		return 0;
	fd = rt_path_open(c->rootfd, cwd, RT_PATH_MKDIR, 0755, err);
	if (fd < 0)
		return berth_err_wrap(err, "process.cwd '%s'", cwd);
	close(fd);
	return 0;
}

int rt_rootfs_setup(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		    struct berth_err **err)
{
	struct rootfs_ctx c cleanup(ctx_release) = {
		.spec = spec,
		.opts = opts,
		.rootfd = -1,
	};

	if (ctx_rootfs(&c, err) < 0)
		return -1;
	if (opts->host_mntns) {
		/* create bound and isolated the rootfs already (rootfs_host.c) */
		c.rootfd = open(c.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c.rootfd < 0)
			return berth_err_sys(err, errno, "open rootfs '%s'", c.rootfs);
	} else if (check_own_mount_ns(err) < 0 || prepare_root(&c, err) < 0) {
		return -1;
	}
	c.procfd = access("/proc/self/fd", F_OK) == 0;
	if (!c.procfd)
		return berth_err_sys(err, errno, "/proc/self/fd is needed to mount safely");
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (rootfs_mount_one(&c, i, err) < 0)
			return -1;
	if (rootfs_needs_dev(spec) && rootfs_dev_setup(&c, err) < 0)
		return berth_err_wrap(err, "/dev");
	if (rootfs_dev_console(&c, err) < 0)
		return berth_err_wrap(err, "console");
	if (rootfs_mount_finalize(&c, err) < 0)
		return -1;
	return make_cwd(&c, err);
}

static int apply_root_propagation(const struct oci_spec *spec, struct berth_err **err)
{
	unsigned long want = root_propagation(spec);

	if (!want || want == (MS_PRIVATE | MS_REC))
		return 0; /* rprivate was applied before any mount */
	/* '/' is still a slave of the host's mount: runc's new root is not, so
	 * "shared" reads "shared" in findmnt, not "shared,slave" */
	if ((want & MS_SHARED) && mount(NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
		return berth_err_sys(err, errno, "linux.rootfsPropagation: make '/' private");
	if (mount(NULL, "/", NULL, want, NULL) < 0)
		return berth_err_sys(err, errno,
				     "linux.rootfsPropagation '%s': set propagation of '/'",
				     spec->linux_->rootfs_propagation);
	return 0;
}

/*
 * no_pivot: after chroot the host's mounts stay in this namespace, and a full
 * procfs or sysfs mount among them lets the kernel permit new procfs/sysfs
 * mounts that a container could use to see the host. Like runc's msMoveRoot,
 * detach every full proc and sysfs mount outside the rootfs (or, where that
 * is refused, cover it with a tmpfs).
 */
static int hide_host_pseudo_fs(const char *rootfs, struct berth_err **err)
{
	cleanup(mountinfo_freep) struct mountinfo *mi = mountinfo_load(NULL, 0, err);
	size_t rlen = strlen(rootfs);

	if (!mi)
		return -1;
	for (size_t i = 0; i < mi->n; i++) {
		const struct mountinfo_entry *e = &mi->v[i];
		const char *mnt = e->mount_point;

		if (strcmp(e->root, "/") ||
		    (strcmp(e->fstype, "proc") && strcmp(e->fstype, "sysfs")))
			continue;
		if (!strncmp(mnt, rootfs, rlen) && (mnt[rlen] == '/' || !mnt[rlen]))
			continue;
		if (mount(NULL, mnt, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue; /* gone with a parent detached before */
			return berth_err_sys(err, errno, "make '%s' rslave", mnt);
		}
		if (umount2(mnt, MNT_DETACH) == 0)
			continue;
		if (errno != EINVAL && errno != EPERM)
			return berth_err_sys(err, errno, "unmount '%s'", mnt);
		if (mount("tmpfs", mnt, "tmpfs", 0, NULL) < 0)
			return berth_err_sys(err, errno, "cover '%s' with a tmpfs", mnt);
	}
	return 0;
}

int rt_rootfs_pivot(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		    struct berth_err **err)
{
	struct rootfs_ctx c cleanup(ctx_release) = {
		.spec = spec,
		.opts = opts,
		.rootfd = -1,
	};

	if (ctx_rootfs(&c, err) < 0)
		return -1;
	if (chdir(c.rootfs) < 0)
		return berth_err_sys(err, errno, "chdir '%s'", c.rootfs);
	if (opts->host_mntns) {
		/* the host's mount namespace: its root is not ours to move */
		if (chroot(".") < 0)
			return berth_err_sys(err, errno, "chroot '%s'", c.rootfs);
	} else if (opts->no_pivot) {
		if (hide_host_pseudo_fs(c.rootfs, err) < 0)
			return berth_err_wrap(err, "no pivot");
		if (mount(c.rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			return berth_err_sys(err, errno, "move rootfs '%s' to '/'", c.rootfs);
		if (chroot(".") < 0)
			return berth_err_sys(err, errno, "chroot '%s'", c.rootfs);
	} else {
		/* pivot_root(".", "."): the old root ends up stacked on the new
		 * one; no put_old directory needs to exist in the image */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return berth_err_sys(err, errno, "pivot_root '%s'", c.rootfs);
		/* rslave first, so that unmounting it does not propagate anywhere */
		if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
			return berth_err_sys(err, errno, "make the old root rslave");
		if (umount2(".", MNT_DETACH) < 0)
			return berth_err_sys(err, errno, "unmount the old root");
	}
	if (chdir("/") < 0)
		return berth_err_sys(err, errno, "chdir '/'");
	return apply_root_propagation(spec, err);
}

static int readonly_path(struct rootfs_ctx *c, const char *path, struct berth_err **err)
{
	cleanup_close int fd = rt_path_open(c->rootfd, path, 0, 0, err);
	char buf[RT_PATH_FD_LEN];
	const char *t;

	if (fd < 0) {
		if (!berth_err_is(*err, ENOENT))
			return -1;
		berth_err_free(err);
		return 0;
	}
	t = rootfs_target(c, fd, path, buf);
	if (mount(t, t, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_err_sys(err, errno, "bind '%s' onto itself", path);
	closep(&fd);
	fd = rt_path_open(c->rootfd, path, 0, 0, err);
	if (fd < 0)
		return -1;
	return rootfs_remount_bind(c, fd, path, MS_RDONLY, 0, err);
}

static int mask_path(struct rootfs_ctx *c, const char *path, struct berth_err **err)
{
	cleanup_close int fd = rt_path_open(c->rootfd, path, 0, 0, err);
	char buf[RT_PATH_FD_LEN];
	struct stat st;

	if (fd < 0) {
		if (!berth_err_is(*err, ENOENT))
			return -1;
		berth_err_free(err);
		return 0;
	}
	if (fstat(fd, &st) < 0)
		return berth_err_sys(err, errno, "stat '%s'", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", rootfs_target(c, fd, path, buf), "tmpfs", MS_RDONLY, NULL) < 0)
			return berth_err_sys(err, errno, "mount 'tmpfs' on '%s'", path);
	} else if (mount("/dev/null", rootfs_target(c, fd, path, buf), NULL, MS_BIND, NULL) < 0) {
		return berth_err_sys(err, errno, "mount '/dev/null' on '%s'", path);
	}
	return 0;
}

int rt_rootfs_finish(const struct oci_spec *spec, const struct rt_rootfs_opts *opts,
		     struct berth_err **err)
{
	struct rootfs_ctx c cleanup(ctx_release) = {
		.spec = spec,
		.opts = opts,
		.rootfd = -1,
	};
	const struct oci_linux *lx = spec->linux_;

	c.rootfs = xstrdup("/");
	c.rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c.rootfd < 0)
		return berth_err_sys(err, errno, "open '/'");
	/* without the container's /proc, mount by path: after pivot_root no
	 * lookup can leave the root anyway */
	c.procfd = access("/proc/self/fd", F_OK) == 0;
	if (spec->root && spec->root->readonly &&
	    rootfs_remount_bind(&c, c.rootfd, "/", MS_RDONLY, 0, err) < 0)
		return berth_err_wrap(err, "root.readonly");
	for (size_t i = 0; lx && lx->readonly_paths && lx->readonly_paths[i]; i++)
		if (readonly_path(&c, lx->readonly_paths[i], err) < 0)
			return berth_err_wrap(err, "linux.readonlyPaths[%zu] '%s'", i,
					      lx->readonly_paths[i]);
	for (size_t i = 0; lx && lx->masked_paths && lx->masked_paths[i]; i++)
		if (mask_path(&c, lx->masked_paths[i], err) < 0)
			return berth_err_wrap(err, "linux.maskedPaths[%zu] '%s'", i,
					      lx->masked_paths[i]);
	return 0;
}
