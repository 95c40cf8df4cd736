/* shim/logger.c - see logger.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "shim/logger.h"

#define SCHEME "binary:"
/* after SIGTERM, how long a logger may take to exit before SIGKILL */
#define LOGGER_TERM_MS 2000

struct shim_logger {
	char *uri;
	pid_t pid;
	int pidfd; /* -1 if pidfd_open failed: free then kills at once */
	bool running;
};

/* The pipes between the shim and a starting logger: [0] read end, [1] write end. */
struct spawn {
	int out[2], err[2], ready[2], exec[2];
};

bool shim_logger_is_uri(const char *uri)
{
	return uri && strncasecmp(uri, SCHEME, strlen(SCHEME)) == 0;
}

int shim_logger_timeout_ms(void)
{
	const char *env = getenv("BERTH_SHIM_LOGGER_TIMEOUT");
	long s = env ? strtol(env, NULL, 10) : 0;

	return (int)((s > 0 && s < 3600 ? s : 10) * 1000);
}

/* Percent-decodes s[0..len), '+' as a space if plus (a query); NULL on a bad or NUL escape. */
static char *unescape(const char *s, size_t len, bool plus)
{
	cleanup_free char *out = xmalloc(len + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+' && plus) {
			out[n++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (i + 2 >= len)
			return NULL;
		hi = hex_digit(s[i + 1]);
		lo = hex_digit(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return NULL;
		out[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[n] = '\0';
	return take_ptr(out);
}

/* Appends "key value" for each query pair whose key is new (Go's Values.Get: first value). */
static int add_query(char ***argv, const char *q, size_t len, const char *uri,
		     struct berth_err **err)
{
	while (len > 0) {
		size_t plen = strcspn(q, "&");
		const char *eq;
		cleanup_free char *key = NULL;
		cleanup_free char *val = NULL;
		bool seen = false;

		if (plen > len)
			plen = len;
		eq = memchr(q, '=', plen);
		if (memchr(q, ';', plen))
			return berth_err_new(err, BERTH_E_INVALID,
					     "log URI '%s': query: ';' is not a separator, use '&'",
					     uri);
		key = unescape(q, eq ? (size_t)(eq - q) : plen, true);
		val = eq ? unescape(eq + 1, plen - (size_t)(eq + 1 - q), true) : xstrdup("");
		if (!key || !val)
			return berth_err_new(err, BERTH_E_INVALID,
					     "log URI '%s': query: bad %%-escape in '%.*s'", uri,
					     (int)plen, q);
		for (size_t i = 1; plen && (*argv)[i]; i += 2)
			seen = seen || strcmp((*argv)[i], key) == 0;
		if (plen && !seen) {
			strv_push_take(argv, take_ptr(key));
			strv_push_take(argv, take_ptr(val));
		}
		q += plen;
		len -= plen;
		if (len > 0) {
			q++;
			len--;
		}
	}
	return 0;
}

int shim_logger_parse_uri(const char *uri, char **path, char ***argv, struct berth_err **err)
{
	cleanup(strv_freep) char **args = NULL;
	cleanup_free char *bin = NULL;
	const char *p = uri + strlen(SCHEME), *end;
	size_t plen;

	if (!shim_logger_is_uri(uri))
		return berth_err_new(err, BERTH_E_INVALID, "log URI '%s': not a binary:// URI",
				     uri);
	end = p + strcspn(p, "#");
	if (strncmp(p, "//", 2) == 0) {
		size_t hlen = strcspn(p + 2, "/?#");

		if (hlen)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"log URI '%s': host '%.*s' given: the logger needs an absolute path (binary:///path/to/logger)",
				uri, (int)hlen, p + 2);
		p += 2;
	}
	plen = strcspn(p, "?#");
	if (plen == 0)
		return berth_err_new(err, BERTH_E_INVALID, "log URI '%s': no logger path", uri);
	if (*p != '/')
		return berth_err_new(err, BERTH_E_INVALID,
				     "log URI '%s': logger path '%.*s' is relative", uri, (int)plen,
				     p);
	bin = unescape(p, plen, false);
	if (!bin)
		return berth_err_new(err, BERTH_E_INVALID,
				     "log URI '%s': bad %%-escape in the path", uri);
	strv_push(&args, bin);
	p += plen;
	if (*p == '?' && add_query(&args, p + 1, (size_t)(end - p - 1), uri, err) < 0)
		return -1;
	*path = take_ptr(bin);
	*argv = take_ptr(args);
	return 0;
}

static void spawn_close(struct spawn *s)
{
	int *fds[] = {s->out, s->err, s->ready, s->exec};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		for (int j = 0; j < 2; j++) {
			if (fds[i][j] >= 0)
				close(fds[i][j]);
			fds[i][j] = -1;
		}
	}
}

static void child_fail(int fd, int e)
{
	ssize_t n = write(fd, &e, sizeof(e));

	(void)n;
	_exit(127);
}

/*
 * The forked child: /dev/null on 0-2, the pipes on 3-5, the exec-error pipe
 * (close-on-exec) on 6, nothing else; then exec. Never returns.
 */
static void logger_child(const char *path, char *const *argv, char *const *envp,
			 const struct spawn *s)
{
	int from[5] = {s->out[0], s->err[0], s->ready[1], s->exec[1],
		       open("/dev/null", O_RDWR | O_CLOEXEC)};
	int hi[5];
	sigset_t none;

	/* above every target first, so no dup2 below overwrites a source */
	for (int i = 0; i < 5; i++) {
		hi[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 10);
		if (hi[i] < 0)
			child_fail(s->exec[1], errno);
	}
	for (int i = 0; i < 3; i++)
		if (dup2(hi[4], i) < 0 || dup2(hi[i], 3 + i) < 0)
			child_fail(hi[3], errno);
	if (dup3(hi[3], 6, O_CLOEXEC) < 0)
		child_fail(hi[3], errno);
	close_range(7, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execve(path, argv, envp);
	child_fail(6, errno);
}

static void logger_kill(struct shim_logger *l)
{
	kill(l->pid, SIGKILL);
	while (waitpid(l->pid, NULL, 0) < 0 && errno == EINTR)
		;
	l->running = false;
}

/* Waits until the logger closes (or writes to) fd 5, at most the timeout. */
static int wait_ready(struct shim_logger *l, int fd, struct berth_err **err)
{
	int timeout = shim_logger_timeout_ms();
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;
	int n;

	do
		n = poll(&p, 1, timeout);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_err_sys(err, errno, "logger '%s': wait for it to be ready", l->uri);
	if (n == 0)
		return berth_err_new(
			err, BERTH_E_TIMEOUT,
			"logger '%s': not ready after %d s (a logger closes fd 5 when it is ready)",
			l->uri, timeout / 1000);
	/* EOF (closed, or the logger died: containerd reads both as ready) or a byte */
	if (read(fd, &c, 1) < 0 && errno != EAGAIN)
		return berth_err_sys(err, errno, "logger '%s': read its ready pipe", l->uri);
	return 0;
}

/* Forks and execs the logger; returns after exec succeeded, or with the exec error. */
static int logger_spawn(struct shim_logger *l, const char *path, char *const *argv,
			char *const *envp, struct spawn *s, struct berth_err **err)
{
	int e = 0;
	ssize_t n;

	l->pid = fork();
	if (l->pid < 0)
		return berth_err_sys(err, errno, "logger '%s': fork", l->uri);
	if (l->pid == 0)
		logger_child(path, argv, envp, s);
	l->running = true;
	l->pidfd = pidfd_open(l->pid, 0);
	close(s->exec[1]);
	close(s->out[0]);
	close(s->err[0]);
	close(s->ready[1]);
	s->exec[1] = s->out[0] = s->err[0] = s->ready[1] = -1;
	do
		n = read(s->exec[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		logger_kill(l);
		return berth_err_sys(err, e, "logger '%s': exec '%s'", l->uri, path);
	}
	return 0;
}

struct shim_logger *shim_logger_start(const char *uri, const char *id, const char *ns, int *out,
				      int *errw, struct berth_err **err)
{
	cleanup(strv_freep) char **argv = NULL;
	cleanup(strv_freep) char **envp = NULL;
	cleanup_free char *path = NULL;
	struct spawn s = {{-1, -1}, {-1, -1}, {-1, -1}, {-1, -1}};
	struct shim_logger *l;

	if (shim_logger_parse_uri(uri, &path, &argv, err) < 0)
		return NULL;
	if (pipe2(s.out, O_CLOEXEC) < 0 || pipe2(s.err, O_CLOEXEC) < 0 ||
	    pipe2(s.ready, O_CLOEXEC) < 0 || pipe2(s.exec, O_CLOEXEC) < 0) {
		berth_err_sys(err, errno, "logger '%s': pipe", uri);
		spawn_close(&s);
		return NULL;
	}
	/* exactly what containerd's shim passes (pkg/process/io_util.go NewBinaryCmd) */
	strv_push_take(&envp, xasprintf("CONTAINER_ID=%s", id));
	strv_push_take(&envp, xasprintf("CONTAINER_NAMESPACE=%s", ns));
	l = xnew(struct shim_logger);
	l->uri = xstrdup(uri);
	l->pidfd = -1;
	if (logger_spawn(l, path, argv, envp, &s, err) < 0 || wait_ready(l, s.ready[0], err) < 0) {
		if (l->running)
			logger_kill(l);
		spawn_close(&s);
		shim_logger_free(l);
		return NULL;
	}
	fcntl(s.out[1], F_SETFL, O_WRONLY | O_NONBLOCK);
	fcntl(s.err[1], F_SETFL, O_WRONLY | O_NONBLOCK);
	*out = take_fd(&s.out[1]);
	*errw = take_fd(&s.err[1]);
	spawn_close(&s);
	log_debug("logger '%s' (pid %d) is ready", uri, l->pid);
	return l;
}

const char *shim_logger_uri(const struct shim_logger *l)
{
	return l->uri;
}

bool shim_logger_reaped(struct shim_logger *l, pid_t pid, int status)
{
	if (!l->running || l->pid != pid)
		return false;
	l->running = false;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warn("logger '%s' (pid %d) exited with status %d", l->uri, pid,
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM)
		log_warn("logger '%s' (pid %d) killed by signal %d", l->uri, pid, WTERMSIG(status));
	return true;
}

bool shim_logger_is_running(const struct shim_logger *l)
{
	return l->running;
}

void shim_logger_terminate(struct shim_logger *l)
{
	if (l->running)
		kill(l->pid, SIGTERM);
}

void shim_logger_free(struct shim_logger *l)
{
	if (!l)
		return;
	if (l->running) {
		struct pollfd p = {.fd = l->pidfd, .events = POLLIN};
		int n = -1;

		kill(l->pid, SIGTERM);
		do
			n = l->pidfd >= 0 ? poll(&p, 1, LOGGER_TERM_MS) : 0;
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			log_warn("logger '%s' (pid %d) did not exit on SIGTERM: killing it", l->uri,
				 l->pid);
		logger_kill(l);
	}
	if (l->pidfd >= 0)
		close(l->pidfd);
	free(l->uri);
	free(l);
}
