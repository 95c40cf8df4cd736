/*
 * supervisor/core/snapshots.h - namespaced, lease-aware operations over the snapshotters
 * that need more than the snapshotter: creating and committing under the call's lease (as
 * containerd's metadata snapshotter) and listing with containerd's filters (core/filter.h).
 * The snapshotters themselves (supervisor/snapshot/) know nothing of leases or filters.
 */
#ifndef BERTH_SUPERVISOR_CORE_SNAPSHOTS_H
#define BERTH_SUPERVISOR_CORE_SNAPSHOTS_H

#include <stddef.h>

#include <stdbool.h>

#include "common/err.h"
#include "supervisor/core/components.h"

struct snapshotter;
struct snap_info;
struct snap_mounts;

/*
 * Prepare (view false) or View (true) snapshot key of ns on parent (NULL or ""), with
 * labels, and add it to lease (NULL or "": none; resource "snapshots/<driver>"). Both
 * steps run under the collector's hold; if the lease refuses (NOT_FOUND), the snapshot is
 * removed again. *m (caller frees with snap_mounts_free) on success.
 */
int core_snapshots_create(struct berthd_components *c, struct snapshotter *s, const char *ns,
			  const char *lease, const char *key, const char *parent,
			  char *const *labels, bool view, struct snap_mounts *m,
			  struct berth_err **err);
/* Commits active snapshot key as name, lease first: a commit no lease holds could be
 * collected at once. */
int core_snapshots_commit(struct berthd_components *c, struct snapshotter *s, const char *ns,
			  const char *lease, const char *name, const char *key, char *const *labels,
			  struct berth_err **err);

/*
 * The snapshots of ns in s that match any of the n_filters filters (none: all), sorted by
 * name. Fields: name, parent, kind (active|view|committed), labels.<key>. *out: free with
 * snap_infos_free(*out, *n). INVALID naming the filter on a syntax error.
 */
int core_snapshots_list(struct snapshotter *s, const char *ns, char *const *filters,
			size_t n_filters, struct snap_info **out, size_t *n,
			struct berth_err **err);

#endif
