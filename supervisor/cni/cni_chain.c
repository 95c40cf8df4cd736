/*
 * supervisor/cni/cni_chain.c - ADD, CHECK and DEL over a plugin chain.
 *
 * Each plugin gets its own object from the config with the network's name and
 * cniVersion, the previous result as prevResult, and runtimeConfig.portMappings when it
 * declares that capability; the CNI_* environment is the same for the whole chain.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/cni/cni.h"
#include "supervisor/cni/cni_internal.h"

const char *const cni_default_bin_dirs[] = {"/usr/lib/cni", "/opt/cni/bin", NULL};

static const char *const *bin_dirs(const struct cni_call *call)
{
	return call->bin_dirs ? call->bin_dirs : cni_default_bin_dirs;
}

static char **env_for(const struct cni_call *call, const char *command)
{
	cleanup_free char *path = strv_join((char *const *)bin_dirs(call), ":");
	char **env = NULL;

	strv_push_take(&env, xasprintf("CNI_COMMAND=%s", command));
	strv_push_take(&env, xasprintf("CNI_CONTAINERID=%s", call->container_id));
	/* a DEL after the namespace is gone passes none: the spec asks plugins to release
	 * what they can then and succeed (IPAM allocations, host-side rules) */
	if (!call->netns ||
	    (strcmp(command, "DEL") == 0 && access(call->netns, F_OK) < 0 && errno == ENOENT))
		strv_push(&env, "CNI_NETNS=");
	else
		strv_push_take(&env, xasprintf("CNI_NETNS=%s", call->netns));
	strv_push_take(&env, xasprintf("CNI_IFNAME=%s", call->ifname ? call->ifname : "eth0"));
	strv_push_take(&env, xasprintf("CNI_PATH=%s", path));
	if (call->args)
		strv_push_take(&env, xasprintf("CNI_ARGS=%s", call->args));
	return env;
}

static struct bjson *port_mappings_json(const struct cni_call *call)
{
	struct bjson *arr = bjson_array_new();

	for (size_t i = 0; i < call->n_port_mappings; i++) {
		const struct cni_port_mapping *m = &call->port_mappings[i];
		struct bjson *o = bjson_object_new();

		bjson_set_int(o, "hostPort", m->host_port);
		bjson_set_int(o, "containerPort", m->container_port);
		bjson_set_str(o, "protocol", m->protocol ? m->protocol : "tcp");
		if (m->host_ip)
			bjson_set_str(o, "hostIP", m->host_ip);
		bjson_append_take(arr, o);
	}
	return arr;
}

/* the stdin of plugin i: its object plus name, cniVersion, prevResult, runtimeConfig */
static int plugin_input(const struct cni_config *c, size_t i, const struct cni_call *call,
			const char *prev, char **out, struct berth_err **err)
{
	const struct cni_plugin_conf *p = &c->plugins[i];
	cleanup_free char *s = bjson_to_string(p->conf, BJSON_PLAIN);
	cleanup(bjson_freep) struct bjson *o = NULL;

	if (bjson_parse(s, strlen(s), c->file, &o, err) < 0)
		return -1;
	bjson_set_str(o, "name", c->name);
	bjson_set_str(o, "cniVersion", c->cni_version);
	if (prev) {
		struct bjson *pr = NULL;

		if (bjson_parse(prev, strlen(prev), "prevResult", &pr, err) < 0)
			return -1;
		bjson_set_take(o, "prevResult", pr);
	}
	if (p->cap_port_mappings && call->n_port_mappings) {
		struct bjson *rc = bjson_object_new();

		bjson_set_take(rc, "portMappings", port_mappings_json(call));
		bjson_set_take(o, "runtimeConfig", rc);
	}
	*out = bjson_to_string(o, BJSON_PLAIN);
	return 0;
}

static int validate_call(const struct cni_call *call, struct berth_err **err)
{
	if (!call->container_id || !*call->container_id)
		return berth_err_new(err, BERTH_E_INVALID, "cni: container id: missing");
	if (strchr(call->container_id, '='))
		return berth_err_new(err, BERTH_E_INVALID, "cni: container id '%s': invalid",
				     call->container_id);
	for (size_t i = 0; i < call->n_port_mappings; i++) {
		const struct cni_port_mapping *m = &call->port_mappings[i];

		if (m->host_port < 1 || m->host_port > 65535 || m->container_port < 1 ||
		    m->container_port > 65535)
			return berth_err_new(err, BERTH_E_INVALID,
					     "cni: portMappings[%zu]: port out of range 1..65535",
					     i);
		if (m->protocol && strcmp(m->protocol, "tcp") && strcmp(m->protocol, "udp") &&
		    strcmp(m->protocol, "sctp"))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"cni: portMappings[%zu].protocol: unknown protocol '%s'", i,
				m->protocol);
	}
	return 0;
}

/* runs plugin i for command; *out (may be NULL) gets its stdout */
static int run_one(const struct cni_config *c, size_t i, const struct cni_call *call,
		   const char *command, const char *prev, char **out, size_t *len,
		   struct berth_err **err)
{
	cleanup(strv_freep) char **env = env_for(call, command);
	cleanup_free char *input = NULL;
	cleanup_free char *o = NULL;
	size_t n = 0;
	struct cni_exec x = {
		.type = c->plugins[i].type,
		.command = command,
		.bin_dirs = bin_dirs(call),
		.env = env,
		.timeout_ms = call->timeout_ms > 0 ? call->timeout_ms : CNI_DEFAULT_TIMEOUT_MS,
	};

	if (plugin_input(c, i, call, prev, &input, err) < 0)
		return -1;
	x.input = input;
	if (cni_exec_run(&x, &o, &n, err) < 0)
		return -1;
	if (out) {
		*out = take_ptr(o);
		*len = n;
	}
	return 0;
}

int cni_add(const struct cni_config *c, const struct cni_call *call, struct cni_result **out,
	    struct berth_err **err)
{
	cleanup_free char *prev = NULL;
	size_t len = 0;

	if (validate_call(call, err) < 0)
		return -1;
	for (size_t i = 0; i < c->n_plugins; i++) {
		cleanup_free char *o = NULL;
		struct cni_result *r = NULL;
		cleanup_free char *name = NULL;

		if (run_one(c, i, call, "ADD", prev, &o, &len, err) < 0)
			return -1;
		name = xasprintf("cni: plugin '%s' ADD: result", c->plugins[i].type);
		if (cni_result_parse(o, len, name, &r, err) < 0)
			return -1;
		cni_result_free(r);
		free(prev);
		prev = take_ptr(o);
	}
	return cni_result_parse(prev, len, "cni: result", out, err);
}

int cni_check(const struct cni_config *c, const struct cni_call *call, struct berth_err **err)
{
	if (validate_call(call, err) < 0)
		return -1;
	if (!call->prev_result)
		return berth_err_new(err, BERTH_E_INVALID,
				     "cni: CHECK: the cached ADD result is missing");
	if (strcmp(c->cni_version, "0.4.0") < 0)
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			"cni: CHECK: network '%s' is cniVersion %s (CHECK needs 0.4.0)", c->name,
			c->cni_version);
	if (c->disable_check)
		return 0;
	for (size_t i = 0; i < c->n_plugins; i++)
		if (run_one(c, i, call, "CHECK", call->prev_result, NULL, NULL, err) < 0)
			return -1;
	return 0;
}

int cni_del(const struct cni_config *c, const struct cni_call *call, struct berth_err **err)
{
	struct berth_err *first = NULL;

	if (validate_call(call, err) < 0)
		return -1;
	/* every plugin gets its DEL, so one failure does not leak the others' resources */
	for (size_t i = c->n_plugins; i-- > 0;) {
		struct berth_err *e = NULL;

		if (run_one(c, i, call, "DEL", call->prev_result, NULL, NULL, &e) < 0) {
			if (first)
				berth_err_free(&e);
			else
				first = e;
		}
	}
	if (first) {
		if (err)
			*err = first;
		else
			berth_err_free(&first);
		return -1;
	}
	return 0;
}
