/*
 * shim/stdio.h - a process's stdio: the FIFOs or log file containerd gave us,
 * the pipes (or pty) the container writes to, and the copies between them.
 *
 * The shim owns the pipes, so container output survives a containerd restart.
 * Copies never block the loop: a slow reader stops the copy from its source
 * until it can write again (the container then blocks on its own pipe).
 *
 *   stdin FIFO --copy--> pipe[w]  ... pipe[r] = container fd 0
 *   container fd 1 = pipe[w] ... pipe[r] --copy--> stdout FIFO | CRI log file
 *   (terminal: the pty master received over --console-socket replaces the pipes)
 *
 * A `binary:///logger?k=v` stdout starts a logging process (logger.h) when the
 * stdio is set up; the copies then write into its fds 3 and 4 instead.
 *
 *   container fd 1 = pipe[w] ... pipe[r] --copy--> logger fd 3 (fd 2 -> fd 4)
 *
 * "Drained" means every output source reached EOF (all writers closed) and a
 * logger has then exited, or was given up on (SIGTERM) after the logger timeout.
 */
#ifndef BERTH_SHIM_STDIO_H
#define BERTH_SHIM_STDIO_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/evloop.h"

struct shim_stdio;

struct shim_stdio_paths {
	const char *in, *out, *err; /* FIFO paths, "file:///log" or "binary://..." URIs or "" */
	bool terminal;
	const char *id, *ns; /* a logger's CONTAINER_ID and CONTAINER_NAMESPACE */
};

/*
 * Opens the FIFOs / log file, or starts the logger and waits until it is ready
 * (blocking, bounded), and creates the pipes (none for a terminal).
 */
struct shim_stdio *shim_stdio_new(struct evloop *loop, const struct shim_stdio_paths *p,
				  struct berth_err **err);
/* Frees, closing everything, stopping the copies; accepts NULL. */
void shim_stdio_free(struct shim_stdio *io);
/* The fds the runtime command gets as 0, 1, 2 (-1: /dev/null); borrowed. */
void shim_stdio_child_fds(const struct shim_stdio *io, int fds[3]);
/*
 * After the runtime command: closes the container's pipe ends in the shim and
 * starts copying. pty_master (terminal only) is taken over.
 */
int shim_stdio_start(struct shim_stdio *io, int pty_master, struct berth_err **err);
/* fn(data) runs once, when every output reached EOF (possibly from inside this call). */
void shim_stdio_on_drained(struct shim_stdio *io, void (*fn)(void *data), void *data);
bool shim_stdio_is_drained(const struct shim_stdio *io);
/* Output reached EOF; only the logger's exit is awaited (bounded by the logger timeout). */
bool shim_stdio_is_flushing(const struct shim_stdio *io);
/* The reaper reaped pid: true if it was io's logger (which may complete the drain). */
bool shim_stdio_reap(struct shim_stdio *io, pid_t pid, int status);
/* Closes the container's stdin (CloseIO). */
void shim_stdio_close_stdin(struct shim_stdio *io);
/* TIOCSWINSZ on the pty; INVALID without a terminal. */
int shim_stdio_resize(struct shim_stdio *io, unsigned width, unsigned height,
		      struct berth_err **err);

/* Console socket for --console-socket: a listening socket in a fresh temp dir. */
int shim_console_listen(char **path, struct berth_err **err);
/* Accepts the runtime's connection and receives the pty master; removes path. */
int shim_console_recv(int lfd, const char *path, struct berth_err **err);

/* ---- CRI log lines (crilog.c) ---- */
struct shim_crilog;
/* Writes to fd (borrowed); stream is "stdout" or "stderr". */
struct shim_crilog *shim_crilog_new(int fd, const char *stream);
/* Splits data into lines: "<RFC3339Nano> <stream> F <line>\n" per full line. */
void shim_crilog_write(struct shim_crilog *l, const char *data, size_t len);
/* Flushes a pending partial line as "... P <text>\n" and frees; accepts NULL. */
void shim_crilog_free(struct shim_crilog *l);
/* Formats one record into a new string (for tests); partial selects P. */
char *shim_crilog_format(const char *ts, const char *stream, bool partial, const char *line,
			 size_t len);

#endif
