/*
 * runtime/lib/lsm.h - Linux security module labels of the container's process:
 * process.apparmorProfile (AppArmor) and process.selinuxLabel (SELinux).
 *
 * The parent decides, before the clone (rt_lsm_prepare): a label whose LSM is
 * enabled on this host is kept for the child, which writes it to its own
 * /proc/thread-self/attr files right before it drops its privileges
 * (rt_lsm_apply), so that it takes effect at execve:
 *   AppArmor: "exec <profile>" to attr/apparmor/exec (attr/exec before Linux 5.8)
 *   SELinux:  "<label>" to attr/exec
 * A label whose LSM is not enabled cannot be applied: runc passes over it in
 * silence; berth does not fail either (engines send profiles whatever the host),
 * but warns, naming the field.
 *
 * Enabled means: AppArmor, /sys/module/apparmor/parameters/enabled reads "Y"
 * and /sys/kernel/security/apparmor exists; SELinux, /sys/fs/selinux/enforce
 * exists (selinuxfs mounted).
 */
#ifndef BERTH_RUNTIME_LSM_H
#define BERTH_RUNTIME_LSM_H

#include <stdbool.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_lsm_plan {
	char *apparmor_exec; /* "exec <profile>", or NULL: nothing to apply */
	char *selinux_exec;  /* the label, or NULL */
};

bool rt_lsm_apparmor_enabled(void);
bool rt_lsm_selinux_enabled(void);

/* Parent side: fills plan from proc (warns for a label the host cannot apply). */
int rt_lsm_prepare(struct rt_lsm_plan *plan, const struct oci_process *proc,
		   struct berth_err **err);
void rt_lsm_plan_clear(struct rt_lsm_plan *plan);
/* Child side, in the container's mount namespace (its /proc). */
int rt_lsm_apply(const struct rt_lsm_plan *plan, struct berth_err **err);

/* Tests: a directory standing in for "/" in every path above ("" or NULL: "/"). */
void rt_lsm_set_root(const char *root);

#endif
