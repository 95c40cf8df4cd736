/*
 * runtime/lib/cgroup/cgroup_apply.c - linux.resources: validation, then dispatch of
 * each group to the v1 or v2 writer of the hierarchy holding its controller.
 *
 * Validation runs before the first directory is made or file written: a
 * controller that is not mounted, a field the cgroup version cannot express
 * or an out-of-range value fails here, naming the JSON field. Missing files
 * (a field the kernel lacks) can only be seen once the cgroup exists; the
 * writers report those.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"

static int need(const struct rt_cgroup *cg, const char *ctrl, const char *field,
		struct cg_hier **out, struct berth_err **err)
{
	struct cg_hier *h = cg_ctrl(cg, ctrl);

	if (!h)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     CG_FIELD
				     "%s: the '%s' cgroup controller is not mounted on this host",
				     field, ctrl);
	if (out)
		*out = h;
	return 0;
}

static int v2_only_unsupported(const char *field, struct berth_err **err)
{
	return berth_err_new(err, BERTH_E_UNIMPLEMENTED, CG_FIELD "%s: not supported on cgroup v2",
			     field);
}

static void devnum(char *buf, size_t len, bool has, int64_t v)
{
	if (has && v >= 0)
		snprintf(buf, len, "%" PRId64, v);
	else
		snprintf(buf, len, "*");
}

void cg_device_field(const struct rt_cgroup *cg, const struct oci_device_cgroup *d, size_t i,
		     char *buf, size_t len)
{
	char maj[24], min[24];

	if (i < cg->n_cfg_devices) {
		snprintf(buf, len, CG_FIELD "devices[%zu]", i);
		return;
	}
	devnum(maj, sizeof(maj), d->has_major, d->major);
	devnum(min, sizeof(min), d->has_minor, d->minor);
	snprintf(buf, len,
		 CG_FIELD "devices: rule '%c %s:%s %.8s' added by the runtime (default devices)",
		 d->type > ' ' ? d->type : '?', maj, min, d->access ? d->access : "rwm");
}

static int validate_devices(const struct rt_cgroup *cg, const struct oci_resources *res,
			    struct berth_err **err)
{
	if (!cg_ctrl(cg, "devices") && !cg->unified)
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			CG_FIELD
			"devices: no devices cgroup (v1 'devices' not mounted, no cgroup2)");
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct oci_device_cgroup *d = &res->devices[i];
		char f[160];

		cg_device_field(cg, d, i, f, sizeof(f));
		if (d->type != 'a' && d->type != 'c' && d->type != 'b')
			return berth_err_new(err, BERTH_E_INVALID,
					     "%s: type '%c' is not one of a, c, b", f, d->type);
		if (d->access && (!d->access[0] || d->access[strspn(d->access, "rwm")]))
			return berth_err_new(err, BERTH_E_INVALID,
					     "%s: access '%s' is not a combination of r, w, m", f,
					     d->access);
		if ((d->has_major && d->major < 0) || (d->has_minor && d->minor < 0))
			return berth_err_new(err, BERTH_E_INVALID, "%s: negative major/minor", f);
	}
	return 0;
}

static int validate_memory(const struct rt_cgroup *cg, const struct oci_memory *m,
			   struct berth_err **err)
{
	struct cg_hier *h = NULL;
	int64_t swap;

	if (!(m->has_limit || m->has_reservation || m->has_swap || m->has_kernel ||
	      m->has_kernel_tcp || m->has_swappiness || m->disable_oom_killer ||
	      m->has_use_hierarchy))
		return 0;
	if (need(cg, "memory", "memory", &h, err) < 0)
		return -1;
	if (!h->v2) {
		if (m->has_swappiness && m->swappiness > 100)
			return berth_err_new(err, BERTH_E_INVALID,
					     CG_FIELD "memory.swappiness: %" PRIu64
						      " is out of range (0-100)",
					     m->swappiness);
		return 0;
	}
	if (m->has_swappiness)
		return v2_only_unsupported("memory.swappiness", err);
	if (m->disable_oom_killer)
		return v2_only_unsupported("memory.disableOOMKiller", err);
	if (m->has_kernel)
		return v2_only_unsupported("memory.kernel", err);
	if (m->has_kernel_tcp)
		return v2_only_unsupported("memory.kernelTCP", err);
	if (m->has_use_hierarchy && !m->use_hierarchy)
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			CG_FIELD
			"memory.useHierarchy: false is not supported on cgroup v2 (always hierarchical)");
	return cg_v2_swap_value(m, &swap, err);
}

static int validate_cpu(const struct rt_cgroup *cg, const struct oci_cpu *c, struct berth_err **err)
{
	struct cg_hier *h = NULL;

	if ((c->cpus || c->mems) &&
	    need(cg, "cpuset", c->cpus ? "cpu.cpus" : "cpu.mems", NULL, err) < 0)
		return -1;
	if (!(c->has_shares || c->has_quota || c->has_burst || c->has_period ||
	      c->has_realtime_runtime || c->has_realtime_period || c->has_idle))
		return 0;
	if (need(cg, "cpu", "cpu", &h, err) < 0)
		return -1;
	if (h->v2 && (c->has_realtime_runtime || c->has_realtime_period))
		return v2_only_unsupported(c->has_realtime_runtime ? "cpu.realtimeRuntime"
								   : "cpu.realtimePeriod",
					   err);
	if (h->v2 && c->has_shares && c->shares && (c->shares < 2 || c->shares > 262144))
		return berth_err_new(err, BERTH_E_INVALID,
				     CG_FIELD "cpu.shares: %" PRIu64 " is out of range (2-262144)",
				     c->shares);
	return 0;
}

static int validate_blkio(const struct rt_cgroup *cg, const struct oci_block_io *b,
			  struct berth_err **err)
{
	struct cg_hier *h = cg_ctrl(cg, "blkio");

	if (!h && !(h = cg_ctrl(cg, "io")))
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			CG_FIELD
			"blockIO: neither the 'blkio' (v1) nor the 'io' (v2) cgroup controller is available on this host");
	if (b->has_weight && (b->weight < 10 || b->weight > 1000))
		return berth_err_new(err, BERTH_E_INVALID,
				     CG_FIELD "blockIO.weight: %u is out of range (10-1000)",
				     b->weight);
	if (!h->v2)
		return 0;
	if (b->has_leaf_weight)
		return v2_only_unsupported("blockIO.leafWeight", err);
	for (size_t i = 0; i < b->n_weight_device; i++)
		if (b->weight_device[i].has_leaf_weight)
			return berth_err_new(
				err, BERTH_E_UNIMPLEMENTED,
				CG_FIELD
				"blockIO.weightDevice[%zu].leafWeight: not supported on cgroup v2",
				i);
	return 0;
}

static int validate_network(const struct rt_cgroup *cg, const struct oci_network *n,
			    struct berth_err **err)
{
	struct cg_hier *h = NULL;

	if (n->has_class_id) {
		if (need(cg, "net_cls", "network.classID", &h, err) < 0)
			return -1;
		if (h->v2)
			return v2_only_unsupported("network.classID", err);
	}
	if (n->n_priorities) {
		if (need(cg, "net_prio", "network.priorities", &h, err) < 0)
			return -1;
		if (h->v2)
			return v2_only_unsupported("network.priorities", err);
	}
	for (size_t i = 0; i < n->n_priorities; i++)
		if (!n->priorities[i].name || !n->priorities[i].name[0] ||
		    strpbrk(n->priorities[i].name, " \n/"))
			return berth_err_new(
				err, BERTH_E_INVALID,
				CG_FIELD "network.priorities[%zu].name: invalid interface name", i);
	return 0;
}

static int validate_unified(const struct rt_cgroup *cg, const struct oci_resources *res,
			    struct berth_err **err)
{
	if (!cg->unified)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     CG_FIELD
				     "unified: needs cgroup v2, and this host has only cgroup v1");
	for (size_t i = 0; i < res->n_unified; i++) {
		const char *k = res->unified[i].key;

		if (!k || !k[0] || strchr(k, '/') || k[0] == '.' ||
		    strcmp(k, "cgroup.procs") == 0 || strcmp(k, "cgroup.threads") == 0 ||
		    strcmp(k, "cgroup.subtree_control") == 0)
			return berth_err_new(err, BERTH_E_INVALID,
					     CG_FIELD "unified.%s: not a settable cgroup file",
					     k ? k : "");
		if (!res->unified[i].value)
			return berth_err_new(err, BERTH_E_INVALID,
					     CG_FIELD "unified.%s: missing value", k);
	}
	return 0;
}

int cg_validate(const struct rt_cgroup *cg, const struct oci_resources *res, bool update,
		struct berth_err **err)
{
	if (res->n_devices && validate_devices(cg, res, err) < 0)
		return -1;
	if (res->memory && validate_memory(cg, res->memory, err) < 0)
		return -1;
	if (res->cpu && validate_cpu(cg, res->cpu, err) < 0)
		return -1;
	if (res->has_pids_limit && need(cg, "pids", "pids.limit", NULL, err) < 0)
		return -1;
	if (res->block_io && validate_blkio(cg, res->block_io, err) < 0)
		return -1;
	if (res->n_hugepage_limits && need(cg, "hugetlb", "hugepageLimits", NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < res->n_hugepage_limits; i++) {
		const char *ps = res->hugepage_limits[i].page_size;

		if (!ps || !ps[0] || strchr(ps, '/'))
			return berth_err_new(err, BERTH_E_INVALID,
					     CG_FIELD
					     "hugepageLimits[%zu].pageSize: invalid page size '%s'",
					     i, ps ? ps : "");
	}
	if (res->network && validate_network(cg, res->network, err) < 0)
		return -1;
	if (res->n_rdma && need(cg, "rdma", "rdma", NULL, err) < 0)
		return -1;
	if (res->n_unified && validate_unified(cg, res, err) < 0)
		return -1;
	return 0;
}

static int check_before_update(const struct cg_hier *h, const struct oci_memory *m,
			       struct berth_err **err)
{
	uint64_t usage;

	if (!m->has_check_before_update || !m->check_before_update || !m->has_limit ||
	    m->limit <= 0)
		return 0;
	if (cg_read_u64(h->dir, h->v2 ? "memory.current" : "memory.usage_in_bytes", &usage, err) <
	    0)
		return berth_err_wrap(err, CG_FIELD "memory.checkBeforeUpdate");
	if ((uint64_t)m->limit < usage)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     CG_FIELD "memory.limit: %" PRId64
					      " is below the current usage %" PRIu64
					      " (checkBeforeUpdate)",
				     m->limit, usage);
	return 0;
}

static int apply_memory(struct rt_cgroup *cg, const struct oci_memory *m, bool update,
			struct berth_err **err)
{
	struct cg_hier *h = cg_ctrl(cg, "memory");

	if (!h)
		return 0; /* validated: nothing to set */
	if (update && check_before_update(h, m, err) < 0)
		return -1;
	return h->fmt->memory(h->dir, m, update, err);
}

static int apply_cpu(struct rt_cgroup *cg, const struct oci_cpu *c, struct berth_err **err)
{
	struct cg_hier *h;

	if ((c->cpus || c->mems) && (h = cg_ctrl(cg, "cpuset")) &&
	    h->fmt->cpuset(h->dir, c, err) < 0)
		return -1;
	if (!(h = cg_ctrl(cg, "cpu")))
		return 0;
	return h->fmt->cpu(h->dir, c, err);
}

static int apply_network(struct rt_cgroup *cg, const struct oci_network *n, struct berth_err **err)
{
	struct cg_hier *h;

	if (n->has_class_id && (h = cg_ctrl(cg, "net_cls")) &&
	    cg_writef(h->dir, "net_cls.classid", CG_FIELD "network.classID", NULL, err, "%u",
		      n->class_id) < 0)
		return -1;
	for (size_t i = 0; i < n->n_priorities && (h = cg_ctrl(cg, "net_prio")); i++) {
		char field[64];

		snprintf(field, sizeof(field), CG_FIELD "network.priorities[%zu]", i);
		if (cg_writef(h->dir, "net_prio.ifpriomap", field, NULL, err, "%s %u",
			      n->priorities[i].name, n->priorities[i].priority) < 0)
			return -1;
	}
	return 0;
}

static int apply_rdma(struct rt_cgroup *cg, const struct oci_rdma *r, size_t n,
		      struct berth_err **err)
{
	struct cg_hier *h = cg_ctrl(cg, "rdma");

	for (size_t i = 0; h && i < n; i++) {
		cleanup_free char *field = xasprintf(CG_FIELD "rdma.%s", r[i].device);
		char hh[24] = "max", ho[24] = "max";

		if (r[i].has_hca_handles)
			snprintf(hh, sizeof(hh), "%u", r[i].hca_handles);
		if (r[i].has_hca_objects)
			snprintf(ho, sizeof(ho), "%u", r[i].hca_objects);
		if (cg_writef(h->dir, "rdma.max", field, NULL, err,
			      "%s hca_handle=%s hca_object=%s", r[i].device, hh, ho) < 0)
			return -1;
	}
	return 0;
}

static int apply_devices(struct rt_cgroup *cg, const struct oci_resources *res,
			 struct berth_err **err)
{
	struct cg_hier *h = cg_ctrl(cg, "devices");

	if (h && !h->v2)
		return cg_v1_devices(cg, h->dir, res->devices, res->n_devices, err);
	return cg_v2_devices(cg->unified->dir, res->devices, res->n_devices, err);
}

int cg_apply(struct rt_cgroup *cg, const struct oci_resources *res, bool update,
	     struct berth_err **err)
{
	struct cg_hier *h;

	if (res->n_devices && apply_devices(cg, res, err) < 0)
		return -1;
	if (res->memory && apply_memory(cg, res->memory, update, err) < 0)
		return -1;
	if (res->cpu && apply_cpu(cg, res->cpu, err) < 0)
		return -1;
	if (res->has_pids_limit && (h = cg_ctrl(cg, "pids")) &&
	    h->fmt->pids(h->dir, res->pids_limit, err) < 0)
		return -1;
	if (res->block_io && ((h = cg_ctrl(cg, "blkio")) || (h = cg_ctrl(cg, "io"))) &&
	    h->fmt->io(h->dir, res->block_io, err) < 0)
		return -1;
	if (res->n_hugepage_limits && (h = cg_ctrl(cg, "hugetlb")) &&
	    h->fmt->hugetlb(h->dir, res->hugepage_limits, res->n_hugepage_limits, err) < 0)
		return -1;
	if (res->network && apply_network(cg, res->network, err) < 0)
		return -1;
	if (res->n_rdma && apply_rdma(cg, res->rdma, res->n_rdma, err) < 0)
		return -1;
	/* last, so that unified entries win over the converted fields, like runc */
	if (res->n_unified &&
	    cg_v2_unified(cg->unified->dir, res->unified, res->n_unified, err) < 0)
		return -1;
	return 0;
}
