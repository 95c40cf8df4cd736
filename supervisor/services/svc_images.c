/*
 * supervisor/services/svc_images.c - containerd.services.images.v1.Images.
 *
 * Get, List (filters on name, target.digest, target.mediatype, labels), Create, Update
 * (field mask: target, labels[.k], annotations[.k]), Delete (sync: collect garbage before
 * answering). Publishes /images/{create,update,delete}. An image is only a name for a
 * target descriptor: what the target references is kept alive by GC through content
 * labels, not checked here (as containerd).
 */
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/events/image.pb-c.h>
#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/gc.h"
#include "supervisor/services/svc_util.h"

#define IM(x) Containerd__Services__Images__V1__##x
#define IM_INIT(x) CONTAINERD__SERVICES__IMAGES__V1__##x##__INIT
#define IM_MSG(x) &containerd__services__images__v1__##x##__descriptor

struct image_pb {
	IM(Image) im;
	Containerd__Types__Descriptor target;
	Google__Protobuf__Timestamp created, updated;
};

static IM(Image) * image_fill(struct image_pb *p, const struct meta_image *m)
{
	containerd__services__images__v1__image__init(&p->im);
	containerd__types__descriptor__init(&p->target);
	p->im.name = m->name;
	p->im.labels = svc_kv_to_pb(m->labels, IM_MSG(image__labels_entry), &p->im.n_labels);
	p->target.media_type = m->media_type;
	p->target.digest = m->digest;
	p->target.size = m->size;
	p->target.annotations = svc_kv_to_pb(
		m->annotations, &containerd__types__descriptor__annotations_entry__descriptor,
		&p->target.n_annotations);
	p->im.target = &p->target;
	p->im.created_at = svc_ts(&p->created, m->created);
	p->im.updated_at = svc_ts(&p->updated, m->updated);
	return &p->im;
}

static void image_pb_clear(struct image_pb *p)
{
	svc_kv_pb_free(p->im.labels, p->im.n_labels);
	svc_kv_pb_free(p->target.annotations, p->target.n_annotations);
}

/* Request image -> meta_image (strings borrowed from req: do not free them). */
static int image_from_pb(const IM(Image) * pb, bool need_target, struct meta_image *m,
			 struct berth_err **err)
{
	memset(m, 0, sizeof(*m));
	if (!pb)
		return berth_err_new(err, BERTH_E_INVALID, "image: missing");
	if (!pb->name || !*pb->name)
		return berth_err_new(err, BERTH_E_INVALID, "image.name: must not be empty");
	m->name = pb->name;
	m->labels = svc_kv_from_pb(pb->n_labels, pb->labels);
	if (svc_labels_check(m->labels, err) < 0)
		return berth_err_wrap(err, "image '%s'", pb->name);
	if (!pb->target) {
		if (need_target)
			return berth_err_new(err, BERTH_E_INVALID, "image '%s': target: missing",
					     pb->name);
		m->media_type = (char *)"";
		m->digest = (char *)"";
		return 0;
	}
	m->media_type = pb->target->media_type;
	m->digest = pb->target->digest;
	m->size = pb->target->size;
	m->annotations = svc_kv_from_pb(pb->target->n_annotations, pb->target->annotations);
	if (need_target) {
		if (content_digest_check(m->digest, err) < 0)
			return berth_err_wrap(err, "image '%s': target", pb->name);
		if (!*m->media_type)
			return berth_err_new(err, BERTH_E_INVALID,
					     "image '%s': target.media_type: must not be empty",
					     pb->name);
		if (m->size < 0)
			return berth_err_new(err, BERTH_E_INVALID,
					     "image '%s': target.size: negative", pb->name);
	}
	return 0;
}

static void image_from_pb_clear(struct meta_image *m)
{
	strv_free(m->labels);
	strv_free(m->annotations);
}

static void image_publish(struct berthd_components *ctx, const char *ns, const char *topic,
			  const struct meta_image *m)
{
	if (m) {
		Containerd__Services__Images__V1__ImageCreate ev =
			CONTAINERD__SERVICES__IMAGES__V1__IMAGE_CREATE__INIT;
		bool create = strcmp(topic, "/images/create") == 0;

		ev.name = m->name;
		ev.labels = svc_kv_to_pb(
			m->labels,
			&containerd__services__images__v1__image_create__labels_entry__descriptor,
			&ev.n_labels);
		/* ImageUpdate has the same fields and numbers as ImageCreate */
		svc_publish(ctx, ns, topic,
			    create ? "containerd.services.images.v1.ImageCreate"
				   : "containerd.services.images.v1.ImageUpdate",
			    &ev.base);
		svc_kv_pb_free(ev.labels, ev.n_labels);
	}
}

static void im_get(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const IM(GetImageRequest) *req = (const void *)msg;
	IM(GetImageResponse) resp = IM_INIT(GET_IMAGE_RESPONSE);
	cleanup(meta_image_freep) struct meta_image *m = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct image_pb p;

	if (!ns)
		return;
	if (meta_image_get(svc_ctx_of(call)->db, ns, req->name, &m, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.image = image_fill(&p, m);
	rpc_call_reply(call, &resp.base);
	image_pb_clear(&p);
}

static const char *image_field(const void *obj, char *const *path, size_t n)
{
	const struct meta_image *m = obj;

	if (n == 1 && strcmp(path[0], "name") == 0)
		return m->name;
	if (n == 2 && strcmp(path[0], "target") == 0) {
		if (strcmp(path[1], "digest") == 0)
			return m->digest;
		if (strcmp(path[1], "mediatype") == 0)
			return m->media_type;
	}
	if (n >= 2 && strcmp(path[0], "labels") == 0)
		return core_filter_kv(m->labels, path + 1, n - 1);
	if (n >= 3 && strcmp(path[0], "target") == 0 && strcmp(path[1], "annotations") == 0)
		return core_filter_kv(m->annotations, path + 2, n - 2);
	return NULL;
}

static void im_list(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const IM(ListImagesRequest) *req = (const void *)msg;
	IM(ListImagesResponse) resp = IM_INIT(LIST_IMAGES_RESPONSE);
	cleanup(core_filter_freep) struct core_filter *f = NULL;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct meta_image **v = NULL;
	struct image_pb *p;
	size_t n = 0, k = 0;

	if (!ns)
		return;
	if (core_filter_parse(req->filters, req->n_filters, &f, &err) < 0 ||
	    meta_image_list(svc_ctx_of(call)->db, ns, &v, &n, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	p = xcalloc(n + 1, sizeof(*p));
	resp.images = xcalloc(n + 1, sizeof(IM(Image) *));
	for (size_t i = 0; i < n; i++) {
		if (!core_filter_match(f, image_field, v[i]))
			continue;
		resp.images[k] = image_fill(&p[k], v[i]);
		k++;
	}
	resp.n_images = k;
	rpc_call_reply(call, &resp.base);
	for (size_t i = 0; i < k; i++)
		image_pb_clear(&p[i]);
	free(p);
	free(resp.images);
	meta_image_list_free(v, n);
}

static void im_create(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const IM(CreateImageRequest) *req = (const void *)msg;
	IM(CreateImageResponse) resp = IM_INIT(CREATE_IMAGE_RESPONSE);
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct meta_image m;
	struct image_pb p;

	if (!ns)
		return;
	if (image_from_pb(req->image, true, &m, &err) < 0 ||
	    meta_image_create(ctx->db, ns, &m, &err) < 0) {
		image_from_pb_clear(&m);
		rpc_call_fail(call, err);
		return;
	}
	/* publish before the reply: ns lives in the call, freed once it is ended */
	image_publish(ctx, ns, "/images/create", &m);
	resp.image = image_fill(&p, &m);
	rpc_call_reply(call, &resp.base);
	image_pb_clear(&p);
	image_from_pb_clear(&m);
}

static void im_update(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const IM(UpdateImageRequest) *req = (const void *)msg;
	IM(UpdateImageResponse) resp = IM_INIT(UPDATE_IMAGE_RESPONSE);
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup(meta_image_freep) struct meta_image *out = NULL;
	cleanup_err struct berth_err *err = NULL;
	cleanup_free char **paths = svc_mask_paths(req->update_mask);
	const char *ns = svc_call_ns(call);
	bool need_target = !paths || strv_contains(paths, "target");
	struct meta_image m;
	struct image_pb p;

	if (!ns)
		return;
	if (image_from_pb(req->image, need_target, &m, &err) < 0 ||
	    meta_image_update(ctx->db, ns, &m, paths, &out, &err) < 0) {
		image_from_pb_clear(&m);
		rpc_call_fail(call, err);
		return;
	}
	image_from_pb_clear(&m);
	image_publish(ctx, ns, "/images/update", out); /* before the reply: ns is the call's */
	resp.image = image_fill(&p, out);
	rpc_call_reply(call, &resp.base);
	image_pb_clear(&p);
}

static void im_delete(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const IM(DeleteImageRequest) *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	Containerd__Services__Images__V1__ImageDelete ev =
		CONTAINERD__SERVICES__IMAGES__V1__IMAGE_DELETE__INIT;
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (meta_image_delete(ctx->db, ns, req->name, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	ev.name = req->name;
	svc_publish(ctx, ns, "/images/delete", "containerd.services.images.v1.ImageDelete",
		    &ev.base);
	if (req->sync) {
		if (core_gc_run(ctx, &err) < 0) {
			rpc_call_fail(call, err);
			return;
		}
	} else {
		core_gc_schedule(ctx);
	}
	rpc_call_reply(call, &resp.base);
}

static const struct rpc_method im_methods[] = {
	{"Get", RPC_UNARY, im_get},	  {"List", RPC_UNARY, im_list},
	{"Create", RPC_UNARY, im_create}, {"Update", RPC_UNARY, im_update},
	{"Delete", RPC_UNARY, im_delete},
};

const struct rpc_service svc_images_service = {
	.desc = &containerd__services__images__v1__images__descriptor,
	.methods = im_methods,
	.n_methods = sizeof(im_methods) / sizeof(im_methods[0]),
	.init = svc_init_ctx,
};
