/*
 * runtime/lib/idmap.h - writes the uid and gid maps of a new user namespace.
 *
 * Owns the choice of how a map is written, for a child cloned with CLONE_NEWUSER that
 * waits (sync.h) until its maps exist:
 *   - a runtime with euid 0 writes /proc/PID/uid_map and gid_map itself (as root on the
 *     host, and under `unshare -r`, where the kernel then limits it to the ids mapped
 *     into its own namespace);
 *   - an unprivileged runtime whose map is the single line "N <own id> 1" writes it
 *     itself; for the gid map it first writes "deny" to /proc/PID/setgroups, which the
 *     kernel requires of a writer without CAP_SETGID in the parent namespace;
 *   - any other map of an unprivileged runtime goes through the setuid helpers
 *     newuidmap(1)/newgidmap(1) (package uidmap), which check /etc/subuid and /etc/subgid.
 * It does not validate the mappings (spec/ does) nor decide whether a user namespace is
 * created (create.c does).
 */
#ifndef BERTH_RUNTIME_IDMAP_H
#define BERTH_RUNTIME_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "spec/config.h"

/* Writes both maps of pid's user namespace, uid map first. Blocks while a helper runs.
 * err names linux.uidMappings or linux.gidMappings and, for a helper that failed, its
 * exit status and what it printed. */
int rt_idmap_write(pid_t pid, const struct oci_linux *l, struct berth_err **err);

/* True when an unprivileged process with effective id `own` can write map m itself:
 * exactly one line mapping `own`, size 1. */
bool rt_idmap_is_own_single(const struct oci_id_mapping *m, size_t n, uint32_t own);

/* The map as the kernel reads it: "container host size\n" per line. Caller frees. */
char *rt_idmap_text(const struct oci_id_mapping *m, size_t n);

#endif
