/* runtime/lib/rootless.c - see rootless.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "runtime/lib/cgjoin.h"
#include "runtime/lib/cgroup/cgroup_internal.h"
#include "runtime/lib/rootless.h"

/* The initial user namespace maps every id to itself: "0 0 4294967295". */
static bool in_initial_userns(void)
{
	cleanup_free char *s = NULL;
	size_t len;
	unsigned long a, b, c;

	if (fs_read_file(AT_FDCWD, "/proc/self/uid_map", &s, &len, NULL) < 0)
		return true; /* no user namespaces in this kernel */
	return sscanf(s, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL &&
	       !strchr(strchr(s, '\n') ?: "", ' ');
}

bool rt_rootless_is(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = geteuid() != 0 || !in_initial_userns();
	return cached;
}

/* A directory we own or may write into. */
static bool usable_dir(const char *path)
{
	struct stat st;

	return path && path[0] == '/' && stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	       (st.st_uid == geteuid() || access(path, W_OK | X_OK) == 0);
}

int rt_rootless_default_root(char **out, struct berth_err **err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char run_user[64];

	if (!rt_rootless_is()) {
		*out = xstrdup("/run/berth");
		return 0;
	}
	if (xdg && *xdg) {
		if (!usable_dir(xdg))
			return berth_err_new(
				err, BERTH_E_PRECONDITION,
				"rootless: XDG_RUNTIME_DIR '%s' is not a directory this user can write: fix it or pass --root",
				xdg);
		*out = xasprintf("%s/berth", xdg);
		return 0;
	}
	snprintf(run_user, sizeof(run_user), "/run/user/%u", (unsigned)geteuid());
	if (usable_dir(run_user)) {
		*out = xasprintf("%s/berth", run_user);
		return 0;
	}
	return berth_err_new(
		err, BERTH_E_PRECONDITION,
		"rootless: no state directory: XDG_RUNTIME_DIR is not set and '%s' is not a directory of this user; set XDG_RUNTIME_DIR or pass --root",
		run_user);
}

/* The first resource the config asks for, as its JSON path; NULL for none. Device
 * rules do not count (see rootless.h). */
static const char *requested_resource(const struct oci_resources *r)
{
	if (!r)
		return NULL;
	if (r->memory)
		return "linux.resources.memory";
	if (r->cpu)
		return "linux.resources.cpu";
	if (r->has_pids_limit)
		return "linux.resources.pids";
	if (r->block_io)
		return "linux.resources.blockIO";
	if (r->n_hugepage_limits)
		return "linux.resources.hugepageLimits";
	if (r->network)
		return "linux.resources.network";
	if (r->n_rdma)
		return "linux.resources.rdma";
	if (r->n_unified)
		return "linux.resources.unified";
	return NULL;
}

/* The nearest existing level of dir (dir itself, else a parent) is writable. */
static bool level_writable(const char *dir)
{
	cleanup_free char *p = xstrdup(dir);

	for (;;) {
		char *slash;

		if (access(p, F_OK) == 0)
			return access(p, W_OK | X_OK) == 0;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			return false;
		*slash = '\0';
	}
}

static const char *unwritable_hierarchy(const struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n; i++) {
		if (!level_writable(cg->h[i].dir))
			return cg->h[i].dir;
	}
	return NULL;
}

int rt_rootless_want_cgroup(const struct rt_cgroup *cg, const struct oci_resources *res, bool *want,
			    struct berth_err **err)
{
	const char *dir, *field;

	*want = true;
	if (!rt_rootless_is())
		return 0;
	dir = unwritable_hierarchy(cg);
	if (!dir)
		return 0;
	field = requested_resource(res);
	if (field)
		return berth_err_new(
			err, BERTH_E_PERMISSION,
			"%s: rootless: cannot be honoured without a writable (delegated) cgroup: '%s' is not writable",
			field, dir);
	log_debug("rootless: cgroup '%s' is not writable: running without a cgroup",
		  rt_cgroup_name(cg));
	*want = false;
	return 0;
}

bool rt_rootless_no_cgroup(const struct rt_cgroup *cg)
{
	if (!rt_rootless_is())
		return false;
	for (size_t i = 0; i < cg->n; i++) {
		if (access(cg->h[i].dir, F_OK) == 0)
			return false;
	}
	return true;
}

struct proc_link {
	pid_t pid, ppid;
};

/* Every process's parent, from /proc/PID/stat (the field after the last ')'). */
static int read_links(struct proc_link **out, size_t *n, struct berth_err **err)
{
	cleanup_dir DIR *d = opendir("/proc");
	struct proc_link *v = NULL;
	struct dirent *de;
	size_t cnt = 0;

	if (!d)
		return berth_err_sys(err, errno, "open '/proc'");
	while ((de = readdir(d))) {
		char path[64], buf[512], *p;
		long pid = strtol(de->d_name, &p, 10);
		cleanup_close int fd = -1;
		ssize_t len;
		int ppid;

		if (*p || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (len = read(fd, buf, sizeof(buf) - 1)) <= 0)
			continue;
		buf[len] = '\0';
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
			continue;
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt++] = (struct proc_link){.pid = (pid_t)pid, .ppid = ppid};
	}
	*out = v;
	*n = cnt;
	return 0;
}

int rt_rootless_tree_pids(pid_t init, pid_t **pids, size_t *n, struct berth_err **err)
{
	cleanup_free struct proc_link *links = NULL;
	cleanup_free pid_t *v = NULL;
	size_t nl = 0, cnt = 0;

	if (read_links(&links, &nl, err) < 0)
		return -1;
	for (size_t i = 0; i < nl; i++) {
		if (links[i].pid == init) {
			v = xreallocarray(v, 1, sizeof(*v));
			v[cnt++] = init;
		}
	}
	/* breadth first: v grows while it is walked */
	for (size_t k = 0; k < cnt; k++) {
		for (size_t i = 0; i < nl; i++) {
			if (links[i].ppid != v[k])
				continue;
			v = xreallocarray(v, cnt + 1, sizeof(*v));
			v[cnt++] = links[i].pid;
		}
	}
	*pids = take_ptr(v);
	*n = cnt;
	return 0;
}

int rt_rootless_tree_kill(pid_t init, int sig, struct berth_err **err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (rt_rootless_tree_pids(init, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return berth_err_sys(err, errno, "kill %d", (int)pids[i]);
	}
	return 0;
}

/* The intermediate's report: the new process's pid, or -1 and an errno. */
struct joined_msg {
	int32_t pid;
	int32_t errnum;
	int32_t step; /* 0: setns, 1: clone */
};

pid_t rt_rootless_clone_joined(int pidfd, int ns_flags, struct rt_cgjoin *j, int *pidfd_child,
			       struct berth_err **err)
{
	struct joined_msg msg = {.pid = -1};
	int fds[2], status;
	pid_t mid;
	ssize_t n;

	*pidfd_child = -1;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return berth_err_sys(err, errno, "prctl PR_SET_CHILD_SUBREAPER");
	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	mid = fork();
	if (mid < 0) {
		close(fds[0]);
		close(fds[1]);
		return berth_err_sys(err, errno, "fork");
	}
	if (mid == 0) {
		int unused = -1;
		pid_t pid;

		close(fds[0]);
		if (setns(pidfd, CLONE_NEWUSER | ns_flags) < 0) {
			msg.errnum = errno;
		} else {
			msg.step = 1;
			pid = rt_clone3(0, j, &unused);
			if (pid == 0) {
				close(fds[1]);
				return 0; /* the new process, in the container's pid namespace */
			}
			msg.pid = pid;
			msg.errnum = pid < 0 ? errno : 0;
		}
		if (write(fds[1], &msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	do
		n = read(fds[0], &msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(msg))
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "the process joining the container's namespaces died");
	if (msg.pid < 0)
		return berth_err_sys(err, msg.errnum,
				     msg.step ? "clone in the container's pid namespace"
					      : "join the container's user and pid namespaces");
	*pidfd_child = (int)syscall(SYS_pidfd_open, msg.pid, 0);
	return msg.pid;
}
