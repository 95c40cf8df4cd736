/*
 * runtime/lib/init.c - the container init between clone and execve: the
 * child column of the diagram in sync.h. Runs single-threaded in the
 * namespaces the clone created; every failure goes to the parent over the
 * sync socket, never to stdio. Functions here never return into create.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/console.h"
#include "runtime/lib/container_internal.h"
#include "runtime/lib/hooks.h"
#include "runtime/lib/mountsrc.h"
#include "runtime/lib/seccomp_notify.h"
#include "runtime/lib/sync.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* user first: once in the joined user namespace we hold its capabilities for the rest */
static const enum oci_ns_type join_order[] = {OCI_NS_USER,    OCI_NS_IPC,    OCI_NS_UTS,
					      OCI_NS_NETWORK, OCI_NS_CGROUP, OCI_NS_MOUNT};

static int join_namespaces(struct rt_init_args *a, struct berth_err **err)
{
	for (size_t i = 0; i < sizeof(join_order) / sizeof(join_order[0]); i++) {
		enum oci_ns_type t = join_order[i];

		if (a->join_fds[t] < 0)
			continue;
		if (setns(a->join_fds[t], oci_ns_clone_flag(t)) < 0)
			return berth_err_sys(err, errno, "linux.namespaces: join %s namespace",
					     oci_ns_type_name(t));
		closep(&a->join_fds[t]);
	}
	if (a->late_flags && unshare(a->late_flags) < 0)
		return berth_err_sys(err, errno, "linux.namespaces: unshare");
	/* we still carry the host's uid 0, unmapped in a new user namespace (files we
	 * create would fail with EOVERFLOW): become the namespace's root */
	if (a->rootfs.userns) {
		if (setresgid(0, 0, 0) < 0)
			return berth_err_sys(err, errno, "user namespace: setresgid 0");
		if (setresuid(0, 0, 0) < 0)
			return berth_err_sys(err, errno, "user namespace: setresuid 0");
	}
	return 0;
}

static int set_identity_basics(struct rt_init_args *a, struct berth_err **err)
{
	const struct oci_spec *s = a->spec;

	if (setsid() < 0)
		return berth_err_sys(err, errno, "setsid");
	if (!a->no_new_keyring &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0 && errno != ENOSYS)
		return berth_err_sys(err, errno, "join a new session keyring");
	if (s->hostname && *s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return berth_err_sys(err, errno, "hostname '%s': sethostname", s->hostname);
	if (s->domainname && *s->domainname &&
	    setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return berth_err_sys(err, errno, "domainname '%s': setdomainname", s->domainname);
	return 0;
}

/* After pivot_root, like runc: the pty comes from the container's own devpts
 * (its name reads /dev/pts/N inside), then rootfs_finish may make /dev read-only. */
static int setup_console(struct rt_init_args *a, struct berth_err **err)
{
	struct rt_pty pty = {-1, -1, ""};
	int r = 0;

	if (a->console_sock < 0)
		return 0;
	if (rt_pty_open(&pty, a->spec->process->console_size, err) < 0 ||
	    rt_pty_send(&pty, a->console_sock, err) < 0 || rt_pty_make_stdio(&pty, err) < 0 ||
	    rt_pty_bind_console(&pty, err) < 0)
		r = berth_err_wrap(err, "process.terminal");
	rt_pty_close(&pty);
	closep(&a->console_sock);
	return r;
}

static int run_child_hooks(struct rt_init_args *a, bool start, struct berth_err **err)
{
	const struct oci_hooks *h = a->spec->hooks;
	cleanup_free char *json = NULL;

	if (!h || !(start ? h->n_start_container : h->n_create_container))
		return 0;
	json = rt_state_oci_json(a->st, start ? RT_STATUS_CREATED : RT_STATUS_CREATING,
				 BJSON_PLAIN);
	if (start)
		return rt_hooks_run(h->start_container, h->n_start_container, "startContainer",
				    json, err);
	return rt_hooks_run(h->create_container, h->n_create_container, "createContainer", json,
			    err);
}

/* The message for the seccomp agent (seccomp_notify.h), now that the pid is known. */
static int notify_msg(struct rt_init_args *a, struct berth_err **err)
{
	const struct oci_seccomp *sc = a->spec->linux_ ? a->spec->linux_->seccomp : NULL;
	cleanup_free char *state = rt_state_oci_json(a->st, RT_STATUS_CREATING, BJSON_PLAIN);

	a->plan->notify_msg =
		rt_seccomp_notify_msg(sc ? sc->listener_metadata : NULL, a->st->pid, state);
	if (!a->plan->notify_msg)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "linux.seccomp.listenerPath: build the state message");
	return 0;
}

/* Up to READY: everything whose failure `create` must report. */
static int init_setup(struct rt_init_args *a, char **exe, struct berth_err **err)
{
	const struct oci_spec *s = a->spec;
	cleanup(rt_sync_msg_freep) struct rt_sync_msg *go = NULL;
	/* first: the cgroup (before any unshare of the cgroup namespace), while the
	 * parent writes our id maps */
	if (rt_cgjoin_self(a->cgjoin, err) < 0)
		return -1;
	if (rt_sync_recv(a->sync_fd, RT_SYNC_GO, &go, err) < 0)
		return -1;
	a->st->pid = atoi(go->data);
	a->rootfs.bind_fds = rt_mountsrc_from_go(go->data, go->fds, go->n_fds, s->n_mounts);
	if (a->plan && a->plan->notify_sock >= 0 && notify_msg(a, err) < 0)
		return -1;
	if (join_namespaces(a, err) < 0 || set_identity_basics(a, err) < 0)
		return -1;
	if (a->plan && rt_proc_apply_early(a->plan, err) < 0)
		return -1;
	if (rt_rootfs_setup(s, &a->rootfs, err) < 0)
		return -1;
	if (s->hooks && (s->hooks->n_prestart || s->hooks->n_create_runtime)) {
		if (rt_sync_send(a->sync_fd, RT_SYNC_HOOKS, NULL, 0) < 0)
			return berth_err_sys(err, errno, "sync socket: send HOOKS");
		if (rt_sync_recv(a->sync_fd, RT_SYNC_HOOKS_DONE, NULL, err) < 0)
			return -1;
	}
	if (run_child_hooks(a, false, err) < 0)
		return -1;
	if (rt_rootfs_pivot(s, &a->rootfs, err) < 0 || setup_console(a, err) < 0 ||
	    rt_sysctl_apply(s, err) < 0 || rt_rootfs_finish(s, &a->rootfs, err) < 0)
		return -1;
	if (!a->plan)
		return 0;
	if (rt_proc_apply_sched(a->plan, err) < 0 || rt_proc_chdir(a->plan, err) < 0)
		return -1;
	rt_proc_default_home(a->plan);
	if (rt_proc_find_exec(a->plan, exe, err) < 0 || rt_proc_prepare_exec(a->plan, err) < 0)
		return -1;
	if (rt_proc_seccomp_early(a->plan) && rt_proc_load_seccomp(a->plan, err) < 0)
		return -1;
	return rt_proc_apply_identity(a->plan, err);
}

/* After READY: wait for `start`, then become the container's process. */
static _Noreturn void init_wait_and_exec(struct rt_init_args *a, const char *exe)
{
	struct berth_err *err = NULL;
	int fd;

	/* blocks until `berth start` opens the fifo for reading */
	do
		fd = openat(a->state_dirfd, RT_FIFO_FILE, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		_exit(126);
	if (write(fd, "0", 1) != 1)
		_exit(126);
	/* fd stays open until execve closes it (O_CLOEXEC): `berth start` waits for
	 * that hang-up, so the poststart hooks run after the process started */
	close(a->state_dirfd);
	if (!a->plan)
		_exit(0);
	/* a startContainer hook without env gets the container process's, as in
	 * runc and crun (this process execs that process next) */
	environ = a->plan->env;
	if (run_child_hooks(a, true, &err) < 0 ||
	    (!rt_proc_seccomp_early(a->plan) && rt_proc_load_seccomp(a->plan, &err) < 0)) {
		rt_sync_fifo_err_write(fd, err);
		_exit(126);
	}
	rt_proc_exec(a->plan, exe, &err);
	/* `start` reads this after the hang-up (issue #15: an E2BIG left nothing) */
	rt_sync_fifo_err_write(fd, err);
	_exit(127);
}

_Noreturn void rt_init_main(struct rt_init_args *a)
{
	struct berth_err *err = NULL;
	char *exe = NULL;
	sigset_t none;

	/* flock belongs to the open file: our inherited copy would hold the lock */
	close(a->lock_fd);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (init_setup(a, &exe, &err) < 0) {
		rt_sync_send_err(a->sync_fd, err);
		_exit(1);
	}
	if (rt_sync_send(a->sync_fd, RT_SYNC_READY, NULL, 0) < 0)
		_exit(1);
	close(a->sync_fd);
	init_wait_and_exec(a, exe);
}
