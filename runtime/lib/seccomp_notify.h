/*
 * runtime/lib/seccomp_notify.h - handing a seccomp notify fd to the agent at
 * linux.seccomp.listenerPath (runtime-spec config-linux.md, "listenerPath").
 *
 * The runtime connects to the agent before it clones the process (init or
 * exec), in its own mount namespace where the path means what the config
 * says; the child inherits the connected socket and, right after loading the
 * filter, sends one message over it: the ContainerProcessState JSON
 *   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}
 * with the listener fd as SCM_RIGHTS, then closes both. The same code serves
 * the init and every exec'd process, so the agent sees one message per
 * process. The socket is close-on-exec: the container process never gets it.
 */
#ifndef BERTH_RUNTIME_SECCOMP_NOTIFY_H
#define BERTH_RUNTIME_SECCOMP_NOTIFY_H

#include <sys/types.h>

#include "common/err.h"

/* A connected AF_UNIX stream socket to path (O_CLOEXEC). Errors name
 * "linux.seccomp.listenerPath '<path>'". */
int rt_seccomp_notify_connect(const char *path, struct berth_err **err);
/* The ContainerProcessState JSON; state_json is the container's OCI state
 * (taken as is), metadata may be NULL. Caller frees. NULL if state_json is
 * not JSON. */
char *rt_seccomp_notify_msg(const char *metadata, pid_t pid, const char *state_json);
/* Sends msg with listener as SCM_RIGHTS over sock (blocking). */
int rt_seccomp_notify_send(int sock, int listener, const char *msg, struct berth_err **err);

#endif
