/*
 * supervisor/services/svc_health.c - grpc.health.v1.Health, as containerd serves it.
 *
 * Check of the server as a whole (service "") answers SERVING while berthd serves; a
 * named service is unknown (NOT_FOUND), as gRPC's health server answers a name nobody
 * registered. The Docker Engine calls Check to learn that its containerd is back after
 * a reconnect, and waits until it answers. Watch is not served (UNIMPLEMENTED).
 */
#include <health/v1/health.pb-c.h>

#include "common/err.h"
#include "supervisor/services/svc_util.h"

static void health_check(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Grpc__Health__V1__HealthCheckRequest *req = (const void *)msg;
	Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
	cleanup_err struct berth_err *err = NULL;

	if (req->service && *req->service) {
		berth_err_new(&err, BERTH_E_NOT_FOUND, "health: service '%s': unknown",
			      req->service);
		rpc_call_fail(call, err);
		return;
	}
	resp.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	rpc_call_reply(call, &resp.base);
}

static const struct rpc_method health_methods[] = {
	{"Check", RPC_UNARY, health_check},
};

const struct rpc_service svc_health_service = {
	.desc = &grpc__health__v1__health__descriptor,
	.methods = health_methods,
	.n_methods = sizeof(health_methods) / sizeof(health_methods[0]),
	.init = svc_init_ctx,
};
