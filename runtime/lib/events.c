/*
 * runtime/lib/events.c - runc's stats and OOM records, and the streaming
 * loop. See events.h.
 *
 * Extra counters are read with best effort, like runc: a missing file or
 * controller leaves its counter at zero (and then out, where runc's field is
 * omitempty).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/events.h"
#include "runtime/lib/pidstat.h"

/* ---- reading cgroup files ---- */

static char *rd(const char *dir, const char *file)
{
	cleanup_free char *p = NULL;
	struct berth_err *e = NULL;
	char *s = NULL;
	size_t len;

	if (!dir)
		return NULL;
	p = xasprintf("%s/%s", dir, file);
	if (fs_read_file(AT_FDCWD, p, &s, &len, &e) < 0) {
		berth_err_free(&e);
		return NULL;
	}
	return s;
}

/* A number, "max" as UINT64_MAX; 0 when the file is missing or not a number. */
static uint64_t rd_u64(const char *dir, const char *file)
{
	cleanup_free char *s = rd(dir, file);

	if (!s)
		return 0;
	if (!strncmp(s, "max", 3))
		return UINT64_MAX;
	return strtoull(s, NULL, 10);
}

static int64_t rd_i64(const char *dir, const char *file)
{
	cleanup_free char *s = rd(dir, file);

	return s ? strtoll(s, NULL, 10) : 0;
}

/* The value of "key N" in a flat keyed file; 0 if absent. */
static uint64_t rd_keyed(const char *dir, const char *file, const char *key)
{
	cleanup_free char *s = rd(dir, file);
	size_t kl = strlen(key);

	for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ' ')
			return strtoull(l + kl + 1, NULL, 10);
	return 0;
}

static bool is_v2(const char *dir)
{
	cleanup_free char *p = dir ? xasprintf("%s/cgroup.controllers", dir) : NULL;

	return p && fs_exists(p);
}

/* "N N N" -> [N, N, N]; NULL if the file is missing or empty (runc's omitempty). */
static struct bjson *u64_list(const char *dir, const char *file)
{
	cleanup_free char *s = rd(dir, file);
	struct bjson *a = NULL;
	char *p = s, *end;

	while (p && *p) {
		uint64_t v = strtoull(p, &end, 10);

		if (end == p)
			break;
		if (!a)
			a = bjson_array_new();
		bjson_append_uint(a, v);
		p = end;
	}
	return a;
}

/* A cpu list "0-3,6" -> [0,1,2,3,6]; NULL if empty. */
static struct bjson *cpu_list(const char *dir, const char *file)
{
	cleanup_free char *s = rd(dir, file);
	struct bjson *a = NULL;
	char *p = s;

	while (p && *p && *p != '\n') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi;

		if (end == p)
			break;
		hi = lo;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long i = lo; i <= hi && i < 65536; i++) {
			if (!a)
				a = bjson_array_new();
			bjson_append_uint(a, i);
		}
		p = *end == ',' ? end + 1 : end;
	}
	return a;
}

static void set_nz(struct bjson *o, const char *key, uint64_t v)
{
	if (v)
		bjson_set_uint(o, key, v);
}

static void set_list(struct bjson *o, const char *key, struct bjson *a)
{
	if (a)
		bjson_set_take(o, key, a);
}

/* ---- the stats record ---- */

static struct bjson *cpu_json(struct rt_cgroup *cg, const struct rt_cgroup_stats *st)
{
	struct bjson *cpu = bjson_object_new(), *u = bjson_object_new(), *t = bjson_object_new();
	const char *acct = rt_cgroup_path(cg, "cpuacct");

	set_nz(u, "total", st->cpu_total);
	if (acct && !is_v2(acct)) {
		set_list(u, "percpu", u64_list(acct, "cpuacct.usage_percpu"));
		set_list(u, "percpu_kernel", u64_list(acct, "cpuacct.usage_percpu_sys"));
		set_list(u, "percpu_user", u64_list(acct, "cpuacct.usage_percpu_user"));
	}
	bjson_set_uint(u, "kernel", st->cpu_kernel);
	bjson_set_uint(u, "user", st->cpu_user);
	set_nz(t, "periods", st->cpu_periods);
	set_nz(t, "throttledPeriods", st->cpu_throttled_periods);
	set_nz(t, "throttledTime", st->cpu_throttled_time);
	bjson_set_take(cpu, "usage", u);
	bjson_set_take(cpu, "throttling", t);
	return cpu;
}

static struct bjson *cpuset_json(struct rt_cgroup *cg)
{
	static const char *const flags[] = {
		"cpu_exclusive",   "mem_hardwall",	 "mem_exclusive",
		"memory_migrate",  "memory_spread_page", "memory_spread_slab",
		"memory_pressure", "sched_load_balance", NULL,
	};
	struct bjson *o = bjson_object_new();
	const char *dir = rt_cgroup_path(cg, "cpuset");
	bool v2 = is_v2(dir);

	set_list(o, "cpus", cpu_list(dir, v2 ? "cpuset.cpus.effective" : "cpuset.cpus"));
	for (size_t i = 0; flags[i]; i++) {
		cleanup_free char *f = xasprintf("cpuset.%s", flags[i]);

		bjson_set_uint(o, flags[i], v2 ? 0 : rd_u64(dir, f));
		if (i == 0)
			set_list(o, "mems",
				 cpu_list(dir, v2 ? "cpuset.mems.effective" : "cpuset.mems"));
	}
	bjson_set_int(o, "sched_relax_domain_level",
		      v2 ? 0 : rd_i64(dir, "cpuset.sched_relax_domain_level"));
	return o;
}

/* runc's MemoryEntry: limit and failcnt always, usage and max when non-zero. */
static struct bjson *mem_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
	struct bjson *o = bjson_object_new();

	bjson_set_uint(o, "limit", limit);
	set_nz(o, "usage", usage);
	set_nz(o, "max", max);
	bjson_set_uint(o, "failcnt", failcnt);
	return o;
}

/* memory.<prefix>{limit_in_bytes,usage_in_bytes,max_usage_in_bytes,failcnt} (v1) */
static struct bjson *mem_entry_v1(const char *dir, const char *prefix)
{
	cleanup_free char *l = xasprintf("memory.%slimit_in_bytes", prefix);
	cleanup_free char *u = xasprintf("memory.%susage_in_bytes", prefix);
	cleanup_free char *m = xasprintf("memory.%smax_usage_in_bytes", prefix);
	cleanup_free char *f = xasprintf("memory.%sfailcnt", prefix);

	return mem_entry(rd_u64(dir, l), rd_u64(dir, u), rd_u64(dir, m), rd_u64(dir, f));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* memory.stat as a map, keys sorted (Go's encoding of runc's map); NULL if empty. */
static struct bjson *mem_raw(const char *dir)
{
	cleanup_free char *s = rd(dir, "memory.stat");
	cleanup(strv_freep) char **lines = s ? strv_split(s, "\n") : NULL;
	struct bjson *o = NULL;

	if (!lines || !lines[0])
		return NULL;
	qsort(lines, strv_len(lines), sizeof(*lines), cmp_str);
	strv_foreach (l, lines) {
		char *sp = strchr(l, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		if (!o)
			o = bjson_object_new();
		bjson_set_uint(o, l, strtoull(sp + 1, NULL, 10));
	}
	return o;
}

static struct bjson *memory_json(struct rt_cgroup *cg, const struct rt_cgroup_stats *st)
{
	struct bjson *o = bjson_object_new();
	const char *dir = rt_cgroup_path(cg, "memory");
	uint64_t swap_limit = st->swap_limit, swap_usage = st->swap_usage;

	set_nz(o, "cache", st->mem_cache);
	bjson_set_take(o, "usage",
		       mem_entry(st->mem_limit, st->mem_usage, st->mem_max_usage, st->mem_failcnt));
	if (dir && !is_v2(dir)) {
		bjson_set_take(o, "swap", mem_entry_v1(dir, "memsw."));
		bjson_set_take(o, "kernel", mem_entry_v1(dir, "kmem."));
		bjson_set_take(o, "kernelTCP", mem_entry_v1(dir, "kmem.tcp."));
	} else {
		/* v1 reports memory+swap; runc adds the two on v2 to keep that meaning */
		swap_usage += st->mem_usage;
		if (swap_limit != UINT64_MAX && st->mem_limit != UINT64_MAX)
			swap_limit += st->mem_limit;
		else
			swap_limit = UINT64_MAX;
		bjson_set_take(o, "swap",
			       mem_entry(dir ? swap_limit : 0, dir ? swap_usage : 0, 0, 0));
		bjson_set_take(o, "kernel", mem_entry(0, 0, 0, 0));
		bjson_set_take(o, "kernelTCP", mem_entry(0, 0, 0, 0));
	}
	set_list(o, "raw", mem_raw(dir));
	return o;
}

static struct bjson *pids_json(const struct rt_cgroup_stats *st)
{
	struct bjson *o = bjson_object_new();

	set_nz(o, "current", st->pids_current);
	set_nz(o, "limit", st->pids_limit);
	return o;
}

static struct bjson *blkio_entries(const struct rt_cgroup_blkio_entry *v, size_t n)
{
	struct bjson *a = n ? bjson_array_new() : NULL;

	for (size_t i = 0; i < n; i++) {
		struct bjson *e = bjson_object_new();

		set_nz(e, "major", v[i].major);
		set_nz(e, "minor", v[i].minor);
		if (v[i].op[0])
			bjson_set_str(e, "op", v[i].op);
		set_nz(e, "value", v[i].value);
		bjson_append_take(a, e);
	}
	return a;
}

static struct bjson *blkio_json(const struct rt_cgroup_stats *st)
{
	struct bjson *o = bjson_object_new();

	set_list(o, "ioServiceBytesRecursive", blkio_entries(st->blkio_bytes, st->n_blkio_bytes));
	set_list(o, "ioServicedRecursive", blkio_entries(st->blkio_ios, st->n_blkio_ios));
	return o;
}

/* The page sizes with a usage file: "hugetlb.<size>.usage_in_bytes" (v1) or
 * "hugetlb.<size>.current" (v2, not the ".rsvd." ones); sorted. */
static char **hugetlb_sizes(const char *dir, bool v2)
{
	const char *suffix = v2 ? ".current" : ".usage_in_bytes";
	size_t sl = strlen(suffix);
	cleanup_dir DIR *d = dir ? opendir(dir) : NULL;
	char **sizes = NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		const char *n = de->d_name;
		size_t len = strlen(n);

		if (strncmp(n, "hugetlb.", 8) || len <= 8 + sl || strcmp(n + len - sl, suffix))
			continue;
		n += 8;
		len -= 8 + sl;
		if (memchr(n, '.', len))
			continue;
		strv_push_take(&sizes, xstrndup(n, len));
	}
	if (sizes)
		qsort(sizes, strv_len(sizes), sizeof(*sizes), cmp_str);
	return sizes;
}

static struct bjson *hugetlb_json(struct rt_cgroup *cg)
{
	struct bjson *o = bjson_object_new();
	const char *dir = rt_cgroup_path(cg, "hugetlb");
	bool v2 = is_v2(dir);
	cleanup(strv_freep) char **sizes = hugetlb_sizes(dir, v2);

	strv_foreach (sz, sizes) {
		struct bjson *e = bjson_object_new();
		cleanup_free char *u =
			xasprintf("hugetlb.%s.%s", sz, v2 ? "current" : "usage_in_bytes");
		cleanup_free char *m = xasprintf("hugetlb.%s.max_usage_in_bytes", sz);
		cleanup_free char *f = xasprintf("hugetlb.%s.%s", sz, v2 ? "events" : "failcnt");

		set_nz(e, "usage", rd_u64(dir, u));
		set_nz(e, "max", v2 ? 0 : rd_u64(dir, m));
		bjson_set_uint(e, "failcnt", v2 ? rd_keyed(dir, f, "max") : rd_u64(dir, f));
		bjson_set_take(o, sz, e);
	}
	return o;
}

int rt_events_stats_json(struct rt_cgroup *cg, const char *id, char **out, struct berth_err **err)
{
	struct rt_cgroup_stats st;
	cleanup(bjson_freep) struct bjson *ev = NULL;
	struct bjson *data;

	if (rt_cgroup_stats(cg, &st, err) < 0)
		return berth_err_wrap(err, "stats of container '%s'", id);
	data = bjson_object_new();
	bjson_set_take(data, "cpu", cpu_json(cg, &st));
	bjson_set_take(data, "cpuset", cpuset_json(cg));
	bjson_set_take(data, "memory", memory_json(cg, &st));
	bjson_set_take(data, "pids", pids_json(&st));
	bjson_set_take(data, "blkio", blkio_json(&st));
	bjson_set_take(data, "hugetlb", hugetlb_json(cg));
	bjson_set_take(data, "intel_rdt", bjson_object_new());
	bjson_set_str(data, "network_interfaces", NULL);
	rt_cgroup_stats_clear(&st);
	ev = bjson_object_new();
	bjson_set_str(ev, "type", "stats");
	bjson_set_str(ev, "id", id);
	bjson_set_take(ev, "data", data);
	*out = bjson_to_string(ev, BJSON_PLAIN);
	return 0;
}

char *rt_events_oom_json(const char *id)
{
	cleanup(bjson_freep) struct bjson *ev = bjson_object_new();

	bjson_set_str(ev, "type", "oom");
	bjson_set_str(ev, "id", id);
	return bjson_to_string(ev, BJSON_PLAIN);
}

/* ---- durations ---- */

int rt_duration_parse(const char *s, uint64_t *ns)
{
	static const struct {
		const char *name;
		double ns;
	} units[] = {
		{"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
		{"ms", 1e6}, {"s", 1e9},  {"m", 60e9},	      {"h", 3600e9},
	};
	double total = 0;

	if (!strcmp(s, "0")) {
		*ns = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		char *end;
		double v;
		size_t best = 0, k = 0;

		if (!((*s >= '0' && *s <= '9') || *s == '.'))
			return -1;
		v = strtod(s, &end);
		if (end == s)
			return -1;
		/* the longest unit name that matches ("ms" before "m") */
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].name);

			if (!strncmp(end, units[i].name, l) && l > best) {
				best = l;
				k = i;
			}
		}
		if (!best)
			return -1;
		total += v * units[k].ns;
		s = end + best;
	}
	if (total >= 18446744073709551615.0)
		return -1;
	*ns = (uint64_t)total;
	return 0;
}

/* ---- streaming ---- */

struct watch {
	struct rt_container *c;
	struct rt_cgroup *cg;
	const char *mem_dir; /* borrowed from cg */
	uint64_t ooms;	     /* oom_kill count already reported */
	rt_events_emit_fn emit;
	void *ctx;
};

static int emit_oom(struct watch *w, struct berth_err **err)
{
	cleanup_free char *s = rt_events_oom_json(w->c->id);

	return w->emit(s, w->ctx, err);
}

/*
 * The OOM fd fired. v1 (eventfd on memory.oom_control): one record per
 * wakeup, like runc, unless the wakeup says the cgroup was removed. v2
 * (inotify on memory.events): one record when oom_kill grew. Returns 1 when
 * the cgroup is gone.
 */
static int on_oom(struct watch *w, int fd, struct berth_err **err)
{
	char buf[4096];
	uint64_t n;
	bool v2 = is_v2(w->mem_dir);

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (!fs_exists(w->mem_dir))
		return 1;
	n = rt_cgroup_oom_count(w->cg);
	if (!v2 || n > w->ooms) {
		if (n > w->ooms)
			w->ooms = n;
		return emit_oom(w, err);
	}
	return 0;
}

static int on_tick(struct watch *w, int tfd, struct berth_err **err)
{
	cleanup_free char *s = NULL;
	struct berth_err *e = NULL;
	uint64_t expirations;

	if (read(tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return berth_err_sys(err, errno, "read timerfd");
	if (rt_events_stats_json(w->cg, w->c->id, &s, &e) < 0) {
		log_error("%s", e->msg);
		berth_err_free(&e);
		return 0;
	}
	return w->emit(s, w->ctx, err);
}

static int timer_open(uint64_t interval_ns, struct berth_err **err)
{
	cleanup_close int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = {0};

	if (fd < 0)
		return berth_err_sys(err, errno, "timerfd_create");
	its.it_interval.tv_sec = (time_t)(interval_ns / 1000000000);
	its.it_interval.tv_nsec = (long)(interval_ns % 1000000000);
	its.it_value = its.it_interval;
	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		return berth_err_sys(err, errno, "timerfd_settime");
	return take_fd(&fd);
}

enum { W_STOP, W_OOM, W_TIMER, W_PID, W_N };

/* The loop proper; returns 0 when the init exited or stop was asked. */
static int watch_loop(struct watch *w, struct pollfd *p, struct berth_err **err)
{
	for (;;) {
		int r;

		if (poll(p, W_N, -1) < 0) {
			if (errno == EINTR)
				continue;
			return berth_err_sys(err, errno, "poll");
		}
		if (p[W_STOP].revents)
			return 0;
		if (p[W_OOM].revents && (r = on_oom(w, p[W_OOM].fd, err)) != 0)
			return r < 0 ? -1 : 0;
		if (p[W_TIMER].revents && on_tick(w, p[W_TIMER].fd, err) < 0)
			return -1;
		if (p[W_PID].revents) {
			/* an OOM kill of the init: the notification may trail the exit */
			if (rt_cgroup_oom_count(w->cg) > w->ooms && is_v2(w->mem_dir))
				return emit_oom(w, err);
			return 0;
		}
	}
}

int rt_events_watch(struct rt_container *c, uint64_t interval_ns, int stop_fd,
		    rt_events_emit_fn emit, void *ctx, struct berth_err **err)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_close int pidfd = -1, oomfd = -1, tfd = -1;
	struct watch w = {.c = c, .emit = emit, .ctx = ctx};
	struct pollfd p[W_N];

	if (rt_container_status(c) == RT_STATUS_STOPPED)
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     c->id);
	if ((pidfd = rt_pid_open(c->st->pid, c->st->pid_start, err)) < 0) {
		if (!berth_err_is(*err, ESRCH))
			return -1;
		berth_err_free(err);
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     c->id);
	}
	if (rt_cgroup_open(c->st->cgroups_path, c->id, c->st->systemd_cgroup, &cg, err) < 0 ||
	    (oomfd = rt_cgroup_oom_fd(cg, err)) < 0 || (tfd = timer_open(interval_ns, err)) < 0)
		return berth_err_wrap(err, "events of container '%s'", c->id);
	w.cg = cg;
	w.mem_dir = rt_cgroup_path(cg, "memory");
	w.ooms = rt_cgroup_oom_count(cg);
	p[W_STOP] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
	p[W_OOM] = (struct pollfd){.fd = oomfd, .events = POLLIN};
	p[W_TIMER] = (struct pollfd){.fd = tfd, .events = POLLIN};
	p[W_PID] = (struct pollfd){.fd = pidfd, .events = POLLIN};
	return watch_loop(&w, p, err);
}
