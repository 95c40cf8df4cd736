/* common/log.c - see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"

static const char *log_prog = "berth";
static int log_fd = -1;
static enum log_format log_fmt = LOG_FORMAT_TEXT;
static enum log_level log_lvl = LOG_LEVEL_WARN;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_init(const char *prog)
{
	log_prog = prog;
}

void log_set_fd(int fd)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
}

void log_set_format(enum log_format fmt)
{
	log_fmt = fmt;
}

void log_set_level(enum log_level lvl)
{
	log_lvl = lvl;
}

enum log_level log_get_level(void)
{
	return log_lvl;
}

void log_time_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", sec, ts.tv_nsec);
}

size_t log_json_escape(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);
	size_t start = n;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char tmp[8];
		const char *rep = NULL;

		switch (c) {
		case '"':
			rep = "\\\"";
			break;
		case '\\':
			rep = "\\\\";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\t':
			rep = "\\t";
			break;
		default:
			if (c < 0x20) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", c);
				rep = tmp;
			}
		}
		if (rep) {
			size_t rl = strlen(rep);
			if (n + rl < len)
				memcpy(buf + n, rep, rl);
			n += rl;
		} else {
			if (n + 1 < len)
				buf[n] = (char)c;
			n++;
		}
	}
	buf[n < len ? n : len - 1] = '\0';
	return n - start;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	cleanup_free char *line = NULL;
	int fd = log_fd >= 0 ? log_fd : STDERR_FILENO;
	va_list ap;

	if (lvl > log_lvl)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);

	if (log_fmt == LOG_FORMAT_JSON) {
		char t[64];
		size_t cap = strlen(msg) * 6 + 1;
		cleanup_free char *esc = xzalloc(cap);

		log_time_rfc3339(t, sizeof(t));
		log_json_escape(esc, cap, msg);
		line = xasprintf("{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
				 level_names[lvl], esc, t);
	} else if (log_fd >= 0) {
		char t[64];

		log_time_rfc3339(t, sizeof(t));
		line = xasprintf("%s %s: %s\n", t, level_names[lvl], msg);
	} else if (lvl == LOG_LEVEL_ERROR) {
		line = xasprintf("%s: %s\n", log_prog, msg);
	} else {
		line = xasprintf("%s: %s: %s\n", log_prog, level_names[lvl], msg);
	}
	write_all(fd, line, strlen(line));

	/* errors also reach stderr when the log goes to a file (conmon reads stderr) */
	if (lvl == LOG_LEVEL_ERROR && fd != STDERR_FILENO) {
		cleanup_free char *e = xasprintf("%s: %s\n", log_prog, msg);
		write_all(STDERR_FILENO, e, strlen(e));
	}
}
