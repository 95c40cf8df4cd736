/*
 * supervisor/core/snapshots.h - namespaced operations over the snapshotters that need more
 * than one of berthd's components: listing with containerd's filters (core/filter.h).
 * The snapshotters themselves (supervisor/snapshot/) know nothing of filters.
 */
#ifndef BERTH_SUPERVISOR_CORE_SNAPSHOTS_H
#define BERTH_SUPERVISOR_CORE_SNAPSHOTS_H

#include <stddef.h>

#include "common/err.h"

struct snapshotter;
struct snap_info;

/*
 * The snapshots of ns in s that match any of the n_filters filters (none: all), sorted by
 * name. Fields: name, parent, kind (active|view|committed), labels.<key>. *out: free with
 * snap_infos_free(*out, *n). INVALID naming the filter on a syntax error.
 */
int core_snapshots_list(struct snapshotter *s, const char *ns, char *const *filters,
			size_t n_filters, struct snap_info **out, size_t *n,
			struct berth_err **err);

#endif
