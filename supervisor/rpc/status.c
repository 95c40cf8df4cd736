/*
 * supervisor/rpc/status.c - berth error classes to gRPC status codes.
 *
 * The one place where a struct berth_err becomes a wire status. Codes follow
 * containerd's errdefs.ToGRPC so that Go clients (ctr) map them back to the
 * same errdefs (IsNotFound, IsAlreadyExists, IsFailedPrecondition, ...).
 */
#include <grpc/status.h>

#include "supervisor/rpc/server.h"

int rpc_status_from_code(enum berth_err_code code)
{
	switch (code) {
	case BERTH_E_NOT_FOUND:
		return GRPC_STATUS_NOT_FOUND;
	case BERTH_E_EXISTS:
		return GRPC_STATUS_ALREADY_EXISTS;
	case BERTH_E_INVALID:
		return GRPC_STATUS_INVALID_ARGUMENT;
	case BERTH_E_PRECONDITION:
		return GRPC_STATUS_FAILED_PRECONDITION;
	case BERTH_E_UNIMPLEMENTED:
		return GRPC_STATUS_UNIMPLEMENTED;
	case BERTH_E_UNAVAILABLE:
		return GRPC_STATUS_UNAVAILABLE;
	case BERTH_E_PERMISSION:
		return GRPC_STATUS_PERMISSION_DENIED;
	case BERTH_E_RESOURCE:
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case BERTH_E_CANCELLED:
		return GRPC_STATUS_CANCELLED;
	case BERTH_E_TIMEOUT:
		return GRPC_STATUS_DEADLINE_EXCEEDED;
	case BERTH_E_OUT_OF_RANGE:
		return GRPC_STATUS_OUT_OF_RANGE;
	default:
		return GRPC_STATUS_INTERNAL;
	}
}
