/*
 * supervisor/services/svc_introspection.c - containerd.services.introspection.v1.Introspection.
 *
 * Plugins lists the rows registered with svc_plugin_register() (filters on type and id);
 * Server returns the daemon's UUID, created once and kept in meta.db's settings.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <github.com/containerd/containerd/api/services/introspection/v1/introspection.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/filter.h"
#include "supervisor/services/plugins.h"
#include "supervisor/services/svc_util.h"

typedef Containerd__Services__Introspection__V1__Plugin PluginPb;

static const char *plugin_field(const void *obj, char *const *path, size_t n)
{
	const struct svc_plugin *p = obj;

	if (n == 1 && strcmp(path[0], "type") == 0)
		return p->type;
	if (n == 1 && strcmp(path[0], "id") == 0)
		return p->id;
	return NULL;
}

static void intro_plugins(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Introspection__V1__PluginsRequest *req = (const void *)msg;
	Containerd__Services__Introspection__V1__PluginsResponse resp =
		CONTAINERD__SERVICES__INTROSPECTION__V1__PLUGINS_RESPONSE__INIT;
	struct svc_plugins *all = svc_ctx_of(call)->plugins;
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	cleanup_err struct berth_err *err = NULL;
	Containerd__Types__Platform plat = CONTAINERD__TYPES__PLATFORM__INIT;
	Containerd__Types__Platform *plats[1] = {&plat};
	PluginPb *rows;
	size_t n = 0;

	if (core_filter_parse(req->filters, req->n_filters, &f, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	plat.os = (char *)"linux";
#if defined(__x86_64__)
	plat.architecture = (char *)"amd64";
#elif defined(__aarch64__)
	plat.architecture = (char *)"arm64";
#else
	plat.architecture = (char *)"unknown";
#endif
	svc_plugins_lock(all);
	rows = xcalloc(all->n + 1, sizeof(*rows));
	resp.plugins = xcalloc(all->n + 1, sizeof(PluginPb *));
	for (size_t i = 0; i < all->n; i++) {
		const struct svc_plugin *p = &all->v[i];

		if (!core_filter_match(f, plugin_field, p))
			continue;
		containerd__services__introspection__v1__plugin__init(&rows[n]);
		rows[n].type = p->type;
		rows[n].id = p->id;
		rows[n].exports = svc_kv_to_pb(
			p->exports,
			&containerd__services__introspection__v1__plugin__exports_entry__descriptor,
			&rows[n].n_exports);
		/* snapshotters report the platform they run on, as containerd's do */
		if (strcmp(p->type, "io.containerd.snapshotter.v1") == 0) {
			rows[n].platforms = plats;
			rows[n].n_platforms = 1;
		}
		resp.plugins[n] = &rows[n];
		n++;
	}
	resp.n_plugins = n;
	rpc_call_reply(call, &resp.base);
	svc_plugins_unlock(all);
	for (size_t i = 0; i < n; i++)
		svc_kv_pb_free(rows[i].exports, rows[i].n_exports);
	free(rows);
	free(resp.plugins);
}

static char *new_uuid(void)
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		abort();	     /* the kernel's CSPRNG does not fail for 16 bytes */
	b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
			 b[12], b[13], b[14], b[15]);
}

static void intro_server(struct rpc_call *call, const ProtobufCMessage *msg)
{
	Containerd__Services__Introspection__V1__ServerResponse resp =
		CONTAINERD__SERVICES__INTROSPECTION__V1__SERVER_RESPONSE__INIT;
	cleanup_err struct berth_err *err = NULL;
	cleanup_free char *uuid = NULL;

	if (meta_setting_get_or_init(svc_ctx_of(call)->db, "uuid", new_uuid, &uuid, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.uuid = uuid;
	rpc_call_reply(call, &resp.base);
}

static const struct rpc_method intro_methods[] = {
	{"Plugins", RPC_UNARY, intro_plugins},
	{"Server", RPC_UNARY, intro_server},
};

const struct rpc_service svc_introspection_service = {
	.desc = &containerd__services__introspection__v1__introspection__descriptor,
	.methods = intro_methods,
	.n_methods = sizeof(intro_methods) / sizeof(intro_methods[0]),
	.init = svc_init_ctx,
};
