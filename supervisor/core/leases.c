/*
 * supervisor/core/leases.c - lease resource accounting (leases.h).
 */
#include "common/xalloc.h"
#include "supervisor/core/leases.h"
#include "supervisor/meta/meta.h"

int core_lease_add_resource(struct berthd_components *c, const char *ns, const char *lease,
			    const char *type, const char *id, struct berth_err **err)
{
	if (!lease || !*lease)
		return 0;
	return meta_lease_add_resource(c->db, ns, lease, type, id, err);
}

char *core_lease_snapshot_type(const char *snapshotter)
{
	return xasprintf("snapshots/%s", snapshotter && *snapshotter ? snapshotter : "overlayfs");
}
