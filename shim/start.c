/*
 * shim/start.c - `berth-shim start`, run by containerd in the bundle directory:
 * creates the listening socket, writes <bundle>/address, re-executes itself as
 * the daemon with the listener on fd 3 (new session, stdio on /dev/null, so
 * containerd's pipes see EOF at once), prints only the address and exits.
 * containerd reads stdout and stderr together: nothing else may be printed
 * unless start fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "shim/shim.h"

static int sock_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

/* true if a shim already answers on path */
static bool socket_alive(const char *path)
{
	struct sockaddr_un sun;
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 && sock_addr(path, &sun) == 0 &&
	       connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
}

static int create_listener(const char *path, struct berth_err **err)
{
	struct sockaddr_un sun;
	cleanup_free char *dir = xstrdup(path);
	cleanup_close int fd = -1;

	if (fs_mkdir_p(dirname(dir), 0711, err) < 0)
		return -1;
	if (sock_addr(path, &sun) < 0)
		return berth_err_new(err, BERTH_E_INVALID, "socket path '%s' is too long", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_err_sys(err, errno, "socket");
	unlink(path); /* a dead shim's socket */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return berth_err_sys(err, errno, "bind '%s'", path);
	if (listen(fd, 64) < 0)
		return berth_err_sys(err, errno, "listen on '%s'", path);
	return take_fd(&fd);
}

static void drain_stdin(void)
{
	char buf[4096];

	/* the runtime options (an Any); Create carries them again */
	if (isatty(STDIN_FILENO))
		return; /* run by hand */
	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

/* The daemon child: never returns. */
static void exec_daemon(const struct shim_flags *f, int lfd)
{
	cleanup(strv_freep) char **argv = NULL;
	int null = open("/dev/null", O_RDWR);
	char self[PATH_MAX];
	ssize_t n;

	if (setsid() < 0 || null < 0)
		_exit(1);
	for (int i = 0; i < 3; i++)
		dup2(null, i);
	if (lfd == 3)
		fcntl(3, F_SETFD, 0);
	else if (dup2(lfd, 3) < 0)
		_exit(1);
	/* nothing containerd (or its parent) leaked reaches the daemon and its containers */
	close_range(4, ~0U, 0);
	strv_push(&argv, "berth-shim");
	strv_push(&argv, "-namespace");
	strv_push(&argv, f->ns);
	strv_push(&argv, "-id");
	strv_push(&argv, f->id);
	strv_push(&argv, "-address");
	strv_push(&argv, f->address);
	if (f->publish_binary) {
		strv_push(&argv, "-publish-binary");
		strv_push(&argv, f->publish_binary);
	}
	if (f->runtime) {
		strv_push(&argv, "-runtime");
		strv_push(&argv, f->runtime);
	}
	if (f->debug)
		strv_push(&argv, "-debug");
	/* the resolved path, not /proc/self/exe, so the daemon's comm is "berth-shim" */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		execv(self, argv);
	}
	execv("/proc/self/exe", argv);
	_exit(127);
}

int shim_start_main(const struct shim_flags *f)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;
	cleanup_free char *path = NULL;
	cleanup_free char *address = NULL;
	cleanup_free char *pidtext = NULL;
	cleanup_close int lfd = -1;
	pid_t pid;

	drain_stdin();
	path = shim_socket_path(f->address, f->ns, f->id, &err);
	if (!path)
		goto fail;
	address = xasprintf("unix://%s", path);
	if (socket_alive(path)) {
		/* a shim for this id already runs: reuse it */
		if (fs_write_atomic(AT_FDCWD, "address", address, strlen(address), 0644, &err) < 0)
			goto fail;
		printf("%s", address);
		return 0;
	}
	lfd = create_listener(path, &err);
	if (lfd < 0 ||
	    fs_write_atomic(AT_FDCWD, "address", address, strlen(address), 0644, &err) < 0)
		goto fail;
	pid = fork();
	if (pid < 0) {
		berth_err_sys(&err, errno, "fork");
		goto fail;
	}
	if (pid == 0)
		exec_daemon(f, lfd);
	/* like runc's shim: <bundle>/shim.pid, before containerd learns the address */
	pidtext = xasprintf("%d", pid);
	if (fs_write_atomic(AT_FDCWD, "shim.pid", pidtext, strlen(pidtext), 0644, &err) < 0) {
		kill(pid, SIGKILL);
		goto fail;
	}
	printf("%s", address);
	return 0;
fail:
	if (path && lfd >= 0)
		unlink(path);
	fprintf(stderr, "berth-shim: start: %s\n", err->msg);
	return 1;
}
