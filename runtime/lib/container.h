/*
 * runtime/lib/container.h - the container lifecycle behind the runc command
 * line: create, start, state, kill, delete, pause/resume, ps, list, run.
 *
 * Owns the state directory <root>/<id>/ (mode 0711):
 *   state.json   struct rt_state (state.h), written atomically after create
 *   config.json  the config as given at create (exec and delete read it)
 *   exec.fifo    present from create until start; the init blocks opening it
 * Concurrency: a create makes the directory with mkdir (a second create of
 * the id gets EEXIST: "container 'x' already exists") and holds flock on it
 * until done; start, delete and pause/resume take the same lock, so they
 * serialize with each other and with a create in progress. Readers (state,
 * list, kill, ps) take no lock: they only look at facts (pid + start time).
 * A pid is only ever signalled through a pidfd opened and then checked
 * against the recorded start time.
 */
#ifndef BERTH_RUNTIME_CONTAINER_H
#define BERTH_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "runtime/lib/state.h"

struct rt_cgroup;

struct rt_ctx {
	const char *root; /* state root; "/run/berth" by default */
	bool systemd_cgroup;
};

struct rt_create_opts {
	const char *bundle;	    /* NULL: the current directory */
	const char *pid_file;	    /* NULL: none */
	const char *console_socket; /* required iff process.terminal */
	bool no_pivot;
	bool no_new_keyring;
	unsigned preserve_fds; /* fds 3..3+N-1 (after LISTEN_FDS ones) cross into the init */
	/* run in the foreground only (set by rt_container_run, not by callers): with
	 * process.terminal and no console_socket, create stores here its end of a
	 * socketpair on which the init sends the pty master; stays -1 otherwise */
	int *tty_sock;
	bool keep;	   /* leave the stopped container for `delete` */
	bool no_subreaper; /* else orphans of the container's processes are ours to reap */
};

struct rt_container {
	char *id;
	char *dir; /* <root>/<id> */
	int dirfd; /* O_DIRECTORY; flock held when loaded with lock */
	struct rt_state *st;
	pid_t child;	      /* > 0 when this process forked the init (create, run) */
	struct rt_cgroup *cg; /* opened on first use (reads mountinfo once), owned */
};

/* Creates the container and returns once its init waits on the exec fifo
 * (status created). Everything in the bundle is validated before the first
 * side effect; on failure nothing is left behind. Errors read
 * "create container 'c1': process.cwd '/nope': chdir: No such file or directory".
 * *out (may be NULL) keeps c->child set: the caller is the init's parent. */
int rt_container_create(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts,
			struct rt_container **out, struct berth_err **err);

/* Loads <root>/<id>/state.json. NOT_FOUND: "container 'x' does not exist".
 * lock: take the container's flock (blocks while a create is in progress). */
int rt_container_load(const struct rt_ctx *ctx, const char *id, bool lock,
		      struct rt_container **out, struct berth_err **err);
enum rt_status rt_container_status(struct rt_container *c);

/* Unblocks the init (created -> running) and runs poststart hooks (warnings).
 * PRECONDITION "container 'x' is not in created state (status running)". */
int rt_container_start(struct rt_container *c, struct berth_err **err);
/* Signals the init (or with all, every process of the cgroup).
 * PRECONDITION "container 'x' is not running" when stopped. */
int rt_container_kill(struct rt_container *c, int sig, bool all, struct berth_err **err);
/* Stopped: poststop hooks (warnings), cgroup and state removed. created,
 * running or paused: an error unless force, which SIGKILLs and waits first. */
int rt_container_delete(struct rt_container *c, bool force, struct berth_err **err);
/* --force of an id with no state.json: removes what a crashed create left. */
int rt_container_remove_stale(const struct rt_ctx *ctx, const char *id, struct berth_err **err);
int rt_container_pause(struct rt_container *c, bool pause, struct berth_err **err);
/* pids of the container's cgroup; caller frees. */
int rt_container_pids(struct rt_container *c, pid_t **pids, size_t *n, struct berth_err **err);
/* The OCI state JSON with the derived status; caller frees. */
char *rt_container_state_json(struct rt_container *c, int bjson_flags);

/* Ids with a state directory under ctx->root, sorted; a missing root is an empty list. */
int rt_container_list(const struct rt_ctx *ctx, char ***ids, struct berth_err **err);

/* create + start; detach: return after start. Otherwise wait for the init
 * while forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
 * SIGWINCH to it, delete the container and set *exit_code (128+signal when
 * killed). */
int rt_container_run(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts,
		     bool detach, int *exit_code, struct berth_err **err);

struct rt_exec_opts {
	const char *process_file; /* --process: a process object; else the config's
				     * process with the overrides below */
	char **args;		  /* borrowed */
	char **env;		  /* appended to process.env */
	const char *cwd;
	const char *user; /* "uid[:gid]" */
	char **additional_gids;
	char **caps;		   /* added to bounding, effective and permitted */
	const char *apparmor;	   /* process.apparmorProfile (lsm.h) */
	const char *process_label; /* process.selinuxLabel */
	char **cgroups;		   /* --cgroup values (exec_cgroup.h), or NULL */
	bool tty, no_new_privs, detach, ignore_paused;
	const char *pid_file;
	const char *console_socket;
	unsigned preserve_fds;
};

/* Runs a process in the container's namespaces and cgroup, with the
 * container's seccomp profile. detach: returns once the process has exec'd.
 * Otherwise waits (forwarding signals) and sets *exit_code. */
int rt_container_exec(struct rt_container *c, const struct rt_exec_opts *opts, int *exit_code,
		      struct berth_err **err);

void rt_container_free(struct rt_container *c);
void rt_container_freep(struct rt_container **c);

#endif
