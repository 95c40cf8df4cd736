/*
 * runtime/lib/cgroup/cgroup.c - the cgroup front: layout detection, the container's
 * directories in each hierarchy, entering, freezing, killing, removal.
 *
 * Resource files are written by cgroup_apply.c (dispatch), cgroup_v1.c and
 * cgroup_v2.c (formats); see cgroup_internal.h for the split.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/mountinfo.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"
#include "runtime/lib/cgroup/manager.h"

static char *mountinfo_override;

void rt_cgroup_set_mountinfo(const char *path)
{
	free(mountinfo_override);
	mountinfo_override = xstrdup_or_null(path);
}

/* Controllers berth places a container in, when a v1 hierarchy binds them. */
static const char *const v1_known[] = {
	"cpu",	 "cpuacct", "cpuset",	    "memory",  "devices",  "freezer",
	"blkio", "pids",    "hugetlb",	    "net_cls", "net_prio", "perf_event",
	"rdma",	 "misc",    "name=systemd", NULL,
};

static bool is_known_v1(const char *opt)
{
	for (size_t i = 0; v1_known[i]; i++)
		if (strcmp(opt, v1_known[i]) == 0)
			return true;
	return false;
}

static bool hier_has(const struct cg_hier *h, const char *ctrl)
{
	return strv_contains(h->ctrls, ctrl);
}

static bool v1_already(const struct rt_cgroup *cg, char **ctrls)
{
	for (size_t i = 0; i < cg->n; i++) {
		if (cg->h[i].v2)
			continue;
		strv_foreach (c, ctrls)
			if (hier_has(&cg->h[i], c))
				return true;
	}
	return false;
}

static struct cg_hier *hier_add(struct rt_cgroup *cg)
{
	cg->h = xreallocarray(cg->h, cg->n + 1, sizeof(*cg->h));
	memset(&cg->h[cg->n], 0, sizeof(*cg->h));
	cg->h[cg->n].fmt = &cg_fmt_v1;
	return &cg->h[cg->n++];
}

/* One mount: "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices" */
static void add_mount(struct rt_cgroup *cg, const struct mountinfo_entry *e, char **v2_mnt)
{
	cleanup(strv_freep) char **opts = NULL;
	cleanup(strv_freep) char **ctrls = NULL;
	struct cg_hier *h;

	if (strcmp(e->fstype, "cgroup2") == 0) {
		/* the first one wins, except that /sys/fs/cgroup itself is preferred */
		if (!*v2_mnt || strcmp(e->mount_point, "/sys/fs/cgroup") == 0) {
			free(*v2_mnt);
			*v2_mnt = xstrdup(e->mount_point);
		}
		return;
	}
	if (strcmp(e->fstype, "cgroup") != 0)
		return;
	opts = strv_split(e->super_opts, ",");
	strv_foreach (o, opts)
		if (is_known_v1(o))
			strv_push(&ctrls, o);
	if (!ctrls || v1_already(cg, ctrls))
		return;
	h = hier_add(cg);
	h->mnt = xstrdup(e->mount_point);
	h->ctrls = take_ptr(ctrls);
}

static int read_v2_controllers(struct cg_hier *h, struct berth_err **err)
{
	cleanup_free char *s = NULL;

	if (cg_read(h->mnt, "cgroup.controllers", &s, err) < 0)
		return -1;
	h->ctrls = strv_split(s, " \n");
	return 0;
}

static int detect(struct rt_cgroup *cg, struct berth_err **err)
{
	const char *mi = mountinfo_override ? mountinfo_override : "/proc/self/mountinfo";
	cleanup(mountinfo_closep) struct mountinfo_reader *r = mountinfo_open(mi, 0, err);
	cleanup_free char *v2_mnt = NULL;
	struct mountinfo_entry e;
	bool have_v1;
	int ret;

	if (!r)
		return -1;
	while ((ret = mountinfo_next(r, &e, err)) > 0)
		add_mount(cg, &e, &v2_mnt);
	if (ret < 0)
		return -1;
	/* a lone name=systemd hierarchy next to cgroup2 does not make a hybrid */
	have_v1 = false;
	for (size_t i = 0; i < cg->n; i++)
		strv_foreach (c, cg->h[i].ctrls)
			if (strncmp(c, "name=", 5) != 0)
				have_v1 = true;
	if (v2_mnt) {
		struct cg_hier *h = hier_add(cg);

		h->v2 = true;
		h->fmt = &cg_fmt_v2;
		h->mnt = take_ptr(v2_mnt);
		cg->unified = h;
		/* pointers into cg->h are stable from here on: nothing is added later */
		if (read_v2_controllers(h, err) < 0)
			return berth_err_wrap(err, "cgroup2 mount '%s'", h->mnt);
	}
	if (!have_v1 && !cg->unified)
		return berth_err_new(err, BERTH_E_UNAVAILABLE,
				     "no cgroup filesystem is mounted (%s)", mi);
	cg->mode = !have_v1 ? RT_CGROUP_V2 : cg->unified ? RT_CGROUP_HYBRID : RT_CGROUP_V1;
	return 0;
}

static bool is_systemd_syntax(const char *p)
{
	const char *c1 = strchr(p, ':');

	return p[0] != '/' && c1 && strchr(c1 + 1, ':') && !strchr(strchr(c1 + 1, ':') + 1, ':');
}

/* The manager selection (manager.h): the only place that knows the drivers. */
static int select_manager(const char *cgroups_path, const char *id, bool systemd,
			  const struct rt_cgroup_manager **out, struct berth_err **err)
{
	const struct rt_cgroup_manager *m = &rt_cgroup_manager_fs;

	if (!id || !id[0] || strchr(id, '/'))
		return berth_err_new(err, BERTH_E_INVALID,
				     "invalid container id '%s' for a cgroup path", id ? id : "");
	if (systemd || (cgroups_path && is_systemd_syntax(cgroups_path))) {
		m = &rt_cgroup_manager_systemd;
		if (m->available && m->available(cgroups_path, id, err) < 0)
			return -1;
		/* runc reads "a:b:c" as a cgroupfs path without --systemd-cgroup: refuse it,
		 * the user surely meant the driver */
		if (!systemd)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"linux.cgroupsPath: '%s': the systemd cgroup driver is needed for 'slice:prefix:name': pass --systemd-cgroup",
				cgroups_path);
	}
	*out = m;
	return 0;
}

int rt_cgroup_open(const char *cgroups_path, const char *id, bool systemd, struct rt_cgroup **out,
		   struct berth_err **err)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = xnew(struct rt_cgroup);

	if (select_manager(cgroups_path, id, systemd, &cg->mgr, err) < 0)
		return -1;
	if (cg->mgr->resolve(cg, cgroups_path, id, &cg->cgpath, err) < 0)
		return -1;
	if (detect(cg, err) < 0)
		return -1;
	for (size_t i = 0; i < cg->n; i++)
		cg->h[i].dir = xasprintf("%s%s", cg->h[i].mnt, cg->cgpath);
	cg->n_cfg_devices = SIZE_MAX;
	*out = take_ptr(cg);
	return 0;
}

void rt_cgroup_set_config_devices(struct rt_cgroup *cg, size_t n)
{
	cg->n_cfg_devices = n;
}

enum rt_cgroup_mode rt_cgroup_mode(const struct rt_cgroup *cg)
{
	return cg->mode;
}

const char *rt_cgroup_name(const struct rt_cgroup *cg)
{
	return cg->cgpath;
}

bool rt_cgroup_needs_pid(const struct rt_cgroup *cg)
{
	return cg->mgr->needs_pid;
}

int rt_cgroup_check_rootless(const struct rt_cgroup *cg, struct berth_err **err)
{
	return cg->mgr->check_rootless ? cg->mgr->check_rootless(cg, err) : 0;
}

int rt_cgroup_start(struct rt_cgroup *cg, const char *id, pid_t pid,
		    const struct oci_resources *res, struct berth_err **err)
{
	return cg->mgr->start ? cg->mgr->start(cg, id, pid, res, err) : 0;
}

struct cg_hier *cg_ctrl(const struct rt_cgroup *cg, const char *controller)
{
	for (size_t i = 0; i < cg->n; i++)
		if (!cg->h[i].v2 && hier_has(&cg->h[i], controller))
			return &cg->h[i];
	if (cg->unified && hier_has(cg->unified, controller))
		return cg->unified;
	return NULL;
}

const char *rt_cgroup_path(const struct rt_cgroup *cg, const char *controller)
{
	const struct cg_hier *h;

	if (!controller || !controller[0])
		return cg->unified ? cg->unified->dir : NULL;
	h = cg_ctrl(cg, controller);
	return h ? h->dir : NULL;
}

void rt_cgroup_free(struct rt_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n; i++) {
		free(cg->h[i].mnt);
		free(cg->h[i].dir);
		strv_free(cg->h[i].ctrls);
		strv_free(cg->h[i].created);
	}
	free(cg->h);
	free(cg->cgpath);
	if (cg->mgr && cg->mgr->free)
		cg->mgr->free(cg);
	free(cg);
}

void rt_cgroup_freep(struct rt_cgroup **cg)
{
	rt_cgroup_free(*cg);
}

/* ---- files ---- */

bool cg_file_exists(const char *dir, const char *file)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);

	return access(p, F_OK) == 0;
}

int cg_write(const char *dir, const char *file, const char *value, const char *field,
	     const char *hint, struct berth_err **err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);

	if (fd < 0 && errno == ENOENT && access(dir, F_OK) < 0)
		return berth_err_sys(err, ENOENT, "%s: cgroup '%s'", field, dir);
	if (fd < 0 && errno == ENOENT)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED, "%s: '%s' does not exist%s%s%s",
				     field, file, hint ? " (" : "", hint ? hint : "",
				     hint ? ")" : "");
	if (fd < 0)
		return berth_err_sys(err, errno, "%s: open '%s'", field, p);
	if (write(fd, value, len) != (ssize_t)len)
		return berth_err_sys(err, errno, "%s: write '%s' to '%s'", field, value, file);
	return 0;
}

int cg_writef(const char *dir, const char *file, const char *field, const char *hint,
	      struct berth_err **err, const char *fmt, ...)
{
	cleanup_free char *v = NULL;
	va_list ap;

	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	return cg_write(dir, file, v, field, hint, err);
}

int cg_read(const char *dir, const char *file, char **out, struct berth_err **err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	size_t len;

	return fs_read_file_max(AT_FDCWD, p, 1 << 20, out, &len, err);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "max", 3) == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || (*end && *end != '\n' && *end != ' '))
		return -1;
	return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct berth_err **err)
{
	cleanup_free char *s = NULL;

	if (cg_read(dir, file, &s, err) < 0)
		return -1;
	if (parse_u64(s, out) < 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "'%s/%s': not a number: '%.40s'", dir,
				     file, s);
	return 0;
}

int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out,
		  struct berth_err **err)
{
	cleanup_free char *s = NULL;
	size_t kl = strlen(key);

	if (cg_read(dir, file, &s, err) < 0)
		return -1;
	for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ' ' && parse_u64(l + kl + 1, out) == 0)
			return 0;
	}
	return berth_err_new(err, BERTH_E_NOT_FOUND, "'%s/%s': no key '%s'", dir, file, key);
}

/* ---- directories ---- */

static void hier_forget_created(struct cg_hier *h)
{
	strv_free(h->created);
	h->created = NULL;
}

/* mkdir -p dir, recording what was created; v1 cpuset levels get the parent's
 * cpus/mems; on cgroup2 each level above the leaf delegates its controllers. */
static int hier_mkdir(struct cg_hier *h, const char *cgpath, struct berth_err **err)
{
	cleanup_free char *p = xasprintf("%s%s", h->mnt, cgpath);
	size_t base = strlen(h->mnt);

	for (char *s = p + base + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (h->fmt->before_level) {
			/* the parent of the level about to be made */
			char *slash = strrchr(p, '/');

			*slash = '\0';
			if (h->fmt->before_level(slash == p ? "/" : p, err) < 0) {
				*slash = '/';
				return -1;
			}
			*slash = '/';
		}
		if (mkdir(p, 0755) == 0)
			strv_push(&h->created, p);
		else if (errno != EEXIST)
			return berth_err_sys(err, errno, "create cgroup '%s'", p);
		if (h->fmt->after_level && h->fmt->after_level(h, p, err) < 0)
			return -1;
		*s = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* Removes dir and every cgroup below it, deepest first. EBUSY is retried a
 * few times: a cgroup stays busy until its last task has been reaped. */
static int rmdir_tree(const char *dir, struct berth_err **err)
{
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;
	unsigned delay_ms = 10;

	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return berth_err_sys(err, errno, "open cgroup '%s'", dir);
	while ((de = readdir(d))) {
		cleanup_free char *sub = NULL;

		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		if (rmdir_tree(sub, err) < 0)
			return -1;
	}
	for (int i = 0;; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i == 6)
			return berth_err_sys(err, errno, "remove cgroup '%s'", dir);
		nanosleep(&(struct timespec){0, delay_ms * 1000000L}, NULL);
		delay_ms *= 2;
	}
}

static int destroy_hier(struct cg_hier *h, struct berth_err **err)
{
	size_t n = strv_len(h->created);

	if (rmdir_tree(h->dir, err) < 0)
		return -1;
	/* parent levels we created, deepest first; someone else's child keeps them */
	for (size_t i = n; i-- > 0;)
		if (strcmp(h->created[i], h->dir) != 0 && rmdir(h->created[i]) < 0 &&
		    errno != ENOENT)
			break;
	hier_forget_created(h);
	return 0;
}

int rt_cgroup_destroy(struct rt_cgroup *cg, struct berth_err **err)
{
	int ret = 0;

	/* the manager first (systemd removes the directories it made), then what is left
	 * (hierarchies systemd does not manage) like any cgroupfs path */
	if (cg->mgr->destroy && cg->mgr->destroy(cg, err) < 0) {
		ret = -1;
		err = NULL; /* keep that error; still remove the directories */
	}
	for (size_t i = 0; i < cg->n; i++) {
		struct berth_err *e = NULL;

		if (destroy_hier(&cg->h[i], &e) < 0) {
			/* keep the first error, but still try the other hierarchies */
			if (ret == 0 && err)
				*err = e;
			else
				berth_err_free(&e);
			ret = -1;
		}
	}
	return ret;
}

/* Undoes a failed rt_cgroup_create: removes what this process created, deepest first. */
static void rollback(struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		struct cg_hier *h = &cg->h[i];

		for (size_t j = strv_len(h->created); j-- > 0;)
			rmdir(h->created[j]);
		hier_forget_created(h);
	}
}

int rt_cgroup_create(struct rt_cgroup *cg, const struct oci_resources *res, struct berth_err **err)
{
	if (res && cg_validate(cg, res, false, err) < 0)
		return -1;
	for (size_t i = 0; i < cg->n; i++) {
		struct cg_hier *h = &cg->h[i];

		hier_forget_created(h);
		if (hier_mkdir(h, cg->cgpath, err) < 0)
			goto fail;
	}
	/* an existing cgroup someone froze, or a new one under a frozen parent */
	if (rt_cgroup_check_not_frozen(cg, err) < 0)
		goto fail;
	if (res && cg_apply(cg, res, false, err) < 0)
		goto fail;
	return 0;
fail:
	rollback(cg);
	return -1;
}

int rt_cgroup_update(struct rt_cgroup *cg, const struct oci_resources *res, struct berth_err **err)
{
	if (!res)
		return 0;
	if (cg_validate(cg, res, true, err) < 0)
		return -1;
	/* the manager first (systemd writes its values on the change) */
	if (cg->mgr->update && cg->mgr->update(cg, res, err) < 0)
		return -1;
	return cg_apply(cg, res, true, err);
}

int rt_cgroup_enter(struct rt_cgroup *cg, pid_t pid, struct berth_err **err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cg->n; i++) {
		cleanup_free char *p = xasprintf("%s/cgroup.procs", cg->h[i].dir);

		if (fs_write_string(AT_FDCWD, p, buf, err) < 0)
			return berth_err_wrap(err, "move pid %d into cgroup '%s'", (int)pid,
					      cg->h[i].dir);
	}
	return 0;
}

static int must_exist(const struct cg_hier *h, struct berth_err **err);

/* The hierarchy whose cgroup.procs lists the container's processes. */
static struct cg_hier *primary(const struct rt_cgroup *cg)
{
	static const char *const order[] = {"freezer", "pids", "memory", "cpu", "devices", NULL};
	struct cg_hier *h;

	if (cg->mode == RT_CGROUP_V2)
		return cg->unified;
	for (size_t i = 0; order[i]; i++)
		if ((h = cg_ctrl(cg, order[i])) && !h->v2)
			return h;
	return cg->n ? &cg->h[0] : NULL;
}

int rt_cgroup_pids(struct rt_cgroup *cg, pid_t **pids, size_t *n, struct berth_err **err)
{
	struct cg_hier *h = primary(cg);
	cleanup_free char *s = NULL;
	cleanup_free pid_t *v = NULL;
	size_t cnt = 0;

	if (!h)
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "no cgroup hierarchy");
	if (must_exist(h, err) < 0)
		return -1;
	if (cg_read(h->dir, "cgroup.procs", &s, err) < 0)
		return berth_err_wrap(err, "list processes of cgroup '%s'", h->dir);
	for (char *l = s; *l;) {
		char *end;
		long pid = strtol(l, &end, 10);

		if (end == l)
			break;
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt++] = (pid_t)pid;
		l = end;
		while (*l == '\n')
			l++;
	}
	*pids = take_ptr(v);
	*n = cnt;
	return 0;
}

/* v1 freezer when mounted, else cgroup2's cgroup.freeze; NULL if neither. */
static struct cg_hier *freezer(const struct rt_cgroup *cg)
{
	struct cg_hier *h = cg_ctrl(cg, "freezer");

	if (h)
		return h;
	if (cg->unified && cg_file_exists(cg->unified->dir, "cgroup.freeze"))
		return cg->unified;
	return NULL;
}

static int must_exist(const struct cg_hier *h, struct berth_err **err)
{
	if (access(h->dir, F_OK) < 0)
		return berth_err_sys(err, errno, "cgroup '%s'", h->dir);
	return 0;
}

static bool frozen_by_ancestor(const struct cg_hier *h)
{
	return h->fmt->frozen_by_ancestor(h->dir) > 0;
}

int rt_cgroup_freeze(struct rt_cgroup *cg, bool frozen, struct berth_err **err)
{
	struct cg_hier *h = freezer(cg);

	if (h && must_exist(h, err) < 0)
		return -1;
	if (!h)
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			"cannot %s cgroup '%s': no freezer (v1 freezer not mounted, no cgroup.freeze)",
			frozen ? "freeze" : "thaw", cg->cgpath);
	/* no write here can thaw it: say so now rather than after the ~10 s of retries */
	if (!frozen && frozen_by_ancestor(h))
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"cannot thaw cgroup '%s': an ancestor cgroup is frozen (thaw the ancestor first)",
			h->dir);
	return h->fmt->freeze(h->dir, frozen, err);
}

bool rt_cgroup_is_frozen(struct rt_cgroup *cg)
{
	struct cg_hier *h = freezer(cg);

	if (!h)
		return false;
	return h->fmt->is_frozen(h->dir) > 0;
}

int rt_cgroup_check_not_frozen(struct rt_cgroup *cg, struct berth_err **err)
{
	struct cg_hier *h = freezer(cg);

	if (!h || !rt_cgroup_is_frozen(cg))
		return 0;
	return berth_err_new(
		err, BERTH_E_PRECONDITION,
		"container's cgroup '%s' is unexpectedly frozen%s: a process there could never run; thaw it or use another cgroup",
		h->dir, frozen_by_ancestor(h) ? " (by an ancestor)" : "");
}

static int signal_all(struct rt_cgroup *cg, int sig, struct berth_err **err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (rt_cgroup_pids(cg, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return berth_err_sys(err, errno, "send signal %d to pid %d", sig,
					     (int)pids[i]);
	return 0;
}

int rt_cgroup_kill_all(struct rt_cgroup *cg, int sig, struct berth_err **err)
{
	struct cg_hier *fz;
	bool was_frozen;
	int ret;

	if (sig == SIGKILL && cg->mode == RT_CGROUP_V2 &&
	    cg_file_exists(cg->unified->dir, "cgroup.kill"))
		return cg_write(cg->unified->dir, "cgroup.kill", "1", "kill all", NULL, err);
	if (primary(cg) && must_exist(primary(cg), err) < 0)
		return -1;
	fz = freezer(cg);
	if (!fz)
		return signal_all(cg, sig, err);
	was_frozen = rt_cgroup_is_frozen(cg);
	if (!was_frozen && rt_cgroup_freeze(cg, true, err) < 0)
		return -1;
	ret = signal_all(cg, sig, err);
	/* a frozen v1 task does not act on SIGKILL until thawed: thaw a paused (or
	 * externally frozen) cgroup after the kill, as runc does, or delete --force
	 * waits for an exit that never comes (issue #15) */
	if (!was_frozen || sig == SIGKILL) {
		struct berth_err *e = NULL;

		if (rt_cgroup_freeze(cg, false, ret < 0 ? &e : err) < 0 && ret == 0)
			ret = -1;
		berth_err_free(&e);
	}
	return ret;
}

/* runc's specconv.AllowedDevices (the allow rules; its deny-all comes from the config). */
static const struct oci_device_cgroup default_rules[] = {
	{.allow = true, .type = 'c', .major = -1, .minor = -1, .access = "m"},
	{.allow = true, .type = 'b', .major = -1, .minor = -1, .access = "m"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 3,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 8,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 7,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 5,
	 .minor = 0,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 5,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 9,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 5,
	 .minor = 1,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = false,
	 .major = 136,
	 .minor = -1,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 5,
	 .minor = 2,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 10,
	 .minor = 200,
	 .access = "rwm"},
};

const struct oci_device_cgroup *rt_cgroup_default_device_rules(size_t *n)
{
	*n = sizeof(default_rules) / sizeof(default_rules[0]);
	return default_rules;
}
