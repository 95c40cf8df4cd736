/*
 * shim/logger.h - the logging process of a `binary://` log URI, with the
 * contract containerd's shims give it (runtime/v2/logging, pkg/process/io.go):
 *
 *   binary:///path/to/logger?key=value&flag  ->  /path/to/logger key value flag ""
 *   env:   CONTAINER_ID=<container id, or exec id>  CONTAINER_NAMESPACE=<ns>  (nothing else)
 *   fds:   0-2 /dev/null, 3 = stdout pipe (read end), 4 = stderr pipe, 5 = "ready" pipe
 *
 *   shim                                  logger
 *     pipe x3, fork+exec ---------------->  (starts)
 *     wait for EOF on 5 (bounded) <------  close(5): ready
 *     runtime create/exec; copy output -->  read 3 and 4 ...
 *     output drained: close 3 and 4 ---->  EOF on both: flush, exit
 *     reaper: shim_logger_reaped()   <----  (exit status)
 *
 * Owns the process (reaped by the shim's reaper, which hands its exit here, or
 * by shim_logger_free) and the shim's ends of the ready pipe; the write ends of
 * fds 3 and 4 go to the caller. Never signals a pid it has reaped.
 * $BERTH_SHIM_LOGGER_TIMEOUT (seconds, default 10) bounds the wait for "ready".
 */
#ifndef BERTH_SHIM_LOGGER_H
#define BERTH_SHIM_LOGGER_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"

struct shim_logger;

/* true if uri has the binary: scheme (case-insensitive, as Go's url.Parse) */
bool shim_logger_is_uri(const char *uri);
/*
 * Splits a binary:// URI into the logger's absolute path and its argv (argv[0] = path,
 * then each query key and its first value, "" without one, in order of first
 * appearance; both percent-decoded). INVALID, naming the URI, for no path, a relative
 * path, a host part or a bad escape. *path and *argv belong to the caller.
 */
int shim_logger_parse_uri(const char *uri, char **path, char ***argv, struct berth_err **err);

/*
 * Starts the logger of uri and waits, at most the timeout, until it closes fd 5.
 * On success *out and *errw are the write ends of its fds 3 and 4 (O_CLOEXEC,
 * O_NONBLOCK; the caller owns them). Blocks the caller. On failure nothing is left
 * running; the error names the URI (INVALID, NOT_FOUND/PERMISSION from exec, TIMEOUT).
 */
struct shim_logger *shim_logger_start(const char *uri, const char *id, const char *ns, int *out,
				      int *errw, struct berth_err **err);
const char *shim_logger_uri(const struct shim_logger *l);
/* The reaper reaped pid: true if it was l's process (l then knows it is gone). */
bool shim_logger_reaped(struct shim_logger *l, pid_t pid, int status);
bool shim_logger_is_running(const struct shim_logger *l);
/* Asks a running logger to finish (SIGTERM, as containerd does). */
void shim_logger_terminate(struct shim_logger *l);
/*
 * Frees; a logger still running gets SIGTERM, up to 2 s to exit, then SIGKILL, and is
 * reaped here (blocking). Close the write ends first. Accepts NULL.
 */
void shim_logger_free(struct shim_logger *l);
/* The bound, in milliseconds, on waiting for a logger ($BERTH_SHIM_LOGGER_TIMEOUT). */
int shim_logger_timeout_ms(void);

#endif
