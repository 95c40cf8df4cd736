/*
 * runtime/lib/events.h - `berth events`: runc's event records for a container.
 *
 * Records are runc 1.1's types.Event as one JSON line each:
 *   {"type":"stats","id":ID,"data":{"cpu":...,"cpuset":...,"memory":...,
 *    "pids":...,"blkio":...,"hugetlb":...,"intel_rdt":{},"network_interfaces":null}}
 *   {"type":"oom","id":ID}
 * with runc's key names and its omitempty rules (a zero counter marked
 * omitempty in runc's types is left out). The counters come from
 * rt_cgroup_stats() plus what runc reports beyond it, read here from the
 * container's cgroup files: per-cpu usage, cpuset, memory.stat ("raw"),
 * kernel memory, swap and hugetlb.
 *
 * rt_events_watch() is the streaming mode: single-threaded, it polls a
 * timerfd (one stats record per interval, the first after one interval, like
 * runc), the cgroup's OOM fd, a pidfd of the container's init and the caller's
 * stop fd. It returns when the init exits (after reporting an OOM kill that
 * came with the exit), when the stop fd becomes readable, or on error.
 */
#ifndef BERTH_RUNTIME_EVENTS_H
#define BERTH_RUNTIME_EVENTS_H

#include <stdint.h>

#include "common/err.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/container.h"

/* One stats record for the container whose cgroup is cg; caller frees. */
int rt_events_stats_json(struct rt_cgroup *cg, const char *id, char **out, struct berth_err **err);
/* {"type":"oom","id":ID}; caller frees. */
char *rt_events_oom_json(const char *id);

/* Parses a Go duration ("5s", "1m30s", "250ms", "1.5h"; units ns us µs ms s
 * m h) into nanoseconds. -1 (no message: the caller names the flag) when s is
 * not one; "0" is 0. */
int rt_duration_parse(const char *s, uint64_t *ns);

/* Called with each record (one JSON line, no newline); a negative return
 * stops the watch with that error. */
typedef int (*rt_events_emit_fn)(const char *json, void *ctx, struct berth_err **err);

/* Streams records of the container c (created, running or paused) until its
 * init exits or stop_fd (-1: none) becomes readable; see the top. A stats
 * read that fails is logged and skipped, like runc. PRECONDITION "container
 * 'x' is not running" when it is already stopped. */
int rt_events_watch(struct rt_container *c, uint64_t interval_ns, int stop_fd,
		    rt_events_emit_fn emit, void *ctx, struct berth_err **err);

#endif
