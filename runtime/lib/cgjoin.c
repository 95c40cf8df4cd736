/* runtime/lib/cgjoin.c - see cgjoin.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgjoin.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* every controller a v1 hierarchy may bind, plus the named systemd one */
static const char *const v1_names[] = {"cpu",	  "cpuacct", "cpuset",	     "memory",
				       "devices", "freezer", "blkio",	     "pids",
				       "hugetlb", "net_cls", "net_prio",     "perf_event",
				       "rdma",	  "misc",    "name=systemd", NULL};

int rt_cgjoin_prepare(const struct rt_cgroup *cg, struct rt_cgjoin *j, struct berth_err **err)
{
	const char *v2 = rt_cgroup_path(cg, "");

	j->v2_fd = -1;
	j->v1_dirs = xzalloc(sizeof(char *));
	for (size_t i = 0; v1_names[i]; i++) {
		const char *d = rt_cgroup_path(cg, v1_names[i]);

		if (d && (!v2 || strcmp(d, v2) != 0) && !strv_contains(j->v1_dirs, d))
			strv_push(&j->v1_dirs, d);
	}
	if (v2) {
		j->v2_dir = xstrdup(v2);
		j->v2_fd = open(v2, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (j->v2_fd < 0)
			return berth_err_sys(err, errno, "open cgroup '%s'", v2);
	}
	return 0;
}

static int write_self(const char *dir, const char *file, struct berth_err **err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "0", 1) != 1)
		return berth_err_sys(err, errno, "join cgroup: write '0' to '%s'", p);
	return 0;
}

int rt_cgjoin_self(const struct rt_cgjoin *j, struct berth_err **err)
{
	strv_foreach (d, j->v1_dirs) {
		if (write_self(d, "tasks", err) < 0)
			return -1;
	}
	if (j->v2_dir && !j->v2_done)
		return write_self(j->v2_dir, "cgroup.procs", err);
	return 0;
}

void rt_cgjoin_clear(struct rt_cgjoin *j)
{
	strv_free(j->v1_dirs);
	j->v1_dirs = NULL;
	free(j->v2_dir);
	j->v2_dir = NULL;
	closep(&j->v2_fd);
}

struct rt_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

pid_t rt_clone3(unsigned long flags, struct rt_cgjoin *j, int *pidfd)
{
	struct rt_clone_args a = {.flags = flags | CLONE_PIDFD,
				  .pidfd = (uint64_t)(uintptr_t)pidfd,
				  .exit_signal = SIGCHLD};
	pid_t pid;

	if (j && j->v2_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)j->v2_fd;
		pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
		if (pid >= 0) {
			j->v2_done = true;
			return pid;
		}
		/* an old kernel, or a cgroup2 dir the kernel will not place us in */
		a.flags &= ~CLONE_INTO_CGROUP;
		a.cgroup = 0;
	}
	pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0 && errno == ENOSYS) {
		*pidfd = -1;
		pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	}
	return pid;
}
