/*
 * common/ttrpc.h - ttrpc 1.1, the RPC protocol of containerd's shims.
 *
 * Owns the framing codec, a server that dispatches on (service, method), and a
 * client for unary calls; both run on a single-threaded evloop. Protobuf
 * encoding of the payloads is the caller's; this module only wraps them in
 * ttrpc.Request / ttrpc.Response (proto/ttrpc.proto).
 *
 * Wire format (github.com/containerd/ttrpc channel.go, 1.1.1):
 *
 *   0        4          8      9       10
 *   | length | stream id | type | flags | body (length bytes, <= 4 MiB)
 *   big-endian u32, u32; type 1 = request, 2 = response; flags 0
 *
 *   client                                server
 *     | -- Request{service, method, payload} id=1 -->  |
 *     | -- Request{...Wait...}               id=3 -->  |  (answered later)
 *     | <- Response{status, payload}         id=1 ---  |
 *     | <- Response{...}                     id=3 ---  |  (out of order is fine)
 *
 * Client stream ids are odd; the server answers an even id with
 * InvalidArgument. An oversized body is read and discarded and answered with
 * ResourceExhausted. A frame cut short by EOF, or a read/write error, closes the
 * connection; unknown frame types are skipped. Unknown service or method:
 * Unimplemented. A request envelope that does not decode: InvalidArgument.
 */
#ifndef BERTH_COMMON_TTRPC_H
#define BERTH_COMMON_TTRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common/err.h"
#include "common/evloop.h"

#define TTRPC_HEADER_LEN 10
#define TTRPC_MAX_BODY (4u << 20)
#define TTRPC_TYPE_REQUEST 1
#define TTRPC_TYPE_RESPONSE 2

/* gRPC status codes, as ttrpc carries them */
enum ttrpc_code {
	TTRPC_OK = 0,
	TTRPC_CANCELLED = 1,
	TTRPC_UNKNOWN = 2,
	TTRPC_INVALID_ARGUMENT = 3,
	TTRPC_DEADLINE_EXCEEDED = 4,
	TTRPC_NOT_FOUND = 5,
	TTRPC_ALREADY_EXISTS = 6,
	TTRPC_PERMISSION_DENIED = 7,
	TTRPC_RESOURCE_EXHAUSTED = 8,
	TTRPC_FAILED_PRECONDITION = 9,
	TTRPC_ABORTED = 10,
	TTRPC_OUT_OF_RANGE = 11,
	TTRPC_UNIMPLEMENTED = 12,
	TTRPC_INTERNAL = 13,
	TTRPC_UNAVAILABLE = 14,
};

struct ttrpc_header {
	uint32_t length;
	uint32_t stream_id;
	uint8_t type;
	uint8_t flags;
};

void ttrpc_header_encode(uint8_t buf[TTRPC_HEADER_LEN], const struct ttrpc_header *h);
void ttrpc_header_decode(const uint8_t buf[TTRPC_HEADER_LEN], struct ttrpc_header *h);
/* The gRPC code for an error class. */
enum ttrpc_code ttrpc_code_from_err(const struct berth_err *err);

/* ---- server ---- */

struct ttrpc_server;
struct ttrpc_call; /* one request awaiting its reply */

/*
 * A handler owns call: it must eventually finish it with exactly one of
 * ttrpc_call_reply*() / ttrpc_call_fail*(), now or later (Wait). The payload
 * stays valid until then. If the client went away meanwhile the reply is dropped.
 */
typedef void (*ttrpc_handler_fn)(struct ttrpc_call *call, const uint8_t *payload, size_t len,
				 void *data);

struct ttrpc_method {
	const char *service; /* "containerd.task.v2.Task" */
	const char *method;  /* "Create" */
	ttrpc_handler_fn fn;
};

/* methods is borrowed and must outlive the server; data is passed to every handler. */
struct ttrpc_server *ttrpc_server_new(struct evloop *loop, const struct ttrpc_method *methods,
				      size_t n_methods, void *data);
/* Closes every connection and the listener; pending calls are dropped on reply. */
void ttrpc_server_free(struct ttrpc_server *srv);
/* Accepts connections on a listening socket (takes ownership of fd). */
int ttrpc_server_listen(struct ttrpc_server *srv, int fd, struct berth_err **err);
/* Serves one connected socket (takes ownership of fd). */
int ttrpc_server_add_conn(struct ttrpc_server *srv, int fd, struct berth_err **err);
size_t ttrpc_server_n_conns(const struct ttrpc_server *srv);

/* The request's metadata value for key, or NULL; borrowed until the call finishes. */
const char *ttrpc_call_metadata(const struct ttrpc_call *call, const char *key);
const char *ttrpc_call_method(const struct ttrpc_call *call);
/* Replies msg (NULL: empty payload) and frees call. */
void ttrpc_call_reply(struct ttrpc_call *call, const ProtobufCMessage *msg);
void ttrpc_call_reply_raw(struct ttrpc_call *call, const uint8_t *payload, size_t len);
/* Replies an error status and frees call. */
void ttrpc_call_fail(struct ttrpc_call *call, enum ttrpc_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replies err's message with the code of its class and frees call (not err). */
void ttrpc_call_fail_err(struct ttrpc_call *call, const struct berth_err *err);

/* ---- client ---- */

struct ttrpc_client;

/*
 * Called once per call: code TTRPC_OK with the response payload (borrowed for
 * the duration of the callback), or an error code and message (DEADLINE_EXCEEDED
 * on timeout, UNAVAILABLE when the connection closed). It must not free the client.
 */
typedef void (*ttrpc_reply_fn)(void *data, enum ttrpc_code code, const char *msg,
			       const uint8_t *payload, size_t len);

/* Connects to a unix socket path (a leading "unix://" is accepted). */
struct ttrpc_client *ttrpc_client_connect(struct evloop *loop, const char *path,
					  struct berth_err **err);
/* Fails pending calls with UNAVAILABLE and frees the client; accepts NULL. */
void ttrpc_client_free(struct ttrpc_client *c);
bool ttrpc_client_is_closed(const struct ttrpc_client *c);
/* Starts a call; fn runs later from the loop. timeout_ms 0 = no deadline. */
int ttrpc_client_call(struct ttrpc_client *c, const char *service, const char *method,
		      const ProtobufCMessage *req, uint64_t timeout_ms, ttrpc_reply_fn fn,
		      void *data, struct berth_err **err);
/* Same with an already packed payload (borrowed; copied before returning). */
int ttrpc_client_call_raw(struct ttrpc_client *c, const char *service, const char *method,
			  const uint8_t *payload, size_t len, uint64_t timeout_ms,
			  ttrpc_reply_fn fn, void *data, struct berth_err **err);

#endif
