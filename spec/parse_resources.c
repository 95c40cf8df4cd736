/*
 * spec/oj_parse_resources.c - linux.resources (LinuxResources): device cgroup
 * rules, memory, cpu, pids, blockIO, hugepageLimits, network, rdma, unified.
 * Also used alone for `berth update --resources`.
 */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "spec/parse_internal.h"

static int parse_dev_rule(struct pctx *c, struct json_object *e, const char *path, void *elem,
			  void *arg)
{
	struct oci_device_cgroup *d = elem;
	cleanup_free char *type = NULL;
	bool has_allow = false;
	struct jp p;

	d->type = 'a';
	d->major = d->minor = -1;
	if (oj_bool(c, e, path, "allow", &d->allow, &has_allow) < 0 ||
	    oj_str(c, e, path, "type", &type) < 0 ||
	    oj_i64(c, e, path, "major", -1, UINT32_MAX, &d->major, &d->has_major) < 0 ||
	    oj_i64(c, e, path, "minor", -1, UINT32_MAX, &d->minor, &d->has_minor) < 0 ||
	    oj_str(c, e, path, "access", &d->access) < 0)
		return -1;
	if (!has_allow)
		return oj_err(c, oj_key(&p, path, "allow"), "required");
	if (type && (strlen(type) != 1 || !strchr("acb", type[0])))
		return oj_err(c, oj_key(&p, path, "type"), "unknown device type '%s'", type);
	if (type)
		d->type = type[0];
	if (d->access && strspn(d->access, "rwm") != strlen(d->access))
		return oj_err(c, oj_key(&p, path, "access"),
			      "invalid access '%s' (a subset of \"rwm\")", d->access);
	return 0;
}

static int parse_memory(struct pctx *c, struct json_object *v, const char *path,
			struct oci_resources *r)
{
	struct json_object *o;
	struct oci_memory *m;
	struct jp p;

	if (oj_obj(c, v, path, "memory", &o) < 0)
		return -1;
	if (!o)
		return 0;
	m = r->memory = xnew(struct oci_memory);
	oj_key(&p, path, "memory");
	if (oj_i64(c, o, p.s, "limit", -1, INT64_MAX, &m->limit, &m->has_limit) < 0 ||
	    oj_i64(c, o, p.s, "reservation", -1, INT64_MAX, &m->reservation, &m->has_reservation) <
		    0 ||
	    oj_i64(c, o, p.s, "swap", -1, INT64_MAX, &m->swap, &m->has_swap) < 0 ||
	    oj_i64(c, o, p.s, "kernel", -1, INT64_MAX, &m->kernel, &m->has_kernel) < 0 ||
	    oj_i64(c, o, p.s, "kernelTCP", -1, INT64_MAX, &m->kernel_tcp, &m->has_kernel_tcp) < 0 ||
	    oj_u64(c, o, p.s, "swappiness", UINT64_MAX, &m->swappiness, &m->has_swappiness) < 0 ||
	    oj_bool(c, o, p.s, "disableOOMKiller", &m->disable_oom_killer,
		    &m->has_disable_oom_killer) < 0 ||
	    oj_bool(c, o, p.s, "useHierarchy", &m->use_hierarchy, &m->has_use_hierarchy) < 0 ||
	    oj_bool(c, o, p.s, "checkBeforeUpdate", &m->check_before_update,
		    &m->has_check_before_update) < 0)
		return -1;
	return 0;
}

static int parse_cpu(struct pctx *c, struct json_object *v, const char *path,
		     struct oci_resources *r)
{
	struct json_object *o;
	struct oci_cpu *u;
	struct jp p;

	if (oj_obj(c, v, path, "cpu", &o) < 0)
		return -1;
	if (!o)
		return 0;
	u = r->cpu = xnew(struct oci_cpu);
	oj_key(&p, path, "cpu");
	if (oj_u64(c, o, p.s, "shares", UINT64_MAX, &u->shares, &u->has_shares) < 0 ||
	    oj_i64(c, o, p.s, "quota", -1, INT64_MAX, &u->quota, &u->has_quota) < 0 ||
	    oj_u64(c, o, p.s, "burst", UINT64_MAX, &u->burst, &u->has_burst) < 0 ||
	    oj_u64(c, o, p.s, "period", UINT64_MAX, &u->period, &u->has_period) < 0 ||
	    oj_i64(c, o, p.s, "realtimeRuntime", -1, INT64_MAX, &u->realtime_runtime,
		   &u->has_realtime_runtime) < 0 ||
	    oj_u64(c, o, p.s, "realtimePeriod", UINT64_MAX, &u->realtime_period,
		   &u->has_realtime_period) < 0 ||
	    oj_str(c, o, p.s, "cpus", &u->cpus) < 0 || oj_str(c, o, p.s, "mems", &u->mems) < 0 ||
	    oj_i64(c, o, p.s, "idle", 0, 1, &u->idle, &u->has_idle) < 0)
		return -1;
	return 0;
}

static int parse_pids(struct pctx *c, struct json_object *v, const char *path,
		      struct oci_resources *r)
{
	struct json_object *o;
	struct jp p, q;

	if (oj_obj(c, v, path, "pids", &o) < 0)
		return -1;
	if (!o)
		return 0;
	oj_key(&p, path, "pids");
	if (oj_i64(c, o, p.s, "limit", -1, INT64_MAX, &r->pids_limit, &r->has_pids_limit) < 0)
		return -1;
	if (!r->has_pids_limit)
		return oj_err(c, oj_key(&q, p.s, "limit"), "required");
	return 0;
}

static int parse_u16(struct pctx *c, struct json_object *o, const char *path, const char *key,
		     uint16_t *out, bool *has)
{
	uint64_t u = 0;

	if (oj_u64(c, o, path, key, UINT16_MAX, &u, has) < 0)
		return -1;
	*out = (uint16_t)u;
	return 0;
}

static int parse_major_minor(struct pctx *c, struct json_object *e, const char *path,
			     int64_t *major, int64_t *minor)
{
	bool has_major = false, has_minor = false;
	struct jp p;

	if (oj_i64(c, e, path, "major", 0, OCI_DEV_MAJOR_MAX, major, &has_major) < 0 ||
	    oj_i64(c, e, path, "minor", 0, OCI_DEV_MINOR_MAX, minor, &has_minor) < 0)
		return -1;
	if (!has_major || !has_minor)
		return oj_err(c, oj_key(&p, path, has_major ? "minor" : "major"), "required");
	return 0;
}

static int parse_weight_dev(struct pctx *c, struct json_object *e, const char *path, void *elem,
			    void *arg)
{
	struct oci_weight_device *w = elem;

	if (parse_major_minor(c, e, path, &w->major, &w->minor) < 0 ||
	    parse_u16(c, e, path, "weight", &w->weight, &w->has_weight) < 0 ||
	    parse_u16(c, e, path, "leafWeight", &w->leaf_weight, &w->has_leaf_weight) < 0)
		return -1;
	return 0;
}

static int parse_throttle_dev(struct pctx *c, struct json_object *e, const char *path, void *elem,
			      void *arg)
{
	struct oci_throttle_device *t = elem;
	bool has_rate = false;
	struct jp p;

	if (parse_major_minor(c, e, path, &t->major, &t->minor) < 0 ||
	    oj_u64(c, e, path, "rate", UINT64_MAX, &t->rate, &has_rate) < 0)
		return -1;
	if (!has_rate)
		return oj_err(c, oj_key(&p, path, "rate"), "required");
	return 0;
}

static int parse_block_io(struct pctx *c, struct json_object *v, const char *path,
			  struct oci_resources *r)
{
	struct json_object *o;
	struct oci_block_io *b;
	struct jp p;

	if (oj_obj(c, v, path, "blockIO", &o) < 0)
		return -1;
	if (!o)
		return 0;
	b = r->block_io = xnew(struct oci_block_io);
	oj_key(&p, path, "blockIO");
	if (parse_u16(c, o, p.s, "weight", &b->weight, &b->has_weight) < 0 ||
	    parse_u16(c, o, p.s, "leafWeight", &b->leaf_weight, &b->has_leaf_weight) < 0 ||
	    oj_each(c, o, p.s, "weightDevice", &b->weight_device, &b->n_weight_device,
		    parse_weight_dev, NULL) < 0 ||
	    oj_each(c, o, p.s, "throttleReadBpsDevice", &b->throttle_read_bps,
		    &b->n_throttle_read_bps, parse_throttle_dev, NULL) < 0 ||
	    oj_each(c, o, p.s, "throttleWriteBpsDevice", &b->throttle_write_bps,
		    &b->n_throttle_write_bps, parse_throttle_dev, NULL) < 0 ||
	    oj_each(c, o, p.s, "throttleReadIOPSDevice", &b->throttle_read_iops,
		    &b->n_throttle_read_iops, parse_throttle_dev, NULL) < 0 ||
	    oj_each(c, o, p.s, "throttleWriteIOPSDevice", &b->throttle_write_iops,
		    &b->n_throttle_write_iops, parse_throttle_dev, NULL) < 0)
		return -1;
	return 0;
}

static int parse_hugepage(struct pctx *c, struct json_object *e, const char *path, void *elem,
			  void *arg)
{
	struct oci_hugepage_limit *h = elem;
	bool has_limit = false;
	struct jp p;

	if (oj_str_req(c, e, path, "pageSize", &h->page_size) < 0 ||
	    oj_u64(c, e, path, "limit", UINT64_MAX, &h->limit, &has_limit) < 0)
		return -1;
	if (!has_limit)
		return oj_err(c, oj_key(&p, path, "limit"), "required");
	return 0;
}

static int parse_net_priority(struct pctx *c, struct json_object *e, const char *path, void *elem,
			      void *arg)
{
	struct oci_net_priority *pr = elem;

	if (oj_str_req(c, e, path, "name", &pr->name) < 0 ||
	    oj_u32(c, e, path, "priority", &pr->priority, NULL) < 0)
		return -1;
	return 0;
}

static int parse_network(struct pctx *c, struct json_object *v, const char *path,
			 struct oci_resources *r)
{
	struct json_object *o;
	struct oci_network *net;
	struct jp p;

	if (oj_obj(c, v, path, "network", &o) < 0)
		return -1;
	if (!o)
		return 0;
	net = r->network = xnew(struct oci_network);
	oj_key(&p, path, "network");
	if (oj_u32(c, o, p.s, "classID", &net->class_id, &net->has_class_id) < 0 ||
	    oj_each(c, o, p.s, "priorities", &net->priorities, &net->n_priorities,
		    parse_net_priority, NULL) < 0)
		return -1;
	return 0;
}

static int parse_rdma(struct pctx *c, const char *name, struct json_object *v, const char *path,
		      void *elem, void *arg)
{
	struct oci_rdma *d = elem;

	d->device = xstrdup(name);
	if (oj_v_object(c, v, path) < 0 ||
	    oj_u32(c, v, path, "hcaHandles", &d->hca_handles, &d->has_hca_handles) < 0 ||
	    oj_u32(c, v, path, "hcaObjects", &d->hca_objects, &d->has_hca_objects) < 0)
		return -1;
	return 0;
}

static int parse_resources_fields(struct pctx *c, struct json_object *v, const char *path,
				  struct oci_resources *r)
{
	if (oj_each(c, v, path, "devices", &r->devices, &r->n_devices, parse_dev_rule, NULL) < 0 ||
	    parse_memory(c, v, path, r) < 0 || parse_cpu(c, v, path, r) < 0 ||
	    parse_pids(c, v, path, r) < 0 || parse_block_io(c, v, path, r) < 0 ||
	    oj_each(c, v, path, "hugepageLimits", &r->hugepage_limits, &r->n_hugepage_limits,
		    parse_hugepage, NULL) < 0 ||
	    parse_network(c, v, path, r) < 0 ||
	    oj_each_member(c, v, path, "rdma", &r->rdma, &r->n_rdma, parse_rdma, NULL) < 0 ||
	    oj_kv(c, v, path, "unified", &r->unified, &r->n_unified) < 0)
		return -1;
	return 0;
}

int oj_parse_resources(struct pctx *c, struct json_object *v, const char *path,
		       struct oci_resources **out)
{
	cleanup(oci_resources_freep) struct oci_resources *r = xnew(struct oci_resources);

	if (parse_resources_fields(c, v, path, r) < 0)
		return -1;
	*out = take_ptr(r);
	return 0;
}
