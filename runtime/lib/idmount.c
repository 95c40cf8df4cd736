/*
 * runtime/lib/idmount.c - idmapped bind mounts (see idmount.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/mountinfo.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/idmount.h"

/* the kernel's limit on extents in one uid_map / gid_map (UID_GID_MAP_MAX_EXTENTS) */
#define IDMAP_MAX_EXTENTS 340

struct rt_idmounts {
	size_t n;   /* spec->n_mounts */
	int *fds;   /* per mount: the detached idmapped tree, or -1 */
	bool *dirs; /* per mount: the tree's root is a directory */
};

static bool has_opt(const struct oci_mount *m, const char *name)
{
	strv_foreach (o, m->options)
		if (!strcmp(o, name))
			return true;
	return false;
}

bool rt_idmount_wanted(const struct oci_mount *m)
{
	return m->n_uid_mappings || m->n_gid_mappings || has_opt(m, "idmap") ||
	       has_opt(m, "ridmap");
}

static bool overlaps(uint32_t a, uint32_t b, uint32_t sa, uint32_t sb)
{
	return (uint64_t)a < (uint64_t)b + sb && (uint64_t)b < (uint64_t)a + sa;
}

static int check_map(const struct oci_id_mapping *v, size_t n, const char *key,
		     struct berth_err **err)
{
	if (n > IDMAP_MAX_EXTENTS)
		return berth_err_new(err, BERTH_E_INVALID, "%s: %zu extents, at most %d allowed",
				     key, n, IDMAP_MAX_EXTENTS);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].size)
			return berth_err_new(err, BERTH_E_INVALID,
					     "%s[%zu]: size must be at least 1", key, i);
		if ((uint64_t)v[i].container_id + v[i].size > UINT32_MAX ||
		    (uint64_t)v[i].host_id + v[i].size > UINT32_MAX)
			return berth_err_new(err, BERTH_E_INVALID,
					     "%s[%zu]: range goes past id 4294967294", key, i);
		for (size_t j = 0; j < i; j++) {
			if (overlaps(v[i].container_id, v[j].container_id, v[i].size, v[j].size))
				return berth_err_new(err, BERTH_E_INVALID,
						     "%s[%zu]: containerID range overlaps %s[%zu]",
						     key, i, key, j);
			if (overlaps(v[i].host_id, v[j].host_id, v[i].size, v[j].size))
				return berth_err_new(err, BERTH_E_INVALID,
						     "%s[%zu]: hostID range overlaps %s[%zu]", key,
						     i, key, j);
		}
	}
	return 0;
}

/* Where the mapping of an idmapped mount comes from. */
struct idmap_src {
	const struct oci_id_mapping *u, *g;
	size_t nu, ng;
	const char *ns_path; /* else: the container's user namespace, joined by path */
};

/* The mount's own mappings, or for a bare "idmap" the container's: its
 * linux.uidMappings/gidMappings, or the user namespace it joins. */
static int mount_maps(const struct oci_spec *spec, const struct oci_mount *m, struct idmap_src *out,
		      struct berth_err **err)
{
	const struct oci_namespace *ns = oci_spec_find_ns(spec, OCI_NS_USER);
	const struct oci_linux *l = spec->linux_;

	*out = (struct idmap_src){NULL, NULL, 0, 0, NULL};
	if (m->n_uid_mappings || m->n_gid_mappings)
		*out = (struct idmap_src){m->uid_mappings, m->gid_mappings, m->n_uid_mappings,
					  m->n_gid_mappings, NULL};
	else if (l && (l->n_uid_mappings || l->n_gid_mappings))
		*out = (struct idmap_src){l->uid_mappings, l->gid_mappings, l->n_uid_mappings,
					  l->n_gid_mappings, NULL};
	else if (ns && ns->path)
		out->ns_path = ns->path;
	else
		return berth_err_new(
			err, BERTH_E_INVALID,
			"option 'idmap' needs uidMappings and gidMappings on the mount or a container user namespace");
	if (!out->ns_path && (!out->nu || !out->ng))
		return berth_err_new(err, BERTH_E_INVALID,
				     "an idmapped mount needs both uidMappings and gidMappings");
	return 0;
}

static int check_one(const struct oci_spec *spec, const struct oci_mount *m, struct berth_err **err)
{
	struct idmap_src ms;

	if (!m->bind)
		return berth_err_new(err, BERTH_E_INVALID,
				     "uidMappings/gidMappings are only supported on bind mounts");
	if (!m->source || !*m->source)
		return berth_err_new(err, BERTH_E_INVALID, "bind mount without a source");
	if (mount_maps(spec, m, &ms, err) < 0)
		return -1;
	if (ms.ns_path)
		return 0;
	if (check_map(ms.u, ms.nu, "uidMappings", err) < 0 ||
	    check_map(ms.g, ms.ng, "gidMappings", err) < 0)
		return -1;
	return 0;
}

int rt_idmounts_check(const struct oci_spec *spec, struct berth_err **err)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];

		if (rt_idmount_wanted(m) && check_one(spec, m, err) < 0)
			return berth_err_wrap(err, "mounts[%zu] '%s'", i,
					      m->destination ? m->destination : "");
	}
	return 0;
}

/* ---- the user namespace that carries a mapping ---- */

static char *map_text(const struct oci_id_mapping *v, size_t n)
{
	char *s = xstrdup(""), *t;

	for (size_t i = 0; i < n; i++) {
		t = xasprintf("%s%u %u %u\n", s, v[i].container_id, v[i].host_id, v[i].size);
		free(s);
		s = t;
	}
	return s;
}

static int write_map(pid_t pid, const char *name, const struct oci_id_mapping *v, size_t n,
		     struct berth_err **err)
{
	cleanup_free char *path = xasprintf("/proc/%d/%s", (int)pid, name);
	cleanup_free char *text = map_text(v, n);
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	if (write(fd, text, len) != (ssize_t)len)
		return berth_err_sys(err, errno, "write %s", name);
	return 0;
}

/* The helper: lives in the new user namespace until the parent closes the pipe. */
static _Noreturn void userns_helper(int rfd)
{
	char c;

	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

static int userns_fill(pid_t pid, const struct oci_id_mapping *u, size_t nu,
		       const struct oci_id_mapping *g, size_t ng, struct berth_err **err)
{
	cleanup_free char *path = xasprintf("/proc/%d/ns/user", (int)pid);
	int fd;

	if (write_map(pid, "uid_map", u, nu, err) < 0 || write_map(pid, "gid_map", g, ng, err) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	return fd;
}

/* A user namespace fd whose uid_map/gid_map are u/g. */
static int userns_open(const struct oci_id_mapping *u, size_t nu, const struct oci_id_mapping *g,
		       size_t ng, struct berth_err **err)
{
	int p[2], fd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	/* fork-like (no new stack): the helper only reads and _exits */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		close(p[1]);
		userns_helper(p[0]);
	}
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return berth_err_sys(err, errno, "clone a user namespace for the mapping");
	}
	fd = userns_fill(pid, u, nu, g, ng, err);
	close(p[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (fd < 0)
		return berth_err_wrap(err, "user namespace for the mapping");
	return fd;
}

/* ---- the detached tree ---- */

/* The filesystem type of the mount src is on, and whether that mount is
 * idmapped, from /proc/self/mountinfo; NULL if not found (this only words an
 * error message, so a failure to read mountinfo is not one of its own). */
static char *mount_facts(const char *src, bool *idmapped)
{
	cleanup(mountinfo_closep) struct mountinfo_reader *r = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	struct mountinfo_entry e;
	struct statx stx;

	if (statx(AT_FDCWD, src, 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
		return NULL;
	r = mountinfo_open(NULL, 0, &err);
	while (r && mountinfo_next(r, &e, &err) > 0) {
		if (e.mount_id != stx.stx_mnt_id)
			continue;
		*idmapped = strstr(e.mount_opts, "idmapped") != NULL;
		return xstrdup(e.fstype);
	}
	return NULL;
}

/* mount_setattr's errors, from the kernel's can_idmap_mount() */
static int setattr_err(const char *src, int e, struct berth_err **err)
{
	bool idmapped = false;
	cleanup_free char *fs = mount_facts(src, &idmapped);

	if (e == EPERM && idmapped)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"source '%s' is already an idmapped mount: its mapping cannot change", src);
	/* the filesystem lacks FS_ALLOW_IDMAP */
	if (e == EINVAL) {
		berth_err_sys(err, e, "idmapped mount not supported by '%s' on this kernel",
			      fs ? fs : "?");
		(*err)->code = BERTH_E_UNIMPLEMENTED;
		return -1;
	}
	if (e == EPERM)
		return berth_err_sys(
			err, e,
			"make '%s' an idmapped mount (is it one already, or on a filesystem of another user namespace?)",
			src);
	return berth_err_sys(err, e, "make '%s' an idmapped mount", src);
}

static int tree_open(const struct oci_mount *m, const char *src, int usernsfd, bool *is_dir,
		     struct berth_err **err)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)usernsfd};
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->rbind ? AT_RECURSIVE : 0);
	cleanup_close int fd = open_tree(AT_FDCWD, src, flags);
	struct stat st;

	if (fd < 0 && errno == ENOSYS)
		return berth_err_sys(
			err, errno,
			"idmapped mounts need open_tree and mount_setattr (Linux 5.12)");
	if (fd < 0)
		return berth_err_sys(err, errno, "open_tree '%s'", src);
	if (fstat(fd, &st) < 0)
		return berth_err_sys(err, errno, "stat source '%s'", src);
	*is_dir = S_ISDIR(st.st_mode);
	if (mount_setattr(fd, "", AT_EMPTY_PATH | (has_opt(m, "ridmap") ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return setattr_err(src, errno, err);
	return take_fd(&fd);
}

static bool in_init_userns(void)
{
	cleanup_fclose FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long a, b, n;

	return f && fscanf(f, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 &&
	       n == 4294967295UL;
}

static int userns_of(const struct idmap_src *ms, struct berth_err **err)
{
	int fd;

	if (!ms->ns_path)
		return userns_open(ms->u, ms->nu, ms->g, ms->ng, err);
	fd = open(ms->ns_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open user namespace '%s'", ms->ns_path);
	return fd;
}

static int prepare_one(const struct oci_spec *spec, const struct oci_mount *m, const char *bundle,
		       bool *is_dir, struct berth_err **err)
{
	cleanup_free char *src = m->source[0] == '/' || !bundle
					 ? xstrdup(m->source)
					 : xasprintf("%s/%s", bundle, m->source);
	cleanup_close int ns = -1;
	struct idmap_src ms;
	int fd;

	if (mount_maps(spec, m, &ms, err) < 0)
		return -1;
	ns = userns_of(&ms, err);
	fd = ns < 0 ? -1 : tree_open(m, src, ns, is_dir, err);
	/* open_tree needs CAP_SYS_ADMIN over our mount namespace, the map writes and
	 * mount_setattr over the host's ids and superblock: `unshare -r` has neither */
	if (fd < 0 && berth_err_is(*err, EPERM) && !in_init_userns())
		return berth_err_wrap(
			err, "idmapped mounts need CAP_SYS_ADMIN in the initial user namespace");
	return fd;
}

int rt_idmounts_prepare(const struct oci_spec *spec, const char *bundle, struct rt_idmounts **out,
			struct berth_err **err)
{
	cleanup(rt_idmounts_freep) struct rt_idmounts *im = NULL;

	if (rt_idmounts_check(spec, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];

		if (!rt_idmount_wanted(m))
			continue;
		if (!im) {
			im = xcalloc(1, sizeof(*im));
			im->n = spec->n_mounts;
			im->fds = xcalloc(im->n, sizeof(*im->fds));
			im->dirs = xcalloc(im->n, sizeof(*im->dirs));
			for (size_t j = 0; j < im->n; j++)
				im->fds[j] = -1;
		}
		im->fds[i] = prepare_one(spec, m, bundle, &im->dirs[i], err);
		if (im->fds[i] < 0)
			return berth_err_wrap(err, "mounts[%zu] '%s'", i, m->destination);
	}
	*out = take_ptr(im);
	return 0;
}

int rt_idmount_attach(struct rt_idmounts *im, size_t i, int destfd, struct berth_err **err)
{
	cleanup_close int fd = -1;

	if (!im || i >= im->n || im->fds[i] < 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "idmapped mount was not prepared");
	fd = take_fd(&im->fds[i]);
	if (move_mount(fd, "", destfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berth_err_sys(err, errno, "move the idmapped mount into place");
	return 0;
}

bool rt_idmount_is_dir(const struct rt_idmounts *im, size_t i)
{
	return im && i < im->n && im->dirs[i];
}

void rt_idmounts_free(struct rt_idmounts *im)
{
	if (!im)
		return;
	for (size_t i = 0; i < im->n; i++)
		closep(&im->fds[i]);
	free(im->fds);
	free(im->dirs);
	free(im);
}

void rt_idmounts_freep(struct rt_idmounts **im)
{
	rt_idmounts_free(*im);
	*im = NULL;
}
