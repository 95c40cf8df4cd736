/*
 * shim/service.h - containerd.task.v2.Task over ttrpc: decodes each request,
 * calls into task.c and encodes the answer; errors become ttrpc statuses
 * (NotFound, FailedPrecondition, InvalidArgument, ...). A request never
 * crashes the shim: every id is looked up, every payload decoded and checked.
 */
#ifndef BERTH_SHIM_SERVICE_H
#define BERTH_SHIM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/ttrpc.h"
#include "shim/task.h"

struct shim_daemon {
	struct evloop *loop;
	struct shim_task *task;
	struct shim_events *events;
	bool shutdown;	   /* Shutdown asked and nothing left to serve */
	bool shutdown_now; /* Shutdown{now: true} */
};

/*
 * The ttrpc table of the Task service: method names only; each request type comes from
 * containerd.task.v2.Task's protoc-c descriptor when a call is served.
 */
#define SHIM_TASK_SERVICE "containerd.task.v2.Task"
#define SHIM_N_METHODS 17
extern const struct ttrpc_method shim_service_methods[SHIM_N_METHODS];
/* Checks the table against the descriptor (service name, every method name); INVALID naming it. */
int shim_service_check(struct berth_err **err);

#endif
