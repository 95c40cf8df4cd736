/*
 * supervisor/services/svc_leases.c - containerd.services.leases.v1.Leases.
 *
 * Create (labels, e.g. containerd.io/gc.expire), Delete (sync: collect now), List
 * (filters on id and labels), AddResource, DeleteResource, ListResources. Resource types
 * are containerd's: "content" (a digest), "ingests" (a ref), "snapshots/<snapshotter>".
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <github.com/containerd/containerd/api/services/leases/v1/leases.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/gc.h"
#include "supervisor/services/svc_util.h"

#define LS(x) Containerd__Services__Leases__V1__##x
#define LS_INIT(x) CONTAINERD__SERVICES__LEASES__V1__##x##__INIT
#define LS_MSG(x) &containerd__services__leases__v1__##x##__descriptor

struct lease_pb {
	LS(Lease) l;
	Google__Protobuf__Timestamp created;
};

/* containerd does not restrict lease ids (its random ids contain '-' and '_'): only
 * refuse what could not be shown or stored sanely. */
static int lease_id_check(const char *id, struct berth_err **err)
{
	if (!id || !*id)
		return berth_err_new(err, BERTH_E_INVALID, "id: must not be empty");
	if (strlen(id) > 256)
		return berth_err_new(err, BERTH_E_INVALID, "id '%.64s...': longer than 256 bytes",
				     id);
	for (const char *c = id; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return berth_err_new(err, BERTH_E_INVALID, "id: control character");
	return 0;
}

/* containerd's leases.WithRandomID: "<nanoseconds>-<base64url of 3 random bytes>". */
static char *lease_random_id(void)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char b[3] = {0};
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		abort(); /* the kernel's CSPRNG does not fail for 3 bytes */
	return xasprintf("%ld-%c%c%c%c", ts.tv_nsec, b64[b[0] >> 2],
			 b64[((b[0] & 3) << 4) | (b[1] >> 4)],
			 b64[((b[1] & 15) << 2) | (b[2] >> 6)], b64[b[2] & 63]);
}

static LS(Lease) * lease_fill(struct lease_pb *p, const struct meta_lease *l)
{
	containerd__services__leases__v1__lease__init(&p->l);
	p->l.id = l->id;
	p->l.created_at = svc_ts(&p->created, l->created);
	p->l.labels = svc_kv_to_pb(l->labels, LS_MSG(lease__labels_entry), &p->l.n_labels);
	return &p->l;
}

static int resource_check(const LS(Resource) * r, struct berth_err **err)
{
	if (!r)
		return berth_err_new(err, BERTH_E_INVALID, "resource: missing");
	if (!r->id || !*r->id)
		return berth_err_new(err, BERTH_E_INVALID, "resource.id: must not be empty");
	if (strcmp(r->type, "content") == 0)
		return content_digest_check(r->id, err);
	if (strcmp(r->type, "ingests") == 0)
		return 0;
	if (strncmp(r->type, "snapshots/", 10) == 0 && r->type[10])
		return 0;
	return berth_err_new(err, BERTH_E_INVALID,
			     "resource.type '%s': unsupported (want content, ingests or "
			     "snapshots/<snapshotter>)",
			     r->type);
}

static void ls_create(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const LS(CreateRequest) *req = (const void *)msg;
	LS(CreateResponse) resp = LS_INIT(CREATE_RESPONSE);
	cleanup(strv_freep) char **labels = svc_kv_from_pb(req->n_labels, req->labels);
	cleanup_err struct berth_err *err = NULL;
	cleanup_free char *id = *req->id ? xstrdup(req->id) : lease_random_id();
	const char *ns = svc_call_ns(call);
	struct meta_lease *l = NULL;
	struct lease_pb p;

	if (!ns)
		return;
	if (lease_id_check(id, &err) < 0 || svc_labels_check(labels, &err) < 0 ||
	    meta_lease_create(svc_ctx_of(call)->db, ns, id, labels, &l, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.lease = lease_fill(&p, l);
	rpc_call_reply(call, &resp.base);
	svc_kv_pb_free(p.l.labels, p.l.n_labels);
	meta_lease_free(l);
}

static void ls_delete(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const LS(DeleteRequest) *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (meta_lease_delete(ctx->db, ns, req->id, &err) < 0 ||
	    (req->sync && core_gc_run(ctx, &err) < 0)) {
		rpc_call_fail(call, err);
		return;
	}
	if (!req->sync)
		core_gc_schedule(ctx);
	rpc_call_reply(call, &resp.base);
}

static const char *lease_field(const void *obj, char *const *path, size_t n)
{
	const struct meta_lease *l = obj;

	if (n == 1 && strcmp(path[0], "id") == 0)
		return l->id;
	if (n >= 2 && strcmp(path[0], "labels") == 0)
		return core_filter_kv(l->labels, path + 1, n - 1);
	return NULL;
}

static void ls_list(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const LS(ListRequest) *req = (const void *)msg;
	LS(ListResponse) resp = LS_INIT(LIST_RESPONSE);
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct meta_lease **v = NULL;
	struct lease_pb *p;
	size_t n = 0, k = 0;

	if (!ns)
		return;
	if (core_filter_parse(req->filters, req->n_filters, &f, &err) < 0 ||
	    meta_lease_list(svc_ctx_of(call)->db, ns, &v, &n, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	p = xcalloc(n + 1, sizeof(*p));
	resp.leases = xcalloc(n + 1, sizeof(LS(Lease) *));
	for (size_t i = 0; i < n; i++) {
		if (!core_filter_match(f, lease_field, v[i]))
			continue;
		resp.leases[k] = lease_fill(&p[k], v[i]);
		k++;
	}
	resp.n_leases = k;
	rpc_call_reply(call, &resp.base);
	for (size_t i = 0; i < k; i++)
		svc_kv_pb_free(p[i].l.labels, p[i].l.n_labels);
	free(p);
	free(resp.leases);
	meta_lease_list_free(v, n);
}

static void ls_add_resource(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const LS(AddResourceRequest) *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (resource_check(req->resource, &err) < 0 ||
	    meta_lease_add_resource(svc_ctx_of(call)->db, ns, req->id, req->resource->type,
				    req->resource->id, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	rpc_call_reply(call, &resp.base);
}

static void ls_delete_resource(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const LS(DeleteResourceRequest) *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (resource_check(req->resource, &err) < 0 ||
	    meta_lease_delete_resource(svc_ctx_of(call)->db, ns, req->id, req->resource->type,
				       req->resource->id, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	rpc_call_reply(call, &resp.base);
}

static void ls_list_resources(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const LS(ListResourcesRequest) *req = (const void *)msg;
	LS(ListResourcesResponse) resp = LS_INIT(LIST_RESOURCES_RESPONSE);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct meta_resource *v = NULL;
	LS(Resource) * rows;
	size_t n = 0;

	if (!ns)
		return;
	if (meta_lease_list_resources(svc_ctx_of(call)->db, ns, req->id, &v, &n, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	rows = xcalloc(n + 1, sizeof(*rows));
	resp.resources = xcalloc(n + 1, sizeof(LS(Resource) *));
	for (size_t i = 0; i < n; i++) {
		containerd__services__leases__v1__resource__init(&rows[i]);
		rows[i].id = v[i].id;
		rows[i].type = v[i].type;
		resp.resources[i] = &rows[i];
	}
	resp.n_resources = n;
	rpc_call_reply(call, &resp.base);
	free(rows);
	free(resp.resources);
	meta_resource_list_free(v, n);
}

static const struct rpc_method ls_methods[] = {
	{"Create", RPC_UNARY, ls_create},
	{"Delete", RPC_UNARY, ls_delete},
	{"List", RPC_UNARY, ls_list},
	{"AddResource", RPC_UNARY, ls_add_resource},
	{"DeleteResource", RPC_UNARY, ls_delete_resource},
	{"ListResources", RPC_UNARY, ls_list_resources},
};

const struct rpc_service svc_leases_service = {
	.desc = &containerd__services__leases__v1__leases__descriptor,
	.methods = ls_methods,
	.n_methods = sizeof(ls_methods) / sizeof(ls_methods[0]),
	.init = svc_init_ctx,
};
