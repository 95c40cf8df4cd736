/*
 * supervisor/ctl/cmd_export.c - berthctl images export FILE NAME...: an OCI image layout
 * archive (oci-layout, index.json naming each image, blobs/sha256/<hex>) with every blob
 * the images reference, streamed from Content.Read. The file appears only when complete
 * (written to a temporary name, then renamed); '-' is stdout, and a target that is not
 * a regular file (/dev/stdout, a symlink, a device) is written through, never replaced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/content/v1/content.pb-c.h>
#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"
#include "supervisor/ctl/progress.h"
#include "supervisor/image/archive.h"

#define MAX_JSON (16 << 20)

struct blob_list {
	struct image_desc *v;
	size_t n;
};

static bool have(const struct blob_list *b, const char *digest)
{
	for (size_t i = 0; i < b->n; i++)
		if (strcmp(b->v[i].digest, digest) == 0)
			return true;
	return false;
}

static void add(struct blob_list *b, const char *mt, const char *digest, int64_t size)
{
	b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
	b->v[b->n].media_type = xstrdup(mt);
	b->v[b->n].digest = xstrdup(digest);
	b->v[b->n].size = size;
	b->n++;
}

/* Adds the descriptor and everything below it. */
static int walk(struct ctl *c, struct blob_list *b, const char *mt, const char *digest,
		int64_t size, int depth, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	struct image_desc *kids = NULL;
	size_t len, n = 0;
	int r = 0;

	if (have(b, digest))
		return 0;
	if (depth > 5)
		return berth_err_new(err, BERTH_E_INVALID, "%s: nested too deep", digest);
	add(b, mt, digest, size);
	if (!image_is_index(mt) && !image_is_manifest(mt))
		return 0;
	if (ctl_blob_read(c, digest, MAX_JSON, &buf, &len, err) < 0 ||
	    image_children(buf, len, mt, &kids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		/* an index may list platforms that were never pulled: export what is there */
		if (image_is_index(mt) && ctl_blob_info(c, kids[i].digest, NULL, NULL, NULL) < 0)
			continue;
		r = walk(c, b, kids[i].media_type, kids[i].digest, kids[i].size, depth + 1, err);
	}
	image_desc_list_free(kids, n);
	return r;
}

/* Pulls a blob's bytes from a Content.Read stream for image_writer_file. */
struct reader {
	struct rpc_client_stream *s;
	ProtobufCMessage *m;
	size_t pos;
	struct ctl_progress *prog; /* borrowed; NULL unless drawing */
};

static ssize_t stream_read(void *arg, void *buf, size_t len, struct berth_err **err)
{
	struct reader *r = arg;
	const Containerd__Services__Content__V1__ReadContentResponse *resp;
	size_t n;

	while (!r->m ||
	       r->pos == ((const Containerd__Services__Content__V1__ReadContentResponse *)r->m)
				 ->data.len) {
		int got;

		if (r->m)
			protobuf_c_message_free_unpacked(r->m, NULL);
		r->m = NULL;
		r->pos = 0;
		got = rpc_client_stream_recv(r->s, &r->m, err);
		if (got <= 0)
			return got;
	}
	resp = (const void *)r->m;
	n = resp->data.len - r->pos < len ? resp->data.len - r->pos : len;
	memcpy(buf, resp->data.data + r->pos, n);
	r->pos += n;
	ctl_progress_add(r->prog, (int64_t)n);
	return (ssize_t)n;
}

static int write_blob(struct ctl *c, struct image_writer *w, const struct image_desc *d,
		      struct ctl_progress *prog, struct berth_err **err)
{
	Containerd__Services__Content__V1__ReadContentRequest req =
		CONTAINERD__SERVICES__CONTENT__V1__READ_CONTENT_REQUEST__INIT;
	cleanup_free char *name = xasprintf("blobs/sha256/%s", d->digest + 7);
	struct reader r = {.prog = prog};
	int64_t size;
	int ret;

	/* the size the store has is authoritative (a descriptor may lie) */
	if (ctl_blob_info(c, d->digest, &size, NULL, err) < 0)
		return -1;
	req.digest = d->digest;
	r.s = rpc_client_stream_invoke(c->rpc,
				       &containerd__services__content__v1__content__descriptor,
				       "Read", &req.base, err);
	if (!r.s)
		return -1;
	ret = image_writer_file(w, name, size, stream_read, &r, err);
	if (r.m)
		protobuf_c_message_free_unpacked(r.m, NULL);
	rpc_client_stream_free(r.s);
	return ret;
}

/* By name, short name or IMAGE ID (ctl_image_lookup). */
static int get_image(struct ctl *c, const char *ref,
		     Containerd__Services__Images__V1__GetImageResponse **out,
		     struct berth_err **err)
{
	Containerd__Services__Images__V1__GetImageRequest req =
		CONTAINERD__SERVICES__IMAGES__V1__GET_IMAGE_REQUEST__INIT;
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

int ctl_images_export(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *index = bjson_object_new();
	struct bjson *manifests = bjson_array_new();
	struct blob_list b = {0};
	struct image_writer *w = NULL;
	struct ctl_progress *prog = NULL;
	cleanup_free char *ij = NULL;
	int64_t total = 0;
	bool through = false;
	int r = 0;

	if (argc < 2)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl images export FILE NAME...");
	bjson_set_int(index, "schemaVersion", 2);
	bjson_set_take(index, "manifests", manifests);
	for (int i = 1; i < argc && r == 0; i++) {
		Containerd__Services__Images__V1__GetImageResponse *resp = NULL;
		const Containerd__Types__Descriptor *t;
		struct bjson *d, *ann;
		const char *colon;

		if (get_image(c, argv[i], &resp, err) < 0) {
			r = -1;
			break;
		}
		t = resp->image->target;
		r = walk(c, &b, t->media_type, t->digest, t->size, 0, err);
		d = bjson_object_new();
		ann = bjson_object_new();
		bjson_set_str(d, "mediaType", t->media_type);
		bjson_set_str(d, "digest", t->digest);
		bjson_set_int(d, "size", t->size);
		bjson_set_str(ann, "io.containerd.image.name", resp->image->name);
		colon = strrchr(resp->image->name, ':');
		if (colon && !strchr(colon, '/'))
			bjson_set_str(ann, "org.opencontainers.image.ref.name", colon + 1);
		bjson_set_take(d, "annotations", ann);
		bjson_append_take(manifests, d);
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	}
	if (r == 0) {
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";

		ij = bjson_to_string(index, BJSON_PLAIN);
		through = image_writer_is_through(argv[0]);
		w = image_writer_open(argv[0], err);
		r = w ? 0 : -1;
		if (r == 0)
			r = image_writer_buf(w, "oci-layout", layout, strlen(layout), err);
		if (r == 0)
			r = image_writer_buf(w, "index.json", ij, strlen(ij), err);
		if (r == 0)
			r = image_writer_dir(w, "blobs", err);
		if (r == 0)
			r = image_writer_dir(w, "blobs/sha256", err);
		for (size_t i = 0; i < b.n; i++)
			total += b.v[i].size;
		/* progress goes to the terminal, never into an archive written to stdout
		 * (or to /dev/stdout, a device...) */
		if (r == 0)
			prog = ctl_progress_open(through ? stderr : stdout, "exporting", argv[0],
						 "stdout", total);
		for (size_t i = 0; i < b.n && r == 0; i++)
			r = write_blob(c, w, &b.v[i], prog, err);
		if (r == 0)
			r = image_writer_close(w, err);
		else
			image_writer_abort(w);
		ctl_progress_finish(prog);
	}
	image_desc_list_free(b.v, b.n);
	return r;
}
