/*
 * runtime/lib/cgroup/cgroup_v2.c - cgroup v2 file formats: controller delegation,
 * memory, cpu, cpuset, pids, io, hugetlb, unified, freeze.
 *
 * The OCI fields are v1-shaped; they are converted as runc converts them
 * (cpu.shares -> cpu.weight, blkio weight -> io.weight, memory+swap total ->
 * memory.swap.max) so a config means the same under both runtimes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"

int cg_v2_enable_controllers(const char *dir, struct berth_err **err)
{
	cleanup_free char *avail = NULL;
	cleanup_free char *on = NULL;
	cleanup(strv_freep) char **a = NULL;
	cleanup(strv_freep) char **o = NULL;

	if (cg_read(dir, "cgroup.controllers", &avail, err) < 0 ||
	    cg_read(dir, "cgroup.subtree_control", &on, err) < 0)
		return berth_err_wrap(err, "delegate controllers below '%s'", dir);
	a = strv_split(avail, " \n");
	o = strv_split(on, " \n");
	strv_foreach (c, a) {
		cleanup_free char *plus = NULL;
		struct berth_err *e = NULL;

		if (strv_contains(o, c))
			continue;
		plus = xasprintf("+%s", c);
		/* refused (EBUSY: processes in dir; ENOTSUP: threaded): skipped, see header */
		if (cg_write(dir, "cgroup.subtree_control", plus, "cgroup.subtree_control", NULL,
			     &e) < 0)
			berth_err_free(&e);
	}
	return 0;
}

uint64_t cg_v2_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cg_v2_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	return 1 + ((weight - 10) * 9999) / 990;
}

int cg_v2_swap_value(const struct oci_memory *m, int64_t *out, struct berth_err **err)
{
	int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;

	/* unlimited memory without a swap value means unlimited swap too */
	if (limit == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*out = swap;
		return 0;
	}
	if (limit == 0 || limit == -1)
		return berth_err_new(err, BERTH_E_INVALID,
				     CG_FIELD
				     "memory.swap: cannot set a swap limit without a memory limit");
	if (limit < 0 || swap < limit)
		return berth_err_new(err, BERTH_E_INVALID,
				     CG_FIELD "memory.swap: %" PRId64
					      " must be >= memory.limit %" PRId64
					      " (it is memory+swap)",
				     swap, limit);
	*out = swap - limit;
	return 0;
}

static int write_max(const char *dir, const char *file, const char *field, int64_t v,
		     const char *hint, struct berth_err **err)
{
	if (v < 0)
		return cg_write(dir, file, "max", field, hint, err);
	return cg_writef(dir, file, field, hint, err, "%" PRId64, v);
}

int cg_v2_memory(const char *dir, const struct oci_memory *m, bool update, struct berth_err **err)
{
	int64_t swap;

	if (cg_v2_swap_value(m, &swap, err) < 0)
		return -1;
	if (swap && write_max(dir, "memory.swap.max", CG_FIELD "memory.swap", swap,
			      "no swap accounting on this kernel", err) < 0)
		return -1;
	if (m->has_limit && m->limit &&
	    write_max(dir, "memory.max", CG_FIELD "memory.limit", m->limit, NULL, err) < 0)
		return -1;
	if (m->has_reservation && m->reservation &&
	    write_max(dir, "memory.low", CG_FIELD "memory.reservation", m->reservation, NULL, err) <
		    0)
		return -1;
	return 0;
}

/* cpu.max is "QUOTA PERIOD"; a half not given keeps its current value. */
static int cpu_max(const char *dir, const struct oci_cpu *c, struct berth_err **err)
{
	cleanup_free char *cur = NULL;
	char q[24] = "max";
	uint64_t period = 100000;

	if (cg_read(dir, "cpu.max", &cur, err) < 0)
		return berth_err_wrap(err, CG_FIELD "cpu.quota");
	if (sscanf(cur, "%23s %" SCNu64, q, &period) < 1)
		snprintf(q, sizeof(q), "max");
	if (c->has_quota && c->quota > 0)
		snprintf(q, sizeof(q), "%" PRId64, c->quota);
	else if (c->has_quota && c->quota < 0)
		snprintf(q, sizeof(q), "max");
	if (c->has_period && c->period)
		period = c->period;
	return cg_writef(dir, "cpu.max", CG_FIELD "cpu.quota", NULL, err, "%s %" PRIu64, q, period);
}

int cg_v2_cpu(const char *dir, const struct oci_cpu *c, struct berth_err **err)
{
	if (c->has_shares && c->shares &&
	    cg_writef(dir, "cpu.weight", CG_FIELD "cpu.shares", NULL, err, "%" PRIu64,
		      cg_v2_shares_to_weight(c->shares)) < 0)
		return -1;
	if (((c->has_quota && c->quota) || (c->has_period && c->period)) &&
	    cpu_max(dir, c, err) < 0)
		return -1;
	if (c->has_burst && cg_writef(dir, "cpu.max.burst", CG_FIELD "cpu.burst", NULL, err,
				      "%" PRIu64, c->burst) < 0)
		return -1;
	if (c->has_idle &&
	    cg_writef(dir, "cpu.idle", CG_FIELD "cpu.idle", NULL, err, "%" PRId64, c->idle) < 0)
		return -1;
	return 0;
}

int cg_v2_cpuset(const char *dir, const struct oci_cpu *c, struct berth_err **err)
{
	if (c->cpus && cg_write(dir, "cpuset.cpus", c->cpus, CG_FIELD "cpu.cpus", NULL, err) < 0)
		return -1;
	if (c->mems && cg_write(dir, "cpuset.mems", c->mems, CG_FIELD "cpu.mems", NULL, err) < 0)
		return -1;
	return 0;
}

int cg_v2_pids(const char *dir, int64_t limit, struct berth_err **err)
{
	return write_max(dir, "pids.max", CG_FIELD "pids.limit", limit <= 0 ? -1 : limit, NULL,
			 err);
}

static int io_max(const char *dir, const char *key, const char *field,
		  const struct oci_throttle_device *t, size_t n, struct berth_err **err)
{
	for (size_t i = 0; i < n; i++) {
		char f[80];

		snprintf(f, sizeof(f), CG_FIELD "blockIO.%s[%zu]", field, i);
		if (cg_writef(dir, "io.max", f, NULL, err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
			      t[i].major, t[i].minor, key, t[i].rate) < 0)
			return -1;
	}
	return 0;
}

static const char no_weight[] = "no BFQ and no io.weight on this kernel";

int cg_v2_io(const char *dir, const struct oci_block_io *b, struct berth_err **err)
{
	/* BFQ takes the blkio scale as is; io.weight (io.cost) its own */
	bool bfq = cg_file_exists(dir, "io.bfq.weight");
	const char *wf = bfq ? "io.bfq.weight" : "io.weight";

	if (b->has_weight &&
	    cg_writef(dir, wf, CG_FIELD "blockIO.weight", no_weight, err, "%" PRIu64,
		      bfq ? b->weight : cg_v2_blkio_to_io_weight(b->weight)) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];
		char f[80];

		snprintf(f, sizeof(f), CG_FIELD "blockIO.weightDevice[%zu].weight", i);
		if (w->has_weight &&
		    cg_writef(dir, wf, f, no_weight, err, "%" PRId64 ":%" PRId64 " %" PRIu64,
			      w->major, w->minor,
			      bfq ? w->weight : cg_v2_blkio_to_io_weight(w->weight)) < 0)
			return -1;
	}
	if (io_max(dir, "rbps", "throttleReadBpsDevice", b->throttle_read_bps,
		   b->n_throttle_read_bps, err) < 0 ||
	    io_max(dir, "wbps", "throttleWriteBpsDevice", b->throttle_write_bps,
		   b->n_throttle_write_bps, err) < 0 ||
	    io_max(dir, "riops", "throttleReadIOPSDevice", b->throttle_read_iops,
		   b->n_throttle_read_iops, err) < 0 ||
	    io_max(dir, "wiops", "throttleWriteIOPSDevice", b->throttle_write_iops,
		   b->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

int cg_v2_hugetlb(const char *dir, const struct oci_hugepage_limit *l, size_t n,
		  struct berth_err **err)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *file = xasprintf("hugetlb.%s.max", l[i].page_size);
		char f[64];

		snprintf(f, sizeof(f), CG_FIELD "hugepageLimits[%zu]", i);
		if (cg_writef(dir, file, f, "no such huge page size", err, "%" PRIu64, l[i].limit) <
		    0)
			return -1;
	}
	return 0;
}

int cg_v2_unified(const char *dir, const struct oci_kv *kv, size_t n, struct berth_err **err)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *f = xasprintf(CG_FIELD "unified.%s", kv[i].key);

		if (cg_write(dir, kv[i].key, kv[i].value, f,
			     "no such file in the cgroup2 directory; is its controller enabled?",
			     err) < 0)
			return -1;
	}
	return 0;
}

/* "frozen 0|1" of cgroup.events: 1, 0, or -1 if unreadable */
static int events_frozen(int fd)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	const char *p;

	if (n < 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "frozen ");
	if (!p)
		return -1;
	return p[7] == '1';
}

int cg_v2_is_frozen(const char *dir)
{
	cleanup_free char *p = xasprintf("%s/cgroup.events", dir);
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -1 : events_frozen(fd);
}

/* frozen (cgroup.events) although our own cgroup.freeze is 0: an ancestor froze it */
int cg_v2_frozen_by_ancestor(const char *dir)
{
	cleanup_free char *s = NULL;
	struct berth_err *e = NULL;

	if (cg_v2_is_frozen(dir) <= 0)
		return 0;
	if (cg_read(dir, "cgroup.freeze", &s, &e) < 0) {
		berth_err_free(&e);
		return -1;
	}
	return s[0] == '0';
}

/* cgroup.events is a kernfs file that signals POLLPRI when it changes; the
 * poll timeout only bounds a missed notification. */
int cg_v2_freeze(const char *dir, bool frozen, struct berth_err **err)
{
	cleanup_free char *p = xasprintf("%s/cgroup.events", dir);
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", p);
	if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", "freezer", NULL, err) < 0)
		return -1;
	for (int i = 0; i < 100; i++) {
		struct pollfd pfd = {.fd = fd, .events = POLLPRI};
		int st = events_frozen(fd);

		if (st < 0)
			return berth_err_sys(err, errno ? errno : EIO, "read '%s'", p);
		if (st == frozen)
			return 0;
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			return berth_err_sys(err, errno, "poll '%s'", p);
	}
	if (frozen)
		cg_write(dir, "cgroup.freeze", "0", "freezer", NULL, NULL);
	return berth_err_new(err, BERTH_E_TIMEOUT, "cgroup '%s' did not become %s", dir,
			     frozen ? "frozen" : "thawed");
}

const struct cg_fmt cg_fmt_v2 = {
	.before_level = cg_v2_enable_controllers,
	.memory = cg_v2_memory,
	.cpu = cg_v2_cpu,
	.cpuset = cg_v2_cpuset,
	.pids = cg_v2_pids,
	.io = cg_v2_io,
	.hugetlb = cg_v2_hugetlb,
	.freeze = cg_v2_freeze,
	.is_frozen = cg_v2_is_frozen,
	.frozen_by_ancestor = cg_v2_frozen_by_ancestor,
};
