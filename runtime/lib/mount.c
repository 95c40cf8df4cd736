/*
 * runtime/lib/mount.c - one spec mount into the rootfs (see rootfs_internal.h).
 *
 * Follows runc's mountToRootfs: a bind is mounted, then remounted when it
 * carries flags (keeping the source's locked nosuid/nodev/noexec/ro, which a
 * user namespace may not clear); propagation and the recursive attributes
 * ("rro", "rnosuid"...) are applied last. tmpfs mounts that ask for "ro" are
 * mounted rw and made read-only by rootfs_mount_finalize() once /dev and
 * copies are in place. Destinations inside /proc are refused except runc's
 * lxcfs list. Idmapped binds arrive prepared by the parent (idmount.h) and are
 * moved into place, then treated as any bind.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/idmount.h"
#include "runtime/lib/lsm.h"
#include "runtime/lib/paths.h"
#include "runtime/lib/rootfs_internal.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

const char *rootfs_target(const struct rootfs_ctx *c, int fd, const char *path, char *buf)
{
	if (c->procfd)
		return rt_path_fd(fd, buf);
	return path;
}

int rootfs_remount_bind(const struct rootfs_ctx *c, int fd, const char *path, unsigned long flags,
			unsigned long clear, struct berth_err **err)
{
	const unsigned long atime = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
	char buf[RT_PATH_FD_LEN];
	const char *t = rootfs_target(c, fd, path, buf);
	struct statvfs sv = {0};
	unsigned long keep = 0;

	/* statvfs's ST_* flags have the MS_* values for these bits */
	if (fstatvfs(fd, &sv) == 0)
		keep = sv.f_flag & RT_MNT_LOCKED_MASK & ~clear;
	flags = (flags & RT_MNT_FLAGS_MASK) | keep;
	if (mount(NULL, t, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0)
		return 0;
	/* a user namespace may not change the atime mode it received either
	 * (MNT_LOCK_ATIME): keep the mount's own, as runc does on EPERM */
	if (errno == EPERM && (flags & atime)) {
		flags = (flags & ~atime) | (sv.f_flag & (ST_NOATIME | ST_NODIRATIME | ST_RELATIME));
		if (mount(NULL, t, NULL, MS_BIND | MS_REMOUNT | flags, NULL) == 0)
			return 0;
	}
	return berth_err_sys(err, errno, "remount '%s'", path);
}

/* runc's checkProcMount: nothing may be mounted inside the container's /proc but
 * these files (lxcfs), and /proc itself only from a procfs source. */
static const char *const proc_allowed[] = {
	"/proc/cpuinfo", "/proc/diskstats",
	"/proc/meminfo", "/proc/stat",
	"/proc/swaps",	 "/proc/uptime",
	"/proc/loadavg", "/proc/slabinfo",
	"/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

static int check_proc_dest(const struct rootfs_ctx *c, const struct oci_mount *m, int fd,
			   const char *src, struct berth_err **err)
{
	char buf[RT_PATH_FD_LEN], real[4096];
	size_t rlen = strlen(c->rootfs);
	struct statfs sfs;
	const char *rel;
	ssize_t n;

	if (!c->procfd)
		return 0;
	n = readlink(rt_path_fd(fd, buf), real, sizeof(real) - 1);
	if (n < 0)
		return berth_err_sys(err, errno, "readlink '%s'", buf);
	real[n] = '\0';
	if (strcmp(c->rootfs, "/") && (strncmp(real, c->rootfs, rlen) || real[rlen] != '/'))
		return berth_err_new(err, BERTH_E_INVALID,
				     "destination resolves outside the root ('%s')", real);
	rel = strcmp(c->rootfs, "/") ? real + rlen : real;
	if (strncmp(rel, "/proc", 5) || (rel[5] && rel[5] != '/'))
		return 0;
	if (!rel[5]) {
		if (!m->bind)
			return 0;
		if (statfs(src, &sfs) < 0)
			return berth_err_sys(err, errno, "statfs '%s'", src);
		if (sfs.f_type != PROC_SUPER_MAGIC)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"'%s' cannot be mounted on /proc because it is not of type proc",
				src);
		return 0;
	}
	for (size_t i = 0; i < sizeof(proc_allowed) / sizeof(proc_allowed[0]); i++)
		if (!strcmp(rel, proc_allowed[i]))
			return 0;
	return berth_err_new(err, BERTH_E_INVALID,
			     "'%s' cannot be mounted because it is inside /proc", rel);
}

/*
 * Creates the empty file a file bind needs at dest. A dangling symlink there is
 * followed inside the root, as securejoin does for runc: the file is created
 * where the link points, resolved in the root, never on the host.
 */
static int dest_create_file(const struct rootfs_ctx *c, const char *dest, struct berth_err **err)
{
	cleanup_free char *cur = rt_path_clean(dest);

	for (int links = 0; links <= RT_PATH_MAX_SYMLINKS; links++) {
		cleanup_close int parent = -1;
		cleanup_free char *buf = NULL;
		char target[4096];
		const char *name;
		char *next;
		ssize_t n;
		int f, fd = rt_path_open(c->rootfd, cur, 0, 0, err);

		if (fd >= 0 || !berth_err_is(*err, ENOENT))
			return fd;
		berth_err_free(err);
		parent = rt_path_open_parent(c->rootfd, cur, RT_PATH_MKDIR, 0755, &buf, &name, err);
		if (parent < 0)
			return -1;
		f = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			   0644);
		if (f >= 0) {
			close(f);
			continue;
		}
		if (errno != EEXIST)
			return berth_err_sys(err, errno, "create '%s'", cur);
		/* a dangling symlink: go where it points */
		n = readlinkat(parent, name, target, sizeof(target) - 1);
		if (n < 0)
			return berth_err_sys(err, errno, "readlink '%s'", cur);
		target[n] = '\0';
		if (target[0] == '/') {
			next = xstrdup(target);
		} else {
			*strrchr(cur, '/') = '\0';
			next = xasprintf("%s/%s", cur, target);
		}
		free(cur);
		cur = rt_path_clean(next);
		free(next);
	}
	return berth_err_sys(err, ELOOP, "create '%s'", dest);
}

int rootfs_dest_prepare(const struct rootfs_ctx *c, const char *dest, bool is_dir,
			struct berth_err **err)
{
	cleanup_close int fd = -1;

	if (is_dir)
		fd = rt_path_open(c->rootfd, dest, RT_PATH_MKDIR, 0755, err);
	else
		fd = dest_create_file(c, dest, err);
	if (fd < 0)
		return -1;
	if (rt_path_same_inode(fd, c->rootfd))
		return berth_err_new(err, BERTH_E_INVALID,
				     "destination '%s' resolves to the container root", dest);
	return take_fd(&fd);
}

/* Relative bind sources are relative to the bundle, as runc (run from it) reads them. */
static char *bind_source(const struct rootfs_ctx *c, const char *src)
{
	if (src[0] == '/' || !c->opts->bundle)
		return xstrdup(src);
	return xasprintf("%s/%s", c->opts->bundle, src);
}

static int set_rec_attrs(const struct rootfs_ctx *c, const struct oci_mount *m, int fd,
			 const char *dest, struct berth_err **err)
{
	struct {
		unsigned long long set, clr, propagation, userns_fd;
	} attr = {m->rec_attr_set, m->rec_attr_clr, 0, 0};

	if (!m->rec_attr_set && !m->rec_attr_clr)
		return 0;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
	    0)
		return berth_err_sys(err, errno, "set recursive mount attributes on '%s'", dest);
	return 0;
}

/* After the mount: bind remount with flags, propagation, recursive attributes. */
static int mount_after(const struct rootfs_ctx *c, const struct oci_mount *m, const char *dest,
		       bool remount, struct berth_err **err)
{
	cleanup_close int fd = rt_path_open(c->rootfd, dest, 0, 0, err);
	char buf[RT_PATH_FD_LEN];

	if (fd < 0)
		return -1;
	if (remount && rootfs_remount_bind(c, fd, dest, m->flags, m->clear_flags, err) < 0)
		return -1;
	if (m->propagation &&
	    mount(NULL, rootfs_target(c, fd, dest, buf), NULL, m->propagation, NULL) < 0)
		return berth_err_sys(err, errno, "set propagation of '%s'", dest);
	return set_rec_attrs(c, m, fd, dest, err);
}

/* srcfd: the source as the parent opened it (mountsrc.h), or -1 to walk the path here. */
static int mount_bind(struct rootfs_ctx *c, const struct oci_mount *m, const char *src_in,
		      int srcfd, const char *dest, bool rec, struct berth_err **err)
{
	cleanup_free char *src = bind_source(c, src_in);
	cleanup_close int fd = -1;
	char buf[RT_PATH_FD_LEN], sbuf[RT_PATH_FD_LEN];
	const char *from = src;
	struct stat st;

	if (srcfd >= 0 && c->procfd) {
		if (fstat(srcfd, &st) < 0)
			return berth_err_sys(err, errno, "stat source '%s'", src);
		from = rt_path_fd(srcfd, sbuf);
	} else if (stat(src, &st) < 0) {
		return berth_err_sys(err, errno, "stat source '%s'", src);
	}
	fd = rootfs_dest_prepare(c, dest, S_ISDIR(st.st_mode), err);
	if (fd < 0 || check_proc_dest(c, m, fd, src, err) < 0)
		return -1;
	if (mount(from, rootfs_target(c, fd, dest, buf), NULL, MS_BIND | (rec ? MS_REC : 0), NULL) <
	    0)
		return berth_err_sys(err, errno, "mount '%s' on '%s'", src, dest);
	return mount_after(c, m, dest, (m->flags & RT_MNT_FLAGS_MASK) != 0, err);
}

static bool has_new_netns(const struct oci_spec *spec)
{
	const struct oci_namespace *ns = oci_spec_find_ns(spec, OCI_NS_NETWORK);

	return ns && !ns->path;
}

/* linux.mountLabel: the SELinux context of tmpfs and devpts mounts, as runc;
 * without SELinux, create has warned that it is not applied. Caller frees. */
static char *mount_data(const struct rootfs_ctx *c, const struct oci_mount *m)
{
	const char *label = c->spec->linux_ ? c->spec->linux_->mount_label : NULL;

	if (!label || !*label || !m->type ||
	    (strcmp(m->type, "tmpfs") && strcmp(m->type, "devpts")) || !rt_lsm_selinux_enabled())
		return xstrdup_or_null(m->data);
	if (m->data)
		return xasprintf("%s,context=\"%s\"", m->data, label);
	return xasprintf("context=\"%s\"", label);
}

static int mount_fs(struct rootfs_ctx *c, const struct oci_mount *m, const char *dest,
		    struct berth_err **err)
{
	cleanup_free char *data = mount_data(c, m);
	const char *src = m->source ? m->source : m->type;
	unsigned long flags = m->flags & RT_MNT_FLAGS_MASK;
	cleanup_close int fd = rootfs_dest_prepare(c, dest, true, err);
	cleanup_close int lower = -1;
	cleanup_close int upper = -1;
	char buf[RT_PATH_FD_LEN];

	if (fd < 0 || check_proc_dest(c, m, fd, src, err) < 0)
		return -1;
	if (m->type && !strcmp(m->type, "tmpfs"))
		flags &= ~MS_RDONLY; /* rootfs_mount_finalize() */
	if (m->tmpcopyup) {
		/* the fd keeps the covered directory readable after the mount */
		lower = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lower < 0)
			return berth_err_sys(err, errno, "open '%s'", dest);
	}
	if (mount(src, rootfs_target(c, fd, dest, buf), m->type, flags | (m->flags & MS_REMOUNT),
		  data) < 0)
		return berth_err_sys(err, errno, "mount '%s' on '%s'", src, dest);
	if (m->tmpcopyup) {
		upper = rt_path_open(c->rootfd, dest, 0, 0, err);
		if (upper < 0)
			return -1;
		closep(&fd);
		fd = openat(upper, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return berth_err_sys(err, errno, "open '%s'", dest);
		if (rootfs_copy_tree(lower, fd, err) < 0)
			return berth_err_wrap(err, "tmpcopyup");
	}
	return mount_after(c, m, dest, false, err);
}

/* The tree was made idmapped by the parent (idmount.h); flags and propagation as a bind. */
static int mount_idmapped(struct rootfs_ctx *c, const struct oci_mount *m, size_t i,
			  const char *dest, struct berth_err **err)
{
	cleanup_close int fd = -1;

	fd = rootfs_dest_prepare(c, dest, rt_idmount_is_dir(c->opts->idmounts, i), err);
	if (fd < 0 || check_proc_dest(c, m, fd, m->source, err) < 0)
		return -1;
	if (rt_idmount_attach(c->opts->idmounts, i, fd, err) < 0)
		return -1;
	return mount_after(c, m, dest, (m->flags & RT_MNT_FLAGS_MASK) != 0, err);
}

static int mount_entry(struct rootfs_ctx *c, const struct oci_mount *m, size_t i, const char *dest,
		       struct berth_err **err)
{
	if (!strcmp(dest, "/"))
		return berth_err_new(err, BERTH_E_INVALID,
				     "refusing to mount over the container root");
	if (rt_idmount_wanted(m))
		return mount_idmapped(c, m, i, dest, err);
	if (m->bind) {
		if (!m->source)
			return berth_err_new(err, BERTH_E_INVALID, "bind mount without a source");
		return mount_bind(c, m, m->source, c->opts->bind_fds ? c->opts->bind_fds[i] : -1,
				  dest, m->rbind, err);
	}
	if (!m->type)
		return berth_err_new(err, BERTH_E_INVALID, "mount without a type");
	if (!strcmp(m->type, "cgroup"))
		return rootfs_mount_cgroup(c, m, dest, err);
	/* sysfs belongs to the network namespace: a user namespace without its own
	 * may not mount one, so bind the host's like runc does */
	if (!strcmp(m->type, "sysfs") && c->opts->userns && !has_new_netns(c->spec))
		return mount_bind(c, m, "/sys", -1, dest, true, err);
	return mount_fs(c, m, dest, err);
}

int rootfs_mount_one(struct rootfs_ctx *c, size_t i, struct berth_err **err)
{
	const struct oci_mount *m = &c->spec->mounts[i];
	cleanup_free char *dest = NULL;

	if (!m->destination || !m->destination[0])
		return berth_err_new(err, BERTH_E_INVALID, "mounts[%zu]: empty destination", i);
	dest = rt_path_clean(m->destination);
	if (mount_entry(c, m, i, dest, err) < 0)
		return berth_err_wrap(err, "mounts[%zu] '%s'", i, m->destination);
	return 0;
}

int rootfs_mount_finalize(struct rootfs_ctx *c, struct berth_err **err)
{
	for (size_t i = 0; i < c->spec->n_mounts; i++) {
		const struct oci_mount *m = &c->spec->mounts[i];
		cleanup_free char *dest = NULL;
		cleanup_close int fd = -1;

		if (m->bind || !m->type || strcmp(m->type, "tmpfs") || !(m->flags & MS_RDONLY))
			continue;
		dest = rt_path_clean(m->destination);
		fd = rt_path_open(c->rootfd, dest, 0, 0, err);
		if (fd < 0 || rootfs_remount_bind(c, fd, dest, m->flags, m->clear_flags, err) < 0)
			return berth_err_wrap(err, "mounts[%zu] '%s'", i, m->destination);
	}
	return 0;
}
