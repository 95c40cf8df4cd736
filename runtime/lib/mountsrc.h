/*
 * runtime/lib/mountsrc.h - bind mount sources opened by the runtime's root for
 * a container in a new user namespace.
 *
 * The container child mounts in a user namespace, where the host's root is
 * not: a source below a directory only the host's root may search (a 0700
 * root-owned directory) is out of its reach ("Permission denied"), though
 * runc and crun mount it. So after the clone, before GO, the parent (root in
 * the initial user namespace) enters the child's mount namespace, opens each
 * bind source there with O_PATH, returns to its own, and sends the fds with
 * GO (sync.h). The child mounts from "/proc/self/fd/N": the mount is made in
 * its own namespace from a mount of that namespace (the kernel requires it),
 * as the path would have given, so nothing about the mount's flags or locks
 * changes; only the path walk was the parent's. Sources are resolved at GO,
 * before any spec mount is made, as for idmapped mounts (idmount.h). A source
 * the parent cannot open is left to the child, whose error names it.
 */
#ifndef BERTH_RUNTIME_MOUNTSRC_H
#define BERTH_RUNTIME_MOUNTSRC_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_mountsrc {
	int *fds;      /* owned: O_PATH fds */
	size_t *index; /* mounts[] index of each fd */
	size_t n;
};

/* Parent side: opens the bind sources of spec (relative ones against bundle)
 * inside the mount namespace of pid. Errors: entering or leaving it. */
int rt_mountsrc_open(const struct oci_spec *spec, const char *bundle, pid_t pid,
		     struct rt_mountsrc *out, struct berth_err **err);
/* "<pid> <index>...": the GO payload that goes with the fds. Caller frees. */
char *rt_mountsrc_payload(const struct rt_mountsrc *ms, pid_t pid);
void rt_mountsrc_clear(struct rt_mountsrc *ms);

/* Child side: a per-mount fd array (n_mounts entries, -1 where none) from the
 * GO payload and its fds, which it takes. NULL when none came. */
int *rt_mountsrc_from_go(const char *payload, int *fds, size_t n_fds, size_t n_mounts);

#endif
