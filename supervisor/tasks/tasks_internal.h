/*
 * supervisor/tasks/tasks_internal.h - what the supervisor/tasks/ files share (not for
 * other modules: they use tasks.h).
 *
 *   loop.c     the manager thread: an evloop plus a job queue other threads post to
 *   call.c     shim ttrpc calls (connect on demand, sync and async), run on that thread
 *   spawn.c    running the shim binary (`start`, `delete`) and finding it
 *   bundle.c   the bundle directory and its log FIFO
 *   forward.c  the events ttrpc socket (containerd.services.events.ttrpc.v1.Events/Forward)
 *   manager.c  the task table, create/delete, and re-finding shims after a restart
 *   dead.c     a shim that dies under a live task: cleanup and exit events
 *
 * Fields marked "manager thread" are touched only from jobs/callbacks of the evloop.
 */
#ifndef BERTH_SUPERVISOR_TASKS_TASKS_INTERNAL_H
#define BERTH_SUPERVISOR_TASKS_TASKS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/evloop.h"
#include "common/ttrpc.h"
#include "supervisor/tasks/tasks.h"

#define TASKS_DIR_NAME "io.containerd.runtime.v2.task"

/* ---- loop.c ---- */
struct tasks_loop;
typedef void (*tasks_job_fn)(void *arg);

struct tasks_loop *tasks_loop_new(struct berth_err **err);
/* Runs every job still queued, stops and joins the thread. Accepts NULL. */
void tasks_loop_free(struct tasks_loop *l);
/* The evloop (use it from the manager thread only). */
struct evloop *tasks_loop_evloop(struct tasks_loop *l);
/* Queues fn(arg) to run on the manager thread; any thread. */
void tasks_loop_post(struct tasks_loop *l, tasks_job_fn fn, void *arg);
/* Queues fn(arg) and waits until it ran (never from the manager thread). */
void tasks_loop_run_sync(struct tasks_loop *l, tasks_job_fn fn, void *arg);

/* ---- the task (manager.c) ---- */
struct tasks_task {
	struct tasks_manager *m;
	int refs; /* atomic */
	char *ns, *id;
	char *bundle;		 /* <state>/io.containerd.runtime.v2.task/<ns>/<id> */
	char *address;		 /* the shim's ttrpc address, "unix:///..." */
	char *shim_binary;	 /* absolute path */
	bool ready;		 /* created (or re-found): visible to tasks_get (m->lock) */
	struct tasks_task *next; /* m->tasks (m->lock) */
	/* manager thread */
	struct ttrpc_client *client;
	bool closed; /* no more calls: deleted or manager stopping */
	int log_fd;  /* the bundle's log FIFO, read end, or -1 */
	struct evloop_watch *log_watch;
	int pidfd; /* the shim process, or -1 */
	struct evloop_watch *pid_watch;
};

struct tasks_manager {
	char *state;	     /* <state> */
	char *root;	     /* <state>/io.containerd.runtime.v2.task */
	char *address;	     /* berthd's gRPC socket */
	char *ttrpc_address; /* events socket */
	char *socket_dir;    /* shims' sockets (BERTH_SHIM_SOCKET_DIR), or NULL */
	char *publish_binary;
	char *shim_dir;
	tasks_event_fn on_event;
	void *event_arg;
	struct tasks_loop *loop;
	struct ttrpc_server *events; /* manager thread */
	pthread_mutex_t lock;	     /* the table, stopping, cleanups */
	pthread_cond_t cond;	     /* cleanups reached 0 */
	struct tasks_task *tasks;    /* each holds a reference */
	bool stopping;		     /* no new dead-shim cleanups */
	unsigned cleanups;	     /* dead-shim cleanup threads running */
};

struct tasks_task *tasks_task_ref(struct tasks_task *t);
/* Takes t out of the table; true if it was there (the caller then owns its end). */
bool tasks_table_remove(struct tasks_manager *m, struct tasks_task *t);

/* Runs `<shim> delete` for t; 0 and *x from its DeleteResponse, or -1 (logged). */
int tasks_shim_delete(struct tasks_task *t, struct tasks_exit *x);

/* ---- dead.c ---- */
/* Watches the shim process (any thread); its death starts the dead-shim cleanup. */
void tasks_task_watch_shim(struct tasks_task *t, uint32_t shim_pid);
/* Stops watching (manager thread). */
void tasks_task_unwatch_shim(struct tasks_task *t);

/* ---- call.c ---- */
/* Closes t's connection and log FIFO and refuses further calls (manager thread). */
void tasks_task_close_io(struct tasks_task *t);
/* The same from any other thread: waits until done. */
void tasks_task_close_sync(struct tasks_task *t);
/* Starts reading the log FIFO fd (takes ownership): on the manager thread / from any. */
void tasks_task_watch_log(struct tasks_task *t, int fd);
void tasks_task_watch_log_async(struct tasks_task *t, int fd);
/* berth_err code for a ttrpc status code. */
enum berth_err_code tasks_code_from_ttrpc(enum ttrpc_code code);

/* ---- spawn.c ---- */
struct tasks_shim_cmd {
	const char *binary;
	const char *ns, *id;
	const char *address, *ttrpc_address, *publish_binary;
	const char *socket_dir; /* $BERTH_SHIM_SOCKET_DIR for the shim, or NULL */
	const char *bundle;	/* cwd; `delete` also gets -bundle */
};
/*
 * Runs `<binary> -namespace NS -address A -publish-binary P -id ID [-bundle B] ACTION` in
 * the bundle with TTRPC_ADDRESS set, stdin = in (may be NULL), and returns its stdout
 * (+ stderr for `start`, as containerd reads it: combined) in *out (NUL-terminated).
 * err: the command's output when it fails.
 */
int tasks_shim_run(const struct tasks_shim_cmd *c, const char *action, const uint8_t *in,
		   size_t in_len, char **out, size_t *out_len, struct berth_err **err);
/*
 * Shim binary for a runtime name: io.containerd.<name>.<ver> -> containerd-shim-<name>-<ver>
 * in PATH, else in dir (berthd's own directory); an absolute path is taken as is.
 * err: INVALID for a bad name, NOT_FOUND when not installed.
 */
char *tasks_shim_binary(const char *runtime, const char *dir, struct berth_err **err);

/* ---- bundle.c ---- */
/*
 * Creates <root>/<ns>/<id> with config.json (spec), rootfs/ and the log FIFO; returns the
 * path, and *log_fd the FIFO opened O_RDWR|O_NONBLOCK. err: EXISTS if the bundle exists.
 */
char *tasks_bundle_create(const char *root, const char *ns, const char *id, const uint8_t *spec,
			  size_t spec_len, int *log_fd, struct berth_err **err);
/* Opens the existing log FIFO of a bundle (after a restart), or -1. */
int tasks_bundle_open_log(const char *bundle);
/* Unmounts rootfs/ and removes the bundle; logs what fails. */
void tasks_bundle_remove(const char *bundle);

/* ---- forward.c ---- */
/* Listens on m->ttrpc_address (manager thread). */
int tasks_events_listen(struct tasks_manager *m, struct berth_err **err);

#endif
