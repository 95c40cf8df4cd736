/*
 * supervisor/berthd/config.h - berthd's settings: defaults, then the JSON config
 * file (/etc/berth/berthd.json, every key optional), then command-line flags.
 *
 * File keys: "root", "state", "address", "shim_socket_dir" (absolute paths; the last at
 * most BERTHD_SHIM_SOCKET_DIR_MAX bytes), "log_level" ("error", "warn",
 * "info", "debug"), "gc_interval" (seconds, 0 = only after deletes), "workers"
 * (handler threads), "unpack_limit" (bytes a layer may uncompress to, 0 = no limit;
 * default 32 GiB: a gzip bomb must not fill the disk), "registry_certs_dir"
 * (containerd-style certs.d root, default /etc/berth/certs.d), "registry_auth_file"
 * (docker-style config.json berthd uses for registries when a pull or push request
 * carries no credentials; default none), "registry_mirrors" ({"docker.io":
 * ["http://127.0.0.1:5000", ...]}: pulls of that registry try each mirror first, then the
 * registry itself). Unknown keys are an error naming the key, so typos are seen.
 */
#ifndef BERTH_SUPERVISOR_BERTHD_CONFIG_H
#define BERTH_SUPERVISOR_BERTHD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "common/log.h"

#define BERTHD_DEFAULT_CONFIG "/etc/berth/berthd.json"
/* A shim socket is <dir>/<64 hex digits>, and sun_path holds 107 bytes: as containerd's
 * /run/containerd/s, the directory is short and fixed, never derived from the address. */
#define BERTHD_SHIM_SOCKET_DIR_MAX (107 - 65)

struct berthd_config {
	char *root;	       /* /var/lib/berth */
	char *state;	       /* /run/berthd */
	char *address;	       /* /run/berthd/berthd.sock */
	char *shim_socket_dir; /* /run/berthd/s: shims' sockets, <dir>/<sha256 hex> */
	enum log_level log_level;
	unsigned gc_interval; /* seconds */
	unsigned workers;
	int64_t unpack_limit;	  /* bytes, 0 = none */
	char *registry_certs_dir; /* /etc/berth/certs.d */
	char *registry_auth_file; /* NULL */
	char **registry_mirrors;  /* host, mirror URL, host, mirror URL, ..., NULL */
};

#define BERTHD_DEFAULT_UNPACK_LIMIT (INT64_C(32) << 30)

/* "<n>[KMGT]" (binary units) for --unpack-limit; INVALID naming what if it is not. */
int berthd_parse_size(const char *what, const char *s, int64_t *out, struct berth_err **err);

void berthd_config_defaults(struct berthd_config *c);
/* Loads path over c. A missing file is fine when !required (the default path). */
int berthd_config_load(struct berthd_config *c, const char *path, bool required,
		       struct berth_err **err);
/* "error", "warn"/"warning", "info", "debug". */
int berthd_parse_log_level(const char *s, enum log_level *out, struct berth_err **err);
void berthd_config_clear(struct berthd_config *c);
/* The checks no single key can do (lengths). INVALID naming the key. */
int berthd_config_check(const struct berthd_config *c, struct berth_err **err);

#endif
