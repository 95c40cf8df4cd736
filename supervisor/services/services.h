/*
 * supervisor/services/services.h - the gRPC services berthd serves, one per
 * supervisor/services/svc_<name>.c. berthd's main adds each to the RPC server with the
 * components (supervisor/core/components.h) as its ctx.
 */
#ifndef BERTH_SUPERVISOR_SERVICES_SERVICES_H
#define BERTH_SUPERVISOR_SERVICES_SERVICES_H

#include "supervisor/rpc/server.h"

extern const struct rpc_service svc_version_service;
extern const struct rpc_service svc_namespaces_service;
extern const struct rpc_service svc_introspection_service;
extern const struct rpc_service svc_events_service;
extern const struct rpc_service svc_content_service;
extern const struct rpc_service svc_images_service;
extern const struct rpc_service svc_leases_service;
extern const struct rpc_service svc_snapshots_service;
extern const struct rpc_service svc_diff_service;
extern const struct rpc_service svc_containers_service;
extern const struct rpc_service svc_tasks_service;
extern const struct rpc_service svc_transfer_service;
extern const struct rpc_service svc_health_service;

#endif
