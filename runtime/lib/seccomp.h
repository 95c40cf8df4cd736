/*
 * runtime/lib/seccomp.h - linux.seccomp compiled to BPF before the fork.
 *
 * rt_seccomp_compile() runs in the parent with libseccomp: it resolves every
 * syscall name, action, errno, argument comparison, architecture and flag,
 * and exports the filter as a BPF program held in memory. The container
 * child only calls rt_seccomp_load(), which uses the seccomp(2) syscall
 * directly and allocates nothing, right before execve.
 * Errors name the JSON path ("linux.seccomp.syscalls[3].args[0].index: 7 is
 * out of range (max 5)").
 *
 * Syscall names libseccomp does not know are skipped like runc does (a
 * profile for a newer kernel keeps working); they are recorded, not logged:
 * see rt_seccomp_skipped(). A rule whose action equals the default action is
 * redundant and left out. Several comparisons on one argument index are
 * split into one rule each (ORed), as runc does; otherwise the comparisons
 * of a rule are ANDed. Any SCMP_ACT_NOTIFY rule adds
 * SECCOMP_FILTER_FLAG_NEW_LISTENER and requires linux.seccomp.listenerPath.
 */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "spec/config.h"

struct rt_seccomp;

/* Uses spec's resolved numbers (default_action_num, action_num, op). */
int rt_seccomp_compile(const struct oci_seccomp *spec, struct rt_seccomp **out,
		       struct berth_err **err);
/* In the container child: installs the filter with seccomp(2) and the spec's
 * flags (prctl(PR_SET_SECCOMP) when seccomp(2) is missing and no flag is
 * set). Allocates nothing; async-signal-safe. Without no_new_privs the caller
 * needs CAP_SYS_ADMIN. Returns 0 or -errno. If a listener is requested,
 * *listener_fd receives the notify fd (else -1); listener_fd may be NULL. */
int rt_seccomp_load(const struct rt_seccomp *sc, int *listener_fd);
/* SECCOMP_FILTER_FLAG_* passed to seccomp(2). */
unsigned int rt_seccomp_flags(const struct rt_seccomp *sc);
/* Whether loading returns a notify listener fd (some rule is SCMP_ACT_NOTIFY). */
bool rt_seccomp_has_listener(const struct rt_seccomp *sc);
/* Number of BPF instructions. */
size_t rt_seccomp_insn_count(const struct rt_seccomp *sc);
/* Syscall names skipped as unknown to libseccomp, NULL-terminated; borrowed; may be NULL. */
char *const *rt_seccomp_skipped(const struct rt_seccomp *sc);
void rt_seccomp_free(struct rt_seccomp *sc);
void rt_seccomp_freep(struct rt_seccomp **sc);

#endif
