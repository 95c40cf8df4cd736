/*
 * runtime/lib/cgroup/cgroup_stats.c - usage counters (runc's `events --stats`) and
 * OOM notification, from v1 or v2 files.
 *
 * A counter whose controller is not mounted is left out (has_* false); a
 * single missing file in a mounted controller leaves that counter 0, as
 * kernels differ (memory.peak, memory.memsw.*).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"

static uint64_t u64_or0(const char *dir, const char *file)
{
	struct berth_err *e = NULL;
	uint64_t v = 0;

	if (cg_read_u64(dir, file, &v, &e) < 0)
		v = 0;
	berth_err_free(&e);
	return v;
}

static uint64_t keyed_or0(const char *dir, const char *file, const char *key)
{
	struct berth_err *e = NULL;
	uint64_t v = 0;

	if (cg_read_keyed(dir, file, key, &v, &e) < 0)
		v = 0;
	berth_err_free(&e);
	return v;
}

static uint64_t max_to_0(uint64_t v)
{
	return v == UINT64_MAX ? 0 : v;
}

static void cpu_v1(const struct rt_cgroup *cg, struct rt_cgroup_stats *st)
{
	struct cg_hier *acct = cg_ctrl(cg, "cpuacct"), *cpu = cg_ctrl(cg, "cpu");
	long hz = sysconf(_SC_CLK_TCK);

	if (hz <= 0)
		hz = 100;
	if (acct) {
		st->has_cpu = true;
		st->cpu_total = u64_or0(acct->dir, "cpuacct.usage");
		st->cpu_user = keyed_or0(acct->dir, "cpuacct.stat", "user") * (1000000000 / hz);
		st->cpu_kernel = keyed_or0(acct->dir, "cpuacct.stat", "system") * (1000000000 / hz);
	}
	if (cpu) {
		st->has_cpu = true;
		st->cpu_periods = keyed_or0(cpu->dir, "cpu.stat", "nr_periods");
		st->cpu_throttled_periods = keyed_or0(cpu->dir, "cpu.stat", "nr_throttled");
		st->cpu_throttled_time = keyed_or0(cpu->dir, "cpu.stat", "throttled_time");
	}
}

static void cpu_v2(const char *dir, struct rt_cgroup_stats *st)
{
	/* cpu.stat exists without the cpu controller (usage only) */
	st->has_cpu = true;
	st->cpu_total = keyed_or0(dir, "cpu.stat", "usage_usec") * 1000;
	st->cpu_user = keyed_or0(dir, "cpu.stat", "user_usec") * 1000;
	st->cpu_kernel = keyed_or0(dir, "cpu.stat", "system_usec") * 1000;
	st->cpu_periods = keyed_or0(dir, "cpu.stat", "nr_periods");
	st->cpu_throttled_periods = keyed_or0(dir, "cpu.stat", "nr_throttled");
	st->cpu_throttled_time = keyed_or0(dir, "cpu.stat", "throttled_usec") * 1000;
}

static void memory(const struct cg_hier *h, struct rt_cgroup_stats *st)
{
	st->has_memory = true;
	if (!h->v2) {
		st->mem_usage = u64_or0(h->dir, "memory.usage_in_bytes");
		st->mem_limit = u64_or0(h->dir, "memory.limit_in_bytes");
		st->mem_max_usage = u64_or0(h->dir, "memory.max_usage_in_bytes");
		st->mem_failcnt = u64_or0(h->dir, "memory.failcnt");
		st->mem_cache = keyed_or0(h->dir, "memory.stat", "cache");
		st->swap_usage = u64_or0(h->dir, "memory.memsw.usage_in_bytes");
		st->swap_limit = u64_or0(h->dir, "memory.memsw.limit_in_bytes");
		return;
	}
	st->mem_usage = u64_or0(h->dir, "memory.current");
	st->mem_limit = u64_or0(h->dir, "memory.max");
	st->mem_max_usage = u64_or0(h->dir, "memory.peak");
	st->mem_failcnt = keyed_or0(h->dir, "memory.events", "max");
	st->mem_cache = keyed_or0(h->dir, "memory.stat", "file");
	st->swap_usage = u64_or0(h->dir, "memory.swap.current");
	st->swap_limit = u64_or0(h->dir, "memory.swap.max");
}

static void push(struct rt_cgroup_blkio_entry **v, size_t *n, unsigned maj, unsigned min,
		 const char *op, uint64_t val)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n] = (struct rt_cgroup_blkio_entry){.major = maj, .minor = min, .value = val};
	snprintf((*v)[*n].op, sizeof((*v)[*n].op), "%s", op);
	(*n)++;
}

/* "8:0 Read 4096" lines (the "Total N" summary line is skipped) */
static void blkio_v1_file(const char *dir, const char *file, struct rt_cgroup_blkio_entry **v,
			  size_t *n)
{
	cleanup_free char *s = NULL;
	struct berth_err *e = NULL;

	if (cg_read(dir, file, &s, &e) < 0) {
		berth_err_free(&e);
		return;
	}
	for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned maj, min;
		char op[16];
		unsigned long long val;

		if (sscanf(l, "%u:%u %15s %llu", &maj, &min, op, &val) == 4)
			push(v, n, maj, min, op, val);
	}
}

/* "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6" */
static void io_v2(const char *dir, struct rt_cgroup_stats *st)
{
	cleanup_free char *s = NULL;
	struct berth_err *e = NULL;

	if (cg_read(dir, "io.stat", &s, &e) < 0) {
		berth_err_free(&e);
		return;
	}
	for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned maj, min;
		unsigned long long rb = 0, wb = 0, ri = 0, wi = 0;
		char *p;

		if (sscanf(l, "%u:%u", &maj, &min) != 2)
			continue;
		if ((p = strstr(l, "rbytes=")))
			rb = strtoull(p + 7, NULL, 10);
		if ((p = strstr(l, "wbytes=")))
			wb = strtoull(p + 7, NULL, 10);
		if ((p = strstr(l, "rios=")))
			ri = strtoull(p + 5, NULL, 10);
		if ((p = strstr(l, "wios=")))
			wi = strtoull(p + 5, NULL, 10);
		push(&st->blkio_bytes, &st->n_blkio_bytes, maj, min, "Read", rb);
		push(&st->blkio_bytes, &st->n_blkio_bytes, maj, min, "Write", wb);
		push(&st->blkio_ios, &st->n_blkio_ios, maj, min, "Read", ri);
		push(&st->blkio_ios, &st->n_blkio_ios, maj, min, "Write", wi);
	}
}

int rt_cgroup_stats(struct rt_cgroup *cg, struct rt_cgroup_stats *out, struct berth_err **err)
{
	struct rt_cgroup_stats st = {0};
	struct cg_hier *h;

	if (cg->mode == RT_CGROUP_V2)
		cpu_v2(cg->unified->dir, &st);
	else
		cpu_v1(cg, &st);
	if ((h = cg_ctrl(cg, "memory")))
		memory(h, &st);
	if ((h = cg_ctrl(cg, "pids"))) {
		st.has_pids = true;
		st.pids_current = u64_or0(h->dir, "pids.current");
		st.pids_limit = max_to_0(u64_or0(h->dir, "pids.max"));
	}
	if ((h = cg_ctrl(cg, "blkio")) && !h->v2) {
		blkio_v1_file(h->dir, "blkio.throttle.io_service_bytes_recursive", &st.blkio_bytes,
			      &st.n_blkio_bytes);
		blkio_v1_file(h->dir, "blkio.throttle.io_serviced_recursive", &st.blkio_ios,
			      &st.n_blkio_ios);
	} else if ((h = cg_ctrl(cg, "io"))) {
		io_v2(h->dir, &st);
	}
	if (!st.has_cpu && !st.has_memory && !st.has_pids && access(cg->h[0].dir, F_OK) < 0)
		return berth_err_sys(err, errno, "cgroup '%s'", cg->h[0].dir);
	*out = st;
	return 0;
}

void rt_cgroup_stats_clear(struct rt_cgroup_stats *st)
{
	free(st->blkio_bytes);
	free(st->blkio_ios);
	st->blkio_bytes = st->blkio_ios = NULL;
	st->n_blkio_bytes = st->n_blkio_ios = 0;
}

int rt_cgroup_oom_fd(struct rt_cgroup *cg, struct berth_err **err)
{
	struct cg_hier *h = cg_ctrl(cg, "memory");

	if (!h)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "OOM events: the 'memory' cgroup controller is not mounted");
	if (h->v2) {
		cleanup_free char *p = xasprintf("%s/memory.events", h->dir);
		cleanup_close int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

		if (fd < 0)
			return berth_err_sys(err, errno, "OOM events: inotify_init1");
		if (inotify_add_watch(fd, p, IN_MODIFY) < 0)
			return berth_err_sys(err, errno, "OOM events: watch '%s'", p);
		return take_fd(&fd);
	} else {
		cleanup_free char *p = xasprintf("%s/memory.oom_control", h->dir);
		cleanup_close int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		cleanup_close int cfd = open(p, O_RDONLY | O_CLOEXEC);
		char buf[64];

		if (efd < 0)
			return berth_err_sys(err, errno, "OOM events: eventfd");
		if (cfd < 0)
			return berth_err_sys(err, errno, "OOM events: open '%s'", p);
		snprintf(buf, sizeof(buf), "%d %d", efd, cfd);
		/* the registration lives with the cgroup and the eventfd, not with cfd */
		if (cg_write(h->dir, "cgroup.event_control", buf, "OOM events", NULL, err) < 0)
			return -1;
		return take_fd(&efd);
	}
}

uint64_t rt_cgroup_oom_count(struct rt_cgroup *cg)
{
	struct cg_hier *h = cg_ctrl(cg, "memory");

	if (!h)
		return 0;
	return keyed_or0(h->dir, h->v2 ? "memory.events" : "memory.oom_control", "oom_kill");
}
