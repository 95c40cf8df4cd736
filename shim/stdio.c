/* shim/stdio.c - see stdio.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "shim/logger.h"
#include "shim/stdio.h"

#define COPY_BUF 16384

struct copy {
	struct shim_stdio *io;
	int src, dst; /* owned; dst -1: crilog sink or nothing */
	struct shim_crilog *log;
	struct evloop_watch *wsrc, *wdst;
	char *buf;
	size_t len, off;
	bool eof, done;
	bool dst_dead; /* the reader went away: discard */
	bool src_is_pty;
};

struct shim_stdio {
	struct evloop *loop;
	bool terminal;
	int child[3];
	int pty;
	struct copy *in, *out, *err;
	struct shim_logger *logger;	   /* binary:// URI: out and err copy into it */
	struct evloop_watch *logger_timer; /* bounds its exit once its input ended */
	bool logger_given_up;
	void (*drained_fn)(void *data);
	void *drained_data;
	bool drained_fired;
};

static void copy_arm_src(struct copy *c);

static bool copies_done(const struct shim_stdio *io)
{
	return (!io->out || io->out->done) && (!io->err || io->err->done);
}

/* The logger still has to consume what it got and exit (bounded). */
static bool logger_pending(const struct shim_stdio *io)
{
	return io->logger && shim_logger_is_running(io->logger) && !io->logger_given_up;
}

static void stdio_check_drained(struct shim_stdio *io);

static void logger_timeout(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct shim_stdio *io = data;

	io->logger_timer = NULL;
	io->logger_given_up = true;
	log_warn("logger '%s' still running %d s after its input ended: sending SIGTERM",
		 shim_logger_uri(io->logger), shim_logger_timeout_ms() / 1000);
	shim_logger_terminate(io->logger);
	stdio_check_drained(io);
}

static void stdio_check_drained(struct shim_stdio *io)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;

	if (io->drained_fn && copies_done(io) && logger_pending(io) && !io->logger_timer) {
		/*
		 * The process exited (someone waits) and the logger's pipes are closed
		 * (copy_finish): it sees EOF and should exit once it logged everything.
		 */
		io->logger_timer = evloop_timer_add(io->loop, (uint64_t)shim_logger_timeout_ms(),
						    logger_timeout, io, &err);
		if (!io->logger_timer) {
			log_warn("stdio: %s", err->msg);
			io->logger_given_up = true;
		}
	}
	if (io->drained_fired || !io->drained_fn || !shim_stdio_is_drained(io))
		return;
	io->drained_fired = true;
	io->drained_fn(io->drained_data);
}

static void copy_close_src(struct copy *c)
{
	evloop_remove(c->io->loop, c->wsrc);
	c->wsrc = NULL;
	if (c->src >= 0)
		close(c->src);
	c->src = -1;
}

static void copy_finish(struct copy *c)
{
	c->done = true;
	shim_crilog_free(c->log); /* flushes a last unterminated line */
	c->log = NULL;
	evloop_remove(c->io->loop, c->wdst);
	c->wdst = NULL;
	if (c->dst >= 0)
		close(c->dst); /* stdin: the container sees EOF */
	c->dst = -1;
	stdio_check_drained(c->io);
}

static void copy_free(struct copy *c)
{
	if (!c)
		return;
	copy_close_src(c);
	evloop_remove(c->io->loop, c->wdst);
	shim_crilog_free(c->log); /* flushes into dst: before closing it */
	if (c->dst >= 0)
		close(c->dst);
	free(c->buf);
	free(c);
}

static void copy_dst_ready(struct evloop *loop, struct evloop_watch *w, uint32_t events,
			   void *data);

/* Writes buffered data; returns true when the buffer is empty. */
static bool copy_flush(struct copy *c)
{
	while (c->off < c->len) {
		ssize_t n;

		if (c->dst < 0 || c->dst_dead) {
			c->off = c->len;
			break;
		}
		n = write(c->dst, c->buf + c->off, c->len - c->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!c->wdst)
				c->wdst = evloop_add(c->io->loop, c->dst, EPOLLOUT, copy_dst_ready,
						     c, NULL);
			return false;
		}
		if (n < 0) {
			/* EPIPE: nobody reads the FIFO any more; keep draining the container */
			c->dst_dead = true;
			continue;
		}
		c->off += (size_t)n;
	}
	c->off = c->len = 0;
	evloop_remove(c->io->loop, c->wdst);
	c->wdst = NULL;
	return true;
}

static void copy_src_ready(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct copy *c = data;

	for (int i = 0; i < 16; i++) {
		ssize_t n = read(c->src, c->buf, COPY_BUF);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* EOF; EIO on a pty master once every slave fd is closed */
			c->eof = true;
			copy_close_src(c);
			copy_finish(c);
			return;
		}
		if (c->log) {
			shim_crilog_write(c->log, c->buf, (size_t)n);
			continue;
		}
		c->len = (size_t)n;
		c->off = 0;
		if (!copy_flush(c)) {
			/* the reader is slow: stop reading until it catches up */
			evloop_remove(loop, c->wsrc);
			c->wsrc = NULL;
			return;
		}
	}
}

static void copy_dst_ready(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct copy *c = data;

	if (events & (EPOLLERR | EPOLLHUP))
		c->dst_dead = true;
	if (copy_flush(c))
		copy_arm_src(c);
}

static void copy_arm_src(struct copy *c)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;

	if (c->wsrc || c->src < 0)
		return;
	c->wsrc = evloop_add(c->io->loop, c->src, EPOLLIN, copy_src_ready, c, &err);
	if (!c->wsrc)
		log_warn("stdio: %s", err->msg);
}

static struct copy *copy_new(struct shim_stdio *io, int src, int dst)
{
	struct copy *c = xnew(struct copy);

	c->io = io;
	c->src = src;
	c->dst = dst;
	c->buf = xmalloc(COPY_BUF);
	return c;
}

/* Opens an output target: -1 with *log set for a CRI log file. */
static int open_sink(const char *path, const char *stream, struct shim_crilog **log, int *logfd,
		     struct berth_err **err)
{
	int fd;

	*log = NULL;
	if (strncmp(path, "file://", 7) == 0) {
		fd = open(path + 7, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return berth_err_sys(err, errno, "open log '%s'", path + 7);
		*log = shim_crilog_new(fd, stream);
		*logfd = fd;
		return -1;
	}
	if (strstr(path, "://"))
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED, "%s: unsupported log URI '%s'",
				     stream, path);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENXIO)
		/* no reader yet: hold the FIFO open ourselves so output waits in it */
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open %s '%s'", stream, path);
	return fd;
}

/*
 * The copy from the container's childfd (a new pipe; the pty master for a terminal) to
 * sink (taken; with log, the CRI log file's fd that log writes to).
 */
static int add_copy(struct shim_stdio *io, int sink, struct shim_crilog *log, int childfd,
		    struct copy **out, struct berth_err **err)
{
	int fds[2];

	if (io->terminal) {
		*out = copy_new(io, -1, sink);
	} else {
		if (pipe2(fds, O_CLOEXEC) < 0) {
			int e = errno;

			shim_crilog_free(log);
			if (sink >= 0)
				close(sink);
			return berth_err_sys(err, e, "pipe");
		}
		fcntl(fds[0], F_SETFL, O_NONBLOCK);
		*out = copy_new(io, fds[0], sink);
		io->child[childfd] = fds[1];
	}
	(*out)->log = log; /* writes to dst, which is closed with the copy */
	return 0;
}

static int add_output(struct shim_stdio *io, const char *path, const char *stream, int childfd,
		      struct copy **out, struct berth_err **err)
{
	struct shim_crilog *log = NULL;
	int logfd = -1;
	int sink = open_sink(path, stream, &log, &logfd, err);

	if (sink < 0 && !log)
		return -1;
	return add_copy(io, log ? logfd : sink, log, childfd, out, err);
}

/*
 * binary:// (containerd decides by stdout alone and gives the logger both streams):
 * one logger, the container's stdout copied into its fd 3, stderr into its fd 4.
 */
static int add_logger(struct shim_stdio *io, const struct shim_stdio_paths *p,
		      struct berth_err **err)
{
	int out = -1, errw = -1;

	if (!p->out || !shim_logger_is_uri(p->out))
		return berth_err_new(err, BERTH_E_INVALID,
				     "stderr: log URI '%s' needs the same URI for stdout", p->err);
	if (p->err && *p->err && strcmp(p->err, p->out) != 0)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"stderr '%s': stdout goes to log URI '%s', so stderr must be empty or the same URI",
			p->err, p->out);
	io->logger =
		shim_logger_start(p->out, p->id ? p->id : "", p->ns ? p->ns : "", &out, &errw, err);
	if (!io->logger)
		return -1;
	if (add_copy(io, out, NULL, 1, &io->out, err) < 0) {
		close(errw);
		return -1;
	}
	if (io->terminal) {
		close(errw); /* the pty merges stderr into stdout: the logger's fd 4 sees EOF */
		return 0;
	}
	return add_copy(io, errw, NULL, 2, &io->err, err);
}

struct shim_stdio *shim_stdio_new(struct evloop *loop, const struct shim_stdio_paths *p,
				  struct berth_err **err)
{
	struct shim_stdio *io = xnew(struct shim_stdio);
	int fds[2];

	io->loop = loop;
	io->terminal = p->terminal;
	io->pty = -1;
	io->child[0] = io->child[1] = io->child[2] = -1;
	if (p->in && *p->in) {
		int fifo = open(p->in, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		if (fifo < 0) {
			berth_err_sys(err, errno, "open stdin '%s'", p->in);
			shim_stdio_free(io);
			return NULL;
		}
		if (io->terminal) {
			io->in = copy_new(io, fifo, -1);
		} else {
			if (pipe2(fds, O_CLOEXEC) < 0) {
				berth_err_sys(err, errno, "pipe");
				close(fifo);
				shim_stdio_free(io);
				return NULL;
			}
			fcntl(fds[1], F_SETFL, O_NONBLOCK);
			io->in = copy_new(io, fifo, fds[1]);
			io->child[0] = fds[0];
		}
	}
	if (shim_logger_is_uri(p->out) || shim_logger_is_uri(p->err)) {
		if (add_logger(io, p, err) < 0) {
			shim_stdio_free(io);
			return NULL;
		}
		return io;
	}
	if ((p->out && *p->out && add_output(io, p->out, "stdout", 1, &io->out, err) < 0) ||
	    (!io->terminal && p->err && *p->err &&
	     add_output(io, p->err, "stderr", 2, &io->err, err) < 0)) {
		shim_stdio_free(io);
		return NULL;
	}
	return io;
}

void shim_stdio_free(struct shim_stdio *io)
{
	if (!io)
		return;
	evloop_remove(io->loop, io->logger_timer);
	copy_free(io->in);
	copy_free(io->out);
	copy_free(io->err);
	for (int i = 0; i < 3; i++)
		if (io->child[i] >= 0)
			close(io->child[i]);
	if (io->pty >= 0)
		close(io->pty);
	shim_logger_free(io->logger); /* after its pipes are closed: it may exit by itself */
	free(io);
}

void shim_stdio_child_fds(const struct shim_stdio *io, int fds[3])
{
	for (int i = 0; i < 3; i++)
		fds[i] = io->child[i];
}

int shim_stdio_start(struct shim_stdio *io, int pty_master, struct berth_err **err)
{
	for (int i = 0; i < 3; i++) {
		if (io->child[i] >= 0)
			close(io->child[i]);
		io->child[i] = -1;
	}
	if (io->terminal) {
		if (pty_master < 0)
			return berth_err_new(err, BERTH_E_INTERNAL,
					     "terminal requested but no pty received");
		fcntl(pty_master, F_SETFL, O_NONBLOCK);
		io->pty = pty_master;
		if (io->out) {
			io->out->src = dup(pty_master);
			fcntl(io->out->src, F_SETFD, FD_CLOEXEC);
			io->out->src_is_pty = true;
		}
		if (io->in) {
			io->in->dst = dup(pty_master);
			fcntl(io->in->dst, F_SETFD, FD_CLOEXEC);
		}
	}
	if (io->in)
		copy_arm_src(io->in);
	if (io->out)
		copy_arm_src(io->out);
	if (io->err)
		copy_arm_src(io->err);
	return 0;
}

void shim_stdio_on_drained(struct shim_stdio *io, void (*fn)(void *data), void *data)
{
	io->drained_fn = fn;
	io->drained_data = data;
	stdio_check_drained(io);
}

bool shim_stdio_is_drained(const struct shim_stdio *io)
{
	return copies_done(io) && !logger_pending(io);
}

bool shim_stdio_is_flushing(const struct shim_stdio *io)
{
	return copies_done(io) && logger_pending(io);
}

bool shim_stdio_reap(struct shim_stdio *io, pid_t pid, int status)
{
	if (!io->logger || !shim_logger_reaped(io->logger, pid, status))
		return false;
	evloop_remove(io->loop, io->logger_timer);
	io->logger_timer = NULL;
	stdio_check_drained(io);
	return true;
}

/* Writes all of buf to a non-blocking fd, waiting at most ~1 s per stall; false if it gave up. */
static bool write_bounded(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (poll(&p, 1, 1000) <= 0)
				return false;
			continue;
		}
		if (n < 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

void shim_stdio_close_stdin(struct shim_stdio *io)
{
	struct copy *c = io->in;

	if (!c || c->done)
		return;
	/*
	 * ctr sends CloseIO as soon as its own stdin ends, which can be before the shim
	 * has read what it wrote into the FIFO (or even before Start): pass that on first.
	 */
	if (c->dst >= 0 && !c->dst_dead) {
		if (c->off < c->len && !write_bounded(c->dst, c->buf + c->off, c->len - c->off))
			c->dst_dead = true;
		for (;;) {
			ssize_t n = c->src >= 0 ? read(c->src, c->buf, COPY_BUF) : 0;

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || !write_bounded(c->dst, c->buf, (size_t)n))
				break;
		}
	}
	c->off = c->len = 0;
	copy_close_src(c);
	copy_finish(c);
}

int shim_stdio_resize(struct shim_stdio *io, unsigned width, unsigned height,
		      struct berth_err **err)
{
	struct winsize ws = {.ws_col = (unsigned short)width, .ws_row = (unsigned short)height};

	if (io->pty < 0)
		return berth_err_new(err, BERTH_E_PRECONDITION, "process has no terminal");
	if (ioctl(io->pty, TIOCSWINSZ, &ws) < 0)
		return berth_err_sys(err, errno, "resize pty");
	return 0;
}

int shim_console_listen(char **path, struct berth_err **err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/berth-shim-pty-XXXXXX";
	int fd;

	if (!mkdtemp(dir))
		return berth_err_sys(err, errno, "mkdtemp '%s'", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/pty.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		rmdir(dir);
		return berth_err_sys(err, e, "console socket '%s'", sun.sun_path);
	}
	*path = xstrdup(sun.sun_path);
	return fd;
}

int shim_console_recv(int lfd, const char *path, struct berth_err **err)
{
	char name[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	cleanup_free char *dir = xstrdup(path);
	cleanup_close int fd = -1;
	int master = -1;

	unlink(path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return berth_err_sys(err, errno, "accept on console socket");
	if (recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "receive pty master");
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&master, CMSG_DATA(cm), sizeof(int));
	if (master < 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "console socket: no fd received");
	return master;
}
