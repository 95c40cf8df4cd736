/*
 * supervisor/ctl/stdio.c - a foreground process's stdout/stderr and signals for berthctl
 * run and exec. See container.h.
 *
 * The FIFOs live in a mkdtemp dir. berthctl opens each read end (non-blocking, so it does
 * not wait for the shim) and also a write end of its own: the shim may open and close its
 * end at any time, and the copy must not see EOF before the process exited. After Wait
 * returned, ctl_stdio_close drops berthctl's write ends and the copier drains to EOF.
 *
 * Threads: the copier (poll on the two FIFOs), the signal forwarder (reads signal
 * numbers a handler writes into a pipe; its own rpc client, as clients are one per
 * thread; a 0 byte in the pipe stops it; with a terminal, SIGWINCH becomes
 * Tasks.ResizePty) and, with interactive, the stdin copier (detached: it may be blocked
 * reading a terminal when the process exits; berthctl just exits).
 *
 * With a terminal (run -t, exec -t) the shim makes the pty (the runtime's console
 * socket) and copies between it and the stdin/stdout FIFOs; there is no stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

struct ctl_stdio {
	char *dir;
	char *path[3];	    /* stdin (with interactive), stdout, stderr FIFOs */
	int rfd[3], wfd[3]; /* read ends (1, 2); berthctl's own write ends (0, 1, 2) */
	pthread_t copier, sigs;
	bool started, tty;
	bool raw;	      /* berthctl's terminal was put in raw mode: restore it */
	struct termios saved; /* its mode before */
	int sig_pipe[2];      /* signal handler -> forwarder thread */
	/* for the forwarder */
	const char *address, *ns;
	char *id, *exec_id;
};

static void stdio_free(struct ctl_stdio *s)
{
	for (int i = 0; i <= 2; i++) {
		if (s->rfd[i] >= 0)
			close(s->rfd[i]);
		if (s->wfd[i] >= 0)
			close(s->wfd[i]);
		if (s->path[i])
			unlink(s->path[i]);
		free(s->path[i]);
	}
	if (s->sig_pipe[0] >= 0)
		close(s->sig_pipe[0]);
	if (s->sig_pipe[1] >= 0)
		close(s->sig_pipe[1]);
	if (s->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &s->saved);
	if (s->dir)
		rmdir(s->dir);
	free(s->dir);
	free(s->id);
	free(s->exec_id);
	free(s);
}

/*
 * stdin: berthctl's end is O_RDWR (never blocks, and the FIFO keeps what is written before
 * the shim opens it); stdout/stderr: a non-blocking read end plus a write end (see above).
 */
static int fifo_make(struct ctl_stdio *s, int i, struct berth_err **err)
{
	static const char *const names[] = {"stdin", "stdout", "stderr"};

	s->path[i] = xasprintf("%s/%s", s->dir, names[i]);
	if (mkfifo(s->path[i], 0600) < 0) {
		berth_err_sys(err, errno, "mkfifo '%s'", s->path[i]);
		free(s->path[i]);
		s->path[i] = NULL;
		return -1;
	}
	if (i == 0) {
		s->wfd[0] = open(s->path[0], O_RDWR | O_CLOEXEC);
	} else {
		s->rfd[i] = open(s->path[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (s->rfd[i] >= 0)
			s->wfd[i] = open(s->path[i], O_WRONLY | O_CLOEXEC);
	}
	if (s->wfd[i] < 0)
		return berth_err_sys(err, errno, "open FIFO '%s'", s->path[i]);
	return 0;
}

struct ctl_stdio *ctl_stdio_open(bool interactive, bool tty, struct berth_err **err)
{
	const char *tmp = getenv("TMPDIR");
	struct ctl_stdio *s = xnew(struct ctl_stdio);

	for (int i = 0; i < 3; i++)
		s->rfd[i] = s->wfd[i] = -1;
	s->sig_pipe[0] = s->sig_pipe[1] = -1;
	s->dir = xasprintf("%s/berthctl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		berth_err_sys(err, errno, "create temp dir '%s'", s->dir);
		free(s->dir);
		s->dir = NULL;
		stdio_free(s);
		return NULL;
	}
	s->tty = tty;
	/* a terminal has one output: the pty's, on the stdout FIFO */
	for (int i = interactive ? 0 : 1; i <= (tty ? 1 : 2); i++) {
		if (fifo_make(s, i, err) < 0) {
			stdio_free(s);
			return NULL;
		}
	}
	return s;
}

const char *ctl_stdio_path(const struct ctl_stdio *s, int fd)
{
	return fd >= 0 && fd <= 2 && s->path[fd] ? s->path[fd] : "";
}

/* What the stdin copier owns: it may outlive ctl_stdio (blocked reading a terminal). */
struct stdin_copy {
	int fd; /* the stdin FIFO */
	char *address, *ns, *id, *exec_id;
};

/* Copies berthctl's stdin into the FIFO; at its end, closes the FIFO and sends CloseIO
 * (the shim may hold the FIFO open for writing itself, as containerd's does). */
static void *stdin_main(void *arg)
{
	struct stdin_copy *sc = arg;
	cleanup_err struct berth_err *err = NULL;
	struct rpc_client *rpc;
	char buf[16384];
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && fs_write_all(sc->fd, buf, (size_t)n) < 0)
			break;
	close(sc->fd);
	rpc = rpc_client_new(sc->address, sc->ns, &err);
	if (rpc) {
		Containerd__Services__Tasks__V1__CloseIORequest req =
			CONTAINERD__SERVICES__TASKS__V1__CLOSE_IOREQUEST__INIT;
		ProtobufCMessage *m = NULL;

		req.container_id = sc->id;
		req.exec_id = sc->exec_id;
		req.stdin = true;
		/* the process may be gone already: nothing to close then */
		if (rpc_client_invoke(rpc, &containerd__services__tasks__v1__tasks__descriptor,
				      "CloseIO", &req.base, &m, NULL) == 0)
			protobuf_c_message_free_unpacked(m, NULL);
		rpc_client_free(rpc);
	}
	free(sc->address);
	free(sc->ns);
	free(sc->id);
	free(sc->exec_id);
	free(sc);
	return NULL;
}

/* Tasks.ResizePty to berthctl's terminal size (none: nothing to do). */
static int resize(struct ctl *c, const struct ctl_stdio *s, struct berth_err **err)
{
	Containerd__Services__Tasks__V1__ResizePtyRequest req =
		CONTAINERD__SERVICES__TASKS__V1__RESIZE_PTY_REQUEST__INIT;
	ProtobufCMessage *m = NULL;
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		return 0;
	if (ws.ws_col == 0 || ws.ws_row == 0)
		return 0;
	req.container_id = s->id;
	req.exec_id = s->exec_id;
	req.width = ws.ws_col;
	req.height = ws.ws_row;
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor,
			      "ResizePty", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "resize the terminal of '%s'", s->id);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/*
 * With a terminal: the pty gets berthctl's window size once the process started (the
 * shim made the pty at create), and berthctl's own terminal, when stdin is one, goes
 * raw (keys such as ^C reach the container's pty as bytes; its line discipline answers).
 */
static int tty_begin(struct ctl_stdio *s, struct berth_err **err)
{
	struct ctl c = {.address = s->address, .ns = s->ns};
	struct termios raw;
	int r;

	c.rpc = rpc_client_new(s->address, s->ns, err);
	if (!c.rpc)
		return -1;
	r = resize(&c, s, err);
	rpc_client_free(c.rpc);
	if (r < 0)
		return -1;
	if (s->wfd[0] >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &s->saved) == 0) {
		raw = s->saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST; /* keep \n -> \r\n for berthctl's own messages */
		if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
			s->raw = true;
	}
	return 0;
}

int ctl_stdio_begin_stdin(struct ctl_stdio *s, struct berth_err **err)
{
	struct stdin_copy *sc;
	pthread_t t;
	int r;

	if (s->tty && tty_begin(s, err) < 0)
		return -1;
	if (s->wfd[0] < 0)
		return 0;
	sc = xnew(struct stdin_copy);
	sc->fd = s->wfd[0];
	sc->address = xstrdup(s->address);
	sc->ns = xstrdup(s->ns);
	sc->id = xstrdup(s->id);
	sc->exec_id = xstrdup(s->exec_id);
	r = pthread_create(&t, NULL, stdin_main, sc);
	if (r != 0) {
		free(sc->address);
		free(sc->ns);
		free(sc->id);
		free(sc->exec_id);
		free(sc);
		return berth_err_sys(err, r, "start the stdin copier");
	}
	s->wfd[0] = -1; /* the copier's now */
	pthread_detach(t);
	return 0;
}

static void *copier_main(void *arg)
{
	struct ctl_stdio *s = arg;
	struct pollfd p[2] = {{.fd = s->rfd[1], .events = POLLIN},
			      {.fd = s->rfd[2], .events = POLLIN}};
	char buf[16384];

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, buf, sizeof(buf));
			if (n > 0) {
				fs_write_all(i + 1, buf, (size_t)n);
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				p[i].fd = -1; /* EOF: every writer is gone */
			}
		}
	}
	return NULL;
}

/* the handler's end of the forwarder's pipe (one foreground process per berthctl) */
static int sig_pipe_w = -1;

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (write(sig_pipe_w, &b, 1) < 0) {
		/* pipe full: the forwarder is behind; dropping a repeat is fine */
	}
	errno = saved;
}

static void *sigs_main(void *arg)
{
	struct ctl_stdio *s = arg;
	struct rpc_client *rpc = NULL;
	unsigned char b;

	while (read(s->sig_pipe[0], &b, 1) == 1 && b != 0) {
		struct ctl c = {.address = s->address, .ns = s->ns};
		cleanup_err struct berth_err *err = NULL;

		if (!rpc)
			rpc = rpc_client_new(s->address, s->ns, &err);
		c.rpc = rpc;
		if (rpc && b == SIGWINCH)
			resize(&c, s, &err); /* the process may be gone: nothing to resize */
		else if (rpc && ctl_task_kill(&c, s->id, s->exec_id, b, false, &err) < 0)
			fprintf(stderr, "berthctl: forward signal %d: %s\n", b, err->msg);
	}
	rpc_client_free(rpc);
	return NULL;
}

/*
 * A handler, not sigwait: gRPC's own threads exist before this runs and do not block
 * signals, so a process-directed signal may land on any thread. The handler also resets
 * an inherited SIG_IGN (a shell starts background jobs with SIGINT ignored; ctr forwards
 * those too).
 */
static void forward_signals(bool tty)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	/* a window change becomes Tasks.ResizePty (sigs_main) */
	if (tty)
		sigaction(SIGWINCH, &sa, NULL);
}

int ctl_stdio_start(struct ctl_stdio *s, struct ctl *c, const char *id, const char *exec_id,
		    struct berth_err **err)
{
	int r;

	s->address = c->address;
	s->ns = c->ns;
	s->id = xstrdup(id);
	s->exec_id = xstrdup(exec_id ? exec_id : "");
	if (pipe2(s->sig_pipe, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	fcntl(s->sig_pipe[1], F_SETFL, O_NONBLOCK);
	r = pthread_create(&s->copier, NULL, copier_main, s);
	if (r != 0)
		return berth_err_sys(err, r, "start the output copier");
	r = pthread_create(&s->sigs, NULL, sigs_main, s);
	if (r != 0) {
		close(s->wfd[1]);
		close(s->wfd[2]);
		s->wfd[1] = s->wfd[2] = -1;
		pthread_join(s->copier, NULL);
		return berth_err_sys(err, r, "start the signal forwarder");
	}
	s->started = true;
	sig_pipe_w = s->sig_pipe[1];
	forward_signals(s->tty);
	return 0;
}

void ctl_stdio_close(struct ctl_stdio *s)
{
	if (!s)
		return;
	if (s->started) {
		unsigned char stop = 0;

		/* signals that come now kill berthctl as they would without a process */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGWINCH, SIG_DFL);
		sig_pipe_w = -1;
		if (write(s->sig_pipe[1], &stop, 1) != 1) {
			/* a full pipe: the forwarder still reads the 0 after the queued ones */
		}
		pthread_join(s->sigs, NULL);
		/* the shim closed its ends when the process exited; drop ours and drain */
		if (s->wfd[1] >= 0)
			close(s->wfd[1]);
		if (s->wfd[2] >= 0)
			close(s->wfd[2]);
		s->wfd[1] = s->wfd[2] = -1;
		pthread_join(s->copier, NULL);
	}
	stdio_free(s);
}
