/*
 * runtime/lib/selfexec.h - run berth from a copy of itself that cannot be
 * written.
 *
 * Defence against the CVE-2019-5736 class: a process inside a container can
 * reach the runtime binary through /proc/<pid>/exe of a berth process that
 * joined its pid namespace (the init before exec, `berth exec`), keep an fd
 * to it and reopen it for writing once berth exits, overwriting the host
 * binary. So create/run/exec re-execute berth, before anything else, from
 * one of these, in this order:
 *   1. the binary as it is, when it already sits on a read-only mount or in
 *      a sealed memfd (nothing to do);
 *   2. a detached read-only bind mount of the binary's directory
 *      (open_tree(OPEN_TREE_CLONE) + mount_setattr(MOUNT_ATTR_RDONLY), Linux
 *      >= 5.12): /proc/<pid>/exe then names a file on a mount that refuses
 *      writes (EROFS), and no byte is copied; the mount is in no namespace's
 *      tree and goes away with the last process using it;
 *   3. a memfd copy sealed against writes (F_SEAL_WRITE...): costs a copy of
 *      the binary (sendfile), used where 2 is refused (no CAP_SYS_ADMIN over
 *      the mount namespace: rootless) or unavailable.
 */
#ifndef BERTH_RUNTIME_SELFEXEC_H
#define BERTH_RUNTIME_SELFEXEC_H

#include <stdbool.h>

#include "common/err.h"

/* True when /proc/self/exe can not be written through: a sealed memfd or a
 * file on a read-only mount. */
bool rt_selfexec_is_protected(void);

/* If not protected already, re-executes berth (argv/envp) from 2 or 3 above;
 * returns only on error. Returns 0 at once when already protected. */
int rt_selfexec_ensure_sealed(char *const argv[], char *const envp[], struct berth_err **err);

#endif
