/*
 * supervisor/tasks/tasks.h - berthd's shim manager: one containerd shim v2 process per task.
 *
 * Owns the bundles <state>/io.containerd.runtime.v2.task/<ns>/<id>/ (config.json, rootfs/,
 * the `log` FIFO, `address`, `shim-binary-path`), the shim processes' ttrpc connections, and
 * the ttrpc socket <berthd socket>.ttrpc on which shims Forward their events. It does not
 * own container records (supervisor/meta) nor the gRPC side (supervisor/services/tasks.c,
 * which translates containerd.services.tasks.v1 into containerd.task.v2 calls made here).
 *
 * Threads: one manager thread runs an evloop with every ttrpc connection (common/ttrpc.h is
 * single-threaded); any other thread hands it calls through a queue. tasks_call() blocks the
 * calling thread until the shim answers (or the timeout); tasks_call_async() returns at once
 * and runs its callback on the manager thread (Wait: a gRPC worker never blocks on it).
 *
 * The shim v2 contract, as berthd drives it (the same as containerd 1.6, notes/rpc.md §6):
 *
 *   berthd                                      shim binary / daemon
 *     | mkdir bundle, config.json, rootfs/, log FIFO (opened O_RDWR: never blocks the shim)
 *     | spawn `<shim> -namespace NS -address SOCK -publish-binary BERTHD -id ID start`
 *     |   cwd = bundle, env TTRPC_ADDRESS=SOCK.ttrpc, stdin = options Any
 *     |                                        <- stdout: "unix:///.../s/<hash>" (address)
 *     | -- Task.Create{id, bundle, rootfs, stdio, options} -->
 *     | -- Task.Connect -->                    <- {shim_pid, task_pid}
 *     |                                        -- Events.Forward(/tasks/create) --> SOCK.ttrpc
 *     | ... Start, State, Kill, Exec, Wait (answered late) ...
 *     | -- Task.Delete --> ; -- Task.Shutdown -->   (the daemon exits)
 *     | spawn `<shim> ... -id ID -bundle B delete` (idempotent cleanup) ; rm -rf bundle
 *
 * After a berthd restart tasks_manager_new() re-finds live shims through the bundles'
 * `address` files (Connect as liveness check); a bundle whose shim is gone is cleaned up
 * with `<shim> delete`. A shim that dies under a live task (watched with a pidfd) is
 * cleaned up the same way, and /tasks/exit + /tasks/delete are published for its task
 * (containerd's cleanupAfterDeadShim).
 *
 * Errors: NOT_FOUND "task 'ID' not found", EXISTS "task 'ID': already exists", shim errors
 * keep the shim's gRPC code and message; UNAVAILABLE when the shim is unreachable.
 */
#ifndef BERTH_SUPERVISOR_TASKS_TASKS_H
#define BERTH_SUPERVISOR_TASKS_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/err.h"

struct tasks_manager;
struct tasks_task;

/* A forwarded event, borrowed for the duration of the call (runs on the manager thread). */
typedef void (*tasks_event_fn)(void *arg, int64_t ts_ns, const char *ns, const char *topic,
			       const char *type_url, const uint8_t *value, size_t len);

struct tasks_manager_opts {
	const char *state;	    /* bundles under <state>/io.containerd.runtime.v2.task */
	const char *address;	    /* berthd's gRPC socket (the shims' -address) */
	const char *ttrpc_address;  /* events socket; NULL: <address>.ttrpc */
	const char *publish_binary; /* the shims' -publish-binary (berthd's own path) */
	const char *shim_dir;	    /* where shim binaries are looked for after PATH */
	const char *socket_dir;	    /* shims' sockets, BERTH_SHIM_SOCKET_DIR (NULL: the shim's
				       own default); short: <dir>/<64 hex> must fit 107 bytes */
	tasks_event_fn on_event;
	void *event_arg;
};

/* Starts the manager thread, listens on the events socket, re-finds running shims. */
struct tasks_manager *tasks_manager_new(const struct tasks_manager_opts *opts,
					struct berth_err **err);
/* Closes every connection (shims keep running) and stops the thread. Accepts NULL. */
void tasks_manager_free(struct tasks_manager *m);

struct tasks_create_opts {
	const char *ns, *id;
	const char *runtime; /* "io.containerd.runc.v2", or an absolute shim path */
	const uint8_t *spec; /* config.json bytes (the container's spec Any value) */
	size_t spec_len;
	const uint8_t *options; /* packed google.protobuf.Any for `start`'s stdin, or NULL */
	size_t options_len;
	const ProtobufCMessage *req; /* Containerd__Task__V2__CreateTaskRequest; id and bundle
					are filled in here */
};

/*
 * Creates the bundle, starts the shim, calls Create then Connect; on any failure everything
 * is undone (shim shut down, bundle removed). *pid: the task's init pid.
 * err: EXISTS if the task exists, NOT_FOUND if no shim binary matches the runtime.
 */
int tasks_create(struct tasks_manager *m, const struct tasks_create_opts *o, uint32_t *pid,
		 struct berth_err **err);

/* A reference on task (ns, id): NULL with NOT_FOUND "task 'id' not found". */
struct tasks_task *tasks_get(struct tasks_manager *m, const char *ns, const char *id,
			     struct berth_err **err);
/* References on every task of ns (all namespaces if ns is NULL); free with tasks_list_put. */
size_t tasks_list(struct tasks_manager *m, const char *ns, struct tasks_task ***out);
void tasks_list_put(struct tasks_task **v, size_t n);
void tasks_task_put(struct tasks_task *t);
void tasks_task_putp(struct tasks_task **t);
const char *tasks_task_id(const struct tasks_task *t);
const char *tasks_task_ns(const struct tasks_task *t);

/* Default timeout of tasks_call, ms; 0 for none. */
#define TASKS_CALL_TIMEOUT_MS 60000

/*
 * Calls containerd.task.v2.Task/<method> on t's shim and waits for the answer. The method
 * must be one of the service descriptor's and req of its input type (else INVALID, nothing
 * sent). resp may be NULL (reply not wanted); otherwise *resp gets the response decoded as
 * the method's output type (free with protobuf_c_message_free_unpacked). err: the shim's
 * status (code and message).
 */
int tasks_call(struct tasks_task *t, const char *method, const ProtobufCMessage *req,
	       ProtobufCMessage **resp, uint64_t timeout_ms, struct berth_err **err);

/*
 * Called once, on the manager thread: err NULL and the packed response (borrowed), or err
 * (borrowed) when the call failed. Must not block.
 */
typedef void (*tasks_reply_fn)(void *data, const struct berth_err *err, const uint8_t *payload,
			       size_t len);
/* Starts the call and returns; fn runs exactly once (also when the manager is freed). */
void tasks_call_async(struct tasks_task *t, const char *method, const ProtobufCMessage *req,
		      uint64_t timeout_ms, tasks_reply_fn fn, void *data);

/* How a task's init process ended. */
struct tasks_exit {
	uint32_t pid, status;
	int64_t exited_ns; /* since the epoch; 0 if unknown */
};

/*
 * Deletes t's init process in the shim (Task.Delete), then shuts the shim down, runs
 * `<shim> delete` and removes the bundle; t leaves the table. *x: the exit the shim
 * reported (or `delete` when the shim was gone: status 255 if it said nothing either).
 * err: the shim's Delete error (the task stays).
 */
int tasks_delete(struct tasks_manager *m, struct tasks_task *t, struct tasks_exit *x,
		 struct berth_err **err);

#endif
