/*
 * supervisor/ctl/cmd_misc.c - berthctl content ls, snapshots ls, system df, system prune.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/content/v1/content.pb-c.h>
#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>
#include <github.com/containerd/containerd/api/services/leases/v1/leases.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"

#define CT(x) Containerd__Services__Content__V1__##x
#define SN(x) Containerd__Services__Snapshots__V1__##x

typedef int (*info_fn)(const CT(Info) * info, void *arg, struct berth_err **err);

static int content_each(struct ctl *c, info_fn fn, void *arg, struct berth_err **err)
{
	CT(ListContentRequest) req = CONTAINERD__SERVICES__CONTENT__V1__LIST_CONTENT_REQUEST__INIT;
	struct rpc_client_stream *s;
	ProtobufCMessage *m;
	int r;

	s = rpc_client_stream_invoke(c->rpc,
				     &containerd__services__content__v1__content__descriptor,
				     "List", &req.base, err);
	if (!s)
		return -1;
	while ((r = rpc_client_stream_recv(s, &m, err)) == 1) {
		const CT(ListContentResponse) *resp = (const void *)m;

		for (size_t i = 0; i < resp->n_info && r >= 0; i++)
			r = fn(resp->info[i], arg, err);
		protobuf_c_message_free_unpacked(m, NULL);
		if (r < 0)
			break;
	}
	rpc_client_stream_free(s);
	return r < 0 ? -1 : 0;
}

static int print_info(const CT(Info) * info, void *arg, struct berth_err **err)
{
	bool quiet = *(bool *)arg;
	cleanup_free char *size = NULL, *ago = NULL, *labels = NULL;
	char **kv = NULL;

	if (quiet) {
		printf("%s\n", info->digest);
		return 0;
	}
	for (size_t i = 0; i < info->n_labels; i++)
		strv_push_take(&kv,
			       xasprintf("%s=%s", info->labels[i]->key, info->labels[i]->value));
	labels = kv ? strv_join(kv, ",") : xstrdup("-");
	strv_free(kv);
	size = ctl_human_size(info->size);
	ago = ctl_human_ago(info->created_at ? info->created_at->seconds * 1000000000LL : 0);
	printf("%-71s %-10s %-24s %s\n", info->digest, size, ago, labels);
	return 0;
}

static int content_ls(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	bool quiet = argc > 0 && strcmp(argv[0], "-q") == 0;

	if (!quiet)
		printf("%-71s %-10s %-24s %s\n", "DIGEST", "SIZE", "CREATED", "LABELS");
	return content_each(c, print_info, &quiet, err);
}

int ctl_cmd_content(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	if (argc >= 1 && (strcmp(argv[0], "ls") == 0 || strcmp(argv[0], "list") == 0))
		return content_ls(c, argc - 1, argv + 1, err);
	return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl content ls [-q]");
}

/* ---------------------------------------------------------------- snapshots */

typedef int (*snap_fn)(struct ctl *c, const char *snapshotter, const SN(Info) * info, void *arg,
		       struct berth_err **err);

static int snapshots_each(struct ctl *c, const char *snapshotter, snap_fn fn, void *arg,
			  struct berth_err **err)
{
	SN(ListSnapshotsRequest)
	req = CONTAINERD__SERVICES__SNAPSHOTS__V1__LIST_SNAPSHOTS_REQUEST__INIT;
	struct rpc_client_stream *s;
	ProtobufCMessage *m;
	int r;

	req.snapshotter = (char *)snapshotter;
	s = rpc_client_stream_invoke(c->rpc,
				     &containerd__services__snapshots__v1__snapshots__descriptor,
				     "List", &req.base, err);
	if (!s)
		return -1;
	while ((r = rpc_client_stream_recv(s, &m, err)) == 1) {
		const SN(ListSnapshotsResponse) *resp = (const void *)m;

		for (size_t i = 0; i < resp->n_info && r >= 0; i++)
			r = fn(c, snapshotter, resp->info[i], arg, err);
		protobuf_c_message_free_unpacked(m, NULL);
		if (r < 0)
			break;
	}
	rpc_client_stream_free(s);
	return r < 0 ? -1 : 0;
}

static const char *kind_name(int k)
{
	switch (k) {
	case CONTAINERD__SERVICES__SNAPSHOTS__V1__KIND__VIEW:
		return "View";
	case CONTAINERD__SERVICES__SNAPSHOTS__V1__KIND__ACTIVE:
		return "Active";
	case CONTAINERD__SERVICES__SNAPSHOTS__V1__KIND__COMMITTED:
		return "Committed";
	default:
		return "Unknown";
	}
}

static int print_snap(struct ctl *c, const char *sn, const SN(Info) * info, void *arg,
		      struct berth_err **err)
{
	printf("%-71s %-71s %s\n", info->name, *info->parent ? info->parent : "-",
	       kind_name(info->kind));
	return 0;
}

static int snapshots_ls(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	const char *sn = "overlayfs";

	if (argc == 2 && strcmp(argv[0], "--snapshotter") == 0)
		sn = argv[1];
	else if (argc != 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl snapshots ls [--snapshotter NAME]");
	printf("%-71s %-71s %s\n", "KEY", "PARENT", "KIND");
	return snapshots_each(c, sn, print_snap, NULL, err);
}

int ctl_cmd_snapshots(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	if (argc >= 1 && (strcmp(argv[0], "ls") == 0 || strcmp(argv[0], "list") == 0))
		return snapshots_ls(c, argc - 1, argv + 1, err);
	return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl snapshots ls");
}

/* ---------------------------------------------------------------- system */

struct usage {
	int64_t count, bytes;
};

static int sum_info(const CT(Info) * info, void *arg, struct berth_err **err)
{
	struct usage *u = arg;

	u->count++;
	u->bytes += info->size;
	return 0;
}

static int sum_snap(struct ctl *c, const char *sn, const SN(Info) * info, void *arg,
		    struct berth_err **err)
{
	SN(UsageRequest) req = CONTAINERD__SERVICES__SNAPSHOTS__V1__USAGE_REQUEST__INIT;
	struct usage *u = arg;
	ProtobufCMessage *m = NULL;

	u->count++;
	req.snapshotter = (char *)sn;
	req.key = info->name;
	if (rpc_client_invoke(c->rpc, &containerd__services__snapshots__v1__snapshots__descriptor,
			      "Usage", &req.base, &m, NULL) == 0) {
		u->bytes += ((const SN(UsageResponse) *)m)->size;
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return 0;
}

static int images_usage(struct ctl *c, struct usage *u, struct berth_err **err)
{
	Containerd__Services__Images__V1__ListImagesRequest req =
		CONTAINERD__SERVICES__IMAGES__V1__LIST_IMAGES_REQUEST__INIT;
	const Containerd__Services__Images__V1__ListImagesResponse *resp;
	ProtobufCMessage *m = NULL;
	char **seen = NULL;

	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor, "List",
			      &req.base, &m, err) < 0)
		return -1;
	resp = (const void *)m;
	for (size_t i = 0; i < resp->n_images; i++) {
		const Containerd__Types__Descriptor *t = resp->images[i]->target;
		cleanup_free char *cfg = NULL;
		int64_t size = 0;

		u->count++;
		if (!t ||
		    ctl_image_resolve(c, t->media_type, t->digest, &cfg, &size, NULL, NULL) < 0)
			continue;
		if (strv_contains(seen, cfg))
			continue; /* another name of the same image */
		strv_push(&seen, cfg);
		u->bytes += size;
	}
	strv_free(seen);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static int system_df(struct ctl *c, struct berth_err **err)
{
	struct usage im = {0}, ct = {0}, sn = {0};
	cleanup_free char *a = NULL, *b = NULL, *d = NULL;

	if (images_usage(c, &im, err) < 0 || content_each(c, sum_info, &ct, err) < 0)
		return -1;
	if (snapshots_each(c, "overlayfs", sum_snap, &sn, NULL) < 0)
		sn.count = -1; /* no snapshotter: shown as "-" */
	a = ctl_human_size(im.bytes);
	b = ctl_human_size(ct.bytes);
	d = ctl_human_size(sn.bytes);
	printf("%-12s %-8s %s\n", "TYPE", "TOTAL", "SIZE");
	printf("%-12s %-8" PRId64 " %s\n", "Images", im.count, a);
	printf("%-12s %-8" PRId64 " %s\n", "Content", ct.count, b);
	if (sn.count >= 0)
		printf("%-12s %-8" PRId64 " %s\n", "Snapshots", sn.count, d);
	else
		printf("%-12s %-8s %s\n", "Snapshots", "-", "-");
	return 0;
}

/* A lease deleted with sync=true makes the daemon collect everything unreferenced now. */
static int system_prune(struct ctl *c, struct berth_err **err)
{
	Containerd__Services__Leases__V1__DeleteRequest del =
		CONTAINERD__SERVICES__LEASES__V1__DELETE_REQUEST__INIT;
	struct usage before = {0}, after = {0};
	cleanup_free char *freed = NULL;
	ProtobufCMessage *m = NULL;

	if (content_each(c, sum_info, &before, err) < 0 || ctl_lease_begin(c, err) < 0)
		return -1;
	rpc_client_set_metadata(c->rpc, "containerd-lease", NULL);
	del.id = c->lease;
	del.sync = true;
	if (rpc_client_invoke(c->rpc, &containerd__services__leases__v1__leases__descriptor,
			      "Delete", &del.base, &m, err) < 0)
		return -1;
	protobuf_c_message_free_unpacked(m, NULL);
	free(c->lease);
	c->lease = NULL;
	if (content_each(c, sum_info, &after, err) < 0)
		return -1;
	freed = ctl_human_size(before.bytes - after.bytes);
	printf("Deleted %" PRId64 " blobs\nTotal reclaimed space: %s\n", before.count - after.count,
	       freed);
	return 0;
}

int ctl_cmd_system(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	if (argc == 1 && strcmp(argv[0], "df") == 0)
		return system_df(c, err);
	if (argc == 1 && strcmp(argv[0], "prune") == 0)
		return system_prune(c, err);
	return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl system df|prune");
}
