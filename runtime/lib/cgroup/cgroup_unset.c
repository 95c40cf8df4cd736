/*
 * runtime/lib/cgroup/cgroup_unset.c - the values of linux.resources that mean "not
 * set", as runc and crun read them.
 *
 * Real clients send a complete LinuxResources object with zeros where the
 * user set nothing: dockerd sends "blockIO": {"weight": 0}, "cpu": {"shares":
 * 0}, "pids": {"limit": 0} for every `docker run`; containerd's CRI and
 * podman do the same for the limits they do not use. runc writes a cgroup
 * file only when the value is not zero (libcontainer/cgroups/fs: `if
 * r.BlkioWeight != 0`...), crun the same, so a zero is never an error and
 * never a limit of zero. Dropping those values once, before validation, keeps
 * every later reader (validation, the v1/v2/systemd writers, rootless) from
 * having to know the rule.
 */
#include <stdint.h>
#include <stdlib.h>

#include "runtime/lib/cgroup/cgroup.h"

static void drop_memory(struct oci_memory *m)
{
	m->has_limit = m->has_limit && m->limit;
	m->has_reservation = m->has_reservation && m->reservation;
	m->has_swap = m->has_swap && m->swap;
	m->has_kernel = m->has_kernel && m->kernel;
	m->has_kernel_tcp = m->has_kernel_tcp && m->kernel_tcp;
	/* -1 read as an unsigned 64-bit number: runc's "unset" for swappiness */
	m->has_swappiness = m->has_swappiness && m->swappiness != UINT64_MAX;
	m->has_disable_oom_killer = m->has_disable_oom_killer && m->disable_oom_killer;
}

static bool memory_is_empty(const struct oci_memory *m)
{
	return !(m->has_limit || m->has_reservation || m->has_swap || m->has_kernel ||
		 m->has_kernel_tcp || m->has_swappiness || m->has_disable_oom_killer ||
		 m->has_use_hierarchy || m->has_check_before_update);
}

static void drop_cpu(struct oci_cpu *c)
{
	c->has_shares = c->has_shares && c->shares;
	c->has_quota = c->has_quota && c->quota;
	c->has_burst = c->has_burst && c->burst;
	c->has_period = c->has_period && c->period;
	c->has_realtime_runtime = c->has_realtime_runtime && c->realtime_runtime;
	c->has_realtime_period = c->has_realtime_period && c->realtime_period;
	if (c->cpus && !c->cpus[0]) {
		free(c->cpus);
		c->cpus = NULL;
	}
	if (c->mems && !c->mems[0]) {
		free(c->mems);
		c->mems = NULL;
	}
}

static bool cpu_is_empty(const struct oci_cpu *c)
{
	return !(c->has_shares || c->has_quota || c->has_burst || c->has_period ||
		 c->has_realtime_runtime || c->has_realtime_period || c->has_idle || c->cpus ||
		 c->mems);
}

static void drop_block_io(struct oci_block_io *b)
{
	b->has_weight = b->has_weight && b->weight;
	b->has_leaf_weight = b->has_leaf_weight && b->leaf_weight;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		struct oci_weight_device *w = &b->weight_device[i];

		w->has_weight = w->has_weight && w->weight;
		w->has_leaf_weight = w->has_leaf_weight && w->leaf_weight;
	}
}

static bool block_io_is_empty(const struct oci_block_io *b)
{
	for (size_t i = 0; i < b->n_weight_device; i++)
		if (b->weight_device[i].has_weight || b->weight_device[i].has_leaf_weight)
			return false;
	return !(b->has_weight || b->has_leaf_weight || b->n_throttle_read_bps ||
		 b->n_throttle_write_bps || b->n_throttle_read_iops || b->n_throttle_write_iops);
}

/* An empty blockIO holds no pointers but its (empty) arrays. */
static void free_block_io(struct oci_block_io *b)
{
	free(b->weight_device);
	free(b->throttle_read_bps);
	free(b->throttle_write_bps);
	free(b->throttle_read_iops);
	free(b->throttle_write_iops);
	free(b);
}

void rt_cgroup_drop_unset(struct oci_resources *r)
{
	if (!r)
		return;
	if (r->memory) {
		drop_memory(r->memory);
		if (memory_is_empty(r->memory)) {
			free(r->memory);
			r->memory = NULL;
		}
	}
	if (r->cpu) {
		drop_cpu(r->cpu);
		if (cpu_is_empty(r->cpu)) {
			free(r->cpu);
			r->cpu = NULL;
		}
	}
	r->has_pids_limit = r->has_pids_limit && r->pids_limit;
	if (r->block_io) {
		drop_block_io(r->block_io);
		if (block_io_is_empty(r->block_io)) {
			free_block_io(r->block_io);
			r->block_io = NULL;
		}
	}
	if (r->network) {
		r->network->has_class_id = r->network->has_class_id && r->network->class_id;
		if (!r->network->has_class_id && !r->network->n_priorities) {
			free(r->network->priorities);
			free(r->network);
			r->network = NULL;
		}
	}
}
