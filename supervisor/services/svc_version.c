/*
 * supervisor/services/svc_version.c - containerd.services.version.v1.Version.
 *
 * Reports berthd's own version; the revision names the containerd API level served.
 */
#include <github.com/containerd/containerd/api/services/version/v1/version.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "supervisor/core/version.h"
#include "supervisor/services/svc_util.h"

static void version_version(struct rpc_call *call, const ProtobufCMessage *req)
{
	Containerd__Services__Version__V1__VersionResponse resp =
		CONTAINERD__SERVICES__VERSION__V1__VERSION_RESPONSE__INIT;

	resp.version = (char *)BERTHD_VERSION;
	resp.revision = (char *)BERTHD_REVISION;
	rpc_call_reply(call, &resp.base);
}

static const struct rpc_method version_methods[] = {
	{"Version", RPC_UNARY, version_version},
};

const struct rpc_service svc_version_service = {
	.desc = &containerd__services__version__v1__version__descriptor,
	.methods = version_methods,
	.n_methods = sizeof(version_methods) / sizeof(version_methods[0]),
	.init = svc_init_ctx,
};
