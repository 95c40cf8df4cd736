/*
 * supervisor/services/svc_containers.c - containerd.services.containers.v1.Containers.
 *
 * Container metadata only (id, labels, image, runtime, spec, snapshot, extensions), kept
 * in meta.db; running it is the Tasks service's job. Create checks what containerd checks
 * (id syntax, runtime name and spec present); Update follows meta_container_update's
 * mask rules. Publishes /containers/{create,update,delete}. A container's snapshot is a
 * GC root (see meta_gc_roots).
 */
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/events/container.pb-c.h>
#include <github.com/containerd/containerd/api/services/containers/v1/containers.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/gc.h"
#include "supervisor/services/svc_util.h"

#define CO(x) Containerd__Services__Containers__V1__##x
#define CO_INIT(x) CONTAINERD__SERVICES__CONTAINERS__V1__##x##__INIT
#define CO_MSG(x) &containerd__services__containers__v1__##x##__descriptor

/* Request container -> meta (deep copies; free with meta_container_free). */
static struct meta_container *from_pb(const CO(Container) * pb)
{
	struct meta_container *c = xnew(struct meta_container);

	c->id = xstrdup(pb->id);
	c->image = xstrdup(pb->image);
	c->snapshotter = xstrdup(pb->snapshotter);
	c->snapshot_key = xstrdup(pb->snapshot_key);
	c->runtime_name = xstrdup(pb->runtime ? pb->runtime->name : "");
	c->runtime_options.type_url = xstrdup("");
	if (pb->runtime && pb->runtime->options) {
		free(c->runtime_options.type_url);
		c->runtime_options.type_url = xstrdup(pb->runtime->options->type_url);
		c->runtime_options.len = pb->runtime->options->value.len;
		c->runtime_options.data = xmalloc(c->runtime_options.len + 1);
		if (c->runtime_options.len) /* value.data is NULL when empty */
			memcpy(c->runtime_options.data, pb->runtime->options->value.data,
			       c->runtime_options.len);
	}
	c->spec.type_url = xstrdup(pb->spec ? pb->spec->type_url : "");
	if (pb->spec) {
		c->spec.len = pb->spec->value.len;
		c->spec.data = xmalloc(c->spec.len + 1);
		if (c->spec.len)
			memcpy(c->spec.data, pb->spec->value.data, c->spec.len);
	}
	c->labels = svc_kv_from_pb(pb->n_labels, pb->labels);
	c->exts = xcalloc(pb->n_extensions + 1, sizeof(*c->exts));
	for (size_t i = 0; i < pb->n_extensions; i++) {
		const Google__Protobuf__Any *v = pb->extensions[i]->value;

		strv_push(&c->ext_keys, pb->extensions[i]->key);
		c->exts[i].type_url = xstrdup(v ? v->type_url : "");
		c->exts[i].len = v ? v->value.len : 0;
		c->exts[i].data = xmalloc(c->exts[i].len + 1);
		if (c->exts[i].len)
			memcpy(c->exts[i].data, v->value.data, c->exts[i].len);
	}
	return c;
}

/* meta -> response message; everything points into c (keep it alive until packed). */
struct container_pb {
	CO(Container) pb;
	CO(Container__Runtime) rt;
	Google__Protobuf__Any opts, spec;
	Google__Protobuf__Timestamp created, updated;
	CO(Container__ExtensionsEntry) * ext;
	CO(Container__ExtensionsEntry) * *extp;
	Google__Protobuf__Any *extv;
};

static void any_pb(Google__Protobuf__Any *a, const struct meta_any *m)
{
	google__protobuf__any__init(a);
	a->type_url = m->type_url ? m->type_url : (char *)"";
	a->value.data = m->data;
	a->value.len = m->len;
}

static CO(Container) * to_pb(struct container_pb *p, const struct meta_container *c)
{
	size_t n = strv_len(c->ext_keys);

	containerd__services__containers__v1__container__init(&p->pb);
	containerd__services__containers__v1__container__runtime__init(&p->rt);
	p->pb.id = c->id;
	p->pb.image = c->image;
	p->pb.snapshotter = c->snapshotter;
	p->pb.snapshot_key = c->snapshot_key;
	p->rt.name = c->runtime_name;
	if (c->runtime_options.type_url && *c->runtime_options.type_url) {
		any_pb(&p->opts, &c->runtime_options);
		p->rt.options = &p->opts;
	}
	p->pb.runtime = &p->rt;
	if (c->spec.type_url && *c->spec.type_url) {
		any_pb(&p->spec, &c->spec);
		p->pb.spec = &p->spec;
	}
	p->pb.labels = svc_kv_to_pb(c->labels, CO_MSG(container__labels_entry), &p->pb.n_labels);
	p->pb.created_at = svc_ts(&p->created, c->created);
	p->pb.updated_at = svc_ts(&p->updated, c->updated);
	p->ext = xcalloc(n + 1, sizeof(*p->ext));
	p->extp = xcalloc(n + 1, sizeof(*p->extp));
	p->extv = xcalloc(n + 1, sizeof(*p->extv));
	for (size_t i = 0; i < n; i++) {
		containerd__services__containers__v1__container__extensions_entry__init(&p->ext[i]);
		p->ext[i].key = c->ext_keys[i];
		any_pb(&p->extv[i], &c->exts[i]);
		p->ext[i].value = &p->extv[i];
		p->extp[i] = &p->ext[i];
	}
	p->pb.extensions = p->extp;
	p->pb.n_extensions = n;
	return &p->pb;
}

static void container_pb_clear(struct container_pb *p)
{
	svc_kv_pb_free(p->pb.labels, p->pb.n_labels);
	free(p->ext);
	free(p->extp);
	free(p->extv);
}

static int container_check(const CO(Container) * pb, bool create, struct berth_err **err)
{
	if (!pb)
		return berth_err_new(err, BERTH_E_INVALID, "container: missing");
	if (svc_identifier_check("container.id", pb->id, err) < 0)
		return -1;
	for (size_t i = 0; i < pb->n_extensions; i++)
		if (!pb->extensions[i]->key || !*pb->extensions[i]->key)
			return berth_err_new(err, BERTH_E_INVALID,
					     "container '%s': extensions: empty key", pb->id);
	if (!create)
		return 0;
	if (!pb->runtime || !pb->runtime->name || !*pb->runtime->name)
		return berth_err_new(err, BERTH_E_INVALID,
				     "container '%s': runtime.name: must be specified", pb->id);
	if (!pb->spec)
		return berth_err_new(err, BERTH_E_INVALID,
				     "container '%s': spec: must be specified", pb->id);
	if (*pb->snapshot_key && !*pb->snapshotter)
		return berth_err_new(err, BERTH_E_INVALID,
				     "container '%s': snapshot_key set without snapshotter",
				     pb->id);
	return 0;
}

static void co_get(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CO(GetContainerRequest) *req = (const void *)msg;
	CO(GetContainerResponse) resp = CO_INIT(GET_CONTAINER_RESPONSE);
	cleanup(meta_container_freep) struct meta_container *c = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct container_pb p;

	if (!ns)
		return;
	if (meta_container_get(svc_ctx_of(call)->db, ns, req->id, &c, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.container = to_pb(&p, c);
	rpc_call_reply(call, &resp.base);
	container_pb_clear(&p);
}

static const char *container_field(const void *obj, char *const *path, size_t n)
{
	const struct meta_container *c = obj;

	if (n == 1 && strcmp(path[0], "id") == 0)
		return c->id;
	if (n == 1 && strcmp(path[0], "image") == 0)
		return c->image;
	if (n == 1 && strcmp(path[0], "snapshotter") == 0)
		return c->snapshotter;
	if (n == 2 && strcmp(path[0], "runtime") == 0 && strcmp(path[1], "name") == 0)
		return c->runtime_name;
	if (n >= 2 && strcmp(path[0], "labels") == 0)
		return core_filter_kv(c->labels, path + 1, n - 1);
	return NULL;
}

/* The containers of the call's namespace that match its filters. */
static int co_select(struct rpc_call *call, const CO(ListContainersRequest) * req,
		     struct meta_container ***v, size_t *n, struct berth_err **err)
{
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	const char *ns = svc_namespace(call, err);
	size_t k = 0;

	if (!ns || core_filter_parse(req->filters, req->n_filters, &f, err) < 0 ||
	    meta_container_list(svc_ctx_of(call)->db, ns, v, n, err) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (core_filter_match(f, container_field, (*v)[i]))
			(*v)[k++] = (*v)[i];
		else
			meta_container_free((*v)[i]);
	}
	*n = k;
	return 0;
}

static void co_list(struct rpc_call *call, const ProtobufCMessage *msg)
{
	CO(ListContainersResponse) resp = CO_INIT(LIST_CONTAINERS_RESPONSE);
	cleanup_err struct berth_err *err = NULL;
	struct meta_container **v = NULL;
	struct container_pb *p;
	size_t n = 0;

	if (co_select(call, (const void *)msg, &v, &n, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	p = xcalloc(n + 1, sizeof(*p));
	resp.containers = xcalloc(n + 1, sizeof(CO(Container) *));
	for (size_t i = 0; i < n; i++)
		resp.containers[i] = to_pb(&p[i], v[i]);
	resp.n_containers = n;
	rpc_call_reply(call, &resp.base);
	for (size_t i = 0; i < n; i++)
		container_pb_clear(&p[i]);
	free(p);
	free(resp.containers);
	meta_container_list_free(v, n);
}

static void co_list_stream(struct rpc_call *call, const ProtobufCMessage *msg)
{
	cleanup_err struct berth_err *err = NULL;
	struct meta_container **v = NULL;
	size_t n = 0;

	if (co_select(call, (const void *)msg, &v, &n, &err) < 0) {
		rpc_stream_finish(call, err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		CO(ListContainerMessage) m = CO_INIT(LIST_CONTAINER_MESSAGE);
		struct container_pb p;
		int r;

		m.container = to_pb(&p, v[i]);
		r = rpc_stream_push_wait(call, &m.base);
		container_pb_clear(&p);
		if (r < 0)
			break;
	}
	meta_container_list_free(v, n);
	rpc_stream_finish(call, NULL);
}

static void co_publish_update(struct berthd_components *ctx, const char *ns,
			      const struct meta_container *c)
{
	Containerd__Events__ContainerUpdate ev = CONTAINERD__EVENTS__CONTAINER_UPDATE__INIT;

	ev.id = c->id;
	ev.image = c->image;
	ev.snapshot_key = c->snapshot_key;
	ev.labels = svc_kv_to_pb(c->labels,
				 &containerd__events__container_update__labels_entry__descriptor,
				 &ev.n_labels);
	svc_publish(ctx, ns, "/containers/update", "containerd.events.ContainerUpdate", &ev.base);
	svc_kv_pb_free(ev.labels, ev.n_labels);
}

static void co_create(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CO(CreateContainerRequest) *req = (const void *)msg;
	CO(CreateContainerResponse) resp = CO_INIT(CREATE_CONTAINER_RESPONSE);
	Containerd__Events__ContainerCreate ev = CONTAINERD__EVENTS__CONTAINER_CREATE__INIT;
	Containerd__Events__ContainerCreate__Runtime rt =
		CONTAINERD__EVENTS__CONTAINER_CREATE__RUNTIME__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup(meta_container_freep) struct meta_container *c = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct container_pb p;

	if (!ns)
		return;
	if (container_check(req->container, true, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	c = from_pb(req->container);
	if (svc_labels_check(c->labels, &err) < 0 ||
	    meta_container_create(ctx->db, ns, c, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.container = to_pb(&p, c);
	ev.id = c->id;
	ev.image = c->image;
	rt.name = c->runtime_name;
	rt.options = p.pb.runtime->options;
	ev.runtime = &rt;
	/* publish before the reply: ns lives in the call, freed once it is ended */
	svc_publish(ctx, ns, "/containers/create", "containerd.events.ContainerCreate", &ev.base);
	rpc_call_reply(call, &resp.base);
	container_pb_clear(&p);
}

static void co_update(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CO(UpdateContainerRequest) *req = (const void *)msg;
	CO(UpdateContainerResponse) resp = CO_INIT(UPDATE_CONTAINER_RESPONSE);
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup(meta_container_freep) struct meta_container *in = NULL;
	cleanup(meta_container_freep) struct meta_container *out = NULL;
	cleanup_err struct berth_err *err = NULL;
	cleanup_free char **paths = svc_mask_paths(req->update_mask);
	const char *ns = svc_call_ns(call);
	struct container_pb p;

	if (!ns)
		return;
	if (container_check(req->container, false, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	in = from_pb(req->container);
	if (svc_labels_check(in->labels, &err) < 0 ||
	    meta_container_update(ctx->db, ns, in, paths, &out, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	co_publish_update(ctx, ns, out); /* before the reply: ns is the call's */
	resp.container = to_pb(&p, out);
	rpc_call_reply(call, &resp.base);
	container_pb_clear(&p);
}

static void co_delete(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const CO(DeleteContainerRequest) *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	Containerd__Events__ContainerDelete ev = CONTAINERD__EVENTS__CONTAINER_DELETE__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (meta_container_delete(ctx->db, ns, req->id, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	ev.id = req->id;
	svc_publish(ctx, ns, "/containers/delete", "containerd.events.ContainerDelete", &ev.base);
	core_gc_schedule(ctx);		  /* its snapshot may be garbage now */
	rpc_call_reply(call, &resp.base); /* last: ns is the call's */
}

static const struct rpc_method co_methods[] = {
	{"Get", RPC_UNARY, co_get},
	{"List", RPC_UNARY, co_list},
	{"ListStream", RPC_SERVER_STREAM, co_list_stream},
	{"Create", RPC_UNARY, co_create},
	{"Update", RPC_UNARY, co_update},
	{"Delete", RPC_UNARY, co_delete},
};

const struct rpc_service svc_containers_service = {
	.desc = &containerd__services__containers__v1__containers__descriptor,
	.methods = co_methods,
	.n_methods = sizeof(co_methods) / sizeof(co_methods[0]),
	.init = svc_init_ctx,
};
