/*
 * runtime/lib/cgroup.h - a container's cgroup, on v1, hybrid or v2 hosts.
 *
 * The layout is detected at run time from /proc/self/mountinfo (and statfs of
 * /sys/fs/cgroup): pure v2 (cgroup2 at /sys/fs/cgroup), v1 (one hierarchy per
 * controller under /sys/fs/cgroup/<controller>), or hybrid (v1 controllers plus
 * a cgroup2 mount at /sys/fs/cgroup/unified, used only for controllers bound to
 * it, e.g. hugetlb on this project's CI host).
 *
 * The paths are a pure function of (cgroupsPath, id): nothing but the config's
 * cgroupsPath and the container id is needed to find the cgroup again at
 * delete, so the state file stores only those. A relative or absent
 * cgroupsPath is placed under "/berth/<id>" like runc's "/<id>" default.
 * "slice:prefix:name" systemd syntax is refused with a clear error unless
 * systemd runs (no systemd here).
 */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_cgroup;

enum rt_cgroup_mode { RT_CGROUP_V1 = 1, RT_CGROUP_HYBRID, RT_CGROUP_V2 };

/* Computes the cgroup of a container; no side effects. cgroups_path may be NULL. */
int rt_cgroup_open(const char *cgroups_path, const char *id, bool systemd,
		   struct rt_cgroup **out, struct berth_err **err);
enum rt_cgroup_mode rt_cgroup_mode(const struct rt_cgroup *cg);

/* Creates the cgroup directories and applies res (may be NULL). Errors name
 * the resource field and the file ("linux.resources.memory.limit: write
 * 'memory.limit_in_bytes': ..."). A field the kernel lacks is an error. */
int rt_cgroup_create(struct rt_cgroup *cg, const struct oci_resources *res,
		     struct berth_err **err);
/* Moves pid into the cgroup (every hierarchy). */
int rt_cgroup_enter(struct rt_cgroup *cg, pid_t pid, struct berth_err **err);
/* Applies res to an existing cgroup (berth update). */
int rt_cgroup_update(struct rt_cgroup *cg, const struct oci_resources *res,
		     struct berth_err **err);
/* Freezes or thaws every process (pause/resume); waits until the state is reached. */
int rt_cgroup_freeze(struct rt_cgroup *cg, bool frozen, struct berth_err **err);
bool rt_cgroup_is_frozen(struct rt_cgroup *cg);
/* The pids in the cgroup (cgroup.procs), caller frees *pids. */
int rt_cgroup_pids(struct rt_cgroup *cg, pid_t **pids, size_t *n, struct berth_err **err);
/* Sends sig to every process of the cgroup (kill --all, delete --force). */
int rt_cgroup_kill_all(struct rt_cgroup *cg, int sig, struct berth_err **err);
/* Removes the directories (after the processes are gone); missing is success. */
int rt_cgroup_destroy(struct rt_cgroup *cg, struct berth_err **err);
/* Path of the container's cgroup in the hierarchy holding controller
 * ("memory", "pids", ... or "" for the v2/unified one); borrowed; NULL if none. */
const char *rt_cgroup_path(const struct rt_cgroup *cg, const char *controller);

void rt_cgroup_free(struct rt_cgroup *cg);
void rt_cgroup_freep(struct rt_cgroup **cg);

#endif
