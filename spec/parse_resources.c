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

static int parse_dev_rule(struct pctx *c, struct json_object *e, const char *path,
			  struct oci_device_cgroup *d)
{
	cleanup_free char *type = NULL;
	bool has_allow = false;
	struct jp p;

	if (!e)
		return oj_err(c, path, "must be an object");
	d->type = 'a';
	d->major = d->minor = -1;
	if (oj_v_object(c, e, path) < 0 ||
	    oj_bool(c, e, path, "allow", &d->allow, &has_allow) < 0 ||
	    oj_str(c, e, path, "type", &type) < 0 ||
	    oj_i64(c, e, path, "major", -1, INT64_MAX, &d->major, &d->has_major) < 0 ||
	    oj_i64(c, e, path, "minor", -1, INT64_MAX, &d->minor, &d->has_minor) < 0 ||
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

static int parse_dev_rules(struct pctx *c, struct json_object *v, const char *path,
			   struct oci_resources *r)
{
	struct json_object *arr;
	size_t n;

	if (oj_arr(c, v, path, "devices", &arr, &n) < 0)
		return -1;
	if (!arr)
		return 0;
	r->devices = xcalloc(n + 1, sizeof(*r->devices));
	for (size_t i = 0; i < n; i++) {
		struct jp p;

		r->n_devices = i + 1;
		if (parse_dev_rule(c, json_object_array_get_idx(arr, i),
				   oj_key_idx(&p, path, "devices", i), &r->devices[i]) < 0)
			return -1;
	}
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

	if (!e)
		return oj_err(c, path, "must be an object");
	if (oj_v_object(c, e, path) < 0 ||
	    oj_i64(c, e, path, "major", 0, INT64_MAX, major, &has_major) < 0 ||
	    oj_i64(c, e, path, "minor", 0, INT64_MAX, minor, &has_minor) < 0)
		return -1;
	if (!has_major || !has_minor)
		return oj_err(c, oj_key(&p, path, has_major ? "minor" : "major"), "required");
	return 0;
}

static int parse_weight_devs(struct pctx *c, struct json_object *o, const char *path,
			     struct oci_block_io *b)
{
	struct json_object *arr;
	size_t n;

	if (oj_arr(c, o, path, "weightDevice", &arr, &n) < 0)
		return -1;
	b->weight_device = xcalloc(n + 1, sizeof(*b->weight_device));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct oci_weight_device *w = &b->weight_device[i];
		struct jp p;

		b->n_weight_device = i + 1;
		oj_key_idx(&p, path, "weightDevice", i);
		if (parse_major_minor(c, e, p.s, &w->major, &w->minor) < 0 ||
		    parse_u16(c, e, p.s, "weight", &w->weight, &w->has_weight) < 0 ||
		    parse_u16(c, e, p.s, "leafWeight", &w->leaf_weight, &w->has_leaf_weight) < 0)
			return -1;
	}
	return 0;
}

static int parse_throttle(struct pctx *c, struct json_object *o, const char *path, const char *key,
			  struct oci_throttle_device **out, size_t *n_out)
{
	struct json_object *arr;
	size_t n;

	if (oj_arr(c, o, path, key, &arr, &n) < 0)
		return -1;
	*out = xcalloc(n + 1, sizeof(**out));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct oci_throttle_device *t = &(*out)[i];
		bool has_rate = false;
		struct jp p, q;

		*n_out = i + 1;
		oj_key_idx(&p, path, key, i);
		if (parse_major_minor(c, e, p.s, &t->major, &t->minor) < 0 ||
		    oj_u64(c, e, p.s, "rate", UINT64_MAX, &t->rate, &has_rate) < 0)
			return -1;
		if (!has_rate)
			return oj_err(c, oj_key(&q, p.s, "rate"), "required");
	}
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
	    parse_weight_devs(c, o, p.s, b) < 0 ||
	    parse_throttle(c, o, p.s, "throttleReadBpsDevice", &b->throttle_read_bps,
			   &b->n_throttle_read_bps) < 0 ||
	    parse_throttle(c, o, p.s, "throttleWriteBpsDevice", &b->throttle_write_bps,
			   &b->n_throttle_write_bps) < 0 ||
	    parse_throttle(c, o, p.s, "throttleReadIOPSDevice", &b->throttle_read_iops,
			   &b->n_throttle_read_iops) < 0 ||
	    parse_throttle(c, o, p.s, "throttleWriteIOPSDevice", &b->throttle_write_iops,
			   &b->n_throttle_write_iops) < 0)
		return -1;
	return 0;
}

static int parse_hugepages(struct pctx *c, struct json_object *v, const char *path,
			   struct oci_resources *r)
{
	struct json_object *arr;
	size_t n;

	if (oj_arr(c, v, path, "hugepageLimits", &arr, &n) < 0)
		return -1;
	if (!arr)
		return 0;
	r->hugepage_limits = xcalloc(n + 1, sizeof(*r->hugepage_limits));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct oci_hugepage_limit *h = &r->hugepage_limits[i];
		bool has_limit = false;
		struct jp p, q;

		r->n_hugepage_limits = i + 1;
		oj_key_idx(&p, path, "hugepageLimits", i);
		if (!e)
			return oj_err(c, p.s, "must be an object");
		if (oj_v_object(c, e, p.s) < 0 ||
		    oj_str_req(c, e, p.s, "pageSize", &h->page_size) < 0 ||
		    oj_u64(c, e, p.s, "limit", UINT64_MAX, &h->limit, &has_limit) < 0)
			return -1;
		if (!has_limit)
			return oj_err(c, oj_key(&q, p.s, "limit"), "required");
	}
	return 0;
}

static int parse_network(struct pctx *c, struct json_object *v, const char *path,
			 struct oci_resources *r)
{
	struct json_object *o, *arr;
	struct oci_network *net;
	struct jp p;
	size_t n;

	if (oj_obj(c, v, path, "network", &o) < 0)
		return -1;
	if (!o)
		return 0;
	net = r->network = xnew(struct oci_network);
	oj_key(&p, path, "network");
	if (oj_u32(c, o, p.s, "classID", &net->class_id, &net->has_class_id) < 0 ||
	    oj_arr(c, o, p.s, "priorities", &arr, &n) < 0)
		return -1;
	net->priorities = xcalloc(n + 1, sizeof(*net->priorities));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct oci_net_priority *pr = &net->priorities[i];
		struct jp q;

		net->n_priorities = i + 1;
		oj_key_idx(&q, p.s, "priorities", i);
		if (!e)
			return oj_err(c, q.s, "must be an object");
		if (oj_v_object(c, e, q.s) < 0 || oj_str_req(c, e, q.s, "name", &pr->name) < 0 ||
		    oj_u32(c, e, q.s, "priority", &pr->priority, NULL) < 0)
			return -1;
	}
	return 0;
}

static int parse_rdma(struct pctx *c, struct json_object *v, const char *path,
		      struct oci_resources *r)
{
	struct json_object *o;
	struct jp p;
	size_t i = 0;

	if (oj_obj(c, v, path, "rdma", &o) < 0)
		return -1;
	if (!o)
		return 0;
	oj_key(&p, path, "rdma");
	r->rdma = xcalloc((size_t)json_object_object_length(o) + 1, sizeof(*r->rdma));
	json_object_object_foreach(o, k, val)
	{
		struct oci_rdma *d = &r->rdma[i];
		struct jp q;

		r->n_rdma = ++i;
		d->device = xstrdup(k);
		oj_key(&q, p.s, k);
		if (!val)
			return oj_err(c, q.s, "must be an object");
		if (oj_v_object(c, val, q.s) < 0 ||
		    oj_u32(c, val, q.s, "hcaHandles", &d->hca_handles, &d->has_hca_handles) < 0 ||
		    oj_u32(c, val, q.s, "hcaObjects", &d->hca_objects, &d->has_hca_objects) < 0)
			return -1;
	}
	return 0;
}

static int parse_resources_fields(struct pctx *c, struct json_object *v, const char *path,
				  struct oci_resources *r)
{
	if (parse_dev_rules(c, v, path, r) < 0 || parse_memory(c, v, path, r) < 0 ||
	    parse_cpu(c, v, path, r) < 0 || parse_pids(c, v, path, r) < 0 ||
	    parse_block_io(c, v, path, r) < 0 || parse_hugepages(c, v, path, r) < 0 ||
	    parse_network(c, v, path, r) < 0 || parse_rdma(c, v, path, r) < 0 ||
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
