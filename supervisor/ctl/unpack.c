/*
 * supervisor/ctl/unpack.c - an image's layers as committed snapshots, for `berthctl run`.
 *
 * As containerd's unpacker (rootfs/apply.go, unpacker.go): snapshot names are chain IDs
 * (ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))); a
 * missing layer is applied on an active "extract-" snapshot prepared on its parent, then
 * committed under its chain ID. The config blob is labelled
 * containerd.io/gc.ref.snapshot.<snapshotter> = top chain ID so the image keeps them.
 * Runs under the caller's lease (ctl_lease_begin), so nothing is collected midway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <github.com/containerd/containerd/api/services/diff/v1/diff.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/digest.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define SN(x) Containerd__Services__Snapshots__V1__##x
#define SN_INIT(x) CONTAINERD__SERVICES__SNAPSHOTS__V1__##x##__INIT
#define SN_SVC "/containerd.services.snapshots.v1.Snapshots/"
#define MAX_JSON (16 << 20)

static char **chain_ids(const struct bjson *img, struct berth_err **err)
{
	const struct bjson *ids = bjson_get(bjson_get(img, "rootfs"), "diff_ids");
	char **chain = NULL;

	if (!ids || !bjson_is_array(ids) || bjson_array_len(ids) == 0) {
		berth_err_new(err, BERTH_E_INVALID,
			      "image config: rootfs.diff_ids: missing or empty");
		return NULL;
	}
	for (size_t i = 0; i < bjson_array_len(ids); i++) {
		const char *d = bjson_str(bjson_array_get(ids, i));

		if (!d || !digest_is_valid(d)) {
			strv_free(chain);
			berth_err_new(err, BERTH_E_INVALID,
				      "image config: rootfs.diff_ids[%zu]: not a sha256 digest", i);
			return NULL;
		}
		if (i == 0) {
			strv_push(&chain, d);
		} else {
			cleanup_free char *s = xasprintf("%s %s", chain[i - 1], d);

			strv_push_take(&chain, digest_buf(s, strlen(s)));
		}
	}
	return chain;
}

static int snap_exists(struct ctl *c, const char *name, bool *exists, struct berth_err **err)
{
	SN(StatSnapshotRequest) req = SN_INIT(STAT_SNAPSHOT_REQUEST);
	ProtobufCMessage *m = NULL;

	req.snapshotter = (char *)CTL_SNAPSHOTTER;
	req.key = (char *)name;
	if (rpc_client_call(
		    c->rpc, SN_SVC "Stat", &req.base,
		    &containerd__services__snapshots__v1__stat_snapshot_response__descriptor, &m,
		    err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return berth_err_wrap(err, "stat snapshot '%s'", name);
		berth_err_free(err);
		*exists = false;
		return 0;
	}
	protobuf_c_message_free_unpacked(m, NULL);
	*exists = true;
	return 0;
}

static void snap_remove(struct ctl *c, const char *key)
{
	SN(RemoveSnapshotRequest) req = SN_INIT(REMOVE_SNAPSHOT_REQUEST);
	ProtobufCMessage *m = NULL;

	req.snapshotter = (char *)CTL_SNAPSHOTTER;
	req.key = (char *)key;
	if (rpc_client_call(c->rpc, SN_SVC "Remove", &req.base,
			    &google__protobuf__empty__descriptor, &m, NULL) == 0)
		protobuf_c_message_free_unpacked(m, NULL);
}

static int apply_layer(struct ctl *c, const struct ctl_desc *layer, const char *key,
		       const SN(PrepareSnapshotResponse) * prep, struct berth_err **err)
{
	Containerd__Services__Diff__V1__ApplyRequest req =
		CONTAINERD__SERVICES__DIFF__V1__APPLY_REQUEST__INIT;
	Containerd__Types__Descriptor d = CONTAINERD__TYPES__DESCRIPTOR__INIT;
	ProtobufCMessage *m = NULL;

	d.media_type = layer->media_type;
	d.digest = layer->digest;
	d.size = layer->size;
	req.diff = &d;
	req.mounts = prep->mounts;
	req.n_mounts = prep->n_mounts;
	if (rpc_client_call(c->rpc, "/containerd.services.diff.v1.Diff/Apply", &req.base,
			    &containerd__services__diff__v1__apply_response__descriptor, &m,
			    err) < 0)
		return berth_err_wrap(err, "apply layer '%s'", layer->digest);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/* Prepare "extract-...", apply the layer on it, commit it as chain. */
static int unpack_layer(struct ctl *c, const struct ctl_desc *layer, const char *parent,
			const char *chain, struct berth_err **err)
{
	SN(PrepareSnapshotRequest) prep = SN_INIT(PREPARE_SNAPSHOT_REQUEST);
	SN(CommitSnapshotRequest) commit = SN_INIT(COMMIT_SNAPSHOT_REQUEST);
	cleanup_free char *key = xasprintf("extract-%ld-%d %s", (long)time(NULL), rand(), chain);
	ProtobufCMessage *m = NULL;
	int r;

	prep.snapshotter = (char *)CTL_SNAPSHOTTER;
	prep.key = key;
	prep.parent = (char *)(parent ? parent : "");
	if (rpc_client_call(
		    c->rpc, SN_SVC "Prepare", &prep.base,
		    &containerd__services__snapshots__v1__prepare_snapshot_response__descriptor, &m,
		    err) < 0)
		return berth_err_wrap(err, "prepare snapshot for layer '%s'", layer->digest);
	r = apply_layer(c, layer, key, (const void *)m, err);
	protobuf_c_message_free_unpacked(m, NULL);
	m = NULL;
	if (r == 0) {
		commit.snapshotter = (char *)CTL_SNAPSHOTTER;
		commit.name = (char *)chain;
		commit.key = key;
		r = rpc_client_call(c->rpc, SN_SVC "Commit", &commit.base,
				    &google__protobuf__empty__descriptor, &m, err);
		if (r < 0 && (*err)->code == BERTH_E_EXISTS) {
			berth_err_free(err); /* unpacked meanwhile by someone else */
			r = 0;
		} else if (r < 0) {
			berth_err_wrap(err, "commit snapshot '%s'", chain);
		}
		if (m)
			protobuf_c_message_free_unpacked(m, NULL);
	}
	if (r < 0)
		snap_remove(c, key);
	return r;
}

static int layers_of(struct ctl *c, const char *manifest, struct ctl_desc **layers, size_t *n,
		     struct berth_err **err)
{
	cleanup_free char *json = NULL;
	struct ctl_desc *all = NULL;
	size_t len = 0, na = 0;

	if (ctl_blob_read(c, manifest, MAX_JSON, &json, &len, err) < 0)
		return berth_err_wrap(err, "read manifest '%s'", manifest);
	/* the media type only tells index from manifest; any manifest type lists layers */
	if (ctl_image_children(json, len, "application/vnd.oci.image.manifest.v1+json", &all, &na,
			       err) < 0)
		return -1;
	if (na < 1) {
		ctl_desc_list_free(all, na);
		return berth_err_new(err, BERTH_E_INVALID, "manifest '%s': no config", manifest);
	}
	/* children: the config first, then the layers */
	free(all[0].media_type);
	free(all[0].digest);
	memmove(all, all + 1, (na - 1) * sizeof(*all));
	*layers = all;
	*n = na - 1;
	return 0;
}

int ctl_image_unpack(struct ctl *c, const char *config_digest, const char *config_json, size_t len,
		     const char *manifest_digest, char **chain, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *img = NULL;
	cleanup(strv_freep) char **ids = NULL;
	struct ctl_desc *layers = NULL;
	size_t n = 0, nids;
	bool exists = false;
	int r = 0;

	if (bjson_parse(config_json, len, "image config", &img, err) < 0)
		return -1;
	ids = chain_ids(img, err);
	if (!ids)
		return -1;
	nids = strv_len(ids);
	if (snap_exists(c, ids[nids - 1], &exists, err) < 0)
		return -1;
	if (!exists) {
		if (layers_of(c, manifest_digest, &layers, &n, err) < 0)
			return -1;
		if (n != nids) {
			ctl_desc_list_free(layers, n);
			return berth_err_new(
				err, BERTH_E_INVALID,
				"image: %zu layers in the manifest but %zu diff_ids in the config",
				n, nids);
		}
		for (size_t i = 0; i < n && r == 0; i++) {
			r = snap_exists(c, ids[i], &exists, err);
			if (r == 0 && !exists)
				r = unpack_layer(c, &layers[i], i ? ids[i - 1] : NULL, ids[i], err);
		}
		ctl_desc_list_free(layers, n);
		if (r < 0)
			return berth_err_wrap(err, "unpack image");
	}
	{
		cleanup_free char *k =
			xasprintf("containerd.io/gc.ref.snapshot.%s", CTL_SNAPSHOTTER);
		char *kv[] = {k, ids[nids - 1], NULL};

		if (ctl_blob_label(c, config_digest, kv, err) < 0)
			return berth_err_wrap(err, "label config '%s'", config_digest);
	}
	*chain = xstrdup(ids[nids - 1]);
	return 0;
}
