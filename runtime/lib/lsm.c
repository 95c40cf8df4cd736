/*
 * runtime/lib/lsm.c - AppArmor and SELinux process labels (see lsm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "runtime/lib/lsm.h"

static char *lsm_root;

void rt_lsm_set_root(const char *root)
{
	free(lsm_root);
	lsm_root = root && *root ? xstrdup(root) : NULL;
}

/* path under the (test) root; caller frees */
static char *at_root(const char *path)
{
	return xasprintf("%s%s", lsm_root ? lsm_root : "", path);
}

static bool exists(const char *path)
{
	cleanup_free char *p = at_root(path);

	return access(p, F_OK) == 0;
}

bool rt_lsm_apparmor_enabled(void)
{
	cleanup_free char *p = at_root("/sys/module/apparmor/parameters/enabled");
	char buf[4] = "";
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && buf[0] == 'Y' && exists("/sys/kernel/security/apparmor");
}

bool rt_lsm_selinux_enabled(void)
{
	return exists("/sys/fs/selinux/enforce");
}

int rt_lsm_prepare(struct rt_lsm_plan *plan, const struct oci_process *proc, struct berth_err **err)
{
	const char *aa = proc->apparmor_profile, *se = proc->selinux_label;

	*plan = (struct rt_lsm_plan){0};
	if (aa && *aa) {
		if (strchr(aa, '\n'))
			return berth_err_new(err, BERTH_E_INVALID,
					     "process.apparmorProfile: a newline is not allowed");
		if (rt_lsm_apparmor_enabled())
			plan->apparmor_exec = xasprintf("exec %s", aa);
		else
			log_warn("process.apparmorProfile '%s': AppArmor is not enabled on this "
				 "host: the profile is not applied",
				 aa);
	}
	if (se && *se) {
		if (rt_lsm_selinux_enabled())
			plan->selinux_exec = xstrdup(se);
		else
			log_warn("process.selinuxLabel '%s': SELinux is not enabled on this host: "
				 "the label is not applied",
				 se);
	}
	return 0;
}

void rt_lsm_plan_clear(struct rt_lsm_plan *plan)
{
	free(plan->apparmor_exec);
	free(plan->selinux_exec);
	*plan = (struct rt_lsm_plan){0};
}

/* Writes text to the first of the attr files that exists. */
static int write_attr(const char *field, const char *const *files, const char *text,
		      struct berth_err **err)
{
	for (size_t i = 0; files[i]; i++) {
		cleanup_free char *p = at_root(files[i]);
		cleanup_close int fd = open(p, O_WRONLY | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT && files[i + 1])
			continue;
		if (fd < 0)
			return berth_err_sys(err, errno, "%s: open '%s'", field, files[i]);
		if (write(fd, text, strlen(text)) < 0)
			return berth_err_sys(err, errno, "%s: write '%s' to '%s'", field, text,
					     files[i]);
		return 0;
	}
	return 0;
}

int rt_lsm_apply(const struct rt_lsm_plan *plan, struct berth_err **err)
{
	static const char *const aa_files[] = {"/proc/thread-self/attr/apparmor/exec",
					       "/proc/thread-self/attr/exec", NULL};
	static const char *const se_files[] = {"/proc/thread-self/attr/exec", NULL};

	if (plan->apparmor_exec &&
	    write_attr("process.apparmorProfile", aa_files, plan->apparmor_exec, err) < 0)
		return -1;
	if (plan->selinux_exec &&
	    write_attr("process.selinuxLabel", se_files, plan->selinux_exec, err) < 0)
		return -1;
	return 0;
}
