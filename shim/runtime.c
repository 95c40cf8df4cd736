/*
 * shim/runtime.c - runs the OCI runtime's command line the way containerd's
 * runc shim does: `<binary> --root R --log <bundle>/log.json --log-format json
 * <verb> ...`, and turns a failure into an error carrying the runtime's last
 * "level":"error" record from log.json (only records written by this run).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "shim/shim.h"

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

/* The msg of the last error record after offset 'from' in log.json, or NULL. */
static char *last_error(const char *log, off_t from)
{
	cleanup_free char *data = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	char *last = NULL;
	size_t len;

	if (fs_read_file(AT_FDCWD, log, &data, &len, &err) < 0 || (size_t)from > len)
		return NULL;
	for (char *line = data + from, *nl; line && *line; line = nl) {
		cleanup_free char *level = NULL;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		level = shim_jscan_get_string(line, "level");
		if (level && strcmp(level, "error") == 0) {
			free(last);
			last = shim_jscan_get_string(line, "msg");
		}
	}
	return last;
}

static enum berth_err_code classify(const char *msg)
{
	if (strstr(msg, "does not exist") || strstr(msg, "not found") || strstr(msg, "no such"))
		return BERTH_E_NOT_FOUND;
	if (strstr(msg, "not running") || strstr(msg, "not paused") || strstr(msg, "is paused") ||
	    strstr(msg, "is stopped") || strstr(msg, "already") || strstr(msg, "cannot "))
		return BERTH_E_PRECONDITION;
	return BERTH_E_UNKNOWN;
}

/* The forked child: stdio, then exec. Never returns. */
static void run_child(const struct shim_runtime *rt, char *const *argv, const int stdio[3],
		      int in_pipe, int out_pipe)
{
	int fds[3] = {stdio[0], stdio[1], stdio[2]};
	int null = open("/dev/null", O_RDWR);

	if (in_pipe >= 0)
		fds[0] = in_pipe;
	if (out_pipe >= 0)
		fds[1] = out_pipe;
	for (int i = 0; i < 3; i++) {
		int fd = fds[i] >= 0 ? fds[i] : null;

		if (fd == i)
			fcntl(fd, F_SETFD, 0);
		else if (dup2(fd, i) < 0)
			_exit(127);
	}
	close(null);
	/* only 0-2 cross into the runtime (and from it into the container) */
	close_range(3, ~0U, 0);
	if (rt->bundle && chdir(rt->bundle) < 0)
		_exit(127);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	_exit(127);
}

static int write_input(int fd, const char *input)
{
	ssize_t r = input ? fs_write_all(fd, input, strlen(input)) : 0;

	return r < 0 ? -1 : 0;
}

/* seconds a runtime command may take: $BERTH_SHIM_RUNTIME_TIMEOUT, default 300 */
static int runtime_timeout_ms(void)
{
	const char *env = getenv("BERTH_SHIM_RUNTIME_TIMEOUT");
	long s = env ? strtol(env, NULL, 10) : 0;

	return (int)((s > 0 && s < 86400 ? s : 300) * 1000);
}

/*
 * Waits for the runtime, killing it after the timeout: the shim is single-threaded, so
 * a hung runtime would otherwise stop every other call (the container it may have
 * started is not killed; Delete cleans it up).
 */
static int wait_bounded(pid_t pid, int *status, const char *binary, const char *verb,
			struct berth_err **err)
{
	cleanup_close int pfd = pidfd_open(pid, 0);
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	bool killed = false;

	if (pfd >= 0 && poll(&p, 1, runtime_timeout_ms()) == 0) {
		kill(pid, SIGKILL);
		killed = true;
	}
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return berth_err_sys(err, errno, "wait for %s %s", binary, verb);
	}
	if (killed)
		return berth_err_new(err, BERTH_E_TIMEOUT, "%s %s: no answer after %d s: killed",
				     binary, verb, runtime_timeout_ms() / 1000);
	return 0;
}

static char *read_output(int fd)
{
	char *buf = NULL;
	size_t len = 0;
	int deadline = runtime_timeout_ms();

	for (;;) {
		char chunk[4096];
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, deadline) == 0)
			break; /* wait_bounded kills it */
		n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf = xrealloc(buf, len + (size_t)n + 1);
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
	}
	if (!buf)
		buf = xstrdup("");
	buf[len] = '\0';
	return buf;
}

int shim_runtime_run(const struct shim_runtime *rt, const char *const *args,
		     struct shim_run_opts *o, struct berth_err **err)
{
	cleanup(strv_freep) char **argv = NULL;
	cleanup_free char *out = NULL;
	int inp[2] = {-1, -1}, outp[2] = {-1, -1};
	off_t log_from = rt->log ? file_size(rt->log) : 0;
	int status;
	pid_t pid;

	strv_push(&argv, rt->binary);
	if (rt->root) {
		strv_push(&argv, "--root");
		strv_push(&argv, rt->root);
	}
	if (rt->log) {
		strv_push(&argv, "--log");
		strv_push(&argv, rt->log);
		strv_push(&argv, "--log-format");
		strv_push(&argv, "json");
	}
	for (size_t i = 0; args[i]; i++)
		strv_push(&argv, args[i]);

	if ((o->input && pipe2(inp, O_CLOEXEC) < 0) || (o->output && pipe2(outp, O_CLOEXEC) < 0))
		return berth_err_sys(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		int e = errno;

		for (int i = 0; i < 2; i++) {
			if (inp[i] >= 0)
				close(inp[i]);
			if (outp[i] >= 0)
				close(outp[i]);
		}
		return berth_err_sys(err, e, "fork");
	}
	if (pid == 0)
		run_child(rt, argv, o->stdio, inp[0], outp[1]);
	if (inp[0] >= 0) {
		close(inp[0]);
		write_input(inp[1], o->input); /* EPIPE if it did not read: the exit says why */
		close(inp[1]);
	}
	if (outp[1] >= 0) {
		close(outp[1]);
		out = read_output(outp[0]);
		close(outp[0]);
	}
	if (wait_bounded(pid, &status, rt->binary, args[0], err) < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		cleanup_free char *msg = rt->log ? last_error(rt->log, log_from) : NULL;

		if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !msg)
			return berth_err_new(err, BERTH_E_NOT_FOUND,
					     "%s %s: cannot run runtime '%s'", rt->binary, args[0],
					     rt->binary);
		if (msg)
			return berth_err_new(err, classify(msg), "%s %s: %s", rt->binary, args[0],
					     msg);
		if (WIFSIGNALED(status))
			return berth_err_new(err, BERTH_E_UNKNOWN, "%s %s: killed by signal %d",
					     rt->binary, args[0], WTERMSIG(status));
		return berth_err_new(err, BERTH_E_UNKNOWN, "%s %s: exit status %d", rt->binary,
				     args[0], WEXITSTATUS(status));
	}
	if (o->output)
		*o->output = take_ptr(out);
	return 0;
}
