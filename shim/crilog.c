/*
 * shim/crilog.c - container output as CRI "k8s-file" log lines:
 *   <RFC3339Nano> <stdout|stderr> <F|P> <content>\n
 * F ends a line; P marks a piece of a line longer than CRILOG_MAX_LINE, whose
 * rest follows in the next records. Each record is one write() to an O_APPEND
 * fd, so stdout and stderr records never interleave inside a line.
 */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "shim/stdio.h"

#define CRILOG_MAX_LINE (16 * 1024)

struct shim_crilog {
	int fd;
	const char *stream;
	char *pending; /* the start of a line not yet ended */
	size_t len;
};

char *shim_crilog_format(const char *ts, const char *stream, bool partial, const char *line,
			 size_t len)
{
	return xasprintf("%s %s %c %.*s\n", ts, stream, partial ? 'P' : 'F', (int)len, line);
}

static void emit(struct shim_crilog *l, bool partial, const char *line, size_t len)
{
	char ts[48];
	cleanup_free char *rec = NULL;

	log_time_rfc3339(ts, sizeof(ts));
	rec = shim_crilog_format(ts, l->stream, partial, line, len);
	if (fs_write_all(l->fd, rec, strlen(rec)) < 0)
		log_warn("write %s log record: %m", l->stream);
}

struct shim_crilog *shim_crilog_new(int fd, const char *stream)
{
	struct shim_crilog *l = xnew(struct shim_crilog);

	l->fd = fd;
	l->stream = stream;
	return l;
}

void shim_crilog_write(struct shim_crilog *l, const char *data, size_t len)
{
	size_t start = 0;

	l->pending = xrealloc(l->pending, l->len + len + 1);
	memcpy(l->pending + l->len, data, len);
	l->len += len;
	for (size_t i = 0; i < l->len; i++) {
		if (l->pending[i] == '\n') {
			emit(l, false, l->pending + start, i - start);
			start = i + 1;
		} else if (i + 1 - start >= CRILOG_MAX_LINE) {
			emit(l, true, l->pending + start, i + 1 - start);
			start = i + 1;
		}
	}
	memmove(l->pending, l->pending + start, l->len - start);
	l->len -= start;
}

void shim_crilog_free(struct shim_crilog *l)
{
	if (!l)
		return;
	if (l->len)
		emit(l, false, l->pending, l->len); /* the last line, without its newline */
	free(l->pending);
	free(l);
}
