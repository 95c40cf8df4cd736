/*
 * runtime/lib/tty_relay.h - foreground terminal mode: `run` and `exec -t` with
 * process.terminal and no --console-socket relay the container's pty to
 * berth's own stdin/stdout, as runc does.
 *
 * Owns the pty master it is given and the termios of berth's stdin while it
 * runs: stdin goes raw when it is a terminal (the container's line discipline
 * does the editing and the signals), and rt_relay_stop always restores it.
 * The window size of berth's terminal is copied onto the pty at the start and
 * on every SIGWINCH (rt_relay_resize). Single-threaded: the caller polls the
 * fds of rt_relay_fds() with its own (the signalfd) and hands back revents.
 */
#ifndef BERTH_RUNTIME_TTY_RELAY_H
#define BERTH_RUNTIME_TTY_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <termios.h>

#include "common/err.h"

struct rt_relay {
	int master; /* owned; -1 once the slave side hung up */
	int in;	    /* 0, or -1 after EOF on our stdin */
	int out;    /* 1 */
	bool raw;   /* stdin was a terminal put in raw mode: saved holds its settings */
	struct termios saved;
};

/* Takes ownership of master; stdin raw (if a tty), window size copied. */
int rt_relay_start(struct rt_relay *r, int master, struct berth_err **err);
/* Copies berth's window size (stdin's, else stdout's) onto the pty. */
void rt_relay_resize(struct rt_relay *r);
/* Fills p[0..1] (stdin, master; fd -1 when done); returns 2. */
int rt_relay_fds(const struct rt_relay *r, struct pollfd *p);
/* Moves what p's revents say is ready. */
void rt_relay_pump(struct rt_relay *r, const struct pollfd *p);
/* After the process exited: copies the rest of its output. */
void rt_relay_drain(struct rt_relay *r);
/* Restores stdin's terminal settings and closes the master (accepts a zeroed r
 * with master -1). */
void rt_relay_stop(struct rt_relay *r);

#endif
