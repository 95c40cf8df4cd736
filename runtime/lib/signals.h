/*
 * runtime/lib/signals.h - signal names as runc's `kill` accepts them.
 *
 * "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3", "SIGRTMAX-1" all parse; the
 * result is a signal number in 0..SIGRTMAX (0, as for kill(2), only checks that
 * the process exists). Pure functions, no side effects.
 */
#ifndef BERTH_RUNTIME_SIGNALS_H
#define BERTH_RUNTIME_SIGNALS_H

#include "common/err.h"

/* Parses s into *sig; BERTH_E_INVALID "invalid signal 'foo'" otherwise. */
int rt_signal_parse(const char *s, int *sig, struct berth_err **err);
/* "SIGTERM" for 15, "SIGRTMIN+3" for 37; NULL if not a signal. Borrowed or static buf. */
const char *rt_signal_name(int sig);

#endif
