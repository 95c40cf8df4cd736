/*
 * supervisor/ctl/cmd_logs.c - berthctl logs [-f] [--tail N] [-t] NAME: a container's
 * output from its log file (k8s-file records written by the logger, logger.c), each
 * stream back to berthctl's stdout or stderr; -t prefixes each line with its time; -f
 * follows the file until the container's task is no longer running.
 *
 * berthctl attach NAME is the follow part: output from now on until the container exits,
 * and the container's exit status as berthctl's. For a container run with -d -i, berthctl's
 * stdin also goes to the container's (its stdin FIFO, held open by the logger, so the
 * end of one attach's input is not the container's EOF), with berthctl's terminal raw
 * when the container has one. A container run without -i has no stdin to attach.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define LOGS_USAGE "usage: berthctl logs [-f] [--tail N] [-t] NAME"

struct logs_opts {
	bool follow, timestamps;
	long tail; /* -1: all */
};

/* One record "<time> <stream> <F|P> <content>"; false if malformed (skipped). */
static bool print_record(const char *line, size_t n, bool timestamps)
{
	const char *sp1 = memchr(line, ' ', n), *sp2, *content;
	bool partial, err;
	FILE *f;

	if (!sp1)
		return false;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line));
	if (!sp2 || (size_t)(sp2 + 3 - line) > n || sp2[2] != ' ')
		return false;
	err = (size_t)(sp2 - sp1 - 1) == 6 && strncmp(sp1 + 1, "stderr", 6) == 0;
	partial = sp2[1] == 'P';
	content = sp2 + 3;
	f = err ? stderr : stdout;
	if (timestamps)
		fprintf(f, "%.*s ", (int)(sp1 - line), line);
	fwrite(content, 1, n - (size_t)(content - line), f);
	if (!partial)
		fputc('\n', f);
	return true;
}

/* Index of the first byte of the last `tail` lines of buf: F records, and the last
 * record even when partial (output that ended without a newline). */
static size_t tail_start(const char *buf, size_t len, long tail)
{
	size_t pos = len;
	long seen = 0;

	if (tail < 0)
		return 0;
	if (tail == 0)
		return len;
	while (pos > 0) {
		size_t end = pos - 1; /* the '\n' of the record ending at pos */
		size_t begin = end;
		const char *sp;

		while (begin > 0 && buf[begin - 1] != '\n')
			begin--;
		sp = memchr(buf + begin, ' ', end - begin);
		sp = sp ? memchr(sp + 1, ' ', end - (size_t)(sp + 1 - buf)) : NULL;
		if (((sp && sp + 1 < buf + end && sp[1] == 'F') || pos == len) && ++seen > tail)
			return pos;
		pos = begin;
	}
	return 0;
}

/* Prints every complete record of buf[0..len); returns the bytes consumed. */
static size_t print_records(const char *buf, size_t len, bool timestamps)
{
	size_t pos = 0;
	const char *nl;

	while (pos < len && (nl = memchr(buf + pos, '\n', len - pos))) {
		print_record(buf + pos, (size_t)(nl - buf - pos), timestamps);
		pos = (size_t)(nl - buf) + 1;
	}
	fflush(stdout);
	fflush(stderr);
	return pos;
}

static int follow(struct ctl *c, const char *id, int fd, bool timestamps, struct berth_err **err)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	char buf[65536];
	size_t have = 0;

	for (;;) {
		struct ctl_task_state st;
		bool up;
		ssize_t n;

		if (ctl_task_get(c, id, &st, err) < 0)
			return -1;
		up = ctl_task_is_up(&st) || st.status == CONTAINERD__V1__TYPES__STATUS__CREATED;
		/* read after the state: what the container wrote before it stopped is read */
		while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
			size_t used;

			have += (size_t)n;
			used = print_records(buf, have, timestamps);
			if (used == 0 && have == sizeof(buf))
				used = have; /* a record longer than the buffer: drop it */
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		if (n < 0)
			return berth_err_sys(err, errno, "read the log");
		if (!up)
			return 0;
		nanosleep(&ts, NULL);
	}
}

static int parse(int argc, char **argv, struct logs_opts *o, int *next, struct berth_err **err)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'},
		{"timestamps", no_argument, NULL, 't'},
		{"tail", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	char *end;

	optind = 0;
	opterr = 0;
	o->tail = -1;
	while ((opt = getopt_long(argc + 1, argv - 1, "+ftn:", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			o->follow = true;
			break;
		case 't':
			o->timestamps = true;
			break;
		case 'n':
			if (strcmp(optarg, "all") == 0)
				break;
			o->tail = strtol(optarg, &end, 10);
			if (!*optarg || *end || o->tail < 0)
				return berth_err_new(
					err, BERTH_E_INVALID,
					"usage: --tail: invalid value '%s': want a number or all",
					optarg);
			break;
		default:
			return berth_err_new(err, BERTH_E_INVALID, "%s", LOGS_USAGE);
		}
	}
	*next = optind - 1;
	return 0;
}

int ctl_cmd_logs(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	cleanup(ctl_container_freep) struct ctl_container *ct = NULL;
	cleanup_free char *path = NULL, *buf = NULL;
	cleanup_close int fd = -1;
	struct logs_opts o = {0};
	size_t len = 0, cap = 0, used;
	ssize_t n;
	int next = 0;

	if (parse(argc, argv, &o, &next, err) < 0)
		return -1;
	if (argc - next != 1)
		return berth_err_new(err, BERTH_E_INVALID, "%s", LOGS_USAGE);
	if (ctl_container_find(c, argv[next], &ct, err) < 0)
		return -1;
	path = ctl_log_path(c->ns, ct->id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "open '%s'", path);
	if (fd < 0)
		return 0; /* no output yet, or only ever run in the foreground */
	do {
		if (len == cap)
			buf = xrealloc(buf, cap = cap ? 2 * cap : 65536);
		n = read(fd, buf + len, cap - len);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0);
	if (n < 0)
		return berth_err_sys(err, errno, "read '%s'", path);
	used = tail_start(buf, len, o.tail);
	used += print_records(buf + used, len - used, o.timestamps);
	if (!o.follow)
		return 0;
	/* a record cut by the read goes on from where it started */
	if (lseek(fd, (off_t)used, SEEK_SET) < 0)
		return berth_err_sys(err, errno, "seek '%s'", path);
	return follow(c, ct->id, fd, o.timestamps, err);
}

static void *stdin_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[16384];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && fs_write_all(fd, buf, (size_t)n) < 0)
			break;
	close(fd);
	return NULL;
}

/* Copies stdin into the container's stdin FIFO (detached: it may block on a terminal). */
static int attach_stdin(struct ctl *c, const struct ctl_container *ct, bool *raw,
			struct termios *saved, struct berth_err **err)
{
	cleanup_free char *in = ctl_stdin_path(c->ns, ct->id);
	struct termios t;
	pthread_t th;
	int fd, r;

	fd = open(in, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : berth_err_sys(err, errno, "open '%s'", in);
	fcntl(fd, F_SETFL, 0);
	if (ct->spec && ctl_spec_is_terminal(ct->spec, ct->spec_len) && isatty(STDIN_FILENO) &&
	    tcgetattr(STDIN_FILENO, saved) == 0) {
		t = *saved;
		cfmakeraw(&t);
		t.c_oflag |= OPOST;
		*raw = tcsetattr(STDIN_FILENO, TCSADRAIN, &t) == 0;
	}
	r = pthread_create(&th, NULL, stdin_main, (void *)(intptr_t)fd);
	if (r != 0) {
		close(fd);
		return berth_err_sys(err, r, "start the stdin copier");
	}
	pthread_detach(th);
	return 0;
}

int ctl_cmd_attach(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	struct termios saved;
	bool raw = false;
	int r;
	cleanup(ctl_container_freep) struct ctl_container *ct = NULL;
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	struct ctl_task_state st;
	uint32_t status = 0;

	if (argc != 1 || argv[0][0] == '-')
		return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl attach NAME");
	if (ctl_container_find(c, argv[0], &ct, err) < 0 || ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (!ctl_task_is_up(&st))
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "container '%s' is not running: cannot attach", argv[0]);
	path = ctl_log_path(c->ns, ct->id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s' (was the container run with -d?)",
				     path);
	if (lseek(fd, 0, SEEK_END) < 0)
		return berth_err_sys(err, errno, "seek '%s'", path);
	if (attach_stdin(c, ct, &raw, &saved, err) < 0)
		return -1;
	r = follow(c, ct->id, fd, false, err);
	if (r == 0)
		r = ctl_task_wait(c, ct->id, NULL, &status, err);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved);
	if (r < 0)
		return -1;
	c->status = (int)status;
	return 0;
}
