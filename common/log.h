/*
 * common/log.h - diagnostics of berth's own programs (never container output).
 *
 * One process-wide sink: stderr by default, or a file (runc's --log) in text
 * or json format. JSON records are one line each:
 *   {"level":"error","msg":"...","time":"2026-01-02T03:04:05.123456789Z"}
 * as containerd's runc shim parses them (time must be RFC 3339).
 * log_error() always also writes "PROG: msg" to stderr when the sink is a
 * file, so conmon-style callers that read stderr see the failure too.
 */
#ifndef BERTH_COMMON_LOG_H
#define BERTH_COMMON_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };

/* prog: name used as "prog: " prefix on stderr. Borrowed; must outlive logging. */
void log_init(const char *prog);
/* Sends log records to fd (takes ownership; -1 = stderr). */
void log_set_fd(int fd);
void log_set_format(enum log_format fmt);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Formats now (CLOCK_REALTIME, UTC) as RFC 3339 with nanoseconds into buf (>= 40 bytes). */
void log_time_rfc3339(char *buf, size_t len);
/* Appends s to buf as the body of a JSON string (no quotes); returns bytes needed. */
size_t log_json_escape(char *buf, size_t len, const char *s);

#endif
