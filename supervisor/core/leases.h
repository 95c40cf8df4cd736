/*
 * supervisor/core/leases.h - lease resource accounting: what a lease holds so that the
 * collector (core/gc.h) keeps it. Resource types as containerd's: "content" (id = digest),
 * "ingests" (id = ref), "snapshots/<snapshotter>" (id = snapshot key).
 */
#ifndef BERTH_SUPERVISOR_CORE_LEASES_H
#define BERTH_SUPERVISOR_CORE_LEASES_H

#include "common/err.h"
#include "supervisor/core/components.h"

/*
 * Adds resource (type, id) to lease `lease` of namespace ns; no-op returning 0 when lease
 * is NULL or "" (the call named no lease). NOT_FOUND if the lease does not exist.
 */
int core_lease_add_resource(struct berthd_components *c, const char *ns, const char *lease,
			    const char *type, const char *id, struct berth_err **err);

/* The resource type of snapshots of snapshotter name: "snapshots/<name>" (caller frees). */
char *core_lease_snapshot_type(const char *snapshotter);

#endif
