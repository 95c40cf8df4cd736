/* runtime/lib/process.c - see process.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/passwd.h"
#include "runtime/lib/process.h"
#include "runtime/lib/seccomp_notify.h"
#include "runtime/lib/seccomp.h"
#include "spec/caps.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *rt_env_get(char *const *env, const char *key)
{
	size_t n = strlen(key);

	for (char *const *e = env; e && *e; e++) {
		if (!strncmp(*e, key, n) && (*e)[n] == '=')
			return *e + n + 1;
	}
	return NULL;
}

/* runtime-spec 1.1 (config.md, "Linux Process"): a capability that cannot be
 * mapped to a kernel interface, or cannot be granted otherwise, MUST be logged
 * as a warning, and runtimes SHOULD NOT fail. An unknown name is skipped with a
 * warning (runc 1.1 does the same); one newer than this kernel silently, as runc. */
static uint64_t caps_mask(char **names, const char *field)
{
	uint64_t m = 0;
	size_t i = 0;

	strv_foreach (name, names) {
		int c = oci_cap_from_name(name);

		if (c < 0)
			log_warn("process.capabilities.%s[%zu]: unknown capability '%s': ignored",
				 field, i, name);
		else if (c <= (int)cap_max_bits() - 1)
			m |= 1ULL << c;
		i++;
	}
	return m;
}

/* capset can only keep what the runtime holds: a capability missing from the
 * runtime's bounding set cannot be granted, so (runtime-spec 1.1, as above) it
 * is dropped with a warning naming it instead of failing in capset. */
static void caps_drop_ungrantable(uint64_t *m, const char *field)
{
	for (int c = 0; c < 64; c++) {
		if (!(*m & (1ULL << c)))
			continue;
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1)
			continue;
		log_warn(
			"process.capabilities.%s: '%s' is not in the runtime's bounding set: not granted",
			field, oci_cap_name(c) ?: "?");
		*m &= ~(1ULL << c);
	}
}

static int caps_prepare(struct rt_caps_plan *cp, const struct oci_capabilities *c,
			struct berth_err **err)
{
	if (!c)
		return 0;
	cp->set = true;
	cp->bounding = caps_mask(c->bounding, "bounding");
	cp->effective = caps_mask(c->effective, "effective");
	cp->inheritable = caps_mask(c->inheritable, "inheritable");
	cp->permitted = caps_mask(c->permitted, "permitted");
	cp->ambient = caps_mask(c->ambient, "ambient");
	caps_drop_ungrantable(&cp->permitted, "permitted");
	caps_drop_ungrantable(&cp->effective, "effective");
	caps_drop_ungrantable(&cp->inheritable, "inheritable");
	/* the kernel refuses an ambient capability that is not also permitted and
	 * inheritable; runc warns and goes on, so do we (decided here: the child
	 * can not print) */
	for (int i = 0; i < 64; i++) {
		uint64_t bit = 1ULL << i;

		if ((cp->ambient & bit) && (!(cp->permitted & bit) || !(cp->inheritable & bit))) {
			log_debug(
				"process.capabilities.ambient: '%s' is not both permitted and inheritable: not raised",
				oci_cap_name(i) ?: "?");
			cp->ambient &= ~bit;
		}
	}
	return 0;
}

int rt_proc_plan_prepare(struct rt_proc_plan *plan, const struct oci_process *proc,
			 unsigned preserve_fds, unsigned listen_fds, struct berth_err **err)
{
	plan->proc = proc;
	plan->extra_fds = preserve_fds + listen_fds;
	plan->notify_sock = -1;
	if (caps_prepare(&plan->caps, proc->capabilities, err) < 0 ||
	    rt_lsm_prepare(&plan->lsm, proc, err) < 0)
		return -1;
	plan->env = strv_dup(proc->env);
	if (listen_fds) {
		strv_push_take(&plan->env, xasprintf("LISTEN_FDS=%u", listen_fds));
		strv_push(&plan->env, "LISTEN_PID=1");
	}
	if (!plan->env)
		plan->env = xzalloc(sizeof(char *));
	return 0;
}

void rt_proc_plan_clear(struct rt_proc_plan *plan)
{
	strv_free(plan->env);
	plan->env = NULL;
	if (plan->notify_sock >= 0)
		close(plan->notify_sock);
	plan->notify_sock = -1;
	free(plan->notify_msg);
	plan->notify_msg = NULL;
	rt_lsm_plan_clear(&plan->lsm);
}

static int set_oom(const struct oci_process *p, struct berth_err **err)
{
	char buf[32];
	cleanup_close int fd = -1;

	if (!p->has_oom_score_adj)
		return 0;
	snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno,
				     "process.oomScoreAdj: open '/proc/self/oom_score_adj'");
	if (write(fd, buf, strlen(buf)) < 0)
		return berth_err_sys(err, errno,
				     "process.oomScoreAdj: write '/proc/self/oom_score_adj'");
	return 0;
}

static int set_rlimits(const struct oci_process *p, struct berth_err **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct oci_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
		struct rlimit cur;

		if (setrlimit(r->resource, &rl) == 0)
			continue;
		if (errno == EPERM && getrlimit(r->resource, &cur) == 0)
			return berth_err_sys(
				err, EPERM,
				"process.rlimits[%zu]: setrlimit %s (soft %llu, hard %llu) above the hard limit %llu",
				i, r->type, (unsigned long long)r->soft,
				(unsigned long long)r->hard, (unsigned long long)cur.rlim_max);
		return berth_err_sys(err, errno, "process.rlimits[%zu]: setrlimit %s", i, r->type);
	}
	return 0;
}

int rt_proc_apply_early(const struct rt_proc_plan *plan, struct berth_err **err)
{
	if (set_oom(plan->proc, err) < 0 || set_rlimits(plan->proc, err) < 0)
		return -1;
	return 0;
}

struct sched_attr_v1 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static uint64_t sched_flag(const char *name)
{
	static const struct {
		const char *n;
		uint64_t v;
	} t[] = {{"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
		 {"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
		 {"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
		 {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcmp(t[i].n, name))
			return t[i].v;
	}
	return 0;
}

int rt_proc_apply_sched(const struct rt_proc_plan *plan, struct berth_err **err)
{
	const struct oci_process *p = plan->proc;

	if (plan->pers && personality(plan->pers->domain_num) < 0)
		return berth_err_sys(err, errno, "linux.personality: personality");
	if (p->scheduler) {
		const struct oci_scheduler *s = p->scheduler;
		struct sched_attr_v1 a = {.size = sizeof(a),
					  .sched_policy = (uint32_t)s->policy_num,
					  .sched_nice = s->nice,
					  .sched_priority = (uint32_t)s->priority,
					  .sched_runtime = s->runtime,
					  .sched_deadline = s->deadline,
					  .sched_period = s->period};

		strv_foreach (f, s->flags)
			a.sched_flags |= sched_flag(f);
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return berth_err_sys(err, errno, "process.scheduler: sched_setattr %s",
					     s->policy);
	}
	if (p->io_priority) {
		int v = (p->io_priority->class_num << 13) | p->io_priority->priority;

		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, v) < 0)
			return berth_err_sys(err, errno, "process.ioPriority: ioprio_set %s",
					     p->io_priority->class_name);
	}
	return 0;
}

int rt_proc_chdir(const struct rt_proc_plan *plan, struct berth_err **err)
{
	const char *cwd = plan->proc->cwd ?: "/";

	if (chdir(cwd) < 0)
		return berth_err_sys(err, errno, "process.cwd '%s': chdir", cwd);
	return 0;
}

static bool is_executable(const char *path, int *e)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		*e = errno;
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		*e = EACCES;
		return false;
	}
	if (access(path, X_OK) < 0) {
		*e = errno;
		return false;
	}
	return true;
}

/* linux/binfmts.h: no single argument or environment string may be longer */
#define RT_MAX_ARG_STRLEN (32 * 4096)

void rt_proc_default_home(struct rt_proc_plan *plan)
{
	cleanup_free char *home = NULL;

	if (rt_env_get(plan->env, "HOME"))
		return;
	home = rt_passwd_home("/etc/passwd", plan->proc->user.uid);
	/* runc's default for a user /etc/passwd does not list (crun sets none) */
	strv_push_take(&plan->env, xasprintf("HOME=%s", home && *home ? home : "/"));
}

int rt_proc_find_exec(const struct rt_proc_plan *plan, char **path, struct berth_err **err)
{
	const char *arg0 = plan->proc->args ? plan->proc->args[0] : NULL;
	const char *pathvar;
	cleanup(strv_freep) char **dirs = NULL;
	int e = ENOENT;

	if (!arg0 || !*arg0)
		return berth_err_new(err, BERTH_E_INVALID, "process.args must not be empty");
	/* The messages of a missing or unrunnable command say what runc's do ("executable
	 * file not found", "no such file or directory", "permission denied"): the docker and
	 * podman CLIs read them to exit 127 or 126 instead of 125 (podman wants "executable
	 * file not found in" or "no such file or directory" for 127). */
	if (strchr(arg0, '/')) {
		if (is_executable(arg0, &e)) {
			*path = xstrdup(arg0);
			return 0;
		}
		if (e == ENOENT || e == ENOTDIR)
			berth_err_new(
				err, BERTH_E_NOT_FOUND,
				"process.args[0] '%s': executable file not found: no such file or directory",
				arg0);
		else if (e == EACCES)
			berth_err_new(
				err, BERTH_E_PERMISSION,
				"process.args[0] '%s': not an executable file: permission denied",
				arg0);
		else
			return berth_err_sys(err, e, "process.args[0] '%s'", arg0);
		if (err && *err)
			(*err)->errnum = e;
		return -1;
	}
	pathvar = rt_env_get(plan->env, "PATH") ?: DEFAULT_PATH;
	dirs = strv_split(pathvar, ":");
	strv_foreach (d, dirs) {
		cleanup_free char *p = xasprintf("%s/%s", d, arg0);
		int pe;

		if (is_executable(p, &pe)) {
			*path = take_ptr(p);
			return 0;
		}
		if (pe == EACCES)
			e = EACCES;
	}
	if (e == EACCES) {
		berth_err_new(
			err, BERTH_E_PERMISSION,
			"process.args[0] '%s': found in $PATH but not executable: permission denied",
			arg0);
		if (err && *err)
			(*err)->errnum = EACCES;
		return -1;
	}
	return berth_err_new(err, BERTH_E_NOT_FOUND,
			     "process.args[0] '%s': executable file not found in $PATH", arg0);
}

static int caps_apply(const struct rt_caps_plan *cp, struct berth_err **err)
{
	cap_t c = cap_init();
	int last = (int)cap_max_bits() - 1;
	int r;

	for (int i = 0; i <= last; i++) {
		cap_value_t v = i;

		if (cp->effective & (1ULL << i))
			cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET);
		if (cp->permitted & (1ULL << i))
			cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET);
		if (cp->inheritable & (1ULL << i))
			cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	r = cap_set_proc(c);
	cap_free(c);
	if (r < 0)
		return berth_err_sys(err, errno, "process.capabilities: capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berth_err_sys(err, errno, "process.capabilities.ambient: clear");
	for (int i = 0; i <= last; i++) {
		if (!(cp->ambient & (1ULL << i)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
			return berth_err_sys(err, errno, "process.capabilities.ambient: raise '%s'",
					     oci_cap_name(i) ?: "?");
	}
	return 0;
}

static int drop_bounding(const struct rt_caps_plan *cp, struct berth_err **err)
{
	int last = (int)cap_max_bits() - 1;

	for (int i = 0; i <= last; i++) {
		if (cp->bounding & (1ULL << i))
			continue;
		if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
			return berth_err_sys(err, errno, "process.capabilities.bounding: drop '%s'",
					     oci_cap_name(i) ?: "?");
	}
	return 0;
}

static bool setgroups_allowed(void)
{
	char buf[16] = "";
	cleanup_close int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		return true;
	return strncmp(buf, "deny", 4) != 0;
}

int rt_proc_apply_identity(const struct rt_proc_plan *plan, struct berth_err **err)
{
	const struct oci_user *u = &plan->proc->user;
	const struct rt_caps_plan *cp = &plan->caps;

	/* while still root: the labels take effect at execve */
	if (rt_lsm_apply(&plan->lsm, err) < 0)
		return -1;
	if (cp->set && drop_bounding(cp, err) < 0)
		return -1;
	if (setgroups_allowed() && setgroups(u->n_additional_gids, u->additional_gids) < 0)
		return berth_err_sys(err, errno, "process.user.additionalGids: setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return berth_err_sys(err, errno, "process.user.gid: setresgid %u",
				     (unsigned)u->gid);
	if (cp->set && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berth_err_sys(err, errno, "prctl PR_SET_KEEPCAPS");
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return berth_err_sys(err, errno, "process.user.uid: setresuid %u",
				     (unsigned)u->uid);
	if (cp->set) {
		if (caps_apply(cp, err) < 0)
			return -1;
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	if (u->has_umask)
		umask(u->umask);
	if (plan->proc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_err_sys(err, errno, "process.noNewPrivileges: prctl");
	return 0;
}

/* Every fd but stdio and the preserved ones (3..3+extra_fds-1) is closed at exec. */
static int mark_fds_cloexec(const struct rt_proc_plan *plan)
{
	for (unsigned i = 0; i < plan->extra_fds; i++) {
		int fd = 3 + (int)i;
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0 && (fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	return (int)syscall(SYS_close_range, 3 + plan->extra_fds, ~0U, CLOSE_RANGE_CLOEXEC);
}

bool rt_proc_seccomp_early(const struct rt_proc_plan *plan)
{
	return plan->seccomp && !plan->proc->no_new_privileges;
}

int rt_proc_load_seccomp(const struct rt_proc_plan *plan, struct berth_err **err)
{
	int listener = -1;
	int r;

	if (!plan->seccomp)
		return 0;
	/* before the filter: a profile may deny close_range/fcntl (the OCI
	 * conformance suite's default profile does), and the fds must still
	 * be marked close-on-exec */
	if (mark_fds_cloexec(plan) < 0)
		return berth_err_sys(err, errno, "close_range");
	r = rt_seccomp_load(plan->seccomp, &listener);
	if (r < 0)
		return berth_err_sys(err, -r, "linux.seccomp: load filter");
	if (listener < 0)
		return 0;
	/* without the agent, a notified syscall would wait forever: fail instead */
	if (plan->notify_sock < 0 || !plan->notify_msg)
		r = berth_err_new(err, BERTH_E_INTERNAL,
				  "linux.seccomp.listenerPath: no connection to the agent");
	else
		r = rt_seccomp_notify_send(plan->notify_sock, listener, plan->notify_msg, err);
	close(listener);
	if (plan->notify_sock >= 0)
		close(plan->notify_sock);
	return r;
}

/* Without close_range(CLOSE_RANGE_CLOEXEC) (before 5.11, or denied): walk /proc/self/fd. */
static int cloexec_from(int first, struct berth_err **err)
{
	cleanup_dir DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return berth_err_sys(err, errno, "mark fds close-on-exec: open '/proc/self/fd'");
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		int fl;

		if (fd < first || fd == dirfd(d))
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	return 0;
}

int rt_proc_prepare_exec(const struct rt_proc_plan *plan, struct berth_err **err)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (unsigned i = 0; i < plan->extra_fds; i++) {
		int fd = 3 + (int)i;
		int fl = fcntl(fd, F_GETFD);

		if (fl >= 0 && (fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	if (syscall(SYS_close_range, 3 + plan->extra_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return cloexec_from(3 + (int)plan->extra_fds, err);
	return 0;
}

/* The bytes execve copies for a list of strings; i/big: the first one longer
 * than the kernel takes (MAX_ARG_STRLEN), if any. */
static size_t strv_bytes(char *const *v, size_t *big)
{
	size_t total = 0;

	*big = SIZE_MAX;
	for (size_t i = 0; v && v[i]; i++) {
		size_t n = strlen(v[i]) + 1;

		if (n > RT_MAX_ARG_STRLEN && *big == SIZE_MAX)
			*big = i;
		total += n;
	}
	return total;
}

/* execve's E2BIG names no field: say which one is too large (issue #15). */
static int exec_e2big(const struct rt_proc_plan *plan, const char *path, struct berth_err **err)
{
	size_t abig, ebig;
	size_t a = strv_bytes(plan->proc->args, &abig), e = strv_bytes(plan->env, &ebig);

	if (abig != SIZE_MAX)
		return berth_err_sys(
			err, E2BIG,
			"exec '%s': process.args[%zu]: longer than the kernel's %d bytes per string",
			path, abig, RT_MAX_ARG_STRLEN);
	if (ebig != SIZE_MAX)
		return berth_err_sys(
			err, E2BIG,
			"exec '%s': process.env[%zu]: longer than the kernel's %d bytes per string",
			path, ebig, RT_MAX_ARG_STRLEN);
	return berth_err_sys(
		err, E2BIG,
		"exec '%s': %s too large: process.env %zu bytes, process.args %zu bytes, beyond the kernel's limit (a quarter of RLIMIT_STACK, at most 6 MiB)",
		path, e >= a ? "process.env" : "process.args", e, a);
}

int rt_proc_exec(const struct rt_proc_plan *plan, const char *path, struct berth_err **err)
{
	execve(path, plan->proc->args, plan->env);
	if (errno == E2BIG)
		return exec_e2big(plan, path, err);
	return berth_err_sys(err, errno, "exec '%s'", path);
}
