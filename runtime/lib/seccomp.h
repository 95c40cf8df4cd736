/*
 * runtime/lib/seccomp.h - linux.seccomp compiled to BPF before the fork.
 *
 * rt_seccomp_compile() runs in the parent with libseccomp: it resolves every
 * syscall name, action, errno, argument comparison, architecture and flag,
 * and exports the filter as a BPF program held in memory. The container
 * child only calls rt_seccomp_load(), which uses the seccomp(2) syscall
 * directly and allocates nothing, right before execve.
 * Errors name the JSON path ("linux.seccomp.syscalls[3].names[1]: unknown
 * syscall 'foo'").
 */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include "common/err.h"
#include "spec/config.h"

struct rt_seccomp;

int rt_seccomp_compile(const struct oci_seccomp *spec, struct rt_seccomp **out,
		       struct berth_err **err);
/* In the container child: installs the filter. Returns 0 or -errno.
 * If a listener is requested, *listener_fd receives the notify fd (else -1). */
int rt_seccomp_load(const struct rt_seccomp *sc, int *listener_fd);
void rt_seccomp_free(struct rt_seccomp *sc);
void rt_seccomp_freep(struct rt_seccomp **sc);

#endif
