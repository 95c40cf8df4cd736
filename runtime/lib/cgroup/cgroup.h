/*
 * runtime/lib/cgroup/cgroup.h - a container's cgroup, on v1, hybrid or v2 hosts.
 *
 * The layout is detected at run time from /proc/self/mountinfo (and statfs of
 * /sys/fs/cgroup): pure v2 (cgroup2 at /sys/fs/cgroup), v1 (one hierarchy per
 * controller under /sys/fs/cgroup/<controller>), or hybrid (v1 controllers plus
 * a cgroup2 mount at /sys/fs/cgroup/unified, used only for controllers bound to
 * it, e.g. hugetlb on this project's CI host).
 *
 * The paths are a pure function of (cgroupsPath, id): nothing but the config's
 * cgroupsPath and the container id is needed to find the cgroup again at
 * delete, so the state file stores only those. An absent cgroupsPath means
 * "/berth/<id>" (runc uses "/<id>"); an absolute one is taken relative to the
 * root of every hierarchy; a relative one too (runc puts it under its own
 * cgroup, which is not deterministic across runtime invocations). The path is
 * cleaned lexically ("//", ".", ".." never climb above the root).
 * With the systemd driver (runc's --systemd-cgroup) cgroupsPath is
 * "slice:prefix:name" and the path that of the unit, e.g.
 * "/system.slice/berth-<id>.scope" (see cgroup_systemd.h): create has systemd
 * start the unit (rt_cgroup_start) before rt_cgroup_create, destroy
 * stops it; everything else is the same cgroupfs code on that path. The
 * driver needs a running systemd (/run/systemd/system): without it, and for
 * the "slice:prefix:name" syntax without the flag, open fails clearly.
 *
 * Hierarchies used: every mounted v1 hierarchy binding a controller (cpu,
 * cpuacct, cpuset, memory, devices, freezer, blkio, pids, hugetlb, net_cls,
 * net_prio, perf_event, rdma, misc) plus the named "name=systemd" one if
 * mounted, plus the cgroup2 one (in hybrid mode too: the process is placed
 * there as well). A resource goes to the v1 hierarchy of its controller, else
 * to cgroup2 when that controller is available there (hybrid: v2 file names).
 *
 * Nothing is silently ignored: a resource field whose controller is not
 * mounted, which the cgroup version cannot express, or whose file the kernel
 * lacks is an error naming the field and the file.
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

/* Computes the cgroup of a container; no side effects (reads mountinfo and
 * the cgroup2 root's cgroup.controllers). cgroups_path may be NULL; systemd
 * is runc's --systemd-cgroup. */
int rt_cgroup_open(const char *cgroups_path, const char *id, bool systemd, struct rt_cgroup **out,
		   struct berth_err **err);
enum rt_cgroup_mode rt_cgroup_mode(const struct rt_cgroup *cg);

/* Drops from r the values runc and crun read as "not set" (a zero limit,
 * weight, share, quota, period or classID; swappiness -1 as uint64; empty
 * cpus/mems; disableOOMKiller false) and frees the member objects left empty,
 * so that `"blockIO": {"weight": 0}` from dockerd is no error and no write.
 * r may be NULL. */
void rt_cgroup_drop_unset(struct oci_resources *r);

/* Creates the cgroup directories and applies res (may be NULL). Errors name
 * the resource field and the file ("linux.resources.memory.limit: write
 * '1024' to 'memory.limit_in_bytes': Device or resource busy"). A field the
 * kernel lacks is an error. On error the directories created by this call
 * are removed again. v1 cpuset levels with empty cpuset.cpus/mems get the
 * parent's; on cgroup2 every available controller is enabled in
 * cgroup.subtree_control of each level above the container's cgroup.
 * Device rules are applied exactly as given (v1: devices.deny "a" first,
 * then each rule; v2: an eBPF program, last matching rule wins); the caller
 * appends rt_cgroup_default_device_rules() and its linux.devices like runc. */
int rt_cgroup_create(struct rt_cgroup *cg, const struct oci_resources *res, struct berth_err **err);
/* Moves pid into the cgroup (every hierarchy). */
int rt_cgroup_enter(struct rt_cgroup *cg, pid_t pid, struct berth_err **err);
/* Applies res to an existing cgroup (berth update). memory.checkBeforeUpdate
 * refuses a limit below the current usage. Device rules in res are applied
 * like at create (v1: deny-all first, so the caller passes the complete rule
 * list or none; runc's update leaves devices alone). */
int rt_cgroup_update(struct rt_cgroup *cg, const struct oci_resources *res, struct berth_err **err);
/* Freezes or thaws every process (pause/resume); waits until the state is
 * reached (v1 freezer.state polled with short sleeps, v2 cgroup.events
 * polled), at most ~10 s: then BERTH_E_TIMEOUT and the cgroup is thawed. */
int rt_cgroup_freeze(struct rt_cgroup *cg, bool frozen, struct berth_err **err);
bool rt_cgroup_is_frozen(struct rt_cgroup *cg);
/* Fails (BERTH_E_PRECONDITION, naming the cgroup and who froze it) when the
 * cgroup is frozen: create and run refuse to start a process that could never
 * run (runc: "container's cgroup unexpectedly frozen"). */
int rt_cgroup_check_not_frozen(struct rt_cgroup *cg, struct berth_err **err);
/* The pids in the cgroup (cgroup.procs), caller frees *pids. */
int rt_cgroup_pids(struct rt_cgroup *cg, pid_t **pids, size_t *n, struct berth_err **err);
/* Sends sig to every process of the cgroup (kill --all, delete --force).
 * SIGKILL on pure v2 uses cgroup.kill when the kernel has it; otherwise the
 * cgroup is frozen (if a freezer exists), every pid signalled, and thawed,
 * so no process forks past the signal. */
int rt_cgroup_kill_all(struct rt_cgroup *cg, int sig, struct berth_err **err);
/* Removes the container's cgroup (and cgroups below it, deepest first) in
 * every hierarchy, retrying briefly on EBUSY while processes exit; then the
 * parent levels this process created, if empty. Missing is success. With the
 * systemd driver the unit is stopped first (a unit systemd no longer knows is
 * success). */
int rt_cgroup_destroy(struct rt_cgroup *cg, struct berth_err **err);
/* Path of the container's cgroup in the hierarchy holding controller
 * ("memory", "pids", ... or "" for the v2/unified one); borrowed; NULL if none. */
const char *rt_cgroup_path(const struct rt_cgroup *cg, const char *controller);

/* The normalized cgroup path ("/berth/<id>"); borrowed. */
const char *rt_cgroup_name(const struct rt_cgroup *cg);
/* The driver (manager.h) makes the cgroup around the container's init: after the clone,
 * rt_cgroup_start(), then rt_cgroup_create() and rt_cgroup_enter() (systemd: the unit
 * holds the init). Otherwise rt_cgroup_create() comes before the clone, which joins the
 * init to the cgroup (cgjoin.h). */
bool rt_cgroup_needs_pid(const struct rt_cgroup *cg);
/* Has the driver make the cgroup holding pid, with the limits of res (systemd:
 * StartTransientUnit, waiting for the job; at most ~30 s). A no-op for cgroupfs. */
int rt_cgroup_start(struct rt_cgroup *cg, const char *id, pid_t pid,
		    const struct oci_resources *res, struct berth_err **err);
/* Fails when the driver cannot serve a rootless container (systemd: the user's
 * instance is not supported). */
int rt_cgroup_check_rootless(const struct rt_cgroup *cg, struct berth_err **err);

/* Says that only the first n rules of the devices given to rt_cgroup_create()
 * come from linux.resources.devices: errors about the rules after them name them
 * as the runtime's own rules, never by an index the config does not have.
 * Without a call every rule counts as the config's (update). */
void rt_cgroup_set_config_devices(struct rt_cgroup *cg, size_t n);

/* runc's default device rules (allow null, zero, full, random, urandom, tty,
 * console, ptmx, /dev/pts/N, tun; mknod of any c/b), for the caller to append. */
const struct oci_device_cgroup *rt_cgroup_default_device_rules(size_t *n);

/* Usage counters for `events --stats` (runc's types.Stats, the common part).
 * Times in nanoseconds, sizes in bytes. UINT64_MAX means "max"/unlimited.
 * A counter whose controller or file is missing stays 0 with has_* false. */
struct rt_cgroup_blkio_entry {
	uint32_t major, minor;
	char op[8]; /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
	uint64_t value;
};

struct rt_cgroup_stats {
	bool has_cpu;
	uint64_t cpu_total, cpu_user, cpu_kernel;
	uint64_t cpu_periods, cpu_throttled_periods, cpu_throttled_time;
	bool has_memory;
	uint64_t mem_usage, mem_limit, mem_max_usage, mem_failcnt, mem_cache;
	uint64_t swap_usage, swap_limit; /* v1: memsw (memory+swap); v2: swap alone */
	bool has_pids;
	uint64_t pids_current, pids_limit;	   /* limit 0 = unlimited, like runc */
	struct rt_cgroup_blkio_entry *blkio_bytes; /* io_service_bytes_recursive / io.stat */
	size_t n_blkio_bytes;
	struct rt_cgroup_blkio_entry *blkio_ios; /* io_serviced_recursive / io.stat */
	size_t n_blkio_ios;
};

int rt_cgroup_stats(struct rt_cgroup *cg, struct rt_cgroup_stats *out, struct berth_err **err);
void rt_cgroup_stats_clear(struct rt_cgroup_stats *st); /* frees the arrays */

/* An fd that becomes readable when the memory controller reports an OOM
 * (v1: eventfd registered on memory.oom_control through cgroup.event_control,
 * read 8 bytes to rearm; v2: inotify on memory.events, read the events to
 * rearm, then compare rt_cgroup_oom_count()). Caller closes it. */
int rt_cgroup_oom_fd(struct rt_cgroup *cg, struct berth_err **err);
/* The number of OOM kills so far ("oom_kill" of memory.oom_control or
 * memory.events); 0 if unknown. */
uint64_t rt_cgroup_oom_count(struct rt_cgroup *cg);

void rt_cgroup_free(struct rt_cgroup *cg);
void rt_cgroup_freep(struct rt_cgroup **cg);

/* For tests only: parse this file instead of /proc/self/mountinfo in later
 * rt_cgroup_open() calls (NULL restores). Lets a test point the module at a
 * cgroup2 mount of its choice to run the pure v2 code on a hybrid host. */
void rt_cgroup_set_mountinfo(const char *path);

#endif
