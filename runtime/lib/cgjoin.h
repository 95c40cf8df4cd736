/*
 * runtime/lib/cgjoin.h - putting a new process into its cgroup without a
 * cgroup migration by the parent.
 *
 * Why: a write of another process's pid to cgroup.procs (or tasks) takes the
 * global cgroup_threadgroup_rwsem for writing, which waits for an RCU grace
 * period: ~8 ms on this project's hosts, more than everything else `create`
 * does. Two paths avoid it (kernel 6.x):
 *   - cgroup2: clone3(CLONE_INTO_CGROUP) places the child at fork;
 *   - cgroup v1: the child writes "0" (itself, one thread) to each hierarchy's
 *     `tasks` file, which the kernel migrates without the global lock.
 * The parent prepares the list (rt_cgjoin_prepare), the clone takes v2_fd,
 * the child calls rt_cgjoin_self() first thing. When CLONE_INTO_CGROUP is
 * refused, the caller falls back to rt_cgroup_enter() from the parent.
 */
#ifndef BERTH_RUNTIME_CGJOIN_H
#define BERTH_RUNTIME_CGJOIN_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "runtime/lib/cgroup/cgroup.h"

struct rt_cgjoin {
	char **v1_dirs; /* owned: container cgroup dirs of the v1 hierarchies */
	int v2_fd;	/* O_PATH|O_DIRECTORY of the cgroup2 dir, or -1 */
	bool v2_done;	/* the clone placed the child in v2 (else the child writes it) */
	char *v2_dir;	/* owned; NULL without a cgroup2 hierarchy */
};

int rt_cgjoin_prepare(const struct rt_cgroup *cg, struct rt_cgjoin *j, struct berth_err **err);
/* In the child: joins every v1 hierarchy (and v2 if the clone did not). */
int rt_cgjoin_self(const struct rt_cgjoin *j, struct berth_err **err);
void rt_cgjoin_clear(struct rt_cgjoin *j);

/* clone3 with flags (CLONE_NEW* ...) and CLONE_PIDFD, into j's cgroup2 dir when
 * it has one (sets j->v2_done). Returns like fork(); *pidfd set in the parent
 * (-1 when only the plain clone worked). */
pid_t rt_clone3(unsigned long flags, struct rt_cgjoin *j, int *pidfd);

#endif
