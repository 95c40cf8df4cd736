/*
 * supervisor/cni/cni_exec.c - running one CNI plugin with a bound on its time.
 *
 * posix_spawn (no code of ours runs between fork and exec, berthd being multi-threaded)
 * puts the plugin in a process group of its own with default signal dispositions and an
 * empty mask; stdin, stdout and stderr are pipes served by one poll loop with a
 * deadline. At the deadline the whole group is killed (a plugin's children too) and the
 * call fails with BERTH_E_TIMEOUT.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/cni/cni.h"
#include "supervisor/cni/cni_internal.h"

extern char **environ;

#define STDERR_MAX (64 * 1024)

char *cni_plugin_find(const char *type, const char *const *bin_dirs, struct berth_err **err)
{
	for (size_t i = 0; bin_dirs && bin_dirs[i]; i++) {
		char *p = xasprintf("%s/%s", bin_dirs[i], type);

		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	berth_err_new(err, BERTH_E_NOT_FOUND, "cni: plugin '%s': not found in the bin dirs", type);
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the plugin's environment: ours without CNI_* variables, then x->env */
static char **env_build(const struct cni_exec *x)
{
	char **env = NULL;

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "CNI_", 4) != 0)
			strv_push(&env, *e);
	for (size_t i = 0; x->env && x->env[i]; i++)
		strv_push(&env, x->env[i]);
	return env;
}

struct buf {
	char *p;
	size_t len, cap, max;
	bool over;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->max) {
		b->over = true;
		n = b->max - b->len;
	}
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* reads what fd has; returns false at EOF or error */
static bool drain(int fd, struct buf *b)
{
	char tmp[8192];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	buf_add(b, tmp, (size_t)n);
	return true;
}

static int spawn(const char *path, char *const *env, int fds[3], pid_t *pid, struct berth_err **err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	char *argv[] = {(char *)path, NULL};
	int r;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++)
		posix_spawn_file_actions_adddup2(&fa, fds[i], i);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	r = posix_spawn(pid, path, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return berth_err_sys(err, r, "spawn '%s'", path);
	return 0;
}

struct io {
	int in, out, errfd;
	const char *input;
	size_t inlen, inoff;
	struct buf o, e;
};

/* serves the pipes until both outputs are at EOF; false at the deadline */
static bool io_loop(struct io *io, int64_t deadline)
{
	while (io->out >= 0 || io->errfd >= 0) {
		struct pollfd p[3] = {
			{io->in, POLLOUT, 0}, {io->out, POLLIN, 0}, {io->errfd, POLLIN, 0}};
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return false;
		if (poll(p, 3, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			return false;
		if (io->in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			/* a socket, so a plugin that exits unread cannot SIGPIPE us */
			ssize_t n = send(io->in, io->input + io->inoff, io->inlen - io->inoff,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n > 0)
				io->inoff += (size_t)n;
			if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
			    io->inoff == io->inlen) {
				close(io->in);
				io->in = -1;
			}
		}
		if (io->out >= 0 && (p[1].revents & (POLLIN | POLLERR | POLLHUP)) &&
		    (!drain(io->out, &io->o) || io->o.over)) {
			close(io->out);
			io->out = -1;
		}
		if (io->errfd >= 0 && (p[2].revents & (POLLIN | POLLERR | POLLHUP)) &&
		    !drain(io->errfd, &io->e)) {
			close(io->errfd);
			io->errfd = -1;
		}
	}
	return true;
}

/* waits for pid until the deadline; false if it is still running then */
static bool wait_until(pid_t pid, int64_t deadline, int *status)
{
	useconds_t nap = 1000;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR) {
			/* reaped by someone else (ECHILD): never report that as success */
			*status = 255 << 8;
			return true;
		}
		if (now_ms() >= deadline)
			return false;
		usleep(nap);
		if (nap < 50000)
			nap *= 2;
	}
}

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
}

char *cni_exec_error_text(const char *out, size_t outlen, const char *errout, int status)
{
	cleanup(bjson_freep) struct bjson *j = NULL;
	cleanup_free char *tail = NULL;
	struct berth_err *e = NULL;
	const char *msg, *details;
	int64_t code;

	if (out && outlen && bjson_parse(out, outlen, "error", &j, &e) == 0 &&
	    (msg = bjson_get_str(j, "msg"))) {
		details = bjson_get_str(j, "details");
		if (!bjson_get_int(j, "code", &code))
			code = 0;
		if (details && *details)
			return xasprintf("code %lld: %.4096s: %.4096s", (long long)code, msg,
					 details);
		return xasprintf("code %lld: %.4096s", (long long)code, msg);
	}
	berth_err_free(&e);
	tail = xstrdup(errout && *errout ? errout : (out ? out : ""));
	trim(tail);
	if (strlen(tail) > 4096)
		memmove(tail, tail + strlen(tail) - 4096, 4097);
	if (WIFSIGNALED(status))
		return xasprintf("killed by signal %d%s%s", WTERMSIG(status), *tail ? ": " : "",
				 tail);
	return xasprintf("exit status %d%s%s", WEXITSTATUS(status), *tail ? ": " : "", tail);
}

int cni_exec_run(const struct cni_exec *x, char **out, size_t *len, struct berth_err **err)
{
	cleanup_free char *path = cni_plugin_find(x->type, x->bin_dirs, err);
	cleanup(strv_freep) char **env = NULL;
	struct io io = {.input = x->input, .inlen = strlen(x->input)};
	int p_in[2], p_out[2], p_err[2];
	int64_t deadline;
	int status = 0, r;
	pid_t pid;

	if (!path)
		return berth_err_wrap(err, "cni: plugin '%s' %s", x->type, x->command);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p_in) < 0)
		return berth_err_sys(err, errno, "cni: socketpair");
	if (pipe2(p_out, O_CLOEXEC) < 0) {
		r = errno;
		close(p_in[0]);
		close(p_in[1]);
		return berth_err_sys(err, r, "cni: pipe");
	}
	if (pipe2(p_err, O_CLOEXEC) < 0) {
		r = errno;
		close(p_in[0]);
		close(p_in[1]);
		close(p_out[0]);
		close(p_out[1]);
		return berth_err_sys(err, r, "cni: pipe");
	}
	env = env_build(x);
	r = spawn(path, env, (int[3]){p_in[1], p_out[1], p_err[1]}, &pid, err);
	close(p_in[1]);
	close(p_out[1]);
	close(p_err[1]);
	io.in = p_in[0];
	io.out = p_out[0];
	io.errfd = p_err[0];
	if (r < 0) {
		close(io.in);
		close(io.out);
		close(io.errfd);
		return berth_err_wrap(err, "cni: plugin '%s' %s", x->type, x->command);
	}
	fcntl(io.in, F_SETFL, O_NONBLOCK);
	fcntl(io.out, F_SETFL, O_NONBLOCK);
	fcntl(io.errfd, F_SETFL, O_NONBLOCK);
	io.o.max = CNI_MAX_DOC;
	io.e.max = STDERR_MAX;
	deadline = now_ms() + x->timeout_ms;
	bool done = io_loop(&io, deadline) && wait_until(pid, deadline, &status);
	if (io.in >= 0)
		close(io.in);
	if (io.out >= 0)
		close(io.out);
	if (io.errfd >= 0)
		close(io.errfd);
	if (!done) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		free(io.o.p);
		free(io.e.p);
		return berth_err_new(err, BERTH_E_TIMEOUT,
				     "cni: plugin '%s' %s: no answer within %d ms: killed", x->type,
				     x->command, x->timeout_ms);
	}
	if (io.o.over) {
		free(io.o.p);
		free(io.e.p);
		return berth_err_new(err, BERTH_E_INVALID,
				     "cni: plugin '%s' %s: output larger than %d bytes", x->type,
				     x->command, CNI_MAX_DOC);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cleanup_free char *why = cni_exec_error_text(io.o.p, io.o.len, io.e.p, status);

		free(io.o.p);
		free(io.e.p);
		return berth_err_new(err, BERTH_E_UNKNOWN, "cni: plugin '%s' %s: %s", x->type,
				     x->command, why);
	}
	free(io.e.p);
	*out = io.o.p ? io.o.p : xstrdup("");
	*len = io.o.len;
	return 0;
}
