/*
 * runtime/lib/container_internal.h - what create.c, init.c, lifecycle.c and
 * run.c share. Not for the CLI.
 */
#ifndef BERTH_RUNTIME_CONTAINER_INTERNAL_H
#define BERTH_RUNTIME_CONTAINER_INTERNAL_H

#include <signal.h>

#include "runtime/lib/cgjoin.h"
#include "runtime/lib/container.h"
#include "runtime/lib/process.h"
#include "runtime/lib/rootfs.h"
#include "runtime/lib/tty_relay.h"
#include "spec/config.h"

#define RT_STATE_FILE "state.json"
#define RT_CONFIG_FILE "config.json"
#define RT_FIFO_FILE "exec.fifo"

/* Everything the container init applies; prepared by the parent before clone. */
struct rt_init_args {
	const char *id;
	const struct oci_spec *spec;
	struct rt_state *st;	   /* pid filled in by the child from GO */
	struct rt_proc_plan *plan; /* NULL when the config has no process */
	struct rt_rootfs_opts rootfs;
	int sync_fd;
	int state_dirfd;		/* <root>/<id> (O_PATH), to open exec.fifo after pivot */
	int lock_fd;			/* the parent's locked fd: the child closes its copy */
	const struct rt_cgjoin *cgjoin; /* the child joins its cgroup itself (cgjoin.h) */
	int console_sock;		/* -1 without a terminal */
	int join_fds[OCI_NS_COUNT];	/* -1, or the namespace to setns (not pid, time) */
	int late_flags;			/* CLONE_NEW* to unshare after the joins */
	bool no_new_keyring;
};

/* The container init: never returns (execs or _exits). */
_Noreturn void rt_init_main(struct rt_init_args *a);

/* Blocks SIGCHLD and the forwarded signals (INT TERM HUP QUIT USR1 USR2 WINCH);
 * returns a signalfd for them. *old gets the previous mask. */
int rt_signals_block(sigset_t *old, struct berth_err **err);
/* Waits for our child `child`, forwarding signals read from sfd through pidfd;
 * *exit_code is its status, 128+signal when killed. relay (may be NULL): the
 * foreground terminal to pump meanwhile; SIGWINCH then resizes it instead of
 * being forwarded, and the process's last output is drained before returning. */
int rt_wait_forwarding(pid_t child, int pidfd, int sfd, struct rt_relay *relay, int *exit_code,
		       struct berth_err **err);

/* "<root>/<id>" and its lock. */
int rt_container_open_dir(const struct rt_ctx *ctx, const char *id, struct rt_container **out,
			  struct berth_err **err);
int rt_container_lock(struct rt_container *c, struct berth_err **err);
/* Writes c->st to state.json. */
int rt_container_save(struct rt_container *c, struct berth_err **err);
/* Loads the config copy kept in the state directory. */
int rt_container_config(const struct rt_container *c, struct oci_spec **out,
			struct berth_err **err);
/* Runs the poststop hooks (warnings), removes the cgroup and the state dir. */
int rt_container_destroy(struct rt_container *c, struct berth_err **err);

#endif
