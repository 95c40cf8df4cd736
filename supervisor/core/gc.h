/*
 * supervisor/core/gc.h - berthd's garbage collector.
 *
 * Mark and sweep, per namespace, from the roots meta_gc_roots() gives (images, live
 * leases, containers, gc.root labels), following content labels
 * containerd.io/gc.ref.content* (-> digest) and containerd.io/gc.ref.snapshot.<name>
 * (-> snapshot key), and snapshot parents. Swept: expired leases, unreachable content
 * records, blobs no namespace records, ingests no lease holds that were idle for an
 * hour, and unreachable snapshots of registered snapshotters (children first).
 *
 * Writers that create something which is not yet referenced (a content commit followed
 * by its meta record) hold core_gc_hold() across both steps; a collection takes the lock
 * exclusively, so it never sees the blob without its record.
 */
#ifndef BERTH_SUPERVISOR_CORE_GC_H
#define BERTH_SUPERVISOR_CORE_GC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "supervisor/core/components.h"

/* interval_s: periodic collections (0 = only on request). Starts its thread. */
struct core_gc *core_gc_new(struct berthd_components *ctx, unsigned interval_s);
/* Stops the thread (waits for a running collection). Accepts NULL. */
void core_gc_free(struct core_gc *gc);
/*
 * Registers snapshotter s (borrowed, must outlive the collector) under name ("overlayfs",
 * "native": the <snapshotter> of gc.ref labels). A snapshot is kept if a lease, a
 * container (snapshot key), a content label "containerd.io/gc.ref.snapshot.<name>" of
 * reachable content, a "containerd.io/gc.root" label, or a kept child (through parent)
 * references it. Called by berthd's main before the services start.
 */
struct snapshotter;
void core_gc_add_snapshotter(struct core_gc *gc, const char *name, struct snapshotter *s);
/* Requests a collection soon, on the collector's thread; returns at once. */
void core_gc_schedule(struct berthd_components *ctx);
/* Runs a collection now, on the calling thread (Images.Delete with sync). */
int core_gc_run(struct berthd_components *ctx, struct berth_err **err);
void core_gc_hold(struct berthd_components *ctx);
void core_gc_release(struct berthd_components *ctx);

/* Whether any registered snapshotter has a snapshot in ns (namespace delete refuses then);
 * *which (optional) gets the snapshotter's name. */
int core_gc_ns_has_snapshots(struct berthd_components *ctx, const char *ns, bool *out,
			     const char **which, struct berth_err **err);

struct core_gc_stats {
	unsigned leases, content, blobs, ingests, snapshots; /* removed */
	int64_t bytes;					     /* blob bytes freed */
};
/* core_gc_run with statistics (berthctl system prune prints them). */
int core_gc_run_stats(struct berthd_components *ctx, struct core_gc_stats *st,
		      struct berth_err **err);

#endif
