/*
 * runtime/lib/cgroup/manager.h - the cgroup manager: who owns a container's cgroup.
 *
 * A manager (driver) is a table of functions, one file per driver:
 *   cgroup_fs.c       cgroupfs: berth makes the directories itself (the default)
 *   cgroup_systemd.c  systemd (`--systemd-cgroup`): a transient unit holds the cgroup,
 *                     berth writes the resources into it (Delegate=true)
 * rt_cgroup_open() (cgroup.c) picks the manager from the flag and linux.cgroupsPath;
 * nothing else branches on the driver: the rest of cgroup.c calls the hooks below
 * around its cgroupfs work (directories, resources, entering, freezing, killing,
 * stats), which is the same for every driver. A third driver is a new file with its
 * own struct rt_cgroup_manager and a line in the selection of cgroup.c.
 *
 * The cgroup version (v1, hybrid, v2) is not a manager: it is a property of each
 * mounted hierarchy (struct cg_hier), and on a hybrid host one container uses both.
 * Each hierarchy carries the file-format table of its version (struct cg_fmt in
 * cgroup_internal.h: cg_fmt_v1 in cgroup_v1.c, cg_fmt_v2 in cgroup_v2.c).
 *
 * Hooks left NULL do nothing (return 0).
 */
#ifndef BERTH_RUNTIME_CGROUP_MANAGER_H
#define BERTH_RUNTIME_CGROUP_MANAGER_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_cgroup;

struct rt_cgroup_manager {
	const char *name; /* "cgroupfs", "systemd" */
	/* The cgroup is made around the container's init, after the clone (start, then
	 * rt_cgroup_create and rt_cgroup_enter), not before it (rt_cgroup_create, then the
	 * clone into it). */
	bool needs_pid;
	/* Whether the manager can serve this cgroups_path at all (e.g. its service runs);
	 * an error names linux.cgroupsPath. */
	int (*available)(const char *cgroups_path, const char *id, struct berth_err **err);
	/* Sets *path to the container's normalized cgroup path (caller-owned) for
	 * cgroups_path (may be NULL) and id, keeping what the manager needs in cg->mgr_data.
	 * No side effects. */
	int (*resolve)(struct rt_cgroup *cg, const char *cgroups_path, const char *id, char **path,
		       struct berth_err **err);
	/* Refuses a rootless container when the manager cannot serve one. */
	int (*check_rootless)(const struct rt_cgroup *cg, struct berth_err **err);
	/* needs_pid managers: has the cgroup made holding pid, with the limits of res. */
	int (*start)(struct rt_cgroup *cg, const char *id, pid_t pid,
		     const struct oci_resources *res, struct berth_err **err);
	/* At update, after validation and before the cgroupfs files are written. */
	int (*update)(struct rt_cgroup *cg, const struct oci_resources *res,
		      struct berth_err **err);
	/* At destroy, before the directories are removed (which happens even when this
	 * fails). */
	int (*destroy)(struct rt_cgroup *cg, struct berth_err **err);
	/* Frees cg->mgr_data. */
	void (*free)(struct rt_cgroup *cg);
};

extern const struct rt_cgroup_manager rt_cgroup_manager_fs;
extern const struct rt_cgroup_manager rt_cgroup_manager_systemd;

#endif
