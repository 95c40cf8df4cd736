/*
 * shim/shim.h - what the berth-shim modules share (internal to shim/).
 *
 * berth-shim is containerd's shim v2 for one container: `start` creates the
 * socket and the daemon (start.c), `delete` cleans up after a dead shim
 * (delete.c), and the daemon (serve.c) answers containerd.task.v2.Task
 * (service.c) for the container's init and exec'd processes (task.c), running
 * the OCI runtime's CLI (runtime.c), copying stdio (stdio.c, crilog.c) and
 * publishing task events (events.c).
 *
 * Paths: the ttrpc socket is <dir>/<sha256(address/ns/id)>, where <dir> is
 * $BERTH_SHIM_SOCKET_DIR (berthd always sets it: its shim_socket_dir, short
 * and fixed, /run/berthd/s by default) or dirname(containerd address)/s (so
 * /run/containerd/s for the default address, as runc's shim; a private
 * containerd's sockets stay in its own directory). The runtime --root is the
 * runc option `root`, else $BERTH_SHIM_RUNTIME_ROOT, else
 * dirname(address)/<runtime name>/<ns> (/run/containerd/runc/<ns> for runc).
 * The runtime binary is the runc option `binary_name`, else $BERTH_SHIM_RUNTIME,
 * else `berth` next to the shim binary or on PATH. What Create chose is kept
 * in <bundle>/shim-options for `delete`.
 */
#ifndef BERTH_SHIM_SHIM_H
#define BERTH_SHIM_SHIM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/err.h"
#include "common/evloop.h"
#include "common/ttrpc.h"

#define SHIM_VERSION "berth-shim 0.1"
#define SHIM_OPTIONS_FILE "shim-options"

/* ---- flags (main.c) ---- */
struct shim_flags {
	const char *ns;
	const char *id;
	const char *address; /* containerd's gRPC address */
	const char *publish_binary;
	const char *bundle;  /* delete: -bundle; otherwise cwd */
	const char *socket;  /* serve: listen here instead of fd 3 */
	const char *runtime; /* -runtime: overrides $BERTH_SHIM_RUNTIME */
	bool debug;
};

int shim_start_main(const struct shim_flags *f);
int shim_delete_main(const struct shim_flags *f);
int shim_serve_main(const struct shim_flags *f);

/* ---- paths and options (paths.c) ---- */
struct shim_config {
	char *binary; /* runtime binary, absolute when found */
	char *root;   /* runtime --root */
};
/* Socket path for (address, ns, id); caller frees. */
char *shim_socket_path(const char *address, const char *ns, const char *id, struct berth_err **err);
/* Fills cfg from the runc options (may be NULL), env and defaults. */
void shim_config_resolve(struct shim_config *cfg, const char *opt_binary, const char *opt_root,
			 const char *flag_runtime, const char *address, const char *ns);
int shim_config_save(const struct shim_config *cfg, const char *bundle, struct berth_err **err);
/* Loads <bundle>/shim-options; -1 if absent. */
int shim_config_load(struct shim_config *cfg, const char *bundle, struct berth_err **err);
void shim_config_clear(struct shim_config *cfg);

/* ---- running the runtime CLI (runtime.c) ---- */
struct shim_runtime {
	const char *binary;
	const char *root;
	const char *log;    /* <bundle>/log.json */
	const char *bundle; /* cwd of the runtime */
};
struct shim_run_opts {
	int stdio[3];	   /* fds for the runtime's 0, 1, 2; -1: /dev/null */
	const char *input; /* written to the runtime's stdin (with stdio[0] == -1) */
	char **output;	   /* if set, the runtime's stdout, caller frees */
};
#define SHIM_RUN_OPTS_INIT              \
	{                               \
		.stdio = { -1, -1, -1 } \
	}
/*
 * Runs `binary --root R --log L --log-format json ARGS...` and waits for it.
 * A non-zero exit becomes an error carrying the runtime's last error record in
 * log.json (class NOT_FOUND for "does not exist", PRECONDITION for wrong state).
 */
int shim_runtime_run(const struct shim_runtime *rt, const char *const *args,
		     struct shim_run_opts *o, struct berth_err **err);

/* ---- minimal JSON reading (jscan.c) ---- */
/* true if s[0..len) is one valid JSON value (with surrounding whitespace). */
bool shim_jscan_valid(const char *s, size_t len);
/* The string member key of the top-level object s, unescaped; NULL if absent. */
char *shim_jscan_get_string(const char *s, const char *key);
/* true if top-level object s has member key. */
bool shim_jscan_has(const char *s, const char *key);
/* Parses a JSON array of non-negative integers; -1 on anything else. */
int shim_jscan_int_array(const char *s, uint32_t **out, size_t *n);

/* ---- sha256 (sha256.c) ---- */
void shim_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- rootfs mounts (mount.c) ---- */
struct Containerd__Types__Mount;
int shim_mount_rootfs(struct Containerd__Types__Mount *const *mounts, size_t n, const char *target,
		      struct berth_err **err);
void shim_unmount_rootfs(const char *target);

/* ---- events (events.c) ---- */
struct shim_events;
/* ttrpc_address may be NULL or empty: events are then dropped (logged). */
struct shim_events *shim_events_new(struct evloop *loop, const char *ttrpc_address, const char *ns);
void shim_events_free(struct shim_events *ev);
/* Queues topic with msg packed as Any{type_url, value}; published in order. */
void shim_events_publish(struct shim_events *ev, const char *topic, const char *type_url,
			 const ProtobufCMessage *msg);
bool shim_events_idle(const struct shim_events *ev);

/* ---- time ---- */
struct Google__Protobuf__Timestamp;
void shim_timestamp_set(struct Google__Protobuf__Timestamp *ts, const struct timespec *t);

#endif
