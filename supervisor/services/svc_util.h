/*
 * supervisor/services/svc_util.h - protobuf-c helpers the service files share:
 * label maps, timestamps, field masks, and request checks with clear messages.
 * Not part of svc.h because only service implementations need them.
 */
#ifndef BERTH_SUPERVISOR_SERVICES_SVC_UTIL_H
#define BERTH_SUPERVISOR_SERVICES_SVC_UTIL_H

#include <stdint.h>

#include <google/protobuf/field_mask.pb-c.h>
#include <google/protobuf/timestamp.pb-c.h>

#include "supervisor/rpc/server.h"
#include "supervisor/services/svc.h"

/* Every protoc-c map<string,string> entry has this layout. */
struct svc_kv_entry {
	ProtobufCMessage base;
	char *key;
	char *value;
};

/* k,v vector from a protoc-c map field (entries: the Entry ** array). */
char **svc_kv_from_pb(size_t n, void *entries);
/*
 * Entry ** array for a protoc-c map field from kv; entries borrow kv's strings (keep kv
 * alive until packed). Free with svc_kv_pb_free(array, n).
 */
void *svc_kv_to_pb(char *const *kv, const ProtobufCMessageDescriptor *entry_desc, size_t *n);
void svc_kv_pb_free(void *entries, size_t n);

/* Timestamp from ns since the epoch (ts is caller storage). */
Google__Protobuf__Timestamp *svc_ts(Google__Protobuf__Timestamp *ts, int64_t ns);
int64_t svc_ts_ns(const Google__Protobuf__Timestamp *ts);

/* Field mask paths as a NULL-terminated borrowed vector (NULL when no mask). Caller frees
 * the array only (free()). */
char **svc_mask_paths(const Google__Protobuf__FieldMask *m);

/*
 * containerd's labels.Validate: key 1..4096 bytes and key+value <= 4096 bytes.
 * INVALID naming the label.
 */
int svc_labels_check(char *const *kv, struct berth_err **err);
/* containerd's identifiers.Validate for names (namespaces, leases): [A-Za-z0-9]
 * then [A-Za-z0-9_.-], at most 76 chars. what names the field in the message. */
int svc_identifier_check(const char *what, const char *id, struct berth_err **err);

/* The service data (struct berthd_components *) of a call. */
static inline struct berthd_components *svc_ctx_of(struct rpc_call *call)
{
	return rpc_call_data(call);
}

/* The namespace or fail the call (INVALID) and return NULL. */
const char *svc_call_ns(struct rpc_call *call);

/* init for services whose data is just the svc_ctx. */
int svc_init_ctx(void *ctx, void **data, struct berth_err **err);

#endif
