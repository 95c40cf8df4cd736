/*
 * supervisor/cni/cni.h - the Container Network Interface (CNI 1.0) client of berthd.
 *
 * Owns: loading a network configuration (a .conflist, or a single-plugin .conf/.json)
 * from a config dir, finding plugin binaries in a list of bin dirs, running the chain of
 * plugins for ADD / CHECK / DEL with the CNI_* environment and the per-plugin config on
 * stdin (name, cniVersion, prevResult, runtimeConfig for the capabilities a plugin
 * declares), a timeout per plugin call (the plugin's process group is killed), parsing
 * results and plugin errors; and network namespaces kept as bind-mounted files, so they
 * outlive the process that made them (and berthd restarts).
 * Does not own: caching ADD results (the caller keeps cni_result.raw and hands it back as
 * cni_call.prev_result for CHECK and DEL), deciding which container gets which network,
 * protobuf (adapters translate).
 *
 * Calls block for at most timeout_ms per plugin; they touch no global state and may run
 * on several threads at once (plugins serialise themselves: host-local locks its dataDir).
 *
 *   ADD:   plugin[0] .. plugin[n-1], each gets the previous one's result as prevResult;
 *          the last result is the call's result.
 *   CHECK: the same order, each gets the cached ADD result as prevResult.
 *   DEL:   plugin[n-1] .. plugin[0], every plugin runs even if one fails (the first error
 *          is returned), with the cached ADD result as prevResult when there is one. The
 *          reference plugins treat a missing netns or allocation as done, so a second
 *          DEL succeeds.
 */
#ifndef BERTH_SUPERVISOR_CNI_CNI_H
#define BERTH_SUPERVISOR_CNI_CNI_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct bjson;

#define CNI_DEFAULT_CONF_DIR "/etc/cni/net.d"
#define CNI_DEFAULT_TIMEOUT_MS 30000
/* Largest config file, plugin stdout or stderr accepted. */
#define CNI_MAX_DOC (1024 * 1024)

/* The bin dirs searched when a call names none. */
extern const char *const cni_default_bin_dirs[];

struct cni_plugin_conf {
	char *type;		/* the binary's name */
	struct bjson *conf;	/* the plugin's object as written in the file */
	bool cap_port_mappings; /* capabilities.portMappings */
};

struct cni_config {
	char *file; /* the file it was read from ("<memory>" when parsed from a buffer) */
	char *name;
	char *cni_version;
	bool disable_check;
	size_t n_plugins;
	struct cni_plugin_conf *plugins;
};

/*
 * Parses and validates a conflist, or (when it has a top-level "type") a single plugin
 * config. file names the document in errors: "<file>: plugins[1].type: missing".
 */
int cni_config_parse(const char *buf, size_t len, const char *file, struct cni_config **out,
		     struct berth_err **err);
/* Reads and parses one file. */
int cni_config_load_file(const char *path, struct cni_config **out, struct berth_err **err);
/*
 * Loads the first valid config of dir (NULL: CNI_DEFAULT_CONF_DIR) in lexical order of
 * the *.conflist, *.conf and *.json files. NOT_FOUND when there is none; the error then
 * lists why each file was skipped.
 */
int cni_config_load_dir(const char *dir, struct cni_config **out, struct berth_err **err);
void cni_config_free(struct cni_config *c);
void cni_config_freep(struct cni_config **c);

struct cni_interface {
	char *name;
	char *mac;     /* NULL if none */
	char *sandbox; /* netns path; NULL for a host-side interface */
};

struct cni_ip {
	char *address; /* CIDR, "10.88.0.2/16" */
	char *gateway; /* NULL if none */
	int interface; /* index into interfaces, -1 if none */
};

struct cni_route {
	char *dst; /* CIDR */
	char *gw;  /* NULL if none */
};

struct cni_result {
	char *cni_version;
	size_t n_interfaces, n_ips, n_routes;
	struct cni_interface *interfaces;
	struct cni_ip *ips;
	struct cni_route *routes;
	char **dns_nameservers; /* strv, may be NULL */
	char *dns_domain;
	char **dns_search;
	char **dns_options;
	char *raw; /* the result as the last plugin printed it: cache it for CHECK / DEL */
};

/* Parses and validates a plugin's result (CNI 0.3.0 .. 1.0.0); name prefixes errors. */
int cni_result_parse(const char *buf, size_t len, const char *name, struct cni_result **out,
		     struct berth_err **err);
void cni_result_free(struct cni_result *r);
void cni_result_freep(struct cni_result **r);

struct cni_port_mapping {
	int host_port;
	int container_port;
	const char *protocol; /* "tcp" or "udp"; NULL means tcp */
	const char *host_ip;  /* NULL: every address */
};

/* One ADD / CHECK / DEL; every pointer is borrowed. */
struct cni_call {
	const char *container_id;
	const char *netns;			      /* path of the netns file */
	const char *ifname;			      /* NULL: "eth0" */
	const char *args;			      /* CNI_ARGS, "K=V;K2=V2", or NULL */
	const struct cni_port_mapping *port_mappings; /* runtimeConfig.portMappings */
	size_t n_port_mappings;
	const char *prev_result;     /* the cached ADD result (JSON), for CHECK and DEL */
	const char *const *bin_dirs; /* NULL: cni_default_bin_dirs */
	int timeout_ms;		     /* per plugin call; 0: CNI_DEFAULT_TIMEOUT_MS */
};

/*
 * Runs the chain. A plugin's failure reads "cni: plugin 'bridge' ADD: code 11: <msg>:
 * <details>"; a timeout is BERTH_E_TIMEOUT. ADD does not undo the plugins that succeeded
 * before a failure: call cni_del (as the spec asks of runtimes).
 */
int cni_add(const struct cni_config *c, const struct cni_call *call, struct cni_result **out,
	    struct berth_err **err);
int cni_check(const struct cni_config *c, const struct cni_call *call, struct berth_err **err);
int cni_del(const struct cni_config *c, const struct cni_call *call, struct berth_err **err);

/*
 * Creates a new network namespace bound to path (a new file; its dir must exist), from a
 * helper thread, so the caller's own namespace never changes. Its loopback is down: bring
 * it up with the loopback plugin. EXISTS if path exists.
 */
int cni_netns_create(const char *path, struct berth_err **err);
/* Unmounts and unlinks path; a path that is gone is not an error. */
int cni_netns_remove(const char *path, struct berth_err **err);

#endif
