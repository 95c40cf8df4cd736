/*
 * supervisor/tasks/spawn.c - running a shim binary as containerd 1.6 does
 * (runtime/v2/shim/util.go Command): cwd = bundle, TTRPC_ADDRESS in the environment, the
 * options Any on stdin, its own process group. berthd is multi-threaded (gRPC), so the
 * child is made with posix_spawn (no code of ours runs between fork and exec). berthd
 * blocks SIGTERM/SIGINT in every thread and ignores SIGPIPE; the shim must not inherit that,
 * so the mask is emptied and every signal is reset to its default.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/tasks/tasks_internal.h"

extern char **environ;

/* How long `start`/`delete` may take before the shim is killed. */
#define SHIM_RUN_TIMEOUT_MS 60000
#define SHIM_OUTPUT_MAX (1u << 20)

static char **shim_env(const struct tasks_shim_cmd *c)
{
	char **env = NULL;

	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "TTRPC_ADDRESS=", 14) != 0 &&
		    (!c->socket_dir || strncmp(*e, "BERTH_SHIM_SOCKET_DIR=", 22) != 0))
			strv_push(&env, *e);
	strv_push_take(&env, xasprintf("TTRPC_ADDRESS=%s", c->ttrpc_address));
	/* berth's shim puts its socket there (shim/paths.c); other shims ignore it */
	if (c->socket_dir)
		strv_push_take(&env, xasprintf("BERTH_SHIM_SOCKET_DIR=%s", c->socket_dir));
	return env;
}

static char **shim_argv(const struct tasks_shim_cmd *c, const char *action)
{
	char **argv = NULL;

	strv_push(&argv, c->binary);
	strv_push(&argv, "-namespace");
	strv_push(&argv, c->ns);
	strv_push(&argv, "-address");
	strv_push(&argv, c->address);
	strv_push(&argv, "-publish-binary");
	strv_push(&argv, c->publish_binary);
	strv_push(&argv, "-id");
	strv_push(&argv, c->id);
	if (strcmp(action, "delete") == 0) {
		strv_push(&argv, "-bundle");
		strv_push(&argv, c->bundle);
	}
	strv_push(&argv, action);
	return argv;
}

static int spawn_attrs(posix_spawnattr_t *attr, struct berth_err **err)
{
	sigset_t none, defaults;

	sigemptyset(&none);
	sigfillset(&defaults);
	if (posix_spawnattr_init(attr) != 0 ||
	    posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						   POSIX_SPAWN_SETSIGDEF) != 0 ||
	    posix_spawnattr_setpgroup(attr, 0) != 0 ||
	    posix_spawnattr_setsigmask(attr, &none) != 0 ||
	    posix_spawnattr_setsigdefault(attr, &defaults) != 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "posix_spawnattr");
	return 0;
}

static int spawn_actions(posix_spawn_file_actions_t *fa, const char *cwd, int in, int out,
			 bool combined, struct berth_err **err)
{
	int r = posix_spawn_file_actions_init(fa);

	if (!r)
		r = posix_spawn_file_actions_addchdir_np(fa, cwd);
	if (!r)
		r = posix_spawn_file_actions_adddup2(fa, in, STDIN_FILENO);
	if (!r)
		r = posix_spawn_file_actions_adddup2(fa, out, STDOUT_FILENO);
	if (!r && combined)
		r = posix_spawn_file_actions_adddup2(fa, out, STDERR_FILENO);
	if (r)
		return berth_err_sys(err, r, "posix_spawn_file_actions");
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd to EOF (or the deadline) into a NUL-terminated buffer. */
static int read_output(int fd, char **out, size_t *out_len, struct berth_err **err)
{
	cleanup_free char *buf = xmalloc(4097);
	size_t len = 0, cap = 4096;
	int64_t deadline = now_ms() + SHIM_RUN_TIMEOUT_MS;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			return berth_err_new(err, BERTH_E_TIMEOUT, "no answer after %d s",
					     SHIM_RUN_TIMEOUT_MS / 1000);
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return berth_err_sys(err, errno, "poll");
		if (len == cap) {
			if (cap >= SHIM_OUTPUT_MAX)
				return berth_err_new(err, BERTH_E_RESOURCE, "too much output");
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return berth_err_sys(err, errno, "read");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = take_ptr(buf);
	*out_len = len;
	return 0;
}

static int wait_child(pid_t pid, bool kill_it)
{
	int status = 0;

	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Writes in to a pipe and returns its read end (small payloads: they fit in the pipe). */
static int stdin_pipe(const uint8_t *in, size_t len, struct berth_err **err)
{
	int p[2];

	if (!in || !len) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		return fd < 0 ? berth_err_sys(err, errno, "open '/dev/null'") : fd;
	}
	if (len > 65536)
		return berth_err_new(err, BERTH_E_INVALID, "options: %zu bytes is too large", len);
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	fcntl(p[1], F_SETPIPE_SZ, 65536);
	if (fs_write_all(p[1], in, len) < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return berth_err_sys(err, e, "write the options");
	}
	close(p[1]);
	return p[0];
}

int tasks_shim_run(const struct tasks_shim_cmd *c, const char *action, const uint8_t *in,
		   size_t in_len, char **out, size_t *out_len, struct berth_err **err)
{
	cleanup(strv_freep) char **argv = shim_argv(c, action);
	cleanup(strv_freep) char **env = shim_env(c);
	cleanup_close int in_fd = -1, rd = -1, wr = -1;
	cleanup_free char *output = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	size_t len = 0;
	pid_t pid;
	int p[2], r, status;
	bool combined = strcmp(action, "start") == 0;

	in_fd = stdin_pipe(in, in_len, err);
	if (in_fd < 0)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	rd = p[0];
	wr = p[1];
	if (spawn_attrs(&attr, err) < 0)
		return -1;
	if (spawn_actions(&fa, c->bundle, in_fd, wr, combined, err) < 0) {
		posix_spawnattr_destroy(&attr);
		return -1;
	}
	r = posix_spawn(&pid, c->binary, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r)
		return berth_err_sys(err, r, "run '%s %s'", c->binary, action);
	close(take_fd(&wr));
	close(take_fd(&in_fd));
	if (read_output(rd, &output, &len, err) < 0) {
		wait_child(pid, true);
		return berth_err_wrap(err, "'%s %s'", c->binary, action);
	}
	status = wait_child(pid, false);
	if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* containerd shows the output: the shim's own error message */
		while (len && (output[len - 1] == '\n' || output[len - 1] == ' '))
			output[--len] = '\0';
		return berth_err_new(
			err, BERTH_E_INTERNAL, "'%s %s' failed (status %d): %s", c->binary, action,
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output);
	}
	*out = take_ptr(output);
	*out_len = len;
	return 0;
}

static bool is_exec(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* containerd's BinaryName (shim/util.go): io.containerd.<name>.<ver> ->
 * containerd-shim-<name>-<ver> */
static char *binary_name(const char *runtime)
{
	cleanup(strv_freep) char **parts = strv_split(runtime, ".");
	size_t n = strv_len(parts);

	if (n < 2 || !*parts[n - 2] || !*parts[n - 1])
		return NULL;
	return xasprintf("containerd-shim-%s-%s", parts[n - 2], parts[n - 1]);
}

char *tasks_shim_binary(const char *runtime, const char *dir, struct berth_err **err)
{
	cleanup_free char *name = NULL;
	cleanup(strv_freep) char **path = NULL;
	const char *env = getenv("PATH");

	if (!runtime || !*runtime)
		return berth_err_new(err, BERTH_E_INVALID, "runtime: no name"), NULL;
	if (runtime[0] == '/') {
		if (!is_exec(runtime))
			return berth_err_new(err, BERTH_E_NOT_FOUND,
					     "runtime '%s': not an executable file", runtime),
			       NULL;
		return xstrdup(runtime);
	}
	name = binary_name(runtime);
	if (!name)
		return berth_err_new(
			       err, BERTH_E_INVALID,
			       "invalid runtime name '%s': want io.containerd.<name>.<version> or an absolute path",
			       runtime),
		       NULL;
	path = strv_split(env ? env : "/usr/local/bin:/usr/bin:/bin", ":");
	if (dir)
		strv_push(&path, dir);
	for (char **p = path; p && *p; p++) {
		cleanup_free char *cand = NULL;

		if (**p != '/')
			continue;
		cand = xasprintf("%s/%s", *p, name);
		if (is_exec(cand))
			return take_ptr(cand);
	}
	return berth_err_new(err, BERTH_E_NOT_FOUND, "runtime '%s': binary '%s' not installed",
			     runtime, name),
	       NULL;
}
