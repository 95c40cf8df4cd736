/*
 * supervisor/services/svc_snapshots.c - containerd.services.snapshots.v1.Snapshots over the
 * snapshotter library (supervisor/snapshot/): snapshotters "overlayfs" and "native",
 * rooted at <root>/snapshots/<name>.
 *
 * Prepare/View/Commit add the snapshot to the call's lease ("containerd-lease" metadata,
 * resource type "snapshots/<snapshotter>"), as containerd's metadata layer does (Prepare
 * and View hold the collector off between creating the snapshot and leasing it), and
 * publish /snapshot/{prepare,commit,remove}. berthd's main opens the snapshotters and
 * registers them with introspection and the garbage collector; this service borrows them
 * (struct berthd_components). Snapshot metadata lives in the snapshotter's own file
 * (snapshot/store.c), not in meta.db.
 */
#include <string.h>

#include <github.com/containerd/containerd/api/events/snapshot.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/core/gc.h"
#include "supervisor/core/snapshots.h"
#include "supervisor/services/svc_util.h"
#include "supervisor/snapshot/snapshot.h"

#define LIST_BATCH 100
#define INFO_LABELS_DESC (&containerd__services__snapshots__v1__info__labels_entry__descriptor)

typedef Containerd__Services__Snapshots__V1__Info InfoPb;
typedef Containerd__Types__Mount MountPb;

static struct snapshotter *pick(struct berthd_components *c, const char *name,
				struct berth_err **err)
{
	struct snapshotter *s = core_snapshotter_get(c, name);

	if (s)
		return s;
	berth_err_new(err, BERTH_E_INVALID, "snapshotter '%s' not loaded", name ? name : "");
	return NULL;
}

static int64_t ts_ns(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct info_pb {
	InfoPb info;
	Google__Protobuf__Timestamp created, updated;
};

static void info_fill(struct info_pb *p, const struct snap_info *i)
{
	containerd__services__snapshots__v1__info__init(&p->info);
	p->info.name = i->name;
	p->info.parent = i->parent ? i->parent : (char *)"";
	p->info.kind = (Containerd__Services__Snapshots__V1__Kind)i->kind;
	p->info.created_at = svc_ts(&p->created, ts_ns(i->created));
	p->info.updated_at = svc_ts(&p->updated, ts_ns(i->updated));
	p->info.labels = svc_kv_to_pb(i->labels, INFO_LABELS_DESC, &p->info.n_labels);
}

static void info_fini(struct info_pb *p)
{
	svc_kv_pb_free(p->info.labels, p->info.n_labels);
}

/* Mount array for a response; entries borrow m's strings. Free with mounts_pb_free. */
static MountPb **mounts_pb(const struct snap_mounts *m, size_t *n)
{
	MountPb **v = xcalloc(m->n + 1, sizeof(*v));

	for (size_t i = 0; i < m->n; i++) {
		v[i] = xnew(MountPb);
		containerd__types__mount__init(v[i]);
		v[i]->type = m->v[i].type;
		v[i]->source = m->v[i].source;
		v[i]->options = m->v[i].options;
		v[i]->n_options = strv_len(m->v[i].options);
	}
	*n = m->n;
	return v;
}

static void mounts_pb_free(MountPb **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *lease_of(struct rpc_call *call)
{
	return rpc_call_metadata(call, "containerd-lease");
}

/* Prepare and View: same request layout (snapshotter, key, parent, labels). */
static void snaps_create(struct rpc_call *call, const char *snapshotter, const char *key,
			 const char *parent, size_t n_labels, void *labels_pb, bool view)
{
	struct berthd_components *c = rpc_call_data(call);
	cleanup_err struct berth_err *err = NULL;
	cleanup(strv_freep) char **labels = svc_kv_from_pb(n_labels, labels_pb);
	struct snap_mounts m = {0};
	const char *ns = svc_call_ns(call);
	struct snapshotter *s;
	Containerd__Services__Snapshots__V1__PrepareSnapshotResponse presp =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__PREPARE_SNAPSHOT_RESPONSE__INIT;
	Containerd__Services__Snapshots__V1__ViewSnapshotResponse vresp =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__VIEW_SNAPSHOT_RESPONSE__INIT;
	MountPb **mounts;
	size_t n_mounts;
	Containerd__Events__SnapshotPrepare ev = CONTAINERD__EVENTS__SNAPSHOT_PREPARE__INIT;

	if (!ns)
		return;
	s = pick(c, snapshotter, &err);
	if (!s || svc_labels_check(labels, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	if (core_snapshots_create(c, s, ns, lease_of(call), key, parent, labels, view, &m, &err) <
	    0) {
		rpc_call_fail(call, err);
		return;
	}
	/* publish before the reply: ns lives in the call, freed once it is ended */
	ev.key = (char *)key;
	ev.parent = (char *)(parent ? parent : "");
	svc_publish(c, ns, "/snapshot/prepare", "containerd.events.SnapshotPrepare", &ev.base);
	mounts = mounts_pb(&m, &n_mounts);
	if (view) {
		vresp.mounts = mounts;
		vresp.n_mounts = n_mounts;
		rpc_call_reply(call, &vresp.base);
	} else {
		presp.mounts = mounts;
		presp.n_mounts = n_mounts;
		rpc_call_reply(call, &presp.base);
	}
	mounts_pb_free(mounts, n_mounts);
	snap_mounts_free(&m);
}

static void snaps_prepare(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__PrepareSnapshotRequest *req = (const void *)msg;

	snaps_create(call, req->snapshotter, req->key, req->parent, req->n_labels, req->labels,
		     false);
}

static void snaps_view(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__ViewSnapshotRequest *req = (const void *)msg;

	snaps_create(call, req->snapshotter, req->key, req->parent, req->n_labels, req->labels,
		     true);
}

static void snaps_mounts(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__MountsRequest *req = (const void *)msg;
	Containerd__Services__Snapshots__V1__MountsResponse resp =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__MOUNTS_RESPONSE__INIT;
	cleanup_err struct berth_err *err = NULL;
	struct snap_mounts m = {0};
	const char *ns = svc_call_ns(call);
	struct snapshotter *s;

	if (!ns)
		return;
	s = pick(rpc_call_data(call), req->snapshotter, &err);
	if (!s || snap_mounts(s, ns, req->key, &m, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.mounts = mounts_pb(&m, &resp.n_mounts);
	rpc_call_reply(call, &resp.base);
	mounts_pb_free(resp.mounts, resp.n_mounts);
	snap_mounts_free(&m);
}

static void snaps_commit(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__CommitSnapshotRequest *req = (const void *)msg;
	struct berthd_components *c = rpc_call_data(call);
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	Containerd__Events__SnapshotCommit ev = CONTAINERD__EVENTS__SNAPSHOT_COMMIT__INIT;
	cleanup_err struct berth_err *err = NULL;
	cleanup(strv_freep) char **labels = svc_kv_from_pb(req->n_labels, req->labels);
	const char *ns = svc_call_ns(call);
	struct snapshotter *s;

	if (!ns)
		return;
	s = pick(c, req->snapshotter, &err);
	if (!s || svc_labels_check(labels, &err) < 0 ||
	    core_snapshots_commit(c, s, ns, lease_of(call), req->name, req->key, labels, &err) <
		    0) {
		rpc_call_fail(call, err);
		return;
	}
	ev.key = req->key;
	ev.name = req->name;
	svc_publish(c, ns, "/snapshot/commit", "containerd.events.SnapshotCommit", &ev.base);
	rpc_call_reply(call, &resp.base); /* last: ns is the call's */
}

static void snaps_remove(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__RemoveSnapshotRequest *req = (const void *)msg;
	struct berthd_components *c = rpc_call_data(call);
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	Containerd__Events__SnapshotRemove ev = CONTAINERD__EVENTS__SNAPSHOT_REMOVE__INIT;
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_call_ns(call);
	struct snapshotter *s;

	if (!ns)
		return;
	s = pick(c, req->snapshotter, &err);
	if (!s || snap_remove(s, ns, req->key, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	ev.key = req->key;
	svc_publish(c, ns, "/snapshot/remove", "containerd.events.SnapshotRemove", &ev.base);
	rpc_call_reply(call, &resp.base); /* last: ns is the call's */
}

static void snaps_stat(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__StatSnapshotRequest *req = (const void *)msg;
	Containerd__Services__Snapshots__V1__StatSnapshotResponse resp =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__STAT_SNAPSHOT_RESPONSE__INIT;
	cleanup_err struct berth_err *err = NULL;
	struct snap_info info = {0};
	struct info_pb p;
	const char *ns = svc_call_ns(call);
	struct snapshotter *s;

	if (!ns)
		return;
	s = pick(rpc_call_data(call), req->snapshotter, &err);
	if (!s || snap_stat(s, ns, req->key, &info, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	info_fill(&p, &info);
	resp.info = &p.info;
	rpc_call_reply(call, &resp.base);
	info_fini(&p);
	snap_info_free(&info);
}

static void snaps_update(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__UpdateSnapshotRequest *req = (const void *)msg;
	Containerd__Services__Snapshots__V1__UpdateSnapshotResponse resp =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__UPDATE_SNAPSHOT_RESPONSE__INIT;
	cleanup_err struct berth_err *err = NULL;
	cleanup_free char **paths = NULL;
	struct snap_info in = {0}, out = {0};
	struct info_pb p;
	const char *ns = svc_call_ns(call);
	struct snapshotter *s;

	if (!ns)
		return;
	if (!req->info) {
		rpc_call_failf(call, BERTH_E_INVALID, "info: missing");
		return;
	}
	paths = svc_mask_paths(req->update_mask);
	in.name = req->info->name;
	in.labels = svc_kv_from_pb(req->info->n_labels, req->info->labels);
	s = pick(rpc_call_data(call), req->snapshotter, &err);
	if (!s || snap_update(s, ns, &in, paths, &out, &err) < 0) {
		strv_free(in.labels);
		rpc_call_fail(call, err);
		return;
	}
	strv_free(in.labels);
	info_fill(&p, &out);
	resp.info = &p.info;
	rpc_call_reply(call, &resp.base);
	info_fini(&p);
	snap_info_free(&out);
}

static void snaps_list(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__ListSnapshotsRequest *req = (const void *)msg;
	cleanup_err struct berth_err *err = NULL;
	struct snap_info *v = NULL;
	size_t n = 0;
	const char *ns = svc_namespace(call, &err);
	struct snapshotter *s = ns ? pick(rpc_call_data(call), req->snapshotter, &err) : NULL;

	if (!s || core_snapshots_list(s, ns, req->filters, req->n_filters, &v, &n, &err) < 0) {
		rpc_stream_finish(call, err);
		return;
	}
	for (size_t i = 0; i < n; i += LIST_BATCH) {
		Containerd__Services__Snapshots__V1__ListSnapshotsResponse resp =
			CONTAINERD__SERVICES__SNAPSHOTS__V1__LIST_SNAPSHOTS_RESPONSE__INIT;
		size_t cnt = n - i < LIST_BATCH ? n - i : LIST_BATCH;
		struct info_pb *p = xcalloc(cnt, sizeof(*p));
		int ret;

		resp.info = xcalloc(cnt, sizeof(InfoPb *));
		resp.n_info = cnt;
		for (size_t j = 0; j < cnt; j++) {
			info_fill(&p[j], &v[i + j]);
			resp.info[j] = &p[j].info;
		}
		ret = rpc_stream_push_wait(call, &resp.base);
		for (size_t j = 0; j < cnt; j++)
			info_fini(&p[j]);
		free(resp.info);
		free(p);
		if (ret < 0)
			break;
	}
	snap_infos_free(v, n);
	rpc_stream_finish(call, NULL);
}

static void snaps_usage(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__UsageRequest *req = (const void *)msg;
	Containerd__Services__Snapshots__V1__UsageResponse resp =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__USAGE_RESPONSE__INIT;
	cleanup_err struct berth_err *err = NULL;
	struct snap_usage u;
	const char *ns = svc_call_ns(call);
	struct snapshotter *s;

	if (!ns)
		return;
	s = pick(rpc_call_data(call), req->snapshotter, &err);
	if (!s || snap_usage(s, ns, req->key, &u, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	resp.size = u.size;
	resp.inodes = u.inodes;
	rpc_call_reply(call, &resp.base);
}

static void snaps_cleanup(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Snapshots__V1__CleanupRequest *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	cleanup_err struct berth_err *err = NULL;
	struct snapshotter *s = pick(rpc_call_data(call), req->snapshotter, &err);

	if (!s || snap_cleanup(s, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	rpc_call_reply(call, &resp.base);
}

static const struct rpc_method snaps_methods[] = {
	{"Prepare", RPC_UNARY, snaps_prepare}, {"View", RPC_UNARY, snaps_view},
	{"Mounts", RPC_UNARY, snaps_mounts},   {"Commit", RPC_UNARY, snaps_commit},
	{"Remove", RPC_UNARY, snaps_remove},   {"Stat", RPC_UNARY, snaps_stat},
	{"Update", RPC_UNARY, snaps_update},   {"List", RPC_SERVER_STREAM, snaps_list},
	{"Usage", RPC_UNARY, snaps_usage},     {"Cleanup", RPC_UNARY, snaps_cleanup},
};

const struct rpc_service svc_snapshots_service = {
	.desc = &containerd__services__snapshots__v1__snapshots__descriptor,
	.methods = snaps_methods,
	.n_methods = sizeof(snaps_methods) / sizeof(snaps_methods[0]),
	.init = svc_init_ctx,
};
