/*
 * runtime/lib/console.h - the pseudo-terminal of process.terminal and its
 * hand-over to the caller through --console-socket.
 *
 * Like runc: the caller listens on a unix stream socket; the runtime connects
 * (in the parent, before the clone, so a bad path fails early), the container
 * child opens a pty pair from the container's devpts after pivot_root, binds
 * the slave onto /dev/console, sends the master with SCM_RIGHTS in one message
 * whose payload is the pty's name, keeps the slave as its controlling
 * terminal and stdio, and closes its ends of both the master and the socket.
 */
#ifndef BERTH_RUNTIME_CONSOLE_H
#define BERTH_RUNTIME_CONSOLE_H

#include "common/err.h"
#include "spec/config.h"

/* Connects to the unix socket at path; returns the fd (O_CLOEXEC). */
int rt_console_connect(const char *path, struct berth_err **err);

/* Foreground terminal mode (run, exec -t without --console-socket, as runc):
 * a socketpair instead of the caller's socket; sv[1] goes to the child as its
 * console socket, sv[0] receives the master (rt_console_recv). */
int rt_console_pair(int sv[2], struct berth_err **err);
/* Receives the pty master the child sent on sock; returns it (O_CLOEXEC). */
int rt_console_recv(int sock, struct berth_err **err);

struct rt_pty {
	int master, slave; /* owned; O_CLOEXEC */
	char name[64];	   /* slave path, "/dev/pts/N" */
};

/* Opens a pty pair from /dev/ptmx (the current mount namespace's). */
int rt_pty_open(struct rt_pty *pty, const struct oci_console_size *size, struct berth_err **err);
/* Sends pty->master over sock (SCM_RIGHTS, payload = pty->name). */
int rt_pty_send(const struct rt_pty *pty, int sock, struct berth_err **err);
/* Makes the slave the controlling terminal (after setsid) and fds 0, 1, 2. */
int rt_pty_make_stdio(const struct rt_pty *pty, struct berth_err **err);
/* Binds the slave onto /dev/console of the current root (after pivot_root),
 * creating the mount point if needed. */
int rt_pty_bind_console(const struct rt_pty *pty, struct berth_err **err);
void rt_pty_close(struct rt_pty *pty);

#endif
