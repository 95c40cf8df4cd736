/*
 * shim/serve.c - the shim daemon: serves the Task service on the listener
 * `start` passed as fd 3 (or -socket), reaps children as a subreaper through a
 * signalfd, and exits after Shutdown once its events are delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "shim/service.h"
#include "shim/task.h"

/* after Shutdown, how long undelivered events may hold the exit */
#define SHUTDOWN_EVENTS_MS 10000

static void reap(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct shim_daemon *d = data;
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(evloop_watch_fd(w), &si, sizeof(si)) == sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		shim_task_on_exit(d->task, pid, status);
}

/*
 * containerd reads the shim's log from the bundle's "log" FIFO (runc's shim dup2s it on
 * stderr). It stays non-blocking: a reader that stalls must not stop the shim (a full
 * FIFO drops log lines), and one that went away (containerd killed) only makes writes
 * fail with EPIPE (SIGPIPE is ignored) until containerd reopens the FIFO on restart,
 * which attaches to this same pipe again.
 */
static void open_log_fifo(void)
{
	int fd = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static int listen_socket(const char *path, struct berth_err **err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strncmp(path, "unix://", 7) == 0)
		path += 7;
	if (strlen(path) >= sizeof(sun.sun_path))
		return berth_err_new(err, BERTH_E_INVALID, "socket path '%s' is too long", path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_err_sys(err, errno, "socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 64) < 0) {
		int e = errno;

		close(fd);
		return berth_err_sys(err, e, "listen on '%s'", path);
	}
	return fd;
}

/* The socket goes with the shim, so a later `start` for this id does not find a dead one. */
static void remove_socket(const struct shim_flags *f)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;
	cleanup_free char *path = NULL;

	if (f->socket) {
		unlink(strncmp(f->socket, "unix://", 7) == 0 ? f->socket + 7 : f->socket);
		return;
	}
	path = shim_socket_path(f->address, f->ns, f->id, &err);
	if (path)
		unlink(path);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int shim_serve_main(const struct shim_flags *f)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;
	struct shim_daemon d = {0};
	struct ttrpc_server *srv;
	int64_t deadline = 0;
	sigset_t mask;
	int lfd, sfd;

	signal(SIGPIPE, SIG_IGN);
	open_log_fifo();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error("signalfd: %m");
		return 1;
	}
	lfd = f->socket ? listen_socket(f->socket, &err) : 3;
	if (lfd < 0) {
		log_error("%s", err->msg);
		return 1;
	}
	fcntl(lfd, F_SETFD, FD_CLOEXEC);
	if (shim_service_check(&err) < 0) {
		log_error("%s", err->msg);
		return 1;
	}
	d.loop = evloop_new(&err);
	if (!d.loop) {
		log_error("%s", err->msg);
		return 1;
	}
	d.events = shim_events_new(d.loop, getenv("TTRPC_ADDRESS"), f->ns);
	d.task = shim_task_new(d.loop, d.events, f);
	srv = ttrpc_server_new(d.loop, shim_service_methods, SHIM_N_METHODS, &d);
	if (ttrpc_server_listen(srv, lfd, &err) < 0 ||
	    !evloop_add(d.loop, sfd, EPOLLIN, reap, &d, &err)) {
		log_error("%s", err->msg);
		return 1;
	}
	log_debug("serving task '%s' in namespace '%s'", f->id, f->ns);
	for (;;) {
		int timeout = -1;

		if (d.shutdown) {
			/* the one "may we exit" check: after Shutdown, once events are out */
			if (!deadline)
				deadline = now_ms() + SHUTDOWN_EVENTS_MS;
			if (d.shutdown_now || shim_events_idle(d.events) || now_ms() >= deadline)
				break;
			timeout = 100;
		}
		if (evloop_run_once(d.loop, timeout, &err) < 0) {
			log_error("%s", err->msg);
			break;
		}
	}
	remove_socket(f);
	ttrpc_server_free(srv);
	shim_task_free(d.task);
	shim_events_free(d.events);
	evloop_free(d.loop);
	close(sfd);
	return 0;
}
