/*
 * supervisor/ctl/cmd_images.c - berthctl images {ls,inspect,tag,rm} and the dispatch of
 * images import/export (cmd_import.c, cmd_export.c).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"

#define IM(x) Containerd__Services__Images__V1__##x
#define IM_INIT(x) CONTAINERD__SERVICES__IMAGES__V1__##x##__INIT

static int list_images(struct ctl *c, IM(ListImagesResponse) * *out, struct berth_err **err)
{
	IM(ListImagesRequest) req = IM_INIT(LIST_IMAGES_REQUEST);
	ProtobufCMessage *m = NULL;

	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor, "List",
			      &req.base, &m, err) < 0)
		return -1;
	*out = (void *)m;
	return 0;
}

/* "docker.io/library/busybox:latest" -> repo "docker.io/library/busybox", tag "latest" */
static void split_ref(const char *name, char **repo, char **tag)
{
	const char *at = strchr(name, '@');
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	if (at) {
		*repo = xstrndup(name, (size_t)(at - name));
		*tag = xstrdup("<none>");
	} else if (colon) {
		*repo = xstrndup(name, (size_t)(colon - name));
		*tag = xstrdup(colon + 1);
	} else {
		*repo = xstrdup(name);
		*tag = xstrdup("<none>");
	}
}

static int images_ls(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	IM(ListImagesResponse) *resp = NULL;
	bool quiet = argc > 0 && strcmp(argv[0], "-q") == 0;

	if (list_images(c, &resp, err) < 0)
		return -1;
	if (!quiet)
		printf("%-40s %-12s %-14s %-20s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED",
		       "SIZE");
	for (size_t i = 0; i < resp->n_images; i++) {
		const IM(Image) *im = resp->images[i];
		cleanup_free char *repo = NULL, *tag = NULL, *cfg = NULL, *sz = NULL, *ago = NULL;
		cleanup_err struct berth_err *e = NULL;
		int64_t size = 0;

		if (quiet) {
			printf("%s\n", im->name);
			continue;
		}
		split_ref(im->name, &repo, &tag);
		if (!im->target || ctl_image_resolve(c, im->target->media_type, im->target->digest,
						     &cfg, &size, NULL, &e) < 0)
			cfg = xstrdup("sha256:<missing>     ");
		sz = ctl_human_size(size);
		ago = ctl_human_ago(im->created_at ? im->created_at->seconds * 1000000000LL : 0);
		printf("%-40s %-12s %-14.12s %-20s %s\n", repo, tag, cfg + 7, ago, sz);
	}
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return 0;
}

/* By name, short name or IMAGE ID (ctl_image_lookup). */
static int get_image(struct ctl *c, const char *ref, IM(GetImageResponse) * *out,
		     struct berth_err **err)
{
	IM(GetImageRequest) req = IM_INIT(GET_IMAGE_REQUEST);
	ProtobufCMessage *m = NULL;
	cleanup_free char *name = NULL;

	if (ctl_image_lookup(c, ref, &name, NULL, err) < 0)
		return -1;
	req.name = name;
	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor, "Get",
			      &req.base, &m, err) < 0)
		return -1;
	*out = (void *)m;
	return 0;
}

static struct bjson *kv_obj(size_t n, void *entries)
{
	struct {
		ProtobufCMessage base;
		char *key, *value;
	} **e = entries;
	struct bjson *o = bjson_object_new();

	for (size_t i = 0; i < n; i++)
		bjson_set_str(o, e[i]->key, e[i]->value);
	return o;
}

static int images_inspect(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *arr = bjson_array_new();
	cleanup_free char *out = NULL;

	if (argc < 1)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl images inspect NAME...");
	for (int i = 0; i < argc; i++) {
		IM(GetImageResponse) *resp = NULL;
		const IM(Image) * im;
		struct bjson *o, *t;
		cleanup_free char *cfg = NULL, *man = NULL;
		int64_t size = 0;

		if (get_image(c, argv[i], &resp, err) < 0) {
			ctl_err_print(c, err);
			continue;
		}
		im = resp->image;
		o = bjson_object_new();
		t = bjson_object_new();
		bjson_set_str(o, "Name", im->name);
		bjson_set_str(t, "mediaType", im->target ? im->target->media_type : "");
		bjson_set_str(t, "digest", im->target ? im->target->digest : "");
		bjson_set_int(t, "size", im->target ? im->target->size : 0);
		if (im->target && im->target->n_annotations)
			bjson_set_take(t, "annotations",
				       kv_obj(im->target->n_annotations, im->target->annotations));
		bjson_set_take(o, "Target", t);
		bjson_set_take(o, "Labels", kv_obj(im->n_labels, im->labels));
		if (im->target && ctl_image_resolve(c, im->target->media_type, im->target->digest,
						    &cfg, &size, &man, NULL) == 0) {
			bjson_set_str(o, "Id", cfg);
			bjson_set_str(o, "Manifest", man);
			bjson_set_int(o, "Size", size);
		}
		if (im->created_at)
			bjson_set_int(o, "Created", im->created_at->seconds);
		if (im->updated_at)
			bjson_set_int(o, "Updated", im->updated_at->seconds);
		bjson_append_take(arr, o);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}
	out = bjson_to_string(arr, BJSON_PRETTY);
	printf("%s\n", out);
	return 0;
}

static int images_tag(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	IM(GetImageResponse) *src = NULL;
	IM(CreateImageRequest) req = IM_INIT(CREATE_IMAGE_REQUEST);
	IM(Image) im = IM_INIT(IMAGE);
	cleanup_free char *target = NULL;
	ProtobufCMessage *m = NULL;
	int r;

	if (argc != 2)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl images tag SOURCE TARGET");
	if (ctl_ref_validate(argv[1], err) < 0)
		return -1;
	target = ctl_normalize_ref(argv[1]);
	if (get_image(c, argv[0], &src, err) < 0)
		return -1;
	im.name = target;
	im.target = src->image->target;
	im.labels = src->image->labels;
	im.n_labels = src->image->n_labels;
	req.image = &im;
	r = rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor,
			      "Create", &req.base, &m, err);
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	protobuf_c_message_free_unpacked(&src->base, NULL);
	return r;
}

static int rm_one(struct ctl *c, const char *ref, struct berth_err **err)
{
	IM(DeleteImageRequest) req = IM_INIT(DELETE_IMAGE_REQUEST);
	ProtobufCMessage *m = NULL;
	cleanup_free char *name = NULL;
	size_t n = 0;

	if (ctl_image_lookup(c, ref, &name, &n, err) < 0)
		return -1;
	if (n > 1)
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"image ID '%s' is referenced by %zu names: remove them by name", ref, n);
	req.name = name;
	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor,
			      "Delete", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "remove image '%s'", name);
	protobuf_c_message_free_unpacked(m, NULL);
	printf("%s\n", name);
	return 0;
}

static int images_rm(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	if (argc < 1)
		return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl images rm NAME...");
	for (int i = 0; i < argc; i++)
		if (rm_one(c, argv[i], err) < 0)
			ctl_err_print(c, err);
	return 0;
}

int ctl_cmd_images(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	static const struct {
		const char *name;
		ctl_cmd_fn fn;
	} sub[] = {
		{"ls", images_ls},
		{"list", images_ls},
		{"inspect", images_inspect},
		{"tag", images_tag},
		{"rm", images_rm},
		{"remove", images_rm},
		{"import", ctl_images_import},
		{"export", ctl_images_export},
	};

	if (argc < 1)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl images ls|inspect|tag|rm|import|export");
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (strcmp(argv[0], sub[i].name) == 0)
			return sub[i].fn(c, argc - 1, argv + 1, err);
	return berth_err_new(err, BERTH_E_INVALID, "usage: images: unknown subcommand '%s'",
			     argv[0]);
}
