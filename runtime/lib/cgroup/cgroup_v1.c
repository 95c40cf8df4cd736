/*
 * runtime/lib/cgroup/cgroup_v1.c - cgroup v1 file formats: memory, cpu, cpuset,
 * pids, blkio, hugetlb, devices, freezer.
 *
 * Each function gets the container's directory in the hierarchy of its
 * controller and writes the fields that are set, naming the JSON field and
 * the file in errors. Write orders follow runc where the kernel validates one
 * file against another (memsw >= limit, cfs period/quota, rt period/runtime).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"

/* Writes one memory.* file; field is the part after "linux.resources.memory.". */
static int mem_write(const char *dir, const char *file, const char *field, int64_t v,
		     const char *hint, struct berth_err **err)
{
	char f[64];

	snprintf(f, sizeof(f), CG_FIELD "memory.%s", field);
	return cg_writef(dir, file, f, hint, err, "%" PRId64, v);
}

/*
 * Linux 5.16+ keeps memory.kmem.limit_in_bytes but ignores writes to it
 * (kernel memory limits are deprecated since 5.4; the spec marks the field
 * NOT RECOMMENDED). The write succeeds, so read it back: a limit that did not
 * take is said, as a warning, rather than passed over in silence.
 */
static int kmem_write(const char *dir, int64_t v, struct berth_err **err)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t got;

	if (mem_write(dir, "memory.kmem.limit_in_bytes", "kernel", v,
		      "no kernel memory accounting on this kernel", err) < 0)
		return -1;
	if (v > 0 && cg_read_u64(dir, "memory.kmem.limit_in_bytes", &got, NULL) == 0 &&
	    got != ((uint64_t)v & ~(uint64_t)(page - 1)))
		log_warn(CG_FIELD
			 "memory.kernel: ignored by this kernel (kernel memory limits are "
			 "gone since Linux 5.16): memory.kmem.limit_in_bytes reads %" PRIu64
			 " after writing %" PRId64,
			 got, v);
	return 0;
}

static const char swap_hint[] = "no swap accounting: boot with swapaccount=1";

int cg_v1_memory(const char *dir, const struct oci_memory *m, struct berth_err **err)
{
	int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;
	bool swap_first = false;

	/* unlimited memory without a swap value means unlimited swap too (runc) */
	if (limit == -1 && !swap && cg_file_exists(dir, "memory.memsw.limit_in_bytes"))
		swap = -1;
	if (limit && swap) {
		uint64_t cur;

		if (cg_read_u64(dir, "memory.limit_in_bytes", &cur, err) < 0)
			return berth_err_wrap(err, CG_FIELD "memory.limit");
		/* the kernel wants memsw >= limit at every step */
		swap_first = swap == -1 || cur < (uint64_t)swap;
	}
	if (swap_first &&
	    mem_write(dir, "memory.memsw.limit_in_bytes", "swap", swap, swap_hint, err) < 0)
		return -1;
	if (limit && mem_write(dir, "memory.limit_in_bytes", "limit", limit, NULL, err) < 0)
		return -1;
	if (!swap_first && swap &&
	    mem_write(dir, "memory.memsw.limit_in_bytes", "swap", swap, swap_hint, err) < 0)
		return -1;
	if (m->has_reservation && m->reservation &&
	    mem_write(dir, "memory.soft_limit_in_bytes", "reservation", m->reservation, NULL, err) <
		    0)
		return -1;
	if (m->has_kernel && m->kernel && kmem_write(dir, m->kernel, err) < 0)
		return -1;
	if (m->has_kernel_tcp && m->kernel_tcp &&
	    mem_write(dir, "memory.kmem.tcp.limit_in_bytes", "kernelTCP", m->kernel_tcp, NULL,
		      err) < 0)
		return -1;
	if (m->has_swappiness && mem_write(dir, "memory.swappiness", "swappiness",
					   (int64_t)m->swappiness, NULL, err) < 0)
		return -1;
	if (m->has_disable_oom_killer && m->disable_oom_killer &&
	    mem_write(dir, "memory.oom_control", "disableOOMKiller", 1, NULL, err) < 0)
		return -1;
	if (m->has_use_hierarchy &&
	    mem_write(dir, "memory.use_hierarchy", "useHierarchy", m->use_hierarchy, NULL, err) < 0)
		return -1;
	return 0;
}

static int cpu_write(const char *dir, const char *file, const char *field, int64_t v,
		     struct berth_err **err)
{
	char f[64];

	snprintf(f, sizeof(f), CG_FIELD "cpu.%s", field);
	return cg_writef(dir, file, f, NULL, err, "%" PRId64, v);
}

static int cpu_cfs(const char *dir, const struct oci_cpu *c, struct berth_err **err)
{
	if (c->has_period && c->period) {
		struct berth_err *e = NULL;

		if (cpu_write(dir, "cpu.cfs_period_us", "period", (int64_t)c->period, &e) == 0) {
			/* ok */
		} else if (berth_err_is(e, EINVAL) && c->has_quota && c->quota) {
			/* the new period conflicts with the old quota: quota first (runc) */
			berth_err_free(&e);
			if (cpu_write(dir, "cpu.cfs_quota_us", "quota", c->quota, err) < 0 ||
			    cpu_write(dir, "cpu.cfs_period_us", "period", (int64_t)c->period, err) <
				    0)
				return -1;
		} else {
			*err = e;
			return -1;
		}
	}
	if (c->has_quota && c->quota &&
	    cpu_write(dir, "cpu.cfs_quota_us", "quota", c->quota, err) < 0)
		return -1;
	if (c->has_burst && cpu_write(dir, "cpu.cfs_burst_us", "burst", (int64_t)c->burst, err) < 0)
		return -1;
	return 0;
}

int cg_v1_cpu(const char *dir, const struct oci_cpu *c, struct berth_err **err)
{
	if (c->has_shares && c->shares) {
		uint64_t got;

		if (cpu_write(dir, "cpu.shares", "shares", (int64_t)c->shares, err) < 0)
			return -1;
		if (cg_read_u64(dir, "cpu.shares", &got, err) < 0)
			return berth_err_wrap(err, CG_FIELD "cpu.shares");
		if (got != c->shares)
			return berth_err_new(err, BERTH_E_INVALID,
					     CG_FIELD "cpu.shares: %" PRIu64
						      " is out of range: the kernel set %" PRIu64,
					     c->shares, got);
	}
	if (cpu_cfs(dir, c, err) < 0)
		return -1;
	if (c->has_realtime_period && c->realtime_period &&
	    cpu_write(dir, "cpu.rt_period_us", "realtimePeriod", (int64_t)c->realtime_period, err) <
		    0)
		return -1;
	if (c->has_realtime_runtime && c->realtime_runtime &&
	    cpu_write(dir, "cpu.rt_runtime_us", "realtimeRuntime", c->realtime_runtime, err) < 0)
		return -1;
	if (c->has_idle && cpu_write(dir, "cpu.idle", "idle", c->idle, err) < 0)
		return -1;
	return 0;
}

int cg_v1_cpuset(const char *dir, const struct oci_cpu *c, struct berth_err **err)
{
	if (c->cpus && cg_write(dir, "cpuset.cpus", c->cpus, CG_FIELD "cpu.cpus", NULL, err) < 0)
		return -1;
	if (c->mems && cg_write(dir, "cpuset.mems", c->mems, CG_FIELD "cpu.mems", NULL, err) < 0)
		return -1;
	return 0;
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/* A new v1 cpuset starts with empty cpus and mems, and a task cannot join it
 * (ENOSPC) until they are set: copy the parent's. */
int cg_v1_cpuset_inherit(const char *dir, struct berth_err **err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	cleanup_free char *parent = xstrdup(dir);
	char *slash = strrchr(parent, '/');

	if (!slash || slash == parent)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < 2; i++) {
		cleanup_free char *cur = NULL;
		cleanup_free char *pv = NULL;

		if (cg_read(dir, files[i], &cur, err) < 0)
			return -1;
		if (!blank(cur))
			continue;
		if (cg_read(parent, files[i], &pv, err) < 0)
			return -1;
		if (cg_write(dir, files[i], pv, files[i], NULL, err) < 0)
			return berth_err_wrap(err, "copy the parent's cpuset into '%s'", dir);
	}
	return 0;
}

int cg_v1_pids(const char *dir, int64_t limit, struct berth_err **err)
{
	if (limit <= 0)
		return cg_write(dir, "pids.max", "max", CG_FIELD "pids.limit", NULL, err);
	return cg_writef(dir, "pids.max", CG_FIELD "pids.limit", NULL, err, "%" PRId64, limit);
}

static int throttle(const char *dir, const char *file, const char *field,
		    const struct oci_throttle_device *t, size_t n, struct berth_err **err)
{
	for (size_t i = 0; i < n; i++) {
		char f[80];

		snprintf(f, sizeof(f), CG_FIELD "blockIO.%s[%zu]", field, i);
		if (cg_writef(dir, file, f, NULL, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
			      t[i].major, t[i].minor, t[i].rate) < 0)
			return -1;
	}
	return 0;
}

static const char no_cfq[] = "no CFQ/BFQ on this kernel";

static int weight_devices(const char *dir, const struct oci_block_io *b, struct berth_err **err)
{
	const char *wfile = cg_file_exists(dir, "blkio.weight_device") ||
					    !cg_file_exists(dir, "blkio.bfq.weight_device")
				    ? "blkio.weight_device"
				    : "blkio.bfq.weight_device";

	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];
		char f[80];

		snprintf(f, sizeof(f), CG_FIELD "blockIO.weightDevice[%zu].weight", i);
		if (w->has_weight &&
		    cg_writef(dir, wfile, f, no_cfq, err, "%" PRId64 ":%" PRId64 " %u", w->major,
			      w->minor, w->weight) < 0)
			return -1;
		snprintf(f, sizeof(f), CG_FIELD "blockIO.weightDevice[%zu].leafWeight", i);
		if (w->has_leaf_weight &&
		    cg_writef(dir, "blkio.leaf_weight_device", f, "no CFQ on this kernel", err,
			      "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->leaf_weight) < 0)
			return -1;
	}
	return 0;
}

int cg_v1_blkio(const char *dir, const struct oci_block_io *b, struct berth_err **err)
{
	if (b->has_weight) {
		/* CFQ's blkio.weight, else BFQ's (same 10-1000 scale) */
		const char *f = !cg_file_exists(dir, "blkio.weight") &&
						cg_file_exists(dir, "blkio.bfq.weight")
					? "blkio.bfq.weight"
					: "blkio.weight";

		if (cg_writef(dir, f, CG_FIELD "blockIO.weight", no_cfq, err, "%u", b->weight) < 0)
			return -1;
	}
	if (b->has_leaf_weight && cg_writef(dir, "blkio.leaf_weight", CG_FIELD "blockIO.leafWeight",
					    "no CFQ on this kernel", err, "%u", b->leaf_weight) < 0)
		return -1;
	if (weight_devices(dir, b, err) < 0)
		return -1;
	if (throttle(dir, "blkio.throttle.read_bps_device", "throttleReadBpsDevice",
		     b->throttle_read_bps, b->n_throttle_read_bps, err) < 0 ||
	    throttle(dir, "blkio.throttle.write_bps_device", "throttleWriteBpsDevice",
		     b->throttle_write_bps, b->n_throttle_write_bps, err) < 0 ||
	    throttle(dir, "blkio.throttle.read_iops_device", "throttleReadIOPSDevice",
		     b->throttle_read_iops, b->n_throttle_read_iops, err) < 0 ||
	    throttle(dir, "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice",
		     b->throttle_write_iops, b->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

int cg_v1_hugetlb(const char *dir, const struct oci_hugepage_limit *l, size_t n,
		  struct berth_err **err)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *file = xasprintf("hugetlb.%s.limit_in_bytes", l[i].page_size);
		char f[64];

		snprintf(f, sizeof(f), CG_FIELD "hugepageLimits[%zu]", i);
		if (cg_writef(dir, file, f, "no such huge page size", err, "%" PRIu64, l[i].limit) <
		    0)
			return -1;
	}
	return 0;
}

static void devnum(char *buf, size_t len, bool has, int64_t v)
{
	if (has && v >= 0)
		snprintf(buf, len, "%" PRId64, v);
	else
		snprintf(buf, len, "*");
}

static int open_dev_file(const char *dir, const char *file, struct berth_err **err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_err_sys(err, errno, CG_FIELD "devices: open '%s'", p);
	return fd;
}

/* Like runc: deny everything, then each rule in order (the last match wins). The
 * two files are opened once: every write() is one rule to the kernel. */
int cg_v1_devices(const struct rt_cgroup *cg, const char *dir, const struct oci_device_cgroup *d,
		  size_t n, struct berth_err **err)
{
	cleanup_close int allow = -1, deny = -1;

	if (cg_write(dir, "devices.deny", "a", CG_FIELD "devices", NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char f[160], maj[24], min[24], rule[96];
		int *fd = d[i].allow ? &allow : &deny;
		int len;

		cg_device_field(cg, &d[i], i, f, sizeof(f));
		devnum(maj, sizeof(maj), d[i].has_major, d[i].major);
		devnum(min, sizeof(min), d[i].has_minor, d[i].minor);
		len = snprintf(rule, sizeof(rule), "%c %s:%s %s", d[i].type ? d[i].type : 'a', maj,
			       min, d[i].access ? d[i].access : "rwm");
		if (*fd < 0) {
			*fd = open_dev_file(dir, d[i].allow ? "devices.allow" : "devices.deny",
					    err);
			if (*fd < 0)
				return -1;
		}
		if (write(*fd, rule, (size_t)len) != len)
			return berth_err_sys(err, errno, "%s: write '%s' to '%s'", f, rule,
					     d[i].allow ? "devices.allow" : "devices.deny");
	}
	return 0;
}

int cg_v1_is_frozen(const char *dir)
{
	cleanup_free char *s = NULL;
	struct berth_err *e = NULL;

	if (cg_read(dir, "freezer.state", &s, &e) < 0) {
		berth_err_free(&e);
		return -1;
	}
	return strncmp(s, "FROZEN", 6) == 0;
}

int cg_v1_frozen_by_ancestor(const char *dir)
{
	cleanup_free char *s = NULL;
	struct berth_err *e = NULL;

	if (cg_read(dir, "freezer.parent_freezing", &s, &e) < 0) {
		berth_err_free(&e);
		return -1;
	}
	return s[0] == '1';
}

/* The kernel moves FREEZING to FROZEN only when every task stopped; a task in
 * vfork or an uninterruptible sleep can hold it back, so the write is
 * repeated (as runc does) until the state is reached or ~10 s passed. */
int cg_v1_freeze(const char *dir, bool frozen, struct berth_err **err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	long delay_us = 100;

	for (int i = 0; i < 1100; i++) {
		cleanup_free char *s = NULL;

		/* now and then thaw: a task caught in vfork() may then let the freeze complete (runc) */
		if (frozen && i % 50 == 49)
			cg_write(dir, "freezer.state", "THAWED", "freezer", NULL, NULL);
		if (cg_write(dir, "freezer.state", want, "freezer", NULL, err) < 0)
			return -1;
		if (cg_read(dir, "freezer.state", &s, err) < 0)
			return -1;
		if (strncmp(s, want, strlen(want)) == 0)
			return 0;
		nanosleep(&(struct timespec){0, delay_us * 1000}, NULL);
		if (delay_us < 10000)
			delay_us *= 2;
	}
	if (frozen)
		cg_write(dir, "freezer.state", "THAWED", "freezer", NULL, NULL);
	return berth_err_new(err, BERTH_E_TIMEOUT, "cgroup '%s' did not reach %s", dir, want);
}

/* v1 memory files take the same values at create and update */
static int v1_memory(const char *dir, const struct oci_memory *m, bool update,
		     struct berth_err **err)
{
	return cg_v1_memory(dir, m, err);
}

/* a new cpuset level has empty cpus and mems: no task could run in it */
static int v1_after_level(const struct cg_hier *h, const char *dir, struct berth_err **err)
{
	if (!strv_contains(h->ctrls, "cpuset"))
		return 0;
	return cg_v1_cpuset_inherit(dir, err);
}

const struct cg_fmt cg_fmt_v1 = {
	.after_level = v1_after_level,
	.memory = v1_memory,
	.cpu = cg_v1_cpu,
	.cpuset = cg_v1_cpuset,
	.pids = cg_v1_pids,
	.io = cg_v1_blkio,
	.hugetlb = cg_v1_hugetlb,
	.freeze = cg_v1_freeze,
	.is_frozen = cg_v1_is_frozen,
	.frozen_by_ancestor = cg_v1_frozen_by_ancestor,
};
