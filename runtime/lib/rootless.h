/*
 * runtime/lib/rootless.h - what changes when berth runs without privileges.
 *
 * "Rootless" means the runtime has no real root on the host: its euid is not 0, or it
 * runs in a user namespace other than the initial one (`unshare -r`: uid 0 without
 * privileges over the host). Then:
 *   - the default state root is $XDG_RUNTIME_DIR/berth, else /run/user/<uid>/berth;
 *   - cgroups are used only where the container's cgroup can be created (a delegated,
 *     writable parent); otherwise they are skipped, unless linux.resources asks for a
 *     limit, which is then an error naming the field. Device rules are not a request:
 *     a rootless container gets its devices as bind mounts and cannot mknod.
 * The user namespace maps themselves are idmap.h's; sysfs and device bind mounts are the
 * rootfs module's.
 */
#ifndef BERTH_RUNTIME_ROOTLESS_H
#define BERTH_RUNTIME_ROOTLESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "spec/config.h"

/* True without real root: euid != 0, or inside a non-initial user namespace. Cached. */
bool rt_rootless_is(void);

/* The default --root: "/run/berth" with real root; rootless, $XDG_RUNTIME_DIR/berth when
 * XDG_RUNTIME_DIR is an absolute path to a directory we may write, else
 * /run/user/<uid>/berth when that directory is ours, else an error saying to set one of
 * them or pass --root. Caller frees *out. */
int rt_rootless_default_root(char **out, struct berth_err **err);

/* Whether create should make the container's cgroup. Always true with real root.
 * Rootless: true when, in every hierarchy, the nearest existing level of the container's
 * cgroup is writable by us; false when it is not and res asks for nothing but device
 * rules (debug log); an error naming the first requested linux.resources field when it
 * asks for more. */
int rt_rootless_want_cgroup(const struct rt_cgroup *cg, const struct oci_resources *res, bool *want,
			    struct berth_err **err);

/* Rootless and the container's cgroup does not exist: create skipped it, so commands
 * that act through it (kill --all, delete, exec) act on the processes they know. */
bool rt_rootless_no_cgroup(const struct rt_cgroup *cg);

/* Without a cgroup (rt_rootless_no_cgroup), the container's processes are init and its
 * descendants (in a pid namespace of its own, orphans are re-parented to init, so none
 * escapes). Read from /proc; the list is empty when init is gone. Caller frees *pids. */
int rt_rootless_tree_pids(pid_t init, pid_t **pids, size_t *n, struct berth_err **err);
/* Sends sig to every pid of rt_rootless_tree_pids(); a pid that exited meanwhile is
 * skipped. */
int rt_rootless_tree_kill(pid_t init, int sig, struct berth_err **err);

struct rt_cgjoin;

/* For exec into a container with a user namespace of its own, when this process lacks the
 * privilege to enter its pid namespace from outside (setns(pid) needs CAP_SYS_ADMIN over
 * the namespace's owner, which an unprivileged runtime has only inside that user
 * namespace, and a process can never leave a user namespace it joined). So an
 * intermediate process joins the user namespace and ns_flags (pid, time) of the process
 * behind pidfd, clones the new process there (rt_clone3 with j) and exits; this process
 * became a child subreaper first, so the new process is re-parented to it and can be
 * waited for as its own child.
 *   parent (subreaper)        intermediate                 new process
 *   fork ----------------->   setns(user|pid|time)
 *                             rt_clone3 ---------------->  returns 0 to the caller
 *   <-- pid over a pipe ----  _exit(0)
 *   waitpid(intermediate)
 * Returns like fork(): 0 in the new process, its pid (in our pid namespace) here,
 * -1 with *err. *pidfd_child is a pidfd of the new process (-1 if pidfd_open is missing). */
pid_t rt_rootless_clone_joined(int pidfd, int ns_flags, struct rt_cgjoin *j, int *pidfd_child,
			       struct berth_err **err);

#endif
