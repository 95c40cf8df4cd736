/*
 * supervisor/ctl/cmd_reap.c - `run -d --rm`: who removes the container when it exits.
 *
 * docker's daemon does it; berthd is a containerd and knows nothing of --rm, so berthctl
 * leaves a small process of its own behind: `berthctl -a ADDR -n NS __reap ID`, started
 * in a session of its own (double fork, stdio on /dev/null, so it outlives the terminal
 * and berthctl), waits for the task's exit (Tasks.Wait) and removes the container, its
 * snapshot and log. If the daemon restarts meanwhile, it reconnects and waits again
 * (for at most an hour of failed attempts); if the container is removed by someone
 * else first, it just ends. Works the same against containerd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define REAP_RETRIES 3600

int ctl_reaper_spawn(struct ctl *c, const char *id, struct berth_err **err)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *argv[] = {exe,	       "-a",	 (char *)c->address, "-n",
			(char *)c->ns, "__reap", (char *)id,	     NULL};
	int status;
	pid_t pid;

	if (n < 0)
		return berth_err_sys(err, errno, "readlink '/proc/self/exe'");
	exe[n] = '\0';
	pid = fork();
	if (pid < 0)
		return berth_err_sys(err, errno, "fork");
	if (pid == 0) {
		/* only async-signal-safe calls until exec (berthctl has gRPC threads) */
		int fd;

		setsid();
		if (fork() != 0)
			_exit(0);
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(exe, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berth_err_sys(err, errno, "wait for the --rm helper");
	return 0;
}

int ctl_cmd_reap(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	struct timespec ts = {1, 0};
	cleanup_err struct berth_err *e = NULL;

	if (argc != 1)
		return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl __reap ID");
	for (int i = 0; i < REAP_RETRIES; i++) {
		struct ctl_task_state st;
		uint32_t status;

		berth_err_free(&e);
		/* no task: it was deleted (its container may remain, or be gone too) */
		if (ctl_task_get(c, argv[0], &st, &e) == 0 &&
		    st.status == CONTAINERD__V1__TYPES__STATUS__UNKNOWN)
			return ctl_container_remove(c, argv[0], true, err);
		if (!e && ctl_task_wait(c, argv[0], NULL, &status, &e) == 0)
			return ctl_container_remove(c, argv[0], true, err);
		if (e && e->code == BERTH_E_NOT_FOUND)
			return 0;
		nanosleep(&ts, NULL);
	}
	return berth_err_new(err, BERTH_E_TIMEOUT, "container '%s': gave up waiting", argv[0]);
}
