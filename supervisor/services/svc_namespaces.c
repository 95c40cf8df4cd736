/*
 * supervisor/services/svc_namespaces.c - containerd.services.namespaces.v1.Namespaces.
 *
 * Get (as containerd: a name with no namespace record answers with no labels), List,
 * Create, Update (labels, with field mask), Delete (FailedPrecondition while the
 * namespace still holds anything). Publishes /namespaces/{create,update,delete}.
 */
#include <string.h>

#include <github.com/containerd/containerd/api/events/namespace.pb-c.h>
#include <github.com/containerd/containerd/api/services/namespaces/v1/namespace.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/gc.h"
#include "supervisor/services/svc_util.h"

#define NS_ENTRY_DESC (&containerd__services__namespaces__v1__namespace__labels_entry__descriptor)

typedef Containerd__Services__Namespaces__V1__Namespace NsPb;

static void ns_fill(NsPb *pb, const char *name, char *const *labels)
{
	containerd__services__namespaces__v1__namespace__init(pb);
	pb->name = (char *)name;
	pb->labels = svc_kv_to_pb(labels, NS_ENTRY_DESC, &pb->n_labels);
}

/* labels NULL: a delete event; else create/update (they have the same fields). */
static void ns_publish(struct berthd_components *ctx, const char *topic, const char *type_url,
		       const char *name, char *const *labels)
{
	if (labels) {
		Containerd__Events__NamespaceCreate ev = CONTAINERD__EVENTS__NAMESPACE_CREATE__INIT;

		ev.name = (char *)name;
		ev.labels = svc_kv_to_pb(
			labels, &containerd__events__namespace_create__labels_entry__descriptor,
			&ev.n_labels);
		svc_publish(ctx, name, topic, type_url, &ev.base);
		svc_kv_pb_free(ev.labels, ev.n_labels);
	} else {
		Containerd__Events__NamespaceDelete ev = CONTAINERD__EVENTS__NAMESPACE_DELETE__INIT;

		ev.name = (char *)name;
		svc_publish(ctx, name, topic, type_url, &ev.base);
	}
}

static void ns_get(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Namespaces__V1__GetNamespaceRequest *req = (const void *)msg;
	Containerd__Services__Namespaces__V1__GetNamespaceResponse resp =
		CONTAINERD__SERVICES__NAMESPACES__V1__GET_NAMESPACE_RESPONSE__INIT;
	cleanup_err struct berth_err *err = NULL;
	cleanup(strv_freep) char **labels = NULL;
	NsPb ns;

	/* containerd answers for any name, with no labels when the namespace holds nothing
	 * yet (it exists implicitly): the Docker Engine relies on it to start */
	if (meta_ns_get(svc_ctx_of(call)->db, req->name, &labels, &err) < 0) {
		if (err->code != BERTH_E_NOT_FOUND) {
			rpc_call_fail(call, err);
			return;
		}
		berth_err_free(&err);
	}
	ns_fill(&ns, req->name, labels);
	resp.namespace_ = &ns;
	rpc_call_reply(call, &resp.base);
	svc_kv_pb_free(ns.labels, ns.n_labels);
}

struct ns_obj {
	const char *name;
	char **labels;
};

static const char *ns_field(const void *obj, char *const *path, size_t n)
{
	const struct ns_obj *o = obj;

	if (n == 1 && strcmp(path[0], "name") == 0)
		return o->name;
	if (n >= 2 && strcmp(path[0], "labels") == 0)
		return core_filter_kv(o->labels, path + 1, n - 1);
	return NULL;
}

static void ns_list(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Namespaces__V1__ListNamespacesRequest *req = (const void *)msg;
	Containerd__Services__Namespaces__V1__ListNamespacesResponse resp =
		CONTAINERD__SERVICES__NAMESPACES__V1__LIST_NAMESPACES_RESPONSE__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	cleanup(strv_freep) char **names = NULL;
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	char ***all_labels = NULL;
	size_t n = 0;

	if (req->filter && *req->filter && core_filter_parse(&req->filter, 1, &f, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	if (meta_ns_list(ctx->db, &names, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.namespaces = xcalloc(strv_len(names) + 1, sizeof(NsPb *));
	all_labels = xcalloc(strv_len(names) + 1, sizeof(char **));
	strv_foreach (name, names) {
		struct ns_obj o = {name, NULL};

		if (meta_ns_get(ctx->db, name, &o.labels, NULL) < 0)
			continue; /* deleted meanwhile */
		if (f && !core_filter_match(f, ns_field, &o)) {
			strv_free(o.labels);
			continue;
		}
		all_labels[n] = o.labels;
		resp.namespaces[n] = xnew(NsPb);
		ns_fill(resp.namespaces[n], name, o.labels);
		n++;
	}
	resp.n_namespaces = n;
	rpc_call_reply(call, &resp.base);
	for (size_t i = 0; i < n; i++) {
		svc_kv_pb_free(resp.namespaces[i]->labels, resp.namespaces[i]->n_labels);
		free(resp.namespaces[i]);
		strv_free(all_labels[i]);
	}
	free(resp.namespaces);
	free(all_labels);
}

static void ns_create(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Namespaces__V1__CreateNamespaceRequest *req = (const void *)msg;
	Containerd__Services__Namespaces__V1__CreateNamespaceResponse resp =
		CONTAINERD__SERVICES__NAMESPACES__V1__CREATE_NAMESPACE_RESPONSE__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	cleanup(strv_freep) char **labels = NULL;
	NsPb ns;

	if (!req->namespace_) {
		rpc_call_failf(call, BERTH_E_INVALID, "namespace: missing");
		return;
	}
	labels = meta_labels_sort(
		svc_kv_from_pb(req->namespace_->n_labels, req->namespace_->labels));
	if (svc_identifier_check("namespace.name", req->namespace_->name, &err) < 0 ||
	    svc_labels_check(labels, &err) < 0 ||
	    meta_ns_create(ctx->db, req->namespace_->name, labels, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	ns_fill(&ns, req->namespace_->name, labels);
	resp.namespace_ = &ns;
	rpc_call_reply(call, &resp.base);
	svc_kv_pb_free(ns.labels, ns.n_labels);
	ns_publish(ctx, "/namespaces/create", "containerd.events.NamespaceCreate",
		   req->namespace_->name, labels ? labels : (char *[]){NULL});
}

static void ns_update(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Namespaces__V1__UpdateNamespaceRequest *req = (const void *)msg;
	Containerd__Services__Namespaces__V1__UpdateNamespaceResponse resp =
		CONTAINERD__SERVICES__NAMESPACES__V1__UPDATE_NAMESPACE_RESPONSE__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	cleanup(strv_freep) char **labels = NULL;
	cleanup(strv_freep) char **res = NULL;
	cleanup_free char **paths = NULL;
	NsPb ns;

	if (!req->namespace_) {
		rpc_call_failf(call, BERTH_E_INVALID, "namespace: missing");
		return;
	}
	paths = svc_mask_paths(req->update_mask);
	strv_foreach (p, paths) {
		if (strcmp(p, "labels") != 0 && strncmp(p, "labels.", 7) != 0) {
			rpc_call_failf(call, BERTH_E_INVALID,
				       "update_mask: cannot update '%s' of namespace '%s'", p,
				       req->namespace_->name);
			return;
		}
	}
	labels = svc_kv_from_pb(req->namespace_->n_labels, req->namespace_->labels);
	if (svc_labels_check(labels, &err) < 0 ||
	    meta_ns_update_labels(ctx->db, req->namespace_->name, labels, paths, &res, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	ns_fill(&ns, req->namespace_->name, res);
	resp.namespace_ = &ns;
	rpc_call_reply(call, &resp.base);
	svc_kv_pb_free(ns.labels, ns.n_labels);
	ns_publish(ctx, "/namespaces/update", "containerd.events.NamespaceUpdate",
		   req->namespace_->name, res ? res : (char *[]){NULL});
}

static void ns_delete(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Namespaces__V1__DeleteNamespaceRequest *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	const char *sn = NULL;
	bool snaps = false;

	/* snapshots live in the snapshotters' own stores, not in meta.db: ask them */
	if (core_gc_ns_has_snapshots(ctx, req->name, &snaps, &sn, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	if (snaps) {
		rpc_call_failf(call, BERTH_E_PRECONDITION,
			       "namespace '%s' must be empty, but it still has snapshots (%s)",
			       req->name, sn);
		return;
	}
	if (meta_ns_delete(ctx->db, req->name, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	rpc_call_reply(call, &resp.base);
	ns_publish(ctx, "/namespaces/delete", "containerd.events.NamespaceDelete", req->name, NULL);
}

static const struct rpc_method ns_methods[] = {
	{"Get", RPC_UNARY, ns_get},	  {"List", RPC_UNARY, ns_list},
	{"Create", RPC_UNARY, ns_create}, {"Update", RPC_UNARY, ns_update},
	{"Delete", RPC_UNARY, ns_delete},
};

const struct rpc_service svc_namespaces_service = {
	.desc = &containerd__services__namespaces__v1__namespaces__descriptor,
	.methods = ns_methods,
	.n_methods = sizeof(ns_methods) / sizeof(ns_methods[0]),
	.init = svc_init_ctx,
};
