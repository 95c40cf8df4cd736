/*
 * supervisor/berthd/config.h - berthd's settings: defaults, then the JSON config
 * file (/etc/berth/berthd.json, every key optional), then command-line flags.
 *
 * File keys: "root", "state", "address" (strings), "log_level" ("error", "warn",
 * "info", "debug"), "gc_interval" (seconds, 0 = only after deletes), "workers"
 * (handler threads), "registry_certs_dir" (containerd-style certs.d root, default
 * /etc/berth/certs.d), "registry_auth_file" (docker-style config.json berthd uses for
 * registries when a pull or push request carries no credentials; default none),
 * "registry_mirrors" ({"docker.io": ["http://127.0.0.1:5000", ...]}: pulls of that
 * registry try each mirror first, then the registry itself).
 * Unknown keys are an error naming the key, so typos are seen.
 */
#ifndef BERTH_SUPERVISOR_BERTHD_CONFIG_H
#define BERTH_SUPERVISOR_BERTHD_CONFIG_H

#include <stdbool.h>

#include "common/err.h"
#include "common/log.h"

#define BERTHD_DEFAULT_CONFIG "/etc/berth/berthd.json"

struct berthd_config {
	char *root;    /* /var/lib/berth */
	char *state;   /* /run/berthd */
	char *address; /* /run/berthd/berthd.sock */
	enum log_level log_level;
	unsigned gc_interval; /* seconds */
	unsigned workers;
	char *registry_certs_dir; /* /etc/berth/certs.d */
	char *registry_auth_file; /* NULL */
	char **registry_mirrors;  /* host, mirror URL, host, mirror URL, ..., NULL */
};

void berthd_config_defaults(struct berthd_config *c);
/* Loads path over c. A missing file is fine when !required (the default path). */
int berthd_config_load(struct berthd_config *c, const char *path, bool required,
		       struct berth_err **err);
/* "error", "warn"/"warning", "info", "debug". */
int berthd_parse_log_level(const char *s, enum log_level *out, struct berth_err **err);
void berthd_config_clear(struct berthd_config *c);

#endif
