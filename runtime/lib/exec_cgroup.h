/*
 * runtime/lib/exec_cgroup.h - `exec --cgroup [<controller>:]<path>` (runc's
 * flag): the process joins an existing sub-cgroup of the container's cgroup
 * instead of the container's cgroup itself.
 *
 *   "<path>"              every hierarchy (on cgroup v2, the only form)
 *   "<controller>:<path>" that controller's hierarchy; repeatable
 *   "<c1>,<c2>:<path>"    several controllers
 * path is relative to the container's cgroup, without "..": a process never
 * leaves the container's cgroup. The sub-cgroup must exist (berth does not
 * create it: runc's contract); errors name --cgroup and the directory.
 */
#ifndef BERTH_RUNTIME_EXEC_CGROUP_H
#define BERTH_RUNTIME_EXEC_CGROUP_H

#include "common/err.h"
#include "runtime/lib/cgjoin.h"
#include "runtime/lib/cgroup/cgroup.h"

/* Rewrites j (from rt_cgjoin_prepare(cg)) for the --cgroup values in subs
 * (NULL-terminated; NULL or empty: nothing to do). */
int rt_exec_cgroup_apply(const struct rt_cgroup *cg, char *const *subs, struct rt_cgjoin *j,
			 struct berth_err **err);

#endif
