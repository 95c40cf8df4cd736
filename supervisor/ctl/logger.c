/*
 * supervisor/ctl/logger.c - where a berthctl container's output goes once berthctl is
 * gone: berthctl itself, started by the shim as the container's `binary://` logger
 * (containerd's logging contract, shim/logger.h: fds 3 = stdout, 4 = stderr, close 5 when
 * ready), appends each line to the container's log file in the CRI k8s-file format
 *
 *   <RFC 3339 nano time> <stdout|stderr> <F|P> <content>\n     (P: a partial line)
 *
 * so `berthctl logs` can give the streams back separately, with times (-t). The logger is
 * the shim's child: it survives berthctl exiting and ends when the container's output
 * ends. The log file is $BERTHCTL_ROOT/logs/<namespace>/<id>.log (default root
 * /var/lib/berthctl: berthctl's only client-side state), next to <id>.stdin, the stdin
 * FIFO of a container run with -d -i, which attach writes into; rm removes both.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define LINE_MAX_LEN (16 * 1024) /* longer lines are cut into P records, as CRI does */

char *ctl_log_path(const char *ns, const char *id)
{
	const char *root = getenv("BERTHCTL_ROOT");

	return xasprintf("%s/logs/%s/%s.log", root && *root ? root : CTL_DEFAULT_ROOT, ns, id);
}

static bool isalnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

char *ctl_stdin_path(const char *ns, const char *id)
{
	cleanup_free char *log = ctl_log_path(ns, id);

	return xasprintf("%.*s.stdin", (int)(strlen(log) - 4), log);
}

static void uri_escape(char **p, const char *s)
{
	for (; *s; s++)
		*p += sprintf(*p, strchr("/-._~", *s) || isalnum_ascii(*s) ? "%c" : "%%%02X",
			      (unsigned char)*s);
}

/* binary:///abs/berthctl?__logger=<log path>[&stdin=<FIFO>] (percent-encoded) */
int ctl_log_uri(const char *ns, const char *id, const char *stdin_fifo, char **out,
		struct berth_err **err)
{
	cleanup_free char *path = ctl_log_path(ns, id), *dir = NULL, *exe = NULL;
	char buf[4096], *slash, *u, *p;
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n < 0)
		return berth_err_sys(err, errno, "readlink '/proc/self/exe'");
	buf[n] = '\0';
	exe = xstrdup(buf);
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (fs_mkdir_p(dir, 0700, err) < 0)
		return berth_err_wrap(err, "log directory");
	u = p = xmalloc(3 * (strlen(exe) + strlen(path) + (stdin_fifo ? strlen(stdin_fifo) : 0)) +
			64);
	p += sprintf(p, "binary://");
	uri_escape(&p, exe);
	p += sprintf(p, "?__logger=");
	uri_escape(&p, path);
	if (stdin_fifo) {
		p += sprintf(p, "&stdin=");
		uri_escape(&p, stdin_fifo);
	}
	*out = u;
	return 0;
}

struct stream {
	int fd;
	const char *name;
	char buf[LINE_MAX_LEN];
	size_t len;
};

static void emit(int out, const char *name, bool partial, const char *s, size_t n)
{
	char t[48];
	cleanup_free char *head = NULL;

	log_time_rfc3339(t, sizeof(t));
	head = xasprintf("%s %s %c ", t, name, partial ? 'P' : 'F');
	/* one write per record: `logs -f` never sees half a header */
	{
		size_t hl = strlen(head);
		cleanup_free char *rec = xmalloc(hl + n + 1);

		memcpy(rec, head, hl);
		memcpy(rec + hl, s, n);
		rec[hl + n] = '\n';
		fs_write_all(out, rec, hl + n + 1);
	}
}

/* Emits every complete line of s; keeps the rest (a full buffer goes out as P). */
static void drain(int out, struct stream *s, bool eof)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(s->buf + start, '\n', s->len - start))) {
		emit(out, s->name, false, s->buf + start, (size_t)(nl - s->buf - start));
		start = (size_t)(nl - s->buf) + 1;
	}
	if (start < s->len && (eof || (start == 0 && s->len == sizeof(s->buf)))) {
		emit(out, s->name, true, s->buf + start, s->len - start);
		start = s->len;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
}

int ctl_logger_main(const char *path, const char *stdin_fifo)
{
	static struct stream st[2] = {{.fd = 3, .name = "stdout"}, {.fd = 4, .name = "stderr"}};
	int out = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	int open_fds = 2;

	/* the shim SIGTERMs a logger that outlives it: what was read is already written */
	signal(SIGPIPE, SIG_IGN);
	if (out < 0) {
		fprintf(stderr, "berthctl logger: open '%s': %s\n", path, strerror(errno));
		return 1;
	}
	/* run -d -i: hold the container's stdin FIFO open (read and write, so the open never
	 * waits, and never reading) while the container lives: the shim's reader then sees
	 * no EOF between attaches, which write into it (cmd_logs.c) */
	if (stdin_fifo && open(stdin_fifo, O_RDWR | O_CLOEXEC) < 0)
		fprintf(stderr, "berthctl logger: open '%s': %s\n", stdin_fifo, strerror(errno));
	close(5); /* ready */
	while (open_fds > 0) {
		struct pollfd p[2] = {{.fd = st[0].fd, .events = POLLIN},
				      {.fd = st[1].fd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (st[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(st[i].fd, st[i].buf + st[i].len, sizeof(st[i].buf) - st[i].len);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				drain(out, &st[i], true);
				close(st[i].fd);
				st[i].fd = -1;
				open_fds--;
				continue;
			}
			st[i].len += (size_t)n;
			drain(out, &st[i], false);
		}
	}
	return close(out) < 0 ? 1 : 0;
}
