/*
 * supervisor/rpc/client.h - a small synchronous gRPC client (gRPC C core) for berthctl
 * and tests: unary calls and streams (server, client, bidi) on a unix socket.
 *
 * Every call carries metadata "containerd-namespace" (if a namespace was given) plus any
 * set with rpc_client_set_metadata (e.g. "containerd-lease"). A non-OK status becomes a
 * berth_err whose class is the reverse of status.c's mapping and whose message is the
 * server's message; a daemon that is not there gives BERTH_E_UNAVAILABLE. Not
 * thread-safe: one client per thread.
 */
#ifndef BERTH_SUPERVISOR_RPC_CLIENT_H
#define BERTH_SUPERVISOR_RPC_CLIENT_H

#include <protobuf-c/protobuf-c.h>

#include "common/err.h"

struct rpc_client;
struct rpc_client_stream;

/* address: socket path (no "unix:"); ns may be NULL. */
struct rpc_client *rpc_client_new(const char *address, const char *ns, struct berth_err **err);
void rpc_client_free(struct rpc_client *c);
/* Adds (or replaces, value NULL removes) a metadata pair sent with every later call. */
void rpc_client_set_metadata(struct rpc_client *c, const char *key, const char *value);

/*
 * Unary call of method `method` of service descriptor svc (protoc-c's
 * <package>__<service>__descriptor): the path ("/<package.Service>/<Method>") and the reply
 * type come from the descriptor, and req must be of the method's input type (else INVALID,
 * nothing sent). *resp (caller frees with protobuf_c_message_free_unpacked) on success.
 */
int rpc_client_invoke(struct rpc_client *c, const ProtobufCServiceDescriptor *svc,
		      const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp,
		      struct berth_err **err);

/*
 * Opens a stream of method `method` of svc, path and reply type from the descriptor as
 * above. req: the one request of a server stream (sent and half-closed), or NULL for
 * client/bidi streams (send with rpc_client_stream_send).
 */
struct rpc_client_stream *rpc_client_stream_invoke(struct rpc_client *c,
						   const ProtobufCServiceDescriptor *svc,
						   const char *method, const ProtobufCMessage *req,
						   struct berth_err **err);
/*
 * A stream on a raw path with a request that is already encoded (or is not a valid
 * message at all: tests/helpers/rpcfuzz sends malformed payloads and unknown paths with
 * it). data is copied. Everything else goes through the service descriptor.
 */
struct rpc_client_stream *rpc_client_stream_open_raw(struct rpc_client *c, const char *path,
						     const void *data, size_t len,
						     const ProtobufCMessageDescriptor *out,
						     struct berth_err **err);
int rpc_client_stream_send(struct rpc_client_stream *s, const ProtobufCMessage *msg,
			   struct berth_err **err);
int rpc_client_stream_close_send(struct rpc_client_stream *s, struct berth_err **err);
/* 1 and *msg, 0 at the end of a successful stream, -1 with the status as error. */
int rpc_client_stream_recv(struct rpc_client_stream *s, ProtobufCMessage **msg,
			   struct berth_err **err);
/* Cancels the stream if still open. Accepts NULL. */
void rpc_client_stream_free(struct rpc_client_stream *s);

/* Error class for a gRPC status code (reverse of rpc_status_from_code). */
enum berth_err_code rpc_code_from_status(int status);

#endif
