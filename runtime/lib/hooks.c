/* runtime/lib/hooks.c - see hooks.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/hooks.h"

#define HOOK_OUTPUT_MAX 4096

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static _Noreturn void hook_child(const struct oci_hook *h, int in_fd, int out_fd)
{
	char *argv0[] = {h->path, NULL};
	sigset_t none;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(126);
	/* no env: the caller's environment, as runc and crun give every hook kind */
	execve(h->path, h->args ? h->args : argv0, h->env ? h->env : environ);
	dprintf(2, "exec '%s': %s", h->path, strerror(errno));
	_exit(127);
}

struct hook_io {
	const char *in;
	size_t in_len, in_off;
	char out[HOOK_OUTPUT_MAX + 1];
	size_t out_len;
};

/* Feeds stdin, drains output, until the hook exits or the deadline passes.
 * Returns 1 when it exited, 0 on timeout. */
static int hook_pump(int pidfd, int *in_w, int *out_r, struct hook_io *io, int64_t deadline,
		     struct berth_err **err)
{
	for (;;) {
		struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN},
				      {.fd = *out_r, .events = POLLIN},
				      {.fd = *in_w, .events = POLLOUT}};
		int ms = deadline ? (int)(deadline - now_ms()) : -1;
		int r;

		if (deadline && ms <= 0)
			return 0;
		r = poll(p, 3, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berth_err_sys(err, errno, "poll");
		if (r == 0)
			return 0;
		if (p[2].revents) {
			ssize_t w = write(*in_w, io->in + io->in_off, io->in_len - io->in_off);

			if (w > 0)
				io->in_off += (size_t)w;
			if (w < 0 || io->in_off == io->in_len)
				closep(in_w);
		}
		if (p[1].revents) {
			char buf[1024];
			ssize_t n = read(*out_r, buf, sizeof(buf));

			if (n <= 0) {
				closep(out_r);
			} else {
				size_t k = (size_t)n;

				if (k > HOOK_OUTPUT_MAX - io->out_len)
					k = HOOK_OUTPUT_MAX - io->out_len;
				memcpy(io->out + io->out_len, buf, k);
				io->out_len += k;
			}
		}
		/* exited: output may still sit in the pipe; take it once the pipe is drained */
		if (p[0].revents && *out_r < 0)
			return 1;
		if (p[0].revents && !(p[1].revents & POLLIN))
			return 1;
	}
}

static int run_one(const struct oci_hook *h, const char *state_json, struct berth_err **err)
{
	int in[2], out[2];
	cleanup_close int in_r = -1, in_w = -1, out_r = -1, out_w = -1, pidfd = -1;
	struct hook_io io = {.in = state_json, .in_len = strlen(state_json)};
	int64_t deadline = h->has_timeout ? now_ms() + (int64_t)h->timeout * 1000 : 0;
	int status, r;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	in_r = in[0];
	in_w = in[1];
	if (pipe2(out, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	out_r = out[0];
	out_w = out[1];
	pid = fork();
	if (pid < 0)
		return berth_err_sys(err, errno, "fork");
	if (pid == 0)
		hook_child(h, in_r, out_w);
	closep(&in_r);
	closep(&out_w);
	fcntl(in_w, F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int e = errno;

		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return berth_err_sys(err, e, "pidfd_open");
	}
	r = hook_pump(pidfd, &in_w, &out_r, &io, deadline, err);
	if (r <= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (r == 0)
		return berth_err_new(err, BERTH_E_TIMEOUT, "hook '%s' timed out after %d s",
				     h->path, h->timeout);
	while (io.out_len && (io.out[io.out_len - 1] == '\n' || io.out[io.out_len - 1] == ' '))
		io.out_len--;
	io.out[io.out_len] = '\0';
	if (WIFSIGNALED(status))
		return berth_err_new(err, BERTH_E_INTERNAL, "killed by signal %d%s%s",
				     WTERMSIG(status), io.out_len ? ": " : "", io.out);
	if (WEXITSTATUS(status) != 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "exited with status %d%s%s",
				     WEXITSTATUS(status), io.out_len ? ": " : "", io.out);
	return 0;
}

int rt_hooks_run_one(const struct oci_hook *hook, const char *phase, size_t idx,
		     const char *state_json, struct berth_err **err)
{
	/* a hook that exits without reading its stdin must not SIGPIPE us */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	int ret = 0;

	sigaction(SIGPIPE, &ign, &old);
	if (run_one(hook, state_json ?: "", err) < 0)
		ret = berth_err_wrap(err, "hooks.%s[%zu] '%s'", phase, idx, hook->path);
	sigaction(SIGPIPE, &old, NULL);
	return ret;
}

int rt_hooks_run(const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json,
		 struct berth_err **err)
{
	for (size_t i = 0; i < n; i++) {
		if (rt_hooks_run_one(&hooks[i], phase, i, state_json, err) < 0)
			return -1;
	}
	return 0;
}
