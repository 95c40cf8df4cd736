/*
 * runtime/lib/pidstat.h - a process named by (pid, start time), never by pid alone.
 *
 * The start time is field 22 of /proc/<pid>/stat (clock ticks since boot); a
 * pid that was recycled has another one. rt_pid_open() returns a pidfd only
 * when the pid still names the same process, so signals sent through it can
 * never reach a stranger. Zombies count as dead: they run nothing.
 */
#ifndef BERTH_RUNTIME_PIDSTAT_H
#define BERTH_RUNTIME_PIDSTAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct rt_pid_stat {
	char state; /* R, S, D, Z, T, X ... */
	pid_t ppid;
	uint64_t start_time; /* field 22 */
};

/* Parses the text of a /proc/<pid>/stat file (pure). */
int rt_pid_stat_parse(const char *buf, struct rt_pid_stat *st, struct berth_err **err);
/* Reads /proc/<pid>/stat; ENOENT (as berth_err_is) when the process is gone. */
int rt_pid_stat_read(pid_t pid, struct rt_pid_stat *st, struct berth_err **err);
/* True if pid runs (not a zombie) and started at start_time. */
bool rt_pid_is_alive(pid_t pid, uint64_t start_time);
/* A pidfd (O_CLOEXEC) for pid if it is still the process started at start_time;
 * ESRCH error otherwise. */
int rt_pid_open(pid_t pid, uint64_t start_time, struct berth_err **err);
/* Sends sig through pidfd. */
int rt_pid_signal(int pidfd, int sig, struct berth_err **err);
/* Waits until the process behind pidfd has exited (poll, no timeout when ms < 0).
 * Returns 1 if it exited, 0 on timeout. */
int rt_pid_wait_exit(int pidfd, int ms, struct berth_err **err);
/* Writes pid to path (relative to the cwd or absolute) atomically, as runc's --pid-file. */
int rt_pid_file_write(const char *path, pid_t pid, struct berth_err **err);

#endif
