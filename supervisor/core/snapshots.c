/*
 * supervisor/core/snapshots.c - leased snapshot create/commit and filtered listing
 * (snapshots.h).
 */
#include <string.h>

#include "common/cleanup.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/gc.h"
#include "supervisor/core/leases.h"
#include "supervisor/core/snapshots.h"
#include "supervisor/snapshot/snapshot.h"

static const char *snap_field(const void *obj, char *const *path, size_t n)
{
	const struct snap_info *info = obj;

	if (n == 1 && strcmp(path[0], "name") == 0)
		return info->name;
	if (n == 1 && strcmp(path[0], "parent") == 0)
		return info->parent;
	if (n == 1 && strcmp(path[0], "kind") == 0)
		return snap_kind_name(info->kind);
	if (n >= 2 && strcmp(path[0], "labels") == 0)
		return core_filter_kv(info->labels, path + 1, n - 1);
	return NULL;
}

int core_snapshots_list(struct snapshotter *s, const char *ns, char *const *filters,
			size_t n_filters, struct snap_info **out, size_t *n, struct berth_err **err)
{
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	struct snap_info *v = NULL;
	size_t cnt = 0, all = 0;

	if (core_filter_parse(filters, n_filters, &f, err) < 0 ||
	    snap_list(s, ns, &v, &all, err) < 0)
		return -1;
	for (size_t i = 0; i < all; i++) {
		if (core_filter_match(f, snap_field, &v[i])) {
			if (cnt != i)
				v[cnt] = v[i];
			cnt++;
		} else {
			snap_info_free(&v[i]);
		}
	}
	*out = v;
	*n = cnt;
	return 0;
}

static int lease_add(struct berthd_components *c, struct snapshotter *s, const char *ns,
		     const char *lease, const char *key, struct berth_err **err)
{
	cleanup_free char *type = core_lease_snapshot_type(snap_driver(s));

	return core_lease_add_resource(c, ns, lease, type, key, err);
}

int core_snapshots_create(struct berthd_components *c, struct snapshotter *s, const char *ns,
			  const char *lease, const char *key, const char *parent,
			  char *const *labels, bool view, struct snap_mounts *m,
			  struct berth_err **err)
{
	int ret;

	/* a new snapshot is unreferenced until its lease holds it: keep the collector off */
	core_gc_hold(c);
	ret = view ? snap_view(s, ns, key, parent, labels, m, err)
		   : snap_prepare(s, ns, key, parent, labels, m, err);
	if (ret == 0 && lease_add(c, s, ns, lease, key, err) < 0) {
		struct berth_err *rerr = NULL;

		if (snap_remove(s, ns, key, &rerr) < 0)
			berth_err_free(&rerr);
		snap_mounts_free(m);
		ret = -1;
	}
	core_gc_release(c);
	return ret;
}

int core_snapshots_commit(struct berthd_components *c, struct snapshotter *s, const char *ns,
			  const char *lease, const char *name, const char *key, char *const *labels,
			  struct berth_err **err)
{
	if (lease_add(c, s, ns, lease, name, err) < 0)
		return -1;
	return snap_commit(s, ns, name, key, labels, err);
}
