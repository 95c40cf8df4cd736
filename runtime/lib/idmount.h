/*
 * runtime/lib/idmount.h - idmapped bind mounts: mounts[].uidMappings and
 * gidMappings (OCI runtime-spec 1.1), and the "idmap" / "ridmap" options.
 *
 * Owns the detached, idmapped mount trees between `create`'s parent, which
 * makes them, and the container child, which moves them into the rootfs. It
 * does not own the destination (rootfs_dest_prepare) nor the flags,
 * propagation and recursive attributes applied afterwards (mount.c).
 *
 * Semantics (the kernel's, and runc 1.2's): an extent {containerID, hostID,
 * size} says that a file stored with id containerID..+size in the source
 * filesystem is seen through the mount as hostID..+size, hostID being an id of
 * the runtime's (host) user namespace; in a container with its own user
 * namespace that id is then shown through the container's mapping like any
 * other. So with linux.uidMappings {0, 100000, 65536} and the same mapping on
 * a mount, files stored as uid 0 are uid 0 inside; without a container user
 * namespace, a mount mapping {1000, 0, 1} shows files stored as uid 1000 as
 * uid 0, and a file root creates through it is stored as uid 1000. Ids the
 * mapping leaves out read as the overflow id, and cannot be written (EOVERFLOW).
 *
 * A mount is idmapped when it has uidMappings or gidMappings, or the option
 * "idmap" or "ridmap"; without mappings the container's linux.uidMappings and
 * gidMappings are used (runc 1.2). It must be a bind mount and have both
 * mappings; each has 1 to 340 extents (the kernel's limit) of a non-zero size
 * that overlap no other extent on either side. The mapping applies to the top
 * mount only, unless "ridmap" asks for every submount of an rbind.
 *
 * Why the parent: mount_setattr(MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN in the
 * user namespace that owns the source's superblock (the host's), which a child
 * in a new user namespace has lost. The parent runs rt_idmounts_prepare()
 * before clone: open_tree(OPEN_TREE_CLONE) of the source, a throw-away user
 * namespace holding the mapping (a helper process made with CLONE_NEWUSER,
 * whose maps the parent writes), mount_setattr. The child inherits the fds
 * across clone and rt_idmount_attach() moves each tree onto its destination
 * with move_mount, which only needs privilege over the child's own mount
 * namespace. Sources are resolved before any spec mount is made (a source
 * under an earlier mounts[] destination sees the host's tree, not the mount).
 */
#ifndef BERTH_RUNTIME_IDMOUNT_H
#define BERTH_RUNTIME_IDMOUNT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_idmounts;

/* Whether mounts[i] m asks for an idmapped mount (mappings or idmap/ridmap). */
bool rt_idmount_wanted(const struct oci_mount *m);

/* Validates every idmapped mount of spec, without side effects. Errors name
 * the mount: "mounts[2] '/data': uidMappings[1]: size must be at least 1". */
int rt_idmounts_check(const struct oci_spec *spec, struct berth_err **err);

/*
 * Checks, then makes the detached idmapped tree of every idmapped mount.
 * bundle is the absolute bundle dir (relative sources are relative to it).
 * *out is NULL when the spec has none. The fds are O_CLOEXEC; a child cloned
 * (not exec'd) afterwards inherits them. Needs CAP_SYS_ADMIN over the source's
 * filesystem; a filesystem without idmap support is an UNIMPLEMENTED error
 * naming its type.
 */
int rt_idmounts_prepare(const struct oci_spec *spec, const char *bundle, struct rt_idmounts **out,
			struct berth_err **err);

/* Child side: moves the prepared tree of mounts[i] onto destfd (an O_PATH fd of
 * the resolved destination) and closes it. An error if none was prepared. */
int rt_idmount_attach(struct rt_idmounts *im, size_t i, int destfd, struct berth_err **err);

/* The type of the prepared tree of mounts[i]: true for a directory. */
bool rt_idmount_is_dir(const struct rt_idmounts *im, size_t i);

void rt_idmounts_free(struct rt_idmounts *im);
void rt_idmounts_freep(struct rt_idmounts **im);

#endif
