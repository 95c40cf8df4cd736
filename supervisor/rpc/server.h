/*
 * supervisor/rpc/server.h - generic gRPC server (gRPC C core 1.51) for berthd.
 *
 * Owns the listening unix socket, its lockfile, the completion-queue thread and
 * the handler threads. It does not know any service: services describe their
 * methods in a `struct rpc_service` table and are added before the server starts.
 * Only supervisor/rpc/ includes <grpc/...>; this header does not, so services
 * include it freely.
 *
 * Threads
 *   - One CQ thread runs gRPC's completion queue and never runs a handler.
 *   - Unary handlers run on a worker pool (rpc_server_opts.workers), or on the
 *     service's own pool when it asks for one (rpc_service.workers).
 *   - Streaming handlers (server, client, bidi) run on a thread of their own, because
 *     they may block in rpc_stream_push_wait()/rpc_call_recv() for as long as the
 *     stream lasts.
 *   Every rpc_call_* / rpc_stream_* function below is thread-safe and may be called
 *   from any thread (a handler may hand its call to another thread and return).
 *
 * The call contract
 *   A handler receives a call it must end exactly once, from any thread, with
 *     rpc_call_reply()   (unary, client-stream: the one response + status OK), or
 *     rpc_call_fail()    (any kind: an error status, no more messages), or
 *     rpc_stream_finish()(server-stream, bidi: status OK or the given error).
 *   After that the handle must not be used again (the module frees it once gRPC is
 *   done with it). A handler that returns without ending the call keeps it open:
 *   that is how Subscribe-like streams live on (push from other threads later).
 *   If the client cancels or the server shuts down, rpc_stream_push() returns -1
 *   and rpc_call_recv() fails with BERTH_E_CANCELLED; the owner must still end
 *   the call (rpc_stream_finish), which is then cheap. rpc_call_on_cancel() lets
 *   an owner that only pushes occasionally (event subscribers) learn of it at once.
 *
 * Requests: for RPC_UNARY and RPC_SERVER_STREAM the handler gets the decoded
 * request, borrowed for the duration of the handler call only (copy what you keep:
 * the module frees it when the handler returns). For RPC_CLIENT_STREAM and RPC_BIDI
 * the handler gets req == NULL and reads messages with rpc_call_recv().
 *
 * Errors -> gRPC status (supervisor/rpc/status.c): BERTH_E_NOT_FOUND 5, EXISTS 6,
 * INVALID 3, PRECONDITION 9, UNIMPLEMENTED 12, UNAVAILABLE 14, PERMISSION 7,
 * RESOURCE 8, CANCELLED 1, TIMEOUT 4, OUT_OF_RANGE 11, anything else 13 (INTERNAL). The message is
 * the berth_err message. An unknown method gets UNIMPLEMENTED; a request that does
 * not decode gets INVALID_ARGUMENT without reaching the handler.
 *
 * Lifetime: rpc_server_new (takes the lockfile `<socket>.lock` with flock, so a
 * second server fails with BERTH_E_UNAVAILABLE instead of stealing the socket, which
 * gRPC would silently unlink), rpc_server_add_service..., rpc_server_start (socket
 * mode 0660), rpc_server_stop (shutdown, cancel every call, wait until every handler
 * ended its call, join threads), rpc_server_free.
 */
#ifndef BERTH_SUPERVISOR_RPC_SERVER_H
#define BERTH_SUPERVISOR_RPC_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "common/err.h"

struct rpc_server;
struct rpc_call;

enum rpc_kind {
	RPC_UNARY = 0,	   /* one request, one response */
	RPC_SERVER_STREAM, /* one request, stream of responses (Read, List, Subscribe) */
	RPC_CLIENT_STREAM, /* stream of requests, one response */
	RPC_BIDI,	   /* both streams (content Write) */
};

/*
 * req: decoded request, borrowed until the handler returns (NULL for client/bidi).
 * The service's data (from its init) is rpc_call_data(call).
 */
typedef void (*rpc_handler_fn)(struct rpc_call *call, const ProtobufCMessage *req);

/*
 * One method of a service: its name as the service descriptor spells it ("Version");
 * the path ("/<package.Service>/<Method>") and the request and reply message types are
 * taken from the descriptor by rpc_server_add_service(), so they cannot disagree.
 * kind is here because protoc-c's descriptors do not record streaming.
 */
struct rpc_method {
	const char *name;
	enum rpc_kind kind;
	rpc_handler_fn handler;
};

/*
 * A service: export one `const struct rpc_service svc_<name>_service` from
 * supervisor/services/<name>.c and list it in supervisor/berthd/main.c.
 *
 * init (optional) runs once in rpc_server_add_service(), before the server starts,
 * with the daemon context given there (in berthd: `struct berthd_components *`, see
 * supervisor/services/svc.h); what it stores in *data is rpc_call_data() for every
 * call of this service. fini (optional) runs in rpc_server_free() after every call
 * has ended.
 */
struct rpc_service {
	/*
	 * The protoc-c service descriptor (required): its name is the service's
	 * ("containerd.services.version.v1.Version"), and each method's path and types come
	 * from it; rpc_server_add_service() refuses (INVALID) a method name it lacks.
	 */
	const ProtobufCServiceDescriptor *desc;
	const struct rpc_method *methods;
	size_t n_methods;
	int (*init)(void *ctx, void **data, struct berth_err **err);
	void (*fini)(void *data);
	/*
	 * 0: unary calls run on the server's shared worker pool. > 0: they run on this many
	 * workers of the service's own, so a service whose handlers wait on other processes
	 * (Tasks on shims) can never take the shared workers from the other services.
	 */
	unsigned workers;
};

struct rpc_server_opts {
	const char *address; /* socket path (no "unix:" prefix); its dir must exist */
	size_t max_message;  /* bytes, send and receive; 0 = 16 MiB */
	unsigned workers;    /* handler pool size; 0 = 4 */
	unsigned mode;	     /* socket mode; 0 = 0660 */
};

/* Takes the lockfile; does not bind yet. err: UNAVAILABLE if another server holds it. */
struct rpc_server *rpc_server_new(const struct rpc_server_opts *opts, struct berth_err **err);
/* Before rpc_server_start only, once per service descriptor; see struct rpc_service. */
int rpc_server_add_service(struct rpc_server *srv, const struct rpc_service *svc, void *ctx,
			   struct berth_err **err);
/* Binds the socket and starts the CQ and worker threads. */
int rpc_server_start(struct rpc_server *srv, struct berth_err **err);
/* Blocks until every call has ended (cancels live ones first). Idempotent. */
void rpc_server_stop(struct rpc_server *srv);
/* Stops if needed, runs the services' fini, releases the lockfile. Accepts NULL. */
void rpc_server_free(struct rpc_server *srv);

/* --- inside a handler (any thread) --- */

/* The service's data (its init's *data). */
void *rpc_call_data(const struct rpc_call *call);
/* Method path, e.g. "/containerd.services.content.v1.Content/Write". */
const char *rpc_call_method(const struct rpc_call *call);
/* Value of metadata "containerd-namespace", or NULL if absent/empty. Borrowed, valid until
 * the call ends. */
const char *rpc_call_namespace(const struct rpc_call *call);
/* Any request metadata value by lower-case key ("containerd-lease"), NULL if absent. Borrowed. */
const char *rpc_call_metadata(const struct rpc_call *call, const char *key);
/* True once the client cancelled, the deadline passed or the server is stopping. */
bool rpc_call_is_cancelled(const struct rpc_call *call);
/*
 * fn(arg) is called once, on the CQ thread, when the call is cancelled (or at once if it
 * already is). It must not block; typically it marks a subscriber dead and wakes its owner,
 * or ends the call itself. rpc_call_fail/rpc_stream_finish wait for a running callback to
 * return (so its arg may be freed right after), hence never end the call while holding a
 * lock the callback takes. Set it at most once.
 */
void rpc_call_on_cancel(struct rpc_call *call, void (*fn)(void *arg), void *arg);

/* Ends a unary/client-stream call: packs resp now (resp stays the caller's) + status OK. */
void rpc_call_reply(struct rpc_call *call, const ProtobufCMessage *resp);
/* Ends any call with err's status and message. err is borrowed (the caller frees it). */
void rpc_call_fail(struct rpc_call *call, const struct berth_err *err);
/* Ends any call with a status built from code and a message. */
void rpc_call_failf(struct rpc_call *call, enum berth_err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Queues one response on a server-stream/bidi call (packed now; msg stays the caller's).
 * Returns 0, or -1 if the call is cancelled (the message is dropped).
 * rpc_stream_push never blocks (event fan-out); rpc_stream_push_wait blocks while more
 * than a few messages are queued, so a producer (content Read) cannot outrun the client.
 */
int rpc_stream_push(struct rpc_call *call, const ProtobufCMessage *msg);
int rpc_stream_push_wait(struct rpc_call *call, const ProtobufCMessage *msg);
/* Ends a stream: status OK if err == NULL, else err's status (err borrowed). */
void rpc_stream_finish(struct rpc_call *call, const struct berth_err *err);

/*
 * Client-stream/bidi: blocks for the next request message.
 * Returns 1 and sets *msg (caller frees it with protobuf_c_message_free_unpacked(*msg, NULL)),
 * 0 at the end of the client's stream (half-close), -1 on cancel (BERTH_E_CANCELLED) or a
 * message that does not decode (BERTH_E_INVALID).
 */
int rpc_call_recv(struct rpc_call *call, ProtobufCMessage **msg, struct berth_err **err);

/* gRPC status code for an error class (status.c). */
int rpc_status_from_code(enum berth_err_code code);

#endif
