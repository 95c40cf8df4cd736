/* runtime/lib/pidstat.c - see pidstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "runtime/lib/pidstat.h"

int rt_pid_stat_parse(const char *buf, struct rt_pid_stat *st, struct berth_err **err)
{
	/* comm (field 2) may hold spaces and parentheses: fields resume after the last ')' */
	const char *p = strrchr(buf, ')');
	char state;
	int ppid;
	uint64_t start;

	if (!p)
		return berth_err_new(err, BERTH_E_INVALID, "malformed stat: no ')'");
	/* fields 3..22: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice num_threads itrealvalue starttime */
	if (sscanf(p + 1,
		   " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %" SCNu64,
		   &state, &ppid, &start) != 3)
		return berth_err_new(err, BERTH_E_INVALID, "malformed stat: too few fields");
	st->state = state;
	st->ppid = ppid;
	st->start_time = start;
	return 0;
}

int rt_pid_stat_read(pid_t pid, struct rt_pid_stat *st, struct berth_err **err)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return berth_err_sys(err, errno == ESRCH ? ENOENT : errno, "read '%s'", path);
	buf[n] = '\0';
	if (rt_pid_stat_parse(buf, st, err) < 0)
		return berth_err_wrap(err, "'%s'", path);
	return 0;
}

bool rt_pid_is_alive(pid_t pid, uint64_t start_time)
{
	struct rt_pid_stat st;
	struct berth_err *e = NULL;

	if (pid <= 0)
		return false;
	if (rt_pid_stat_read(pid, &st, &e) < 0) {
		berth_err_free(&e);
		return false;
	}
	return st.start_time == start_time && st.state != 'Z' && st.state != 'X';
}

int rt_pid_open(pid_t pid, uint64_t start_time, struct berth_err **err)
{
	cleanup_close int fd = -1;

	if (pid <= 0)
		return berth_err_new(err, BERTH_E_INVALID, "invalid pid %d", (int)pid);
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return berth_err_sys(err, errno, "pidfd_open %d", (int)pid);
	/* the pidfd pins the process: if the start time still matches now, it is ours */
	if (!rt_pid_is_alive(pid, start_time))
		return berth_err_sys(err, ESRCH, "process %d", (int)pid);
	return take_fd(&fd);
}

int rt_pid_signal(int pidfd, int sig, struct berth_err **err)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return berth_err_sys(err, errno, "pidfd_send_signal");
	return 0;
}

int rt_pid_wait_exit(int pidfd, int ms, struct berth_err **err)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	for (;;) {
		int r = poll(&p, 1, ms);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berth_err_sys(err, errno, "poll pidfd");
		return r > 0;
	}
}

int rt_pid_file_write(const char *path, pid_t pid, struct berth_err **err)
{
	char num[32];
	cleanup_free char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	cleanup_close int dfd = -1;

	if (slash)
		*slash = '\0';
	dfd = open(slash ? (slash == dir ? "/" : dir) : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_err_sys(err, errno, "pid file '%s': open directory", path);
	snprintf(num, sizeof(num), "%d", (int)pid);
	if (fs_write_replace(dfd, slash ? slash + 1 : path, num, strlen(num), 0644, err) < 0)
		return berth_err_wrap(err, "pid file '%s'", path);
	return 0;
}
