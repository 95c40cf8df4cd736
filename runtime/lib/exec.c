/*
 * runtime/lib/exec.c - `exec`: a new process in a running container.
 *
 *   parent                                   child
 *   setns(pidfd, PID|TIME)  (for children)
 *   clone3 (INTO_CGROUP v2) -----------------> joins its v1 cgroups (cgjoin.h)
 *   back to our own pid/time namespaces
 *   GO [seccomp agent's message] ----------->  setns(pidfd, user|mnt|net|ipc|uts|cgroup)
 *                                              setsid + pty (--tty), rlimits, chdir,
 *                                              PATH lookup, identity, seccomp (the
 *                                              notify fd to the agent), execve
 *   EOF on the socket (CLOEXEC) = exec'd    <- or ERROR {code, errnum, msg}
 *   pid file; wait (foreground) or return
 *
 * The namespaces come from the init through a pidfd checked against its start
 * time, so a recycled pid can not lead us into a stranger's namespaces.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/console.h"
#include "runtime/lib/container_internal.h"
#include "runtime/lib/exec_cgroup.h"
#include "runtime/lib/pidstat.h"
#include "runtime/lib/rootless.h"
#include "runtime/lib/seccomp.h"
#include "runtime/lib/seccomp_notify.h"
#include "runtime/lib/sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_child {
	struct rt_proc_plan *plan;
	const struct rt_cgjoin *cgjoin;
	int sync_fd;
	int pidfd;
	int ns_flags; /* joined by the child */
	int console_sock;
	int rootfd; /* no mount namespace: the init's root, to chroot into; or -1 */
	bool userns;
};

static int parse_id(const char *s, const char *what, unsigned *out, struct berth_err **err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *s == '-' || *s == '+' || *end)
		return berth_err_new(err, BERTH_E_INVALID, "invalid %s '%s': not a number", what,
				     s);
	/* runc's range: above it, 4294967295 is (uid_t)-1, "no change" (issue #15) */
	if (v > OCI_ID_MAX)
		return berth_err_new(err, BERTH_E_INVALID,
				     "invalid %s '%s': out of range (0-2147483647)", what, s);
	*out = (unsigned)v;
	return 0;
}

static int apply_user(struct oci_process *p, const struct rt_exec_opts *o, struct berth_err **err)
{
	cleanup_free char *u = o->user ? xstrdup(o->user) : NULL;
	char *colon = u ? strchr(u, ':') : NULL;
	unsigned v;

	if (u) {
		if (colon)
			*colon = '\0';
		if (parse_id(u, "--user uid", &v, err) < 0)
			return -1;
		p->user.uid = v;
		if (colon) {
			if (parse_id(colon + 1, "--user gid", &v, err) < 0)
				return -1;
			p->user.gid = v;
		}
	}
	strv_foreach (g, o->additional_gids) {
		if (parse_id(g, "--additional-gids", &v, err) < 0)
			return -1;
		p->user.additional_gids = xreallocarray(
			p->user.additional_gids, p->user.n_additional_gids + 1, sizeof(gid_t));
		p->user.additional_gids[p->user.n_additional_gids++] = v;
	}
	return 0;
}

/* runc's exec without --process: the config's process with the command-line overrides. */
static int process_from_flags(struct oci_spec *spec, const struct rt_exec_opts *o,
			      struct oci_process **out, struct berth_err **err)
{
	struct oci_process *p = spec->process;

	if (!p)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"exec: the container's config has no process to start from: use --process");
	if (!o->args || !o->args[0])
		return berth_err_new(err, BERTH_E_INVALID, "exec: no command given");
	strv_free(p->args);
	p->args = strv_dup(o->args);
	strv_foreach (e, o->env)
		strv_push(&p->env, e);
	if (o->cwd) {
		free(p->cwd);
		p->cwd = xstrdup(o->cwd);
	}
	p->terminal = o->tty;
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (o->apparmor) {
		free(p->apparmor_profile);
		p->apparmor_profile = xstrdup(o->apparmor);
	}
	if (o->process_label) {
		free(p->selinux_label);
		p->selinux_label = xstrdup(o->process_label);
	}
	if (apply_user(p, o, err) < 0)
		return -1;
	if (o->caps) {
		if (!p->capabilities)
			p->capabilities = xnew(struct oci_capabilities);
		strv_foreach (c, o->caps) {
			strv_push(&p->capabilities->bounding, c);
			strv_push(&p->capabilities->effective, c);
			strv_push(&p->capabilities->permitted, c);
		}
	}
	*out = take_ptr(spec->process);
	return 0;
}

static int load_process(struct oci_spec *spec, const struct rt_exec_opts *o,
			struct oci_process **out, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	size_t len;

	if (!o->process_file)
		return process_from_flags(spec, o, out, err);
	if (o->args && o->args[0])
		return berth_err_new(err, BERTH_E_INVALID,
				     "exec: give either --process or a command, not both");
	if (fs_read_file(AT_FDCWD, o->process_file, &buf, &len, err) < 0)
		return berth_err_wrap(err, "--process");
	return oci_process_parse(buf, len, o->process_file, out, err);
}

static int exec_child_setup(struct exec_child *x, char **exe, struct berth_err **err)
{
	struct rt_pty pty = {-1, -1, ""};
	int r = 0;

	cleanup(rt_sync_msg_freep) struct rt_sync_msg *go = NULL;

	if (rt_cgjoin_self(x->cgjoin, err) < 0)
		return -1;
	if (rt_sync_recv(x->sync_fd, RT_SYNC_GO, &go, err) < 0)
		return -1;
	/* GO carries the seccomp agent's message when there is one (exec_handshake) */
	if (x->plan->notify_sock >= 0 && go->hdr.len)
		x->plan->notify_msg = take_ptr(go->data);
	if (x->ns_flags && setns(x->pidfd, x->ns_flags) < 0)
		return berth_err_sys(err, errno, "join the container's namespaces");
	closep(&x->pidfd);
	/* no mount namespace to give us the container's root: take the init's */
	if (x->rootfd >= 0 && (fchdir(x->rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0))
		return berth_err_sys(err, errno, "enter the container's root");
	closep(&x->rootfd);
	if (x->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return berth_err_sys(err, errno, "user namespace: become root");
	if (x->console_sock >= 0) {
		if (setsid() < 0)
			return berth_err_sys(err, errno, "setsid");
		if (rt_pty_open(&pty, x->plan->proc->console_size, err) < 0 ||
		    rt_pty_send(&pty, x->console_sock, err) < 0 || rt_pty_make_stdio(&pty, err) < 0)
			r = berth_err_wrap(err, "process.terminal");
		rt_pty_close(&pty);
		closep(&x->console_sock);
		if (r < 0)
			return -1;
	}
	if (rt_proc_apply_early(x->plan, err) < 0 || rt_proc_apply_sched(x->plan, err) < 0 ||
	    rt_proc_chdir(x->plan, err) < 0)
		return -1;
	rt_proc_default_home(x->plan);
	if (rt_proc_find_exec(x->plan, exe, err) < 0 || rt_proc_prepare_exec(x->plan, err) < 0)
		return -1;
	if (rt_proc_seccomp_early(x->plan) && rt_proc_load_seccomp(x->plan, err) < 0)
		return -1;
	if (rt_proc_apply_identity(x->plan, err) < 0)
		return -1;
	if (!rt_proc_seccomp_early(x->plan) && rt_proc_load_seccomp(x->plan, err) < 0)
		return -1;
	return 0;
}

static _Noreturn void exec_child_main(struct exec_child *x)
{
	struct berth_err *err = NULL;
	char *exe = NULL;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (exec_child_setup(x, &exe, &err) == 0)
		rt_proc_exec(x->plan, exe, &err); /* the sync socket closes on success */
	rt_sync_send_err(x->sync_fd, err);
	_exit(126);
}

/* The namespaces of the container, from its config: all are joined. */
static int config_ns_flags(const struct oci_spec *spec)
{
	int flags = 0;

	for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
		flags |= oci_ns_clone_flag(spec->linux_->namespaces[i].type);
	return flags;
}

struct exec_run {
	struct rt_container *c;
	const struct rt_exec_opts *o;
	struct oci_spec *spec;
	struct oci_process *proc;
	struct rt_seccomp *seccomp;
	struct rt_cgroup *cg;
	struct rt_cgjoin cgjoin;
	struct rt_proc_plan plan;
	int pidfd, pidfd_child, console_sock, sync[2];
	int tty_peer; /* foreground terminal: our end of the console socketpair, or -1 */
	int rootfd;   /* see exec_child */
	pid_t pid;
};

/* The init's root directory (only needed without a mount namespace), opened
 * while its pidfd says it lives: the /proc entry was then not a recycled pid. */
static int open_init_root(struct exec_run *x, struct berth_err **err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root", (int)x->c->st->pid);
	x->rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->rootfd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	if (syscall(SYS_pidfd_send_signal, x->pidfd, 0, NULL, 0) < 0)
		return berth_err_sys(err, errno, "container init");
	return 0;
}

static int exec_prepare(struct exec_run *x, struct berth_err **err)
{
	const struct rt_exec_opts *o = x->o;
	enum rt_status s = rt_container_status(x->c);

	if (s == RT_STATUS_STOPPED)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "cannot exec in a stopped container '%s'", x->c->id);
	if (s == RT_STATUS_PAUSED && !o->ignore_paused)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "cannot exec in a paused container '%s' (use --ignore-paused)",
				     x->c->id);
	if (rt_container_config(x->c, &x->spec, err) < 0 ||
	    load_process(x->spec, o, &x->proc, err) < 0)
		return -1;
	if (x->proc->terminal && !o->console_socket && o->detach)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"process.terminal is true: --console-socket is required with --detach");
	if (!x->proc->terminal && o->console_socket)
		return berth_err_new(err, BERTH_E_INVALID,
				     "--console-socket given but process.terminal is false");
	if (rt_proc_plan_prepare(&x->plan, x->proc, o->preserve_fds, 0, err) < 0)
		return -1;
	if (x->spec->linux_ && x->spec->linux_->seccomp &&
	    rt_seccomp_compile(x->spec->linux_->seccomp, &x->seccomp, err) < 0)
		return -1;
	x->plan.seccomp = x->seccomp;
	/* as for the init: the child sends its notify fd over this (seccomp_notify.h) */
	if (x->seccomp && rt_seccomp_has_listener(x->seccomp)) {
		x->plan.notify_sock =
			rt_seccomp_notify_connect(x->spec->linux_->seccomp->listener_path, err);
		if (x->plan.notify_sock < 0)
			return -1;
	}
	if (rt_cgroup_open(x->c->st->cgroups_path, x->c->id, x->c->st->systemd_cgroup, &x->cg,
			   err) < 0 ||
	    (!rt_rootless_no_cgroup(x->cg) && rt_cgjoin_prepare(x->cg, &x->cgjoin, err) < 0))
		return -1;
	if (o->cgroups && o->cgroups[0]) {
		if (rt_rootless_no_cgroup(x->cg))
			return berth_err_new(err, BERTH_E_PRECONDITION,
					     "--cgroup: container '%s' has no cgroup", x->c->id);
		if (rt_exec_cgroup_apply(x->cg, o->cgroups, &x->cgjoin, err) < 0)
			return -1;
	}
	if (o->console_socket) {
		x->console_sock = rt_console_connect(o->console_socket, err);
		if (x->console_sock < 0)
			return -1;
	} else if (x->proc->terminal) {
		int sv[2];

		/* in the foreground: the pty comes to us, relayed to our stdio (runc) */
		if (rt_console_pair(sv, err) < 0)
			return -1;
		x->tty_peer = sv[0];
		x->console_sock = sv[1];
	}
	x->pidfd = rt_pid_open(x->c->st->pid, x->c->st->pid_start, err);
	if (x->pidfd < 0)
		return berth_err_wrap(err, "container init");
	if (!(config_ns_flags(x->spec) & CLONE_NEWNS) && open_init_root(x, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x->sync) < 0)
		return berth_err_sys(err, errno, "socketpair");
	return 0;
}

static int exec_spawn(struct exec_run *x, struct berth_err **err)
{
	int flags = config_ns_flags(x->spec);
	int parent_flags = flags & (CLONE_NEWPID | CLONE_NEWTIME);
	struct exec_child ch = {.plan = &x->plan,
				.cgjoin = &x->cgjoin,
				.sync_fd = x->sync[1],
				.pidfd = x->pidfd,
				.ns_flags = flags & ~parent_flags,
				.console_sock = x->console_sock,
				.rootfd = x->rootfd,
				.userns = (flags & CLONE_NEWUSER) != 0};
	cleanup_close int own_pid = -1, own_time = -1;

	if (parent_flags && (flags & CLONE_NEWUSER) && rt_rootless_is()) {
		/* see rootless.h: we may enter that pid namespace only from inside */
		ch.ns_flags &= ~CLONE_NEWUSER;
		x->pid = rt_rootless_clone_joined(x->pidfd, parent_flags, &x->cgjoin,
						  &x->pidfd_child, err);
		if (x->pid == 0)
			exec_child_main(&ch);
		if (x->pid < 0)
			return -1;
		closep(&x->sync[1]);
		closep(&x->console_sock);
		return 0;
	}
	if (parent_flags) {
		own_pid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		own_time = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (setns(x->pidfd, parent_flags) < 0)
			return berth_err_sys(err, errno, "join the container's pid namespace");
	}
	x->pid = rt_clone3(0, &x->cgjoin, &x->pidfd_child);
	if (x->pid == 0)
		exec_child_main(&ch);
	if (parent_flags) {
		if (own_pid >= 0)
			setns(own_pid, CLONE_NEWPID);
		if (own_time >= 0)
			setns(own_time, CLONE_NEWTIME);
	}
	if (x->pid < 0)
		return berth_err_sys(err, errno, "fork");
	closep(&x->sync[1]);
	closep(&x->console_sock);
	return 0;
}

/* The seccomp agent's message for the exec'd process: its pid is known now. */
static char *notify_msg(struct exec_run *x)
{
	cleanup_free char *state = NULL;

	if (x->plan.notify_sock < 0)
		return NULL;
	state = rt_state_oci_json(x->c->st, rt_container_status(x->c), BJSON_PLAIN);
	return rt_seccomp_notify_msg(x->spec->linux_->seccomp->listener_metadata, x->pid, state);
}

static int exec_handshake(struct exec_run *x, struct berth_err **err)
{
	struct berth_err *e = NULL;
	cleanup_free char *msg = notify_msg(x);

	if (x->plan.notify_sock >= 0 && !msg)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "linux.seccomp.listenerPath: build the state message");
	if (rt_sync_send(x->sync[0], RT_SYNC_GO, msg, msg ? strlen(msg) : 0) < 0)
		return berth_err_sys(err, errno, "sync socket: send GO");
	/* bounded: a cgroup frozen meanwhile must not hang exec */
	if (rt_sync_wait(x->sync[0], rt_rootless_no_cgroup(x->cg) ? NULL : x->cg, RT_CHILD_WAIT_S,
			 "exec", err) < 0)
		return -1;
	/* the child's end is CLOEXEC: EOF means it exec'd */
	if (rt_sync_recv(x->sync[0], 0, NULL, &e) == 0)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "exec: unexpected message from the process");
	if (berth_err_is(e, ECONNRESET)) {
		berth_err_free(&e);
		return 0;
	}
	*err = e;
	return -1;
}

static void exec_clear(struct exec_run *x)
{
	closep(&x->pidfd);
	closep(&x->pidfd_child);
	closep(&x->rootfd);
	rt_cgjoin_clear(&x->cgjoin);
	closep(&x->console_sock);
	closep(&x->tty_peer);
	closep(&x->sync[0]);
	closep(&x->sync[1]);
	rt_proc_plan_clear(&x->plan);
	rt_cgroup_free(x->cg);
	rt_seccomp_free(x->seccomp);
	oci_process_free(x->proc);
	oci_spec_free(x->spec);
}

/* Foreground terminal: the master the child sent before its execve, relayed
 * to our stdio until the process exits. */
static int wait_relaying(struct exec_run *x, int sfd, int *exit_code, struct berth_err **err)
{
	struct rt_relay relay = {.master = -1};
	int master = rt_console_recv(x->tty_peer, err);
	int r;

	if (master < 0 || rt_relay_start(&relay, master, err) < 0) {
		if (master >= 0)
			rt_relay_stop(&relay);
		kill(x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0);
		return -1;
	}
	r = rt_wait_forwarding(x->pid, x->pidfd_child, sfd, &relay, exit_code, err);
	rt_relay_stop(&relay);
	return r;
}

static int do_exec(struct exec_run *x, int sfd, int *exit_code, struct berth_err **err)
{
	int r;

	if (exec_prepare(x, err) < 0 || exec_spawn(x, err) < 0)
		return -1;
	r = exec_handshake(x, err);
	if (r == 0 && x->o->pid_file)
		r = rt_pid_file_write(x->o->pid_file, x->pid, err);
	if (r < 0 || x->o->detach) {
		if (r < 0)
			kill(x->pid, SIGKILL);
		if (r < 0 || !x->o->detach)
			waitpid(x->pid, NULL, 0);
		return r;
	}
	if (x->tty_peer < 0)
		return rt_wait_forwarding(x->pid, x->pidfd_child, sfd, NULL, exit_code, err);
	return wait_relaying(x, sfd, exit_code, err);
}

int rt_container_exec(struct rt_container *c, const struct rt_exec_opts *opts, int *exit_code,
		      struct berth_err **err)
{
	struct exec_run x = {.c = c,
			     .o = opts,
			     .pidfd = -1,
			     .pidfd_child = -1,
			     .console_sock = -1,
			     .tty_peer = -1,
			     .rootfd = -1,
			     .sync = {-1, -1},
			     .cgjoin = {.v2_fd = -1},
			     .plan = {.notify_sock = -1}};
	cleanup_close int sfd = -1;
	sigset_t old;
	int r;

	*exit_code = 0;
	if (!opts->detach) {
		sfd = rt_signals_block(&old, err);
		if (sfd < 0)
			return -1;
	}
	r = do_exec(&x, sfd, exit_code, err);
	if (!opts->detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	exec_clear(&x);
	if (r < 0)
		return berth_err_wrap(err, "exec in container '%s'", c->id);
	return 0;
}
