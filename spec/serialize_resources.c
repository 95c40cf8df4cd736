/* spec/serialize_resources.c - linux.resources back to JSON (see serialize.c). */
#include "spec/serialize_internal.h"

static struct json_object *dev_rules_to_json(const struct oci_resources *r)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < r->n_devices; i++) {
		const struct oci_device_cgroup *d = &r->devices[i];
		struct json_object *e = json_object_new_object();
		char type[2] = {d->type ? d->type : 'a', '\0'};

		oj_put_bool(e, "allow", d->allow);
		oj_put_str(e, "type", type);
		if (d->has_major)
			oj_put_i64(e, "major", d->major);
		if (d->has_minor)
			oj_put_i64(e, "minor", d->minor);
		oj_put_str(e, "access", d->access);
		json_object_array_add(a, e);
	}
	return a;
}

static struct json_object *memory_to_json(const struct oci_memory *m)
{
	struct json_object *o = json_object_new_object();

	if (m->has_limit)
		oj_put_i64(o, "limit", m->limit);
	if (m->has_reservation)
		oj_put_i64(o, "reservation", m->reservation);
	if (m->has_swap)
		oj_put_i64(o, "swap", m->swap);
	if (m->has_kernel)
		oj_put_i64(o, "kernel", m->kernel);
	if (m->has_kernel_tcp)
		oj_put_i64(o, "kernelTCP", m->kernel_tcp);
	if (m->has_swappiness)
		oj_put_u64(o, "swappiness", m->swappiness);
	if (m->has_disable_oom_killer)
		oj_put_bool(o, "disableOOMKiller", m->disable_oom_killer);
	if (m->has_use_hierarchy)
		oj_put_bool(o, "useHierarchy", m->use_hierarchy);
	if (m->has_check_before_update)
		oj_put_bool(o, "checkBeforeUpdate", m->check_before_update);
	return o;
}

static struct json_object *cpu_to_json(const struct oci_cpu *c)
{
	struct json_object *o = json_object_new_object();

	if (c->has_shares)
		oj_put_u64(o, "shares", c->shares);
	if (c->has_quota)
		oj_put_i64(o, "quota", c->quota);
	if (c->has_burst)
		oj_put_u64(o, "burst", c->burst);
	if (c->has_period)
		oj_put_u64(o, "period", c->period);
	if (c->has_realtime_runtime)
		oj_put_i64(o, "realtimeRuntime", c->realtime_runtime);
	if (c->has_realtime_period)
		oj_put_u64(o, "realtimePeriod", c->realtime_period);
	oj_put_str(o, "cpus", c->cpus);
	oj_put_str(o, "mems", c->mems);
	if (c->has_idle)
		oj_put_i64(o, "idle", c->idle);
	return o;
}

static void put_throttle(struct json_object *o, const char *key,
			 const struct oci_throttle_device *t, size_t n)
{
	struct json_object *a;

	if (!n)
		return;
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		oj_put_i64(e, "major", t[i].major);
		oj_put_i64(e, "minor", t[i].minor);
		oj_put_u64(e, "rate", t[i].rate);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, key, a);
}

static struct json_object *block_io_to_json(const struct oci_block_io *b)
{
	struct json_object *o = json_object_new_object();

	if (b->has_weight)
		oj_put_u64(o, "weight", b->weight);
	if (b->has_leaf_weight)
		oj_put_u64(o, "leafWeight", b->leaf_weight);
	if (b->n_weight_device) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < b->n_weight_device; i++) {
			const struct oci_weight_device *w = &b->weight_device[i];
			struct json_object *e = json_object_new_object();

			oj_put_i64(e, "major", w->major);
			oj_put_i64(e, "minor", w->minor);
			if (w->has_weight)
				oj_put_u64(e, "weight", w->weight);
			if (w->has_leaf_weight)
				oj_put_u64(e, "leafWeight", w->leaf_weight);
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "weightDevice", a);
	}
	put_throttle(o, "throttleReadBpsDevice", b->throttle_read_bps, b->n_throttle_read_bps);
	put_throttle(o, "throttleWriteBpsDevice", b->throttle_write_bps, b->n_throttle_write_bps);
	put_throttle(o, "throttleReadIOPSDevice", b->throttle_read_iops, b->n_throttle_read_iops);
	put_throttle(o, "throttleWriteIOPSDevice", b->throttle_write_iops,
		     b->n_throttle_write_iops);
	return o;
}

static struct json_object *network_to_json(const struct oci_network *n)
{
	struct json_object *o = json_object_new_object();

	if (n->has_class_id)
		oj_put_u64(o, "classID", n->class_id);
	if (n->n_priorities) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < n->n_priorities; i++) {
			struct json_object *e = json_object_new_object();

			oj_put_str(e, "name", n->priorities[i].name);
			oj_put_u64(e, "priority", n->priorities[i].priority);
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "priorities", a);
	}
	return o;
}

static void put_hugepages_rdma(struct json_object *o, const struct oci_resources *r)
{
	if (r->hugepage_limits) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < r->n_hugepage_limits; i++) {
			struct json_object *e = json_object_new_object();

			oj_put_str(e, "pageSize", r->hugepage_limits[i].page_size);
			oj_put_u64(e, "limit", r->hugepage_limits[i].limit);
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "hugepageLimits", a);
	}
	if (r->rdma) {
		struct json_object *m = json_object_new_object();

		for (size_t i = 0; i < r->n_rdma; i++) {
			struct json_object *e = json_object_new_object();

			if (r->rdma[i].has_hca_handles)
				oj_put_u64(e, "hcaHandles", r->rdma[i].hca_handles);
			if (r->rdma[i].has_hca_objects)
				oj_put_u64(e, "hcaObjects", r->rdma[i].hca_objects);
			json_object_object_add(m, r->rdma[i].device, e);
		}
		json_object_object_add(o, "rdma", m);
	}
}

struct json_object *oj_resources(const struct oci_resources *r)
{
	struct json_object *o = json_object_new_object();

	if (r->devices)
		json_object_object_add(o, "devices", dev_rules_to_json(r));
	if (r->memory)
		json_object_object_add(o, "memory", memory_to_json(r->memory));
	if (r->cpu)
		json_object_object_add(o, "cpu", cpu_to_json(r->cpu));
	if (r->has_pids_limit) {
		struct json_object *p = json_object_new_object();

		oj_put_i64(p, "limit", r->pids_limit);
		json_object_object_add(o, "pids", p);
	}
	if (r->block_io)
		json_object_object_add(o, "blockIO", block_io_to_json(r->block_io));
	put_hugepages_rdma(o, r);
	if (r->network)
		json_object_object_add(o, "network", network_to_json(r->network));
	oj_put_kv(o, "unified", r->unified, r->n_unified);
	return o;
}
