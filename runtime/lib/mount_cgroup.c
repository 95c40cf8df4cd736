/*
 * runtime/lib/mount_cgroup.c - the "cgroup" mount type.
 *
 * On a cgroup v2 host it is a cgroup2 mount (or, when the kernel refuses one
 * in a user namespace without a cgroup namespace, a bind of the container's
 * own cgroup directory). On a v1 or hybrid host it is what runc builds: a
 * tmpfs (mode=755) holding one entry per v1 hierarchy the container's init
 * belongs to ("cpu,cpuacct", "memory", "systemd"...), plus "cpu" and
 * "cpuacct" symlinks for co-mounted controllers; then the tmpfs is made
 * read-only if the mount asked for "ro". Each entry is a bind of the host
 * hierarchy's directory of the container's cgroup (found in /proc/self/cgroup,
 * which the core has set before calling us), or, in a cgroup namespace, a
 * fresh cgroup mount of that hierarchy (the namespace roots it at the
 * container's cgroup). The hybrid host's cgroup2 "unified" mount is left out,
 * as runc does.
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
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/mountinfo.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/paths.h"
#include "runtime/lib/rootfs_internal.h"

#define CG_ROOT "/sys/fs/cgroup"

/* A v1 hierarchy the init is in: "cpu,cpuacct" -> /sys/fs/cgroup/cpu,cpuacct + path. */
struct cg_hier {
	char *opts; /* the controllers as a mount option list ("cpu,cpuacct", "none,name=systemd") */
	char *name;  /* entry name under the tmpfs (basename of the host mount point) */
	char *src;   /* host directory of the container's cgroup in it */
	char **ctrl; /* controllers ("cpu", "cpuacct"; "name=systemd") */
};

static void cg_hier_free(struct cg_hier *h)
{
	free(h->opts);
	free(h->name);
	free(h->src);
	strv_free(h->ctrl);
}

/* Whether the controller sets a (from mountinfo super options) and b are the same. */
static bool same_set(char **a, char **b)
{
	if (strv_len(a) != strv_len(b))
		return false;
	strv_foreach (s, a) {
		if (!strv_contains(b, s))
			return false;
	}
	return true;
}

/* The controllers named in a cgroup v1 super-option string. */
static char **super_ctrls(const char *super)
{
	cleanup(strv_freep) char **opts = strv_split(super, ",");
	char **out = NULL;

	strv_foreach (o, opts) {
		if (!strcmp(o, "rw") || !strcmp(o, "ro") || !strcmp(o, "xattr") ||
		    !strcmp(o, "clone_children") || !strcmp(o, "noprefix") ||
		    !strcmp(o, "cpuset_v2_mode") || !strcmp(o, "favordynmods") ||
		    !strncmp(o, "release_agent=", 14))
			continue;
		strv_push(&out, o);
	}
	return out;
}

/*
 * Finds the host mount point and root of the hierarchy with controllers ctrl
 * in /proc/self/mountinfo, ignoring mounts inside the rootfs.
 */
static int find_hier_mount(const struct rootfs_ctx *c, const struct mountinfo *mi, char **ctrl,
			   char **mnt, char **root)
{
	size_t rlen = strlen(c->rootfs);

	for (size_t i = 0; i < mi->n; i++) {
		const struct mountinfo_entry *e = &mi->v[i];
		const char *at = e->mount_point;
		cleanup(strv_freep) char **ctrls = NULL;

		if (strcmp(e->fstype, "cgroup"))
			continue;
		if (!strncmp(at, c->rootfs, rlen) && (at[rlen] == '/' || !at[rlen]))
			continue;
		ctrls = super_ctrls(e->super_opts);
		if (!same_set(ctrls, ctrl))
			continue;
		*mnt = xstrdup(at);
		*root = xstrdup(e->root);
		return 0;
	}
	return -1;
}

/* The v1 hierarchies of /proc/self/cgroup with their host mounts. */
static int cg_hiers(const struct rootfs_ctx *c, struct cg_hier **out, size_t *nout,
		    struct berth_err **err)
{
	cleanup_free char *self = NULL;
	cleanup(mountinfo_freep) struct mountinfo *mi = NULL;
	cleanup(strv_freep) char **lines = NULL;
	struct cg_hier *h = NULL;
	size_t n = 0;

	if (fs_read_file_max(AT_FDCWD, "/proc/self/cgroup", 1 << 20, &self, NULL, err) < 0 ||
	    !(mi = mountinfo_load(NULL, 0, err)))
		return -1;
	lines = strv_split(self, "\n");
	strv_foreach (line, lines) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		cleanup_free char *list = NULL, *mnt = NULL, *root = NULL;
		const char *path, *rel;
		struct cg_hier *e;

		if (!c2 || c2 == c1 + 1) /* "0::/path" is the v2 hierarchy */
			continue;
		list = xstrndup(c1 + 1, c2 - c1 - 1);
		path = c2 + 1;
		h = xreallocarray(h, n + 1, sizeof(*h));
		e = &h[n];
		memset(e, 0, sizeof(*e));
		e->ctrl = strv_split(list, ",");
		if (find_hier_mount(c, mi, e->ctrl, &mnt, &root) < 0) {
			cg_hier_free(e);
			continue; /* a hierarchy nobody mounted (net_cls on some hosts) */
		}
		n++;
		e->opts = strncmp(list, "name=", 5) ? xstrdup(list) : xasprintf("none,%s", list);
		e->name = xstrdup(strrchr(mnt, '/') + 1);
		rel = path;
		if (strcmp(root, "/") && !strncmp(path, root, strlen(root)))
			rel = path + strlen(root);
		e->src = xasprintf("%s%s", mnt, rel);
	}
	*out = h;
	*nout = n;
	return 0;
}

static bool in_cgroupns(const struct oci_spec *spec)
{
	return oci_spec_find_ns(spec, OCI_NS_CGROUP) != NULL;
}

static int mount_one_hier(const struct rootfs_ctx *c, const struct oci_mount *m, int tmpfd,
			  const char *dest, const struct cg_hier *h, struct berth_err **err)
{
	cleanup_free char *path = xasprintf("%s/%s", dest, h->name);
	unsigned long flags = m->flags & RT_MNT_FLAGS_MASK;
	cleanup_close int fd = -1;
	char buf[RT_PATH_FD_LEN];
	int r;

	if (mkdirat(tmpfd, h->name, 0755) < 0 && errno != EEXIST)
		return berth_err_sys(err, errno, "mkdir '%s'", path);
	fd = rt_path_open(c->rootfd, path, 0, 0, err);
	if (fd < 0)
		return -1;
	if (in_cgroupns(c->spec))
		r = mount("cgroup", rootfs_target(c, fd, path, buf), "cgroup", flags, h->opts);
	else
		r = mount(h->src, rootfs_target(c, fd, path, buf), NULL, MS_BIND | MS_REC, NULL);
	if (r < 0)
		return berth_err_sys(err, errno, "mount '%s' on '%s'",
				     in_cgroupns(c->spec) ? h->opts : h->src, path);
	if (in_cgroupns(c->spec) || !flags)
		return 0;
	closep(&fd);
	fd = rt_path_open(c->rootfd, path, 0, 0, err);
	if (fd < 0)
		return -1;
	return rootfs_remount_bind(c, fd, path, flags, m->clear_flags, err);
}

/* "cpu,cpuacct" gets "cpu" and "cpuacct" symlinks, like runc and systemd make. */
static int link_comounts(int tmpfd, const char *dest, const struct cg_hier *h,
			 struct berth_err **err)
{
	if (strv_len(h->ctrl) < 2)
		return 0;
	strv_foreach (ctl, h->ctrl) {
		if (!strcmp(ctl, h->name) || strchr(ctl, '='))
			continue;
		if (symlinkat(h->name, tmpfd, ctl) < 0 && errno != EEXIST)
			return berth_err_sys(err, errno, "symlink '%s/%s'", dest, ctl);
	}
	return 0;
}

static int mount_v1(struct rootfs_ctx *c, const struct oci_mount *m, const char *dest,
		    struct berth_err **err)
{
	cleanup_close int fd = rootfs_dest_prepare(c, dest, true, err);
	cleanup_close int tmpfd = -1;
	struct cg_hier *h = NULL;
	char buf[RT_PATH_FD_LEN];
	size_t n = 0;
	int r = 0;

	if (fd < 0)
		return -1;
	if (mount("tmpfs", rootfs_target(c, fd, dest, buf), "tmpfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return berth_err_sys(err, errno, "mount 'tmpfs' on '%s'", dest);
	closep(&fd);
	fd = rt_path_open(c->rootfd, dest, 0, 0, err);
	if (fd < 0)
		return -1;
	tmpfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		return berth_err_sys(err, errno, "open '%s'", dest);
	if (cg_hiers(c, &h, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		r = mount_one_hier(c, m, tmpfd, dest, &h[i], err);
		if (r == 0)
			r = link_comounts(tmpfd, dest, &h[i], err);
	}
	for (size_t i = 0; i < n; i++)
		cg_hier_free(&h[i]);
	free(h);
	if (r < 0)
		return -1;
	if (m->flags & MS_RDONLY)
		return rootfs_remount_bind(c, fd, dest,
					   MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, err);
	return 0;
}

/* The container's cgroup on a v2 host ("0::/path"), as a host directory. */
static char *v2_own_dir(struct berth_err **err)
{
	cleanup_free char *self = NULL;
	char *p;

	if (fs_read_file_max(AT_FDCWD, "/proc/self/cgroup", 1 << 20, &self, NULL, err) < 0)
		return NULL;
	p = strstr(self, "0::");
	if (!p || (p != self && p[-1] != '\n')) {
		berth_err_new(err, BERTH_E_NOT_FOUND, "no cgroup v2 entry in /proc/self/cgroup");
		return NULL;
	}
	p += 3;
	p[strcspn(p, "\n")] = '\0';
	return xasprintf(CG_ROOT "%s", p);
}

static int mount_v2(struct rootfs_ctx *c, const struct oci_mount *m, const char *dest,
		    struct berth_err **err)
{
	unsigned long flags = m->flags & RT_MNT_FLAGS_MASK;
	cleanup_close int fd = rootfs_dest_prepare(c, dest, true, err);
	cleanup_free char *own = NULL;
	char buf[RT_PATH_FD_LEN];

	if (fd < 0)
		return -1;
	if (mount("cgroup2", rootfs_target(c, fd, dest, buf), "cgroup2", flags, m->data) == 0)
		return 0;
	if ((errno != EPERM && errno != EBUSY) || !c->opts->userns)
		return berth_err_sys(err, errno, "mount 'cgroup2' on '%s'", dest);
	/* a user namespace without a cgroup namespace: bind our own cgroup */
	own = v2_own_dir(err);
	if (!own)
		return -1;
	if (mount(own, rootfs_target(c, fd, dest, buf), NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_err_sys(err, errno, "mount '%s' on '%s'", own, dest);
	closep(&fd);
	fd = rt_path_open(c->rootfd, dest, 0, 0, err);
	if (fd < 0)
		return -1;
	return flags ? rootfs_remount_bind(c, fd, dest, flags, m->clear_flags, err) : 0;
}

int rootfs_mount_cgroup(struct rootfs_ctx *c, const struct oci_mount *m, const char *dest,
			struct berth_err **err)
{
	struct statfs sfs;

	if (statfs(CG_ROOT, &sfs) < 0)
		return berth_err_sys(err, errno, "statfs '" CG_ROOT "'");
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		return mount_v2(c, m, dest, err);
	return mount_v1(c, m, dest, err);
}
