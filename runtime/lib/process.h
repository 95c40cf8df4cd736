/*
 * runtime/lib/process.h - applying an OCI process object to the calling
 * process: the steps the container init and `berth exec` share, between
 * namespace setup and execve.
 *
 * The parent prepares (rt_proc_plan_prepare: capability masks resolved and
 * checked against the runtime's own bounding set, the environment with
 * LISTEN_FDS) with nothing but validation; the child applies in this order:
 * oom_score_adj, rlimits (early: cheap to fail), then after the rootfs:
 * personality, scheduler, ioPriority, chdir(cwd), executable lookup in the
 * container's PATH, LSM labels (lsm.h), identity (groups, gid, uid with keep-caps, capabilities),
 * umask, no_new_privs, fd hygiene, seccomp, execve. Child functions allocate
 * only from the process's own heap (single-threaded after clone) and return
 * errors for the sync socket; they never print.
 */
#ifndef BERTH_RUNTIME_PROCESS_H
#define BERTH_RUNTIME_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "runtime/lib/lsm.h"
#include "spec/config.h"

struct rt_seccomp;

struct rt_caps_plan {
	bool set; /* process.capabilities present: apply; else leave the sets alone */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct rt_proc_plan {
	const struct oci_process *proc;	    /* borrowed */
	const struct oci_personality *pers; /* borrowed; may be NULL */
	const struct rt_seccomp *seccomp;   /* borrowed; may be NULL */
	struct rt_caps_plan caps;
	char **env;		/* owned: process.env (+ LISTEN_FDS/LISTEN_PID) */
	unsigned extra_fds;	/* fds 3..3+extra_fds-1 cross into the process */
	struct rt_lsm_plan lsm; /* owned: AppArmor/SELinux labels to apply (lsm.h) */
	/* seccomp notify (seccomp_notify.h): the socket connected to listenerPath
	 * (owned, -1 if none) and the message for it (owned, set by the child) */
	int notify_sock;
	char *notify_msg;
};

/* Resolves capability names (an unknown one, or one missing from this
 * process's bounding set, is dropped with a warning: runtime-spec 1.1),
 * builds the environment. listen_fds: from LISTEN_FDS, 0 if none. */
int rt_proc_plan_prepare(struct rt_proc_plan *plan, const struct oci_process *proc,
			 unsigned preserve_fds, unsigned listen_fds, struct berth_err **err);
void rt_proc_plan_clear(struct rt_proc_plan *plan);

/* Child side. */
int rt_proc_apply_early(const struct rt_proc_plan *plan, struct berth_err **err);
int rt_proc_apply_sched(const struct rt_proc_plan *plan, struct berth_err **err);
int rt_proc_chdir(const struct rt_proc_plan *plan, struct berth_err **err);
/* HOME, when process.env has none: the user's home from the container's
 * /etc/passwd, "/" if it lists no such uid (what runc and crun give, runc's
 * default). Call after the root is switched. */
void rt_proc_default_home(struct rt_proc_plan *plan);
/* Finds args[0] in the PATH of process.env (or the default PATH); *path owned by caller. */
int rt_proc_find_exec(const struct rt_proc_plan *plan, char **path, struct berth_err **err);
int rt_proc_apply_identity(const struct rt_proc_plan *plan, struct berth_err **err);
/* Seccomp now (before dropping privileges) when no_new_privs is off, like runc:
 * without NNP only CAP_SYS_ADMIN may install a filter. */
bool rt_proc_seccomp_early(const struct rt_proc_plan *plan);
/* Loads the filter; a notify listener it returns goes to plan->notify_sock
 * with plan->notify_msg (both set: seccomp_notify.h), then is closed. */
int rt_proc_load_seccomp(const struct rt_proc_plan *plan, struct berth_err **err);
/* Default signal dispositions, empty mask, CLOEXEC on every fd >= 3+extra_fds,
 * inheritable 3..3+extra_fds-1. Before any seccomp load: a profile may deny
 * close_range or sigaction (regression: tests/integration/runtime/regressions.bats). */
int rt_proc_prepare_exec(const struct rt_proc_plan *plan, struct berth_err **err);
/* execve; returns only on failure. */
int rt_proc_exec(const struct rt_proc_plan *plan, const char *path, struct berth_err **err);

/* Pure helpers (unit tested). */
/* Looks up "KEY" in a KEY=value vector; borrowed value or NULL. */
const char *rt_env_get(char *const *env, const char *key);

#endif
