/*
 * runtime/lib/update.h - `berth update`: change the cgroup limits of a live
 * container the way runc 1.1 does, and remember them.
 *
 * What runc's update applies, berth applies: memory.limit, reservation, swap
 * and checkBeforeUpdate; cpu.shares, quota, period, realtimeRuntime,
 * realtimePeriod, cpus, mems; blockIO.weight; pids.limit; unified. A zero
 * number means "unchanged" (runc's rule: containerd's shim sends a complete
 * LinuxResources object in which unset limits are 0). The other members of
 * the object (devices, hugepageLimits, network, rdma, blockIO throttles,
 * memory.swappiness...) are not updated, as in runc: they are named in a
 * debug log line. memory.kernel and memory.kernelTCP get runc's warning and
 * are ignored too.
 *
 * The applied fields are merged into linux.resources of the config.json copy
 * in the state directory (written atomically, under the container's lock),
 * so a later update, exec or delete sees the current limits.
 */
#ifndef BERTH_RUNTIME_UPDATE_H
#define BERTH_RUNTIME_UPDATE_H

#include <stdint.h>

#include "common/err.h"
#include "runtime/lib/container.h"
#include "spec/config.h"

/* Parses a size like docker's RAMInBytes, as runc's update flags do: a
 * decimal number with an optional binary unit k, m, g, t, p (any case), then an
 * optional "i" and "b" ("512", "64m", "1.5GiB", "10 kb"). Returns -1 (no
 * message: the caller names the flag) when s is not one. */
int rt_size_parse(const char *s, int64_t *out);

/* The part of in that runc's update applies, zeros dropped (see above);
 * never NULL. Members of in that were left out are appended to *ignored
 * ("devices", "memory.kernel", ...) when ignored is not NULL. */
struct oci_resources *rt_update_select(const struct oci_resources *in, char ***ignored);

/* Sets every field that is set in src on dst (strings and arrays copied;
 * unified entries replace the ones with the same key). */
void rt_resources_merge(struct oci_resources *dst, const struct oci_resources *src);

/* Applies res to the container's cgroup and records it in the state
 * directory's config.json. c should be loaded with its lock. PRECONDITION
 * "container 'x' is not running" when stopped; cgroup errors name the field
 * ("linux.resources.memory.limit: write ... : Device or resource busy"). */
int rt_container_update(struct rt_container *c, const struct oci_resources *res,
			struct berth_err **err);

#endif
