/*
 * supervisor/services/svc.h - what every berthd gRPC service shares.
 *
 * berthd creates one `struct berthd_components` and passes it as the `ctx` of
 * rpc_server_add_service(), so a service's init(void *ctx, ...) casts it to
 * `struct berthd_components *`. It owns nothing itself: main.c opens the stores, the
 * services borrow them. Every field is set before the first init runs and stays
 * valid until the last fini returned.
 *
 * Services of other helpers plug in here without editing this file:
 *   - introspection: svc_plugin_register() adds a row to `ctr plugins ls`
 *     (call it from your init, e.g. type "io.containerd.snapshotter.v1", id "overlayfs").
 *   - events: svc_publish() fans an event out to Subscribe streams (ctr events).
 *   - leases: core_lease_add_resource() (core/leases.h) attaches a resource to the lease named in the
 *     call's "containerd-lease" metadata (rpc_call_metadata(call, "containerd-lease")),
 *     e.g. type "snapshots/overlayfs", id = snapshot key, so GC keeps it.
 *   - GC: core_gc_schedule() (core/gc.h) asks for a collection soon (after deletes).
 */
#ifndef BERTH_SUPERVISOR_SERVICES_SVC_H
#define BERTH_SUPERVISOR_SERVICES_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/err.h"
#include "supervisor/core/components.h"
#include "supervisor/core/gc.h"
#include "supervisor/core/leases.h"

/* Adds an introspection plugin row. exports: NULL or k,v,k,v,...,NULL (copied). Thread-safe. */
void svc_plugin_register(struct berthd_components *ctx, const char *type, const char *id,
			 char *const *exports);

/*
 * Publishes an event to every subscriber whose filters match: Envelope{timestamp now, ns,
 * topic, Any{type_url, packed event}}. type_url is the bare proto name containerd uses,
 * e.g. "containerd.events.ImageCreate". Never blocks on a slow subscriber.
 */
void svc_publish(struct berthd_components *ctx, const char *ns, const char *topic,
		 const char *type_url, const ProtobufCMessage *event);

/* Namespace of a call, or an INVALID_ARGUMENT error naming the missing metadata. */
struct rpc_call;
const char *svc_namespace(struct rpc_call *call, struct berth_err **err);

#endif
