/*
 * runtime/lib/selfexec.h - run berth from a sealed memfd copy of itself.
 *
 * Defence against the CVE-2019-5736 class: a process inside a container can
 * reach the runtime binary through /proc/<pid>/exe of a berth process that
 * joined its pid namespace (the init before exec, `berth exec`), keep an
 * O_PATH fd to it and reopen it for writing once berth exits, overwriting
 * the host binary. When berth runs from a memfd sealed against writes,
 * /proc/<pid>/exe is that memfd: there is nothing on the host to overwrite.
 *
 * Costs one copy of the binary (a few hundred KiB, sendfile) per command that
 * enters a container, so only create/run/exec call it.
 */
#ifndef BERTH_RUNTIME_SELFEXEC_H
#define BERTH_RUNTIME_SELFEXEC_H

#include <stdbool.h>

#include "common/err.h"

/* True when this process runs from a memfd with the write/grow/shrink/seal seals. */
bool rt_selfexec_is_sealed(void);

/* If not already sealed, copies /proc/self/exe into a sealed memfd and
 * fexecve()s it with argv/envp; returns only on error. Returns 0 at once
 * when already sealed. */
int rt_selfexec_ensure_sealed(char *const argv[], char *const envp[], struct berth_err **err);

#endif
