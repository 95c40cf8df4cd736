/*
 * runtime/lib/devnodes.h - the linux.devices nodes of a container in a new
 * user namespace, made by the runtime's root.
 *
 * A user namespace may not mknod, so its devices are bind mounts; binding the
 * host's node (runc's way) fails when the host has no node at that path, and
 * gives the host's mode and owner rather than the config's. Before the clone
 * the parent (root in the initial user namespace) makes a detached tmpfs
 * (fsopen/fsmount: attached nowhere, so nothing propagates and nothing is
 * left behind; not nodev), creates each node there with the config's type,
 * numbers and mode, owned by the host ids its uid and gid map to, and keeps a
 * detached clone of each node (open_tree). The child inherits the fds across
 * the clone and moves each onto its /dev entry (move_mount), as idmount.h does
 * for idmapped trees. Access is still the device cgroup's to allow.
 */
#ifndef BERTH_RUNTIME_DEVNODES_H
#define BERTH_RUNTIME_DEVNODES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_devnodes;

/* Parent side: the nodes of spec->linux_->devices; *out NULL when none. Needs
 * CAP_MKNOD and CAP_SYS_ADMIN in the initial user namespace. Errors name
 * "linux.devices[i] '<path>'". */
int rt_devnodes_prepare(const struct oci_spec *spec, struct rt_devnodes **out,
			struct berth_err **err);
/* Whether a node was prepared for linux.devices[i]. */
bool rt_devnodes_has(const struct rt_devnodes *dn, size_t i);
/* Child side: moves the node of linux.devices[i] onto destfd (O_PATH of an
 * existing file) and closes it. */
int rt_devnodes_attach(struct rt_devnodes *dn, size_t i, int destfd, struct berth_err **err);
void rt_devnodes_free(struct rt_devnodes *dn);
void rt_devnodes_freep(struct rt_devnodes **dn);

#endif
