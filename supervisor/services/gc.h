/*
 * supervisor/services/gc.h - berthd's garbage collector (svc_gc_* of svc.h).
 *
 * Mark and sweep, per namespace, from the roots meta_gc_roots() gives (images, live
 * leases, containers, gc.root labels), following content labels
 * containerd.io/gc.ref.content* (-> digest) and containerd.io/gc.ref.snapshot.<name>
 * (-> snapshot key), and snapshot parents. Swept: expired leases, unreachable content
 * records, blobs no namespace records, ingests no lease holds that were idle for an
 * hour, and unreachable snapshots of registered snapshotters (children first).
 *
 * Writers that create something which is not yet referenced (a content commit followed
 * by its meta record) hold svc_gc_hold() across both steps; a collection takes the lock
 * exclusively, so it never sees the blob without its record.
 */
#ifndef BERTH_SUPERVISOR_SERVICES_GC_H
#define BERTH_SUPERVISOR_SERVICES_GC_H

#include <stdbool.h>
#include <stdint.h>

#include "supervisor/services/svc.h"

/* interval_s: periodic collections (0 = only on request). Starts its thread. */
struct svc_gc *svc_gc_new(struct berthd_components *ctx, unsigned interval_s);
/* Stops the thread (waits for a running collection). Accepts NULL. */
void svc_gc_free(struct svc_gc *gc);
void svc_gc_hold(struct berthd_components *ctx);
void svc_gc_release(struct berthd_components *ctx);

/* Whether any registered snapshotter has a snapshot in ns (namespace delete refuses then);
 * *which (optional) gets the snapshotter's name. */
int svc_gc_ns_has_snapshots(struct berthd_components *ctx, const char *ns, bool *out,
			    const char **which, struct berth_err **err);

struct svc_gc_stats {
	unsigned leases, content, blobs, ingests, snapshots; /* removed */
	int64_t bytes;					     /* blob bytes freed */
};
/* svc_gc_run with statistics (berthctl system prune prints them). */
int svc_gc_run_stats(struct berthd_components *ctx, struct svc_gc_stats *st,
		     struct berth_err **err);

#endif
