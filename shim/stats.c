/*
 * shim/stats.c - the container's cgroup metrics for Stats, read from the
 * init process's cgroups (/proc/<pid>/cgroup), as io.containerd.cgroups.v1.Metrics
 * (cgroup v1 controllers, also the hybrid layout) or io.containerd.cgroups.v2.Metrics
 * (pure cgroup v2). Files that are missing leave their fields at zero. Also watches
 * for OOM kills: v1 memory.oom_control through cgroup.event_control, v2 memory.events
 * (oom_kill counter) through inotify.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/mountinfo.h"
#include "common/xalloc.h"
#include "github.com/containerd/cgroups/stats/v1/metrics.pb-c.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb-c.h"
#include "shim/task.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* true if the comma-separated list has item */
static bool list_has(const char *list, const char *item)
{
	size_t n = strlen(item);

	for (const char *p = list; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (strncmp(p, item, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* The cgroup of pid in the hierarchy of controller ctl ("" = the v2 hierarchy), as
 * /proc/<pid>/cgroup names it; NULL if none. */
static char *cgroup_path(pid_t pid, const char *ctl)
{
	cleanup_free char *path = xasprintf("/proc/%d/cgroup", pid);
	cleanup_free char *text = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	size_t len;

	if (fs_read_file_max(AT_FDCWD, path, 65536, &text, &len, &err) < 0)
		return NULL;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *ctls = strchr(line, ':'), *cg;

		if (!ctls || !(cg = strchr(++ctls, ':')))
			continue;
		*cg++ = '\0';
		if (*ctl ? list_has(ctls, ctl) : !*ctls)
			return xstrdup(cg);
	}
	return NULL;
}

/* cg as seen through mount e (a cgroup mount of its hierarchy); NULL if e's root
 * does not contain it. */
static char *dir_under(const struct mountinfo_entry *e, const char *cg)
{
	size_t rlen = strlen(e->root);

	if (strcmp(e->root, "/") == 0)
		return xasprintf("%s%s", e->mount_point, cg);
	if (strncmp(cg, e->root, rlen) != 0 || (cg[rlen] && cg[rlen] != '/'))
		return NULL;
	return xasprintf("%s%s", e->mount_point, cg + rlen);
}

/*
 * The directory of controller ctl ("" = the v2 hierarchy) for pid; NULL if none. The
 * hierarchy's mount comes from the shim's mountinfo (its mount point, and its root if
 * only part of the hierarchy is mounted); for v2 the one at CGROUP_ROOT is preferred.
 */
static char *cgroup_dir(pid_t pid, const char *ctl)
{
	cleanup_free char *cg = cgroup_path(pid, ctl);
	cleanup(mountinfo_closep) struct mountinfo_reader *r = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	struct mountinfo_entry e;
	char *dir = NULL;

	if (!cg)
		return NULL;
	r = mountinfo_open(NULL, 0, &err);
	while (r && mountinfo_next(r, &e, &err) > 0) {
		char *d;

		if (*ctl ? strcmp(e.fstype, "cgroup") != 0 || !list_has(e.super_opts, ctl)
			 : strcmp(e.fstype, "cgroup2") != 0)
			continue;
		d = dir_under(&e, cg);
		if (!d)
			continue;
		if (*ctl || strcmp(e.mount_point, CGROUP_ROOT) == 0) {
			free(dir);
			return d;
		}
		if (dir)
			free(d);
		else
			dir = d;
	}
	return dir;
}

static uint64_t read_u64(const char *dir, const char *file)
{
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	size_t len;

	if (!dir)
		return 0;
	path = xasprintf("%s/%s", dir, file);
	if (fs_read_file_max(AT_FDCWD, path, 4096, &text, &len, &err) < 0)
		return 0;
	if (strncmp(text, "max", 3) == 0)
		return UINT64_MAX;
	return strtoull(text, NULL, 10);
}

/* The value of "key N" in a flat-keyed file (memory.stat, cpu.stat). */
static uint64_t read_key(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
	return 0;
}

static char *read_text(const char *dir, const char *file)
{
	cleanup_free char *path = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	char *text = NULL;
	size_t len;

	if (!dir)
		return xstrdup("");
	path = xasprintf("%s/%s", dir, file);
	if (fs_read_file_max(AT_FDCWD, path, 65536, &text, &len, &err) < 0)
		return xstrdup("");
	return text;
}

static void pack(const ProtobufCMessage *m, uint8_t **data, size_t *len)
{
	*len = protobuf_c_message_get_packed_size(m);
	*data = xmalloc(*len + 1);
	protobuf_c_message_pack(m, *data);
}

static int collect_v1(pid_t pid, uint8_t **data, size_t *len)
{
	Io__Containerd__Cgroups__V1__Metrics m = IO__CONTAINERD__CGROUPS__V1__METRICS__INIT;
	Io__Containerd__Cgroups__V1__PidsStat pids = IO__CONTAINERD__CGROUPS__V1__PIDS_STAT__INIT;
	Io__Containerd__Cgroups__V1__CPUStat cpu = IO__CONTAINERD__CGROUPS__V1__CPUSTAT__INIT;
	Io__Containerd__Cgroups__V1__CPUUsage usage = IO__CONTAINERD__CGROUPS__V1__CPUUSAGE__INIT;
	Io__Containerd__Cgroups__V1__Throttle thr = IO__CONTAINERD__CGROUPS__V1__THROTTLE__INIT;
	Io__Containerd__Cgroups__V1__MemoryStat mem =
		IO__CONTAINERD__CGROUPS__V1__MEMORY_STAT__INIT;
	Io__Containerd__Cgroups__V1__MemoryEntry mu =
		IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
	Io__Containerd__Cgroups__V1__MemoryEntry ms =
		IO__CONTAINERD__CGROUPS__V1__MEMORY_ENTRY__INIT;
	cleanup_free char *pdir = cgroup_dir(pid, "pids");
	cleanup_free char *adir = cgroup_dir(pid, "cpuacct");
	cleanup_free char *cdir = cgroup_dir(pid, "cpu");
	cleanup_free char *mdir = cgroup_dir(pid, "memory");
	cleanup_free char *mstat = read_text(mdir, "memory.stat");
	cleanup_free char *cstat = read_text(cdir, "cpu.stat");

	pids.current = read_u64(pdir, "pids.current");
	pids.limit = read_u64(pdir, "pids.max");
	if (pids.limit == UINT64_MAX)
		pids.limit = 0; /* containerd's cgroups package reports "max" as 0 */
	usage.total = read_u64(adir, "cpuacct.usage");
	usage.user = read_u64(adir, "cpuacct.usage_user");
	usage.kernel = read_u64(adir, "cpuacct.usage_sys");
	thr.periods = read_key(cstat, "nr_periods");
	thr.throttled_periods = read_key(cstat, "nr_throttled");
	thr.throttled_time = read_key(cstat, "throttled_time");
	cpu.usage = &usage;
	cpu.throttling = &thr;
	mu.usage = read_u64(mdir, "memory.usage_in_bytes");
	mu.max = read_u64(mdir, "memory.max_usage_in_bytes");
	mu.limit = read_u64(mdir, "memory.limit_in_bytes");
	mu.failcnt = read_u64(mdir, "memory.failcnt");
	ms.usage = read_u64(mdir, "memory.memsw.usage_in_bytes");
	ms.max = read_u64(mdir, "memory.memsw.max_usage_in_bytes");
	ms.limit = read_u64(mdir, "memory.memsw.limit_in_bytes");
	ms.failcnt = read_u64(mdir, "memory.memsw.failcnt");
	mem.cache = read_key(mstat, "cache");
	mem.rss = read_key(mstat, "rss");
	mem.rss_huge = read_key(mstat, "rss_huge");
	mem.mapped_file = read_key(mstat, "mapped_file");
	mem.dirty = read_key(mstat, "dirty");
	mem.writeback = read_key(mstat, "writeback");
	mem.pg_fault = read_key(mstat, "pgfault");
	mem.pg_maj_fault = read_key(mstat, "pgmajfault");
	mem.inactive_anon = read_key(mstat, "inactive_anon");
	mem.active_anon = read_key(mstat, "active_anon");
	mem.inactive_file = read_key(mstat, "inactive_file");
	mem.active_file = read_key(mstat, "active_file");
	mem.unevictable = read_key(mstat, "unevictable");
	mem.hierarchical_memory_limit = read_key(mstat, "hierarchical_memory_limit");
	mem.total_cache = read_key(mstat, "total_cache");
	mem.total_rss = read_key(mstat, "total_rss");
	mem.usage = &mu;
	mem.swap = &ms;
	m.pids = &pids;
	m.cpu = &cpu;
	m.memory = &mem;
	pack(&m.base, data, len);
	return 0;
}

static int collect_v2(pid_t pid, uint8_t **data, size_t *len)
{
	Io__Containerd__Cgroups__V2__Metrics m = IO__CONTAINERD__CGROUPS__V2__METRICS__INIT;
	Io__Containerd__Cgroups__V2__PidsStat pids = IO__CONTAINERD__CGROUPS__V2__PIDS_STAT__INIT;
	Io__Containerd__Cgroups__V2__CPUStat cpu = IO__CONTAINERD__CGROUPS__V2__CPUSTAT__INIT;
	Io__Containerd__Cgroups__V2__MemoryStat mem =
		IO__CONTAINERD__CGROUPS__V2__MEMORY_STAT__INIT;
	cleanup_free char *dir = cgroup_dir(pid, "");
	cleanup_free char *cstat = read_text(dir, "cpu.stat");
	cleanup_free char *mstat = read_text(dir, "memory.stat");

	pids.current = read_u64(dir, "pids.current");
	pids.limit = read_u64(dir, "pids.max");
	if (pids.limit == UINT64_MAX)
		pids.limit = 0;
	cpu.usage_usec = read_key(cstat, "usage_usec");
	cpu.user_usec = read_key(cstat, "user_usec");
	cpu.system_usec = read_key(cstat, "system_usec");
	cpu.nr_periods = read_key(cstat, "nr_periods");
	cpu.nr_throttled = read_key(cstat, "nr_throttled");
	cpu.throttled_usec = read_key(cstat, "throttled_usec");
	mem.anon = read_key(mstat, "anon");
	mem.file = read_key(mstat, "file");
	mem.usage = read_u64(dir, "memory.current");
	mem.usage_limit = read_u64(dir, "memory.max");
	mem.swap_usage = read_u64(dir, "memory.swap.current");
	mem.swap_limit = read_u64(dir, "memory.swap.max");
	m.pids = &pids;
	m.cpu = &cpu;
	m.memory = &mem;
	pack(&m.base, data, len);
	return 0;
}

int shim_stats_collect(pid_t pid, char **type_url, uint8_t **data, size_t *len,
		       struct berth_err **err)
{
	cleanup_free char *path = xasprintf("/proc/%d", pid);

	if (!fs_exists(path))
		return berth_err_new(err, BERTH_E_NOT_FOUND, "pid %d: process not found", pid);
	if (fs_exists(CGROUP_ROOT "/cgroup.controllers")) {
		*type_url = xstrdup("io.containerd.cgroups.v2.Metrics");
		return collect_v2(pid, data, len);
	}
	*type_url = xstrdup("io.containerd.cgroups.v1.Metrics");
	return collect_v1(pid, data, len);
}

struct shim_oom {
	int fd;		    /* v1: eventfd; v2: inotify on memory.events */
	char *events;	    /* v2: <cgroup>/memory.events */
	uint64_t oom_kills; /* v2: the last oom_kill count seen */
};

static uint64_t v2_oom_kills(const char *events)
{
	cleanup_free char *text = NULL;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	size_t len;

	if (fs_read_file_max(AT_FDCWD, events, 4096, &text, &len, &err) < 0)
		return 0;
	return read_key(text, "oom_kill");
}

/* cgroup v1: an eventfd registered on memory.oom_control through cgroup.event_control */
static int v1_oom_eventfd(const char *dir)
{
	cleanup_free char *ctl = xasprintf("%s/memory.oom_control", dir);
	cleanup_free char *evc = xasprintf("%s/cgroup.event_control", dir);
	cleanup_free char *line = NULL;
	cleanup_close int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	cleanup_close int ofd = open(ctl, O_RDONLY | O_CLOEXEC);
	cleanup_close int cfd = open(evc, O_WRONLY | O_CLOEXEC);

	if (ofd < 0 || efd < 0 || cfd < 0)
		return -1;
	line = xasprintf("%d %d", efd, ofd);
	if (write(cfd, line, strlen(line)) < 0)
		return -1;
	/* the registration lives as long as efd; the oom_control fd can go */
	return take_fd(&efd);
}

struct shim_oom *shim_oom_open(pid_t pid)
{
	cleanup_free char *dir = NULL;
	struct shim_oom *o;
	int fd;

	if (fs_exists(CGROUP_ROOT "/cgroup.controllers")) {
		dir = cgroup_dir(pid, "");
		if (!dir)
			return NULL;
		o = xnew(struct shim_oom);
		o->events = xasprintf("%s/memory.events", dir);
		o->oom_kills = v2_oom_kills(o->events);
		/* cgroupfs files signal changes as IN_MODIFY */
		o->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (o->fd < 0 || inotify_add_watch(o->fd, o->events, IN_MODIFY) < 0) {
			shim_oom_close(o);
			return NULL;
		}
		return o;
	}
	dir = cgroup_dir(pid, "memory");
	fd = dir ? v1_oom_eventfd(dir) : -1;
	if (fd < 0)
		return NULL;
	o = xnew(struct shim_oom);
	o->fd = fd;
	return o;
}

int shim_oom_fd(const struct shim_oom *o)
{
	return o->fd;
}

bool shim_oom_fired(struct shim_oom *o)
{
	char buf[4096] __attribute__((aligned(__alignof__(uint64_t))));
	uint64_t n;

	if (!o->events)
		return read(o->fd, buf, sizeof(uint64_t)) == sizeof(uint64_t);
	while (read(o->fd, buf, sizeof(buf)) > 0)
		; /* drain the inotify events, then compare the counter */
	n = v2_oom_kills(o->events);
	if (n <= o->oom_kills)
		return false;
	o->oom_kills = n;
	return true;
}

void shim_oom_close(struct shim_oom *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	free(o->events);
	free(o);
}
