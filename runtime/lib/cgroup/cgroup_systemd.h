/*
 * runtime/lib/cgroup/cgroup_systemd.h - the systemd cgroup driver (`berth --systemd-cgroup`).
 *
 * Owns the translation of linux.cgroupsPath "slice:prefix:name" into a systemd unit and
 * its cgroup path, and the unit's life: StartTransientUnit at create, StopUnit at
 * delete, over runtime/lib/cgroup/dbus.c, as the manager rt_cgroup_manager_systemd
 * (manager.h: start, update = SetUnitProperties, destroy = StopUnit). The directories, resources, entering, freezing and
 * killing stay with the cgroupfs code of cgroup.c, on the same path: Delegate=true hands
 * the unit's subtree to berth, which writes linux.resources into the files itself (as
 * runc's systemd driver does on cgroup v1), and creates the path in the hierarchies
 * systemd does not manage.
 *
 * Names, as runc's systemd driver has them (runc docs/systemd.md):
 *   cgroupsPath absent or ""      -> "system.slice:berth:<id>"
 *   "slice:prefix:name"           -> unit "<prefix>-<name>.scope" ("<name>.scope" when
 *                                    prefix is empty) in slice (default "system.slice");
 *                                    a name ending in ".slice" is a slice unit itself
 *   slice "a-b-c.slice"           -> path "/a.slice/a-b.slice/a-b-c.slice"; "-" is the
 *                                    root slice
 *   cgroup path                   -> expand(slice) + "/" + unit
 *                                    ("/system.slice/berth-<id>.scope")
 *
 * The unit holds the container's init from create: create starts it with PIDs=[init]
 * while the init waits for GO (sync.h), before the init could fork. Its properties:
 * Description, Slice (or Wants for a slice unit), Delegate, DefaultDependencies=false,
 * PIDs, Memory/CPU/Tasks/IOAccounting=true, and from linux.resources MemoryLimit (v1) or
 * MemoryMax (v2), TasksMax, CPUShares (v1) or CPUWeight (v2), CPUQuotaPerSecUSec and
 * CPUQuotaPeriodUSec, so that systemd, when it realizes the unit's cgroup again
 * (daemon-reload), does not reset those limits. Device rules, cpusets, blkio and hugetlb
 * limits are not translated: systemd may rewrite them then.
 */
#ifndef BERTH_RUNTIME_CGROUP_SYSTEMD_H
#define BERTH_RUNTIME_CGROUP_SYSTEMD_H

#include <sys/types.h>

#include "common/err.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/cgroup/dbus.h"
#include "spec/config.h"

/* Parses cgroups_path (may be NULL) for container id: the slice, the unit and the cgroup
 * path, each caller-owned. Errors name linux.cgroupsPath. No side effects. */
int rt_cgroup_systemd_resolve(const char *cgroups_path, const char *id, char **slice, char **unit,
			      char **path, struct berth_err **err);

/* The body of Manager.StartTransientUnit ("ssa(sv)a(sa(sv))") for unit in slice, holding
 * pid (0: none), with the limits of res (may be NULL; v2 selects MemoryMax over
 * MemoryLimit). */
void rt_cgroup_systemd_start_body(struct rt_dbus_buf *b, const char *unit, const char *slice,
				  const char *desc, pid_t pid, const struct oci_resources *res,
				  bool v2);

/* The body of Manager.SetUnitProperties ("sba(sv)", runtime) with the limits of res. */
void rt_cgroup_systemd_set_body(struct rt_dbus_buf *b, const char *unit,
				const struct oci_resources *res, bool v2);

#endif
