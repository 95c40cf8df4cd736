/*
 * runtime/lib/update.c - `berth update`: select what runc updates, apply it to
 * the cgroup, merge it into the stored config. See update.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/container_internal.h"
#include "runtime/lib/rootless.h"
#include "runtime/lib/update.h"

int rt_size_parse(const char *s, int64_t *out)
{
	static const char units[] = "kmgtp";
	const char *p = s, *u;
	double v, mul = 1;
	char *end;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end != p)
		return -1;
	if (*p == ' ')
		p++;
	if (*p && (u = strchr(units, tolower((unsigned char)*p)))) {
		mul = (double)(1ULL << (10 * (u - units + 1)));
		p++;
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p || v * mul >= 9223372036854775807.0)
		return -1;
	*out = (int64_t)(v * mul);
	return 0;
}

static void note(char ***ignored, const char *field)
{
	if (ignored)
		strv_push(ignored, field);
}

static struct oci_memory *select_memory(const struct oci_memory *m, char ***ignored)
{
	struct oci_memory *o = xnew(struct oci_memory);

	/* runc: "Kernel memory settings are ignored and will be removed" */
	if ((m->has_kernel && m->kernel) || (m->has_kernel_tcp && m->kernel_tcp))
		log_warn("kernel memory settings are ignored and will be removed");
	o->has_limit = m->has_limit && m->limit;
	o->limit = m->limit;
	o->has_reservation = m->has_reservation && m->reservation;
	o->reservation = m->reservation;
	o->has_swap = m->has_swap && m->swap;
	o->swap = m->swap;
	o->has_check_before_update = m->has_check_before_update;
	o->check_before_update = m->check_before_update;
	if (m->has_swappiness)
		note(ignored, "memory.swappiness");
	if (m->has_disable_oom_killer)
		note(ignored, "memory.disableOOMKiller");
	if (m->has_use_hierarchy)
		note(ignored, "memory.useHierarchy");
	if (o->has_limit || o->has_reservation || o->has_swap || o->has_check_before_update)
		return o;
	free(o);
	return NULL;
}

static struct oci_cpu *select_cpu(const struct oci_cpu *c, char ***ignored)
{
	struct oci_cpu *o = xnew(struct oci_cpu);

	o->has_shares = c->has_shares && c->shares;
	o->shares = c->shares;
	o->has_quota = c->has_quota && c->quota;
	o->quota = c->quota;
	o->has_period = c->has_period && c->period;
	o->period = c->period;
	o->has_realtime_runtime = c->has_realtime_runtime && c->realtime_runtime;
	o->realtime_runtime = c->realtime_runtime;
	o->has_realtime_period = c->has_realtime_period && c->realtime_period;
	o->realtime_period = c->realtime_period;
	o->cpus = c->cpus && *c->cpus ? xstrdup(c->cpus) : NULL;
	o->mems = c->mems && *c->mems ? xstrdup(c->mems) : NULL;
	if (c->has_burst)
		note(ignored, "cpu.burst");
	if (c->has_idle)
		note(ignored, "cpu.idle");
	if (o->has_shares || o->has_quota || o->has_period || o->has_realtime_runtime ||
	    o->has_realtime_period || o->cpus || o->mems)
		return o;
	free(o);
	return NULL;
}

static struct oci_block_io *select_blkio(const struct oci_block_io *b, char ***ignored)
{
	struct oci_block_io *o;

	if (b->has_leaf_weight)
		note(ignored, "blockIO.leafWeight");
	if (b->n_weight_device)
		note(ignored, "blockIO.weightDevice");
	if (b->n_throttle_read_bps || b->n_throttle_write_bps || b->n_throttle_read_iops ||
	    b->n_throttle_write_iops)
		note(ignored, "blockIO.throttle*");
	if (!b->has_weight || !b->weight)
		return NULL;
	o = xnew(struct oci_block_io);
	o->has_weight = true;
	o->weight = b->weight;
	return o;
}

static void copy_unified(struct oci_resources *dst, const struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < dst->n_unified; k++)
			if (!strcmp(dst->unified[k].key, kv[i].key))
				break;
		if (k == dst->n_unified) {
			dst->unified = xreallocarray(dst->unified, k + 1, sizeof(*dst->unified));
			dst->unified[k].key = xstrdup(kv[i].key);
			dst->unified[k].value = NULL;
			dst->n_unified++;
		}
		free(dst->unified[k].value);
		dst->unified[k].value = xstrdup_or_null(kv[i].value);
	}
}

struct oci_resources *rt_update_select(const struct oci_resources *in, char ***ignored)
{
	struct oci_resources *o = xnew(struct oci_resources);

	if (in->memory)
		o->memory = select_memory(in->memory, ignored);
	if (in->cpu)
		o->cpu = select_cpu(in->cpu, ignored);
	if (in->block_io)
		o->block_io = select_blkio(in->block_io, ignored);
	o->has_pids_limit = in->has_pids_limit && in->pids_limit;
	o->pids_limit = in->pids_limit;
	copy_unified(o, in->unified, in->n_unified);
	if (in->n_devices)
		note(ignored, "devices");
	if (in->n_hugepage_limits)
		note(ignored, "hugepageLimits");
	if (in->network)
		note(ignored, "network");
	if (in->n_rdma)
		note(ignored, "rdma");
	return o;
}

/* dst->f = src->f when src has it */
#define MERGE(dst, src, f)                     \
	do {                                   \
		if ((src)->has_##f) {          \
			(dst)->has_##f = true; \
			(dst)->f = (src)->f;   \
		}                              \
	} while (0)

static void merge_memory(struct oci_memory *d, const struct oci_memory *s)
{
	MERGE(d, s, limit);
	MERGE(d, s, reservation);
	MERGE(d, s, swap);
	MERGE(d, s, kernel);
	MERGE(d, s, kernel_tcp);
	MERGE(d, s, swappiness);
	MERGE(d, s, disable_oom_killer);
	MERGE(d, s, use_hierarchy);
	MERGE(d, s, check_before_update);
}

static void merge_str(char **d, const char *s)
{
	if (!s)
		return;
	free(*d);
	*d = xstrdup(s);
}

static void merge_cpu(struct oci_cpu *d, const struct oci_cpu *s)
{
	MERGE(d, s, shares);
	MERGE(d, s, quota);
	MERGE(d, s, burst);
	MERGE(d, s, period);
	MERGE(d, s, realtime_runtime);
	MERGE(d, s, realtime_period);
	MERGE(d, s, idle);
	merge_str(&d->cpus, s->cpus);
	merge_str(&d->mems, s->mems);
}

void rt_resources_merge(struct oci_resources *dst, const struct oci_resources *src)
{
	if (src->memory) {
		if (!dst->memory)
			dst->memory = xnew(struct oci_memory);
		merge_memory(dst->memory, src->memory);
	}
	if (src->cpu) {
		if (!dst->cpu)
			dst->cpu = xnew(struct oci_cpu);
		merge_cpu(dst->cpu, src->cpu);
	}
	if (src->block_io && src->block_io->has_weight) {
		if (!dst->block_io)
			dst->block_io = xnew(struct oci_block_io);
		dst->block_io->has_weight = true;
		dst->block_io->weight = src->block_io->weight;
	}
	if (src->has_pids_limit) {
		dst->has_pids_limit = true;
		dst->pids_limit = src->pids_limit;
	}
	copy_unified(dst, src->unified, src->n_unified);
}

/* Rewrites <state dir>/config.json with res merged into linux.resources. */
static int save_resources(struct rt_container *c, const struct oci_resources *res,
			  struct berth_err **err)
{
	cleanup(oci_spec_freep) struct oci_spec *spec = NULL;
	cleanup(oci_spec_freep) struct oci_spec *check = NULL;
	cleanup_free char *json = NULL;

	if (rt_container_config(c, &spec, err) < 0)
		return -1;
	if (!spec->linux_)
		spec->linux_ = xnew(struct oci_linux);
	if (!spec->linux_->resources)
		spec->linux_->resources = xnew(struct oci_resources);
	rt_resources_merge(spec->linux_->resources, res);
	json = oci_spec_to_json(spec);
	/* never replace a readable config with one that exec or delete could not load */
	if (oci_spec_parse(json, strlen(json), RT_CONFIG_FILE, &check, err) < 0)
		return -1;
	return fs_write_replace(c->dirfd, RT_CONFIG_FILE, json, strlen(json), 0600, err);
}

static void log_ignored(const struct rt_container *c, char **ignored)
{
	cleanup_free char *list = NULL;

	if (!ignored)
		return;
	list = strv_join(ignored, ", ");
	log_debug("update container '%s': not updatable, ignored like runc: %s", c->id, list);
}

int rt_container_update(struct rt_container *c, const struct oci_resources *res,
			struct berth_err **err)
{
	cleanup(oci_resources_freep) struct oci_resources *sel = NULL;
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup(strv_freep) char **ignored = NULL;
	enum rt_status s = rt_container_status(c);

	if (s == RT_STATUS_STOPPED)
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     c->id);
	sel = rt_update_select(res, &ignored);
	log_ignored(c, ignored);
	if (rt_cgroup_open(c->st->cgroups_path, c->id, c->st->systemd_cgroup, &cg, err) < 0)
		return berth_err_wrap(err, "update container '%s'", c->id);
	if (rt_rootless_no_cgroup(cg))
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"update container '%s': it runs without a cgroup (rootless, none was writable): no resource can be set",
			c->id);
	if (rt_cgroup_update(cg, sel, err) < 0 || save_resources(c, sel, err) < 0)
		return berth_err_wrap(err, "update container '%s'", c->id);
	return 0;
}
