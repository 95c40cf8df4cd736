/*
 * runtime/lib/run.c - `run`: create + start, and in the foreground wait for
 * the init (our direct child: the clone made it so) while forwarding signals,
 * then delete it. Signals are blocked before the clone and read through a
 * signalfd, so none is lost between create and the wait; the init unblocks
 * them for itself (init.c). The container's lock is released while waiting,
 * so kill and delete --force from elsewhere work on a foreground container.
 * In the foreground berth is a child subreaper (unless --no-subreaper, as
 * runc): processes the container orphans outside a pid namespace of its own
 * are reparented to it and reaped while it waits.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "runtime/lib/console.h"
#include "runtime/lib/container_internal.h"
#include "runtime/lib/pidstat.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

int rt_signals_block(sigset_t *old, struct berth_err **err)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, old);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		return berth_err_sys(err, errno, "signalfd");
	}
	return fd;
}

/* With a terminal to relay: until sfd is readable, move its bytes. 1 when sfd
 * is readable, 0 to look again, -1 on error. */
static int relay_until_signal(int sfd, struct rt_relay *relay, struct berth_err **err)
{
	struct pollfd p[3] = {{.fd = sfd, .events = POLLIN}};

	rt_relay_fds(relay, p + 1);
	if (poll(p, 3, -1) < 0)
		return errno == EINTR ? 0 : berth_err_sys(err, errno, "poll");
	rt_relay_pump(relay, p + 1);
	return (p[0].revents & POLLIN) != 0;
}

int rt_wait_forwarding(pid_t child, int pidfd, int sfd, struct rt_relay *relay, int *exit_code,
		       struct berth_err **err)
{
	for (;;) {
		struct signalfd_siginfo si;
		int status;
		/* -1: also reap the orphans we adopted as a subreaper */
		pid_t r = waitpid(-1, &status, WNOHANG);

		if (r > 0 && r != child)
			continue;
		if (r == child) {
			if (relay)
				rt_relay_drain(relay);
			*exit_code =
				WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return berth_err_sys(err, errno, "wait for process %d", (int)child);
		if (r < 0)
			continue;
		if (relay) {
			int ready = relay_until_signal(sfd, relay, err);

			if (ready < 0)
				return -1;
			if (!ready)
				continue;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
			if (errno == EINTR)
				continue;
			return berth_err_sys(err, errno, "read signalfd");
		}
		/* our terminal changed size: the container's follows (runc resizes, it
		 * does not forward SIGWINCH) */
		if (relay && si.ssi_signo == SIGWINCH) {
			rt_relay_resize(relay);
			continue;
		}
		if (si.ssi_signo == SIGCHLD || pidfd < 0)
			continue;
		if (rt_pid_signal(pidfd, (int)si.ssi_signo, err) < 0) {
			log_warn("forward signal %u to process %d: %s", si.ssi_signo, (int)child,
				 (*err)->msg);
			berth_err_free(err);
		}
	}
}

/* The container was created but can not run (start or the relay failed): remove it. */
static void kill_created(struct rt_container *c)
{
	struct berth_err *e = NULL;

	if (rt_container_delete(c, true, &e) < 0) {
		log_warn("%s", e->msg);
		berth_err_free(&e);
	}
}

int rt_container_run(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts,
		     bool detach, int *exit_code, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	cleanup_close int sfd = -1;
	cleanup_close int pidfd = -1;
	cleanup_close int tty_sock = -1;
	struct rt_relay relay = {.master = -1};
	struct rt_create_opts o = *opts;
	sigset_t old;
	int ret;

	*exit_code = 0;
	/* foreground without --console-socket: the pty comes to us (runc's way) */
	if (!detach && !opts->console_socket)
		o.tty_sock = &tty_sock;
	if (!detach) {
		sfd = rt_signals_block(&old, err);
		if (sfd < 0)
			return -1;
		if (!opts->no_subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
			log_warn("prctl PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	}
	ret = rt_container_create(ctx, id, &o, &c, err);
	if (ret == 0 && !detach)
		pidfd = rt_pid_open(c->st->pid, c->st->pid_start, NULL);
	if (ret == 0 && tty_sock >= 0) {
		int master = rt_console_recv(tty_sock, err);

		ret = master < 0 ? -1 : rt_relay_start(&relay, master, err);
		if (ret < 0)
			kill_created(c);
	}
	if (ret == 0 && rt_container_start(c, err) < 0) {
		kill_created(c);
		ret = -1;
	}
	if (ret == 0 && !detach) {
		/* others may kill or delete --force the container meanwhile: unlock */
		flock(c->dirfd, LOCK_UN);
		ret = rt_wait_forwarding(c->child, pidfd, sfd, relay.master >= 0 ? &relay : NULL,
					 exit_code, err);
		rt_relay_stop(&relay);
		if (ret == 0) {
			c->child = 0;
			ret = rt_container_lock(c, err);
		}
		/* gone already if someone ran delete --force */
		if (ret == 0 && !opts->keep && faccessat(c->dirfd, RT_STATE_FILE, F_OK, 0) == 0)
			ret = rt_container_delete(c, true, err);
	}
	rt_relay_stop(&relay);
	if (!detach)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}
