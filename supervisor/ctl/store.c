/*
 * supervisor/ctl/store.c - struct image_store (supervisor/image/image.h) over berthd's
 * gRPC API: blobs through the Content service, snapshots of CTL_SNAPSHOTTER through
 * Snapshots, layers through Diff.Apply. `berthctl run` unpacks images with it.
 */
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/diff/v1/diff.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"
#include "supervisor/image/image.h"

#define SN(x) Containerd__Services__Snapshots__V1__##x
#define SN_INIT(x) CONTAINERD__SERVICES__SNAPSHOTS__V1__##x##__INIT
/* paths and reply types come from the service descriptors (rpc_client_invoke) */
#define SNAPSHOTS (&containerd__services__snapshots__v1__snapshots__descriptor)
#define DIFF (&containerd__services__diff__v1__diff__descriptor)

static int st_blob_read(void *arg, const char *digest, size_t max, char **out, size_t *len,
			struct berth_err **err)
{
	return ctl_blob_read(arg, digest, max, out, len, err);
}

static int st_blob_label(void *arg, const char *digest, char *const *kv, struct berth_err **err)
{
	return ctl_blob_label(arg, digest, kv, err);
}

static int st_snap_exists(void *arg, const char *name, bool *exists, struct berth_err **err)
{
	struct ctl *c = arg;
	SN(StatSnapshotRequest) req = SN_INIT(STAT_SNAPSHOT_REQUEST);
	ProtobufCMessage *m = NULL;

	req.snapshotter = (char *)CTL_SNAPSHOTTER;
	req.key = (char *)name;
	if (rpc_client_invoke(c->rpc, SNAPSHOTS, "Stat", &req.base, &m, err) < 0) {
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

static void st_snap_remove(void *arg, const char *key)
{
	struct ctl *c = arg;
	SN(RemoveSnapshotRequest) req = SN_INIT(REMOVE_SNAPSHOT_REQUEST);
	ProtobufCMessage *m = NULL;

	req.snapshotter = (char *)CTL_SNAPSHOTTER;
	req.key = (char *)key;
	if (rpc_client_invoke(c->rpc, SNAPSHOTS, "Remove", &req.base, &m, NULL) == 0)
		protobuf_c_message_free_unpacked(m, NULL);
}

static int apply_layer(struct ctl *c, const struct image_desc *layer,
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
	if (rpc_client_invoke(c->rpc, DIFF, "Apply", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "apply layer '%s'", layer->digest);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static int st_snap_apply(void *arg, const char *key, const char *parent,
			 const struct image_desc *layer, struct berth_err **err)
{
	struct ctl *c = arg;
	SN(PrepareSnapshotRequest) prep = SN_INIT(PREPARE_SNAPSHOT_REQUEST);
	ProtobufCMessage *m = NULL;
	int r;

	prep.snapshotter = (char *)CTL_SNAPSHOTTER;
	prep.key = (char *)key;
	prep.parent = (char *)(parent ? parent : "");
	if (rpc_client_invoke(c->rpc, SNAPSHOTS, "Prepare", &prep.base, &m, err) < 0)
		return berth_err_wrap(err, "prepare snapshot for layer '%s'", layer->digest);
	r = apply_layer(c, layer, (const void *)m, err);
	protobuf_c_message_free_unpacked(m, NULL);
	return r;
}

static int st_snap_commit(void *arg, const char *name, const char *key, struct berth_err **err)
{
	struct ctl *c = arg;
	SN(CommitSnapshotRequest) commit = SN_INIT(COMMIT_SNAPSHOT_REQUEST);
	ProtobufCMessage *m = NULL;

	commit.snapshotter = (char *)CTL_SNAPSHOTTER;
	commit.name = (char *)name;
	commit.key = (char *)key;
	if (rpc_client_invoke(c->rpc, SNAPSHOTS, "Commit", &commit.base, &m, err) < 0)
		return -1;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static const struct image_store_ops grpc_store_ops = {
	.blob_read = st_blob_read,
	.blob_label = st_blob_label,
	.snap_exists = st_snap_exists,
	.snap_apply = st_snap_apply,
	.snap_commit = st_snap_commit,
	.snap_remove = st_snap_remove,
};

static struct image_store ctl_image_store(struct ctl *c)
{
	return (struct image_store){&grpc_store_ops, c, CTL_SNAPSHOTTER};
}

int ctl_image_resolve(struct ctl *c, const char *media_type, const char *digest, char **config,
		      int64_t *size, char **manifest, struct berth_err **err)
{
	struct image_store st = ctl_image_store(c);

	return image_resolve(&st, media_type, digest, config, size, manifest, err);
}

int ctl_image_unpack(struct ctl *c, const char *config_digest, const char *config_json, size_t len,
		     const char *manifest_digest, char **chain, struct berth_err **err)
{
	struct image_store st = ctl_image_store(c);

	return image_unpack(&st, config_digest, config_json, len, manifest_digest, chain, err);
}
