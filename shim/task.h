/*
 * shim/task.h - the container the shim serves: its init process and exec'd
 * processes, their states and exits, and the events each transition publishes.
 *
 * States: created -> running <-> paused (init only) -> stopped -> deleted.
 * An exit is "finalized" (state stopped, Wait answered, TaskExit published)
 * only when the process's output is drained, or after EXIT_GRACE_MS if a
 * leftover child keeps its pipes open.
 *
 *   containerd                 shim                           runtime
 *     Create ------------->  create --bundle B --pid-file P ----> (init blocks)
 *            <- pid -------  publish /tasks/create
 *     Start -------------->  start ID --------------------------> (user process runs)
 *            <- pid -------  publish /tasks/start
 *     Wait --------------->  (kept pending)
 *                            SIGCHLD: reap, drain output
 *            <- exit ------  publish /tasks/exit, answer Wait
 *     Delete ------------->  delete ID -------------------------> (state removed)
 *            <- exit ------  publish /tasks/delete
 *     Shutdown ----------->  exit once the events are sent
 */
#ifndef BERTH_SHIM_TASK_H
#define BERTH_SHIM_TASK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/err.h"
#include "common/evloop.h"
#include "common/ttrpc.h"
#include "shim/shim.h"

enum shim_proc_state {
	SHIM_PROC_CREATED,
	SHIM_PROC_RUNNING,
	SHIM_PROC_PAUSED,
	SHIM_PROC_STOPPED,
};

struct shim_proc {
	struct shim_task *task;
	char *exec_id; /* "" for the init process */
	pid_t pid;
	enum shim_proc_state state;
	bool reaped; /* exit status known, output maybe not drained */
	uint32_t exit_status;
	struct timespec exited_at;
	bool terminal;
	char *stdin_path, *stdout_path, *stderr_path;
	char *spec_json; /* exec: the OCI Process */
	struct shim_stdio *io;
	struct ttrpc_call **waiters;
	size_t n_waiters;
	struct evloop_watch *grace;
	struct shim_proc *next;
};

struct shim_task {
	struct evloop *loop;
	struct shim_events *events;
	char *ns, *id, *address;
	const char *flag_runtime;
	char *bundle;	/* set by Create */
	char *log_path; /* <bundle>/log.json */
	char *rootfs;	/* <bundle>/rootfs when we mounted it */
	struct shim_config cfg;
	struct shim_runtime rt;
	struct shim_proc *init; /* NULL before Create and after Delete */
	struct shim_proc *execs;
	struct shim_oom *oom; /* the init's memory cgroup OOM watch */
	struct evloop_watch *oom_watch;
};

struct shim_create {
	const char *id, *bundle;
	bool terminal;
	const char *in, *out, *err;
	struct Containerd__Types__Mount **rootfs;
	size_t n_rootfs;
	const char *opt_binary, *opt_root; /* from containerd.runc.v1.Options */
	bool no_pivot, no_new_keyring;	   /* idem: runc create --no-pivot, --no-new-keyring */
	const char *checkpoint;
};

struct shim_task *shim_task_new(struct evloop *loop, struct shim_events *ev,
				const struct shim_flags *f);
void shim_task_free(struct shim_task *t);

int shim_task_create(struct shim_task *t, const struct shim_create *c, struct berth_err **err);
/* The process (id, exec_id); NOT_FOUND otherwise. */
struct shim_proc *shim_task_find(struct shim_task *t, const char *id, const char *exec_id,
				 struct berth_err **err);
int shim_task_start(struct shim_task *t, struct shim_proc *p, struct berth_err **err);
int shim_task_kill(struct shim_task *t, struct shim_proc *p, uint32_t sig, bool all,
		   struct berth_err **err);
/* Deletes p (freed if an exec); fills pid, status, exited_at first. */
int shim_task_delete(struct shim_task *t, struct shim_proc *p, uint32_t *pid, uint32_t *status,
		     struct timespec *exited_at, struct berth_err **err);
int shim_task_exec(struct shim_task *t, const char *exec_id, bool terminal, const char *in,
		   const char *out, const char *errp, const char *spec_json,
		   struct berth_err **err);
int shim_task_pause(struct shim_task *t, struct berth_err **err);
int shim_task_resume(struct shim_task *t, struct berth_err **err);
int shim_task_update(struct shim_task *t, const char *resources_json, struct berth_err **err);
int shim_task_pids(struct shim_task *t, uint32_t **pids, size_t *n, struct berth_err **err);
/* Answers call with a WaitResponse now, or when p's exit is finalized. */
void shim_task_wait(struct shim_task *t, struct shim_proc *p, struct ttrpc_call *call);
/* A child exited (from the reaper). */
void shim_task_on_exit(struct shim_task *t, pid_t pid, int status);
/* true when no container is left to serve (Shutdown may exit). */
bool shim_task_is_empty(const struct shim_task *t);

/* ---- Stats (stats.c) ---- */
/* Packs the cgroup metrics of pid into *any_value with its type URL. */
int shim_stats_collect(pid_t pid, char **type_url, uint8_t **data, size_t *len,
		       struct berth_err **err);
/* A watch on OOM kills in pid's memory cgroup (v1 or v2); NULL if there is none. */
struct shim_oom *shim_oom_open(pid_t pid);
/* Becomes readable when an OOM event may have happened. */
int shim_oom_fd(const struct shim_oom *o);
/* Consumes the fd's readiness; true if there was a new OOM kill. */
bool shim_oom_fired(struct shim_oom *o);
void shim_oom_close(struct shim_oom *o);

#endif
