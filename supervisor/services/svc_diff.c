/*
 * supervisor/services/svc_diff.c - containerd.services.diff.v1.Diff: Apply.
 *
 * Apply reads the layer blob from the content store (the namespace must hold a record of
 * it) and applies it with supervisor/diff/ onto the snapshot the mounts describe. berthd
 * does not mount for this, as containerd's overlay applier does not either: an overlay
 * mount is applied to its upperdir with overlay whiteouts (its lowerdirs serve parent
 * lookups), a rw bind mount to its source with whiteouts as removals. The target must be
 * the directory of an active snapshot of one of berthd's snapshotters (committed ones are
 * immutable) and lowerdirs must be berthd's too; other mounts are refused.
 * The reply is the applied layer: uncompressed media type, diff-id, uncompressed size.
 *
 * Diff computes the layer between two mounts of berthd snapshots (diff_compute: an overlay
 * upper dir exported, or two native trees compared), writes it to the content store as
 * an ingest (ref from the request or a generated one) and records it in the namespace
 * with label containerd.io/uncompressed=<diff-id>, under the call's lease, holding the
 * collector off between the blob commit and its record.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/diff/v1/diff.pb-c.h>

#include "common/cleanup.h"
#include "common/fs_walk.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/core/commit.h"
#include "supervisor/diff/diff.h"
#include "supervisor/meta/meta.h"
#include "supervisor/core/gc.h"
#include "supervisor/services/svc_util.h"
#include "supervisor/snapshot/snapshot.h"

typedef Containerd__Types__Mount MountPb;

struct apply_target {
	char *dir;     /* where the layer goes */
	char **lowers; /* overlay lowerdirs, nearest first */
	enum diff_whiteouts whiteouts;
};

static void apply_target_fini(struct apply_target *t)
{
	free(t->dir);
	strv_free(t->lowers);
}

/* Is path (resolved) inside the root of one of our snapshotters? */
static bool is_ours(const struct berthd_components *c, const char *path)
{
	char real[PATH_MAX], root[PATH_MAX];

	if (!realpath(path, real))
		return false;
	for (size_t i = 0; i < CORE_SNAPSHOTTERS; i++) {
		struct snapshotter *s = c->snaps[i].s;
		size_t n;

		if (!s || !realpath(snap_root(s), root))
			continue;
		n = strlen(root);
		if (strncmp(real, root, n) == 0 && real[n] == '/')
			return true;
	}
	return false;
}

/* A layer goes only into an active snapshot: committed ones are immutable. */
static int check_active(const struct berthd_components *c, const char *dir, struct berth_err **err)
{
	for (size_t i = 0; i < CORE_SNAPSHOTTERS; i++) {
		struct snapshotter *s = c->snaps[i].s;

		if (!s)
			continue;
		if (snap_check_active_dir(s, dir, err) == 0)
			return 0;
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return -1;
		berth_err_free(err);
	}
	return berth_err_new(err, BERTH_E_PERMISSION,
			     "'%s' is not the directory of an active snapshot of berthd", dir);
}

static int target_from_mounts(const struct berthd_components *c, size_t n, MountPb **m,
			      struct apply_target *t, struct berth_err **err)
{
	if (n != 1)
		return berth_err_new(err, BERTH_E_INVALID,
				     "mounts: expected one mount of a snapshot, got %zu", n);
	if (strcmp(m[0]->type, "bind") == 0) {
		for (size_t i = 0; i < m[0]->n_options; i++)
			if (strcmp(m[0]->options[i], "ro") == 0)
				return berth_err_new(err, BERTH_E_INVALID,
						     "mounts[0]: read-only bind mount of '%s'",
						     m[0]->source);
		t->dir = xstrdup(m[0]->source);
		t->whiteouts = DIFF_WHITEOUT_REMOVE;
	} else if (strcmp(m[0]->type, "overlay") == 0) {
		for (size_t i = 0; i < m[0]->n_options; i++) {
			const char *o = m[0]->options[i];

			if (strncmp(o, "upperdir=", 9) == 0) {
				free(t->dir);
				t->dir = xstrdup(o + 9);
			} else if (strncmp(o, "lowerdir=", 9) == 0) {
				strv_free(t->lowers);
				t->lowers = strv_split(o + 9, ":");
			}
		}
		if (!t->dir)
			return berth_err_new(err, BERTH_E_INVALID,
					     "mounts[0]: overlay without upperdir is read-only");
		t->whiteouts = DIFF_WHITEOUT_OVERLAY;
	} else {
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			"mounts[0]: cannot apply onto mount type '%s' (only bind and overlay mounts of berthd snapshots)",
			m[0]->type);
	}
	if (check_active(c, t->dir, err) < 0)
		return berth_err_wrap(err, "mounts[0]");
	strv_foreach (l, t->lowers)
		if (!is_ours(c, l))
			return berth_err_new(err, BERTH_E_PERMISSION,
					     "mounts[0]: lowerdir '%s' is not a snapshot of berthd",
					     l);
	return 0;
}

/*
 * A failed apply leaves nothing half-written in an overlay upper dir (fresh before the
 * apply, so it is emptied): the disk space a gzip bomb took is back at once, before the
 * client removes the snapshot. A native target holds its parent's copy: the client's
 * remove of the snapshot frees it (containerd's unpacker removes it on any failure).
 */
static void clear_upper(const char *dir)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d)
		return;
	fd = -1; /* owned by d */
	while ((de = readdir(d))) {
		cleanup_err struct berth_err *err = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_rm_rf_at(dirfd(d), de->d_name, &err) < 0)
			log_warn("diff: clear '%s' after a failed apply: %s", dir, err->msg);
	}
}

static int do_apply(struct berthd_components *ctx, const char *ns,
		    const Containerd__Types__Descriptor *d, size_t n_mounts, MountPb **mounts,
		    struct diff_result *res, struct berth_err **err)
{
	struct apply_target t = {0};
	struct meta_content *rec = NULL;
	struct diff_apply_opts o = {0};
	cleanup_close int fd = -1;
	int ret;

	if (!d || !d->digest || !*d->digest)
		return berth_err_new(err, BERTH_E_INVALID, "diff: missing descriptor");
	if (content_digest_check(d->digest, err) < 0)
		return berth_err_wrap(err, "diff.digest");
	if (!diff_media_type_supported(d->media_type))
		return berth_err_new(err, BERTH_E_INVALID,
				     "diff.media_type: unsupported layer media type '%s'",
				     d->media_type);
	if (target_from_mounts(ctx, n_mounts, mounts, &t, err) < 0) {
		apply_target_fini(&t);
		return -1;
	}
	if (meta_content_get(ctx->db, ns, d->digest, &rec, err) < 0) {
		apply_target_fini(&t);
		return berth_err_wrap(err, "layer %s", d->digest);
	}
	meta_content_free(rec);
	fd = content_blob_open(ctx->content, d->digest, err);
	if (fd < 0) {
		apply_target_fini(&t);
		return berth_err_wrap(err, "layer %s", d->digest);
	}
	o.media_type = d->media_type;
	o.layer = d->digest;
	o.whiteouts = t.whiteouts;
	o.lowers = t.lowers;
	o.allow_devices = geteuid() == 0; /* mknod needs CAP_MKNOD: refuse devices otherwise */
	o.max_size = ctx->unpack_limit;
	ret = diff_apply(fd, t.dir, &o, res, err);
	if (ret < 0 && t.whiteouts == DIFF_WHITEOUT_OVERLAY)
		clear_upper(t.dir);
	apply_target_fini(&t);
	return ret;
}

static void diff_apply_h(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Diff__V1__ApplyRequest *req = (const void *)msg;
	Containerd__Services__Diff__V1__ApplyResponse resp =
		CONTAINERD__SERVICES__DIFF__V1__APPLY_RESPONSE__INIT;
	Containerd__Types__Descriptor applied = CONTAINERD__TYPES__DESCRIPTOR__INIT;
	cleanup_err struct berth_err *err = NULL;
	struct diff_result res = {0};
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (do_apply(svc_ctx_of(call), ns, req->diff, req->n_mounts, req->mounts, &res, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	applied.media_type = (char *)DIFF_MEDIA_TAR;
	applied.digest = res.diff_id;
	applied.size = res.size;
	resp.applied = &applied;
	rpc_call_reply(call, &resp.base);
	diff_result_fini(&res);
}

/* The layer dirs a mount shows, topmost first (diff_compute's view of a tree). */
static int layers_of(const struct berthd_components *c, const char *side, size_t n, MountPb **m,
		     char ***out, struct berth_err **err)
{
	char **dirs = NULL;

	if (n != 1)
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s: expected one mount of a snapshot, got %zu", side, n);
	if (strcmp(m[0]->type, "bind") == 0) {
		strv_push(&dirs, m[0]->source);
	} else if (strcmp(m[0]->type, "overlay") == 0) {
		const char *lower = NULL;

		for (size_t i = 0; i < m[0]->n_options; i++) {
			if (strncmp(m[0]->options[i], "upperdir=", 9) == 0)
				strv_push(&dirs, m[0]->options[i] + 9);
			else if (strncmp(m[0]->options[i], "lowerdir=", 9) == 0)
				lower = m[0]->options[i] + 9;
		}
		if (lower) {
			char **l = strv_split(lower, ":");

			strv_foreach (d, l)
				strv_push(&dirs, d);
			strv_free(l);
		}
	} else {
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			"%s: cannot read mount type '%s' (only bind and overlay mounts of berthd snapshots)",
			side, m[0]->type);
	}
	strv_foreach (d, dirs) {
		if (!is_ours(c, d)) {
			berth_err_new(err, BERTH_E_PERMISSION,
				      "%s: '%s' is not a snapshot of berthd", side, d);
			strv_free(dirs);
			return -1;
		}
	}
	*out = dirs;
	return 0;
}

static int ingest_write(void *arg, const void *buf, size_t len, struct berth_err **err)
{
	return content_ingest_write(arg, buf, len, err);
}

/* Commits the layer's ingest (core/commit.h); a layer ns already has is no error. */
static int record_layer(struct berthd_components *ctx, struct rpc_call *call, const char *ns,
			struct content_ingest *ing, const struct diff_compute_result *r,
			char *const *req_labels, struct berth_err **err)
{
	cleanup(strv_freep) char **labels = strv_dup(req_labels);
	struct core_commit_opts o = {
		.ns = ns,
		.lease = rpc_call_metadata(call, "containerd-lease"),
		.size = r->blob_size,
		.expected = r->digest,
	};

	strv_push(&labels, "containerd.io/uncompressed");
	strv_push(&labels, r->diff_id);
	o.labels = labels;
	if (core_content_commit(ctx, ing, &o, NULL, err) < 0) {
		if ((*err)->code != BERTH_E_EXISTS)
			return -1;
		berth_err_free(err); /* as containerd's walking differ */
	}
	return 0;
}

static int do_diff(struct rpc_call *call, const char *ns,
		   const Containerd__Services__Diff__V1__DiffRequest *req,
		   struct diff_compute_result *r, struct berth_err **err)
{
	struct berthd_components *ctx = svc_ctx_of(call);
	cleanup(strv_freep) char **lower = NULL;
	cleanup(strv_freep) char **upper = NULL;
	cleanup(strv_freep) char **labels = svc_kv_from_pb(req->n_labels, req->labels);
	cleanup_free char *ref = NULL;
	struct content_ingest *ing;
	struct timespec ts;
	int ret;

	if (layers_of(ctx, "left", req->n_left, req->left, &lower, err) < 0 ||
	    layers_of(ctx, "right", req->n_right, req->right, &upper, err) < 0 ||
	    svc_labels_check(labels, err) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ref = req->ref && *req->ref ? xstrdup(req->ref)
				    : xasprintf("diff-%lld-%ld-%d", (long long)ts.tv_sec,
						ts.tv_nsec, (int)getpid());
	ing = content_ingest_open(ctx->content, ns, ref, 0, NULL, err);
	if (!ing)
		return -1;
	ret = diff_compute(lower, upper, req->media_type, ingest_write, ing, r, err);
	if (ret == 0)
		ret = record_layer(ctx, call, ns, ing, r, labels, err);
	content_ingest_close(ing);
	if (ret < 0) {
		struct berth_err *aerr = NULL;

		if (content_ingest_abort(ctx->content, ns, ref, &aerr) < 0)
			berth_err_free(&aerr);
	}
	return ret;
}

static void diff_diff_h(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Diff__V1__DiffRequest *req = (const void *)msg;
	Containerd__Services__Diff__V1__DiffResponse resp =
		CONTAINERD__SERVICES__DIFF__V1__DIFF_RESPONSE__INIT;
	Containerd__Types__Descriptor d = CONTAINERD__TYPES__DESCRIPTOR__INIT;
	cleanup_err struct berth_err *err = NULL;
	struct diff_compute_result r = {0};
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (do_diff(call, ns, req, &r, &err) < 0) {
		diff_compute_result_fini(&r);
		rpc_call_fail(call, err);
		return;
	}
	d.media_type = req->media_type && *req->media_type ? req->media_type
							   : (char *)DIFF_MEDIA_TAR "+gzip";
	d.digest = r.digest;
	d.size = r.blob_size;
	resp.diff = &d;
	rpc_call_reply(call, &resp.base);
	diff_compute_result_fini(&r);
}

static const struct rpc_method diff_methods[] = {
	{"Apply", RPC_UNARY, diff_apply_h},
	{"Diff", RPC_UNARY, diff_diff_h},
};

const struct rpc_service svc_diff_service = {
	.desc = &containerd__services__diff__v1__diff__descriptor,
	.methods = diff_methods,
	.n_methods = sizeof(diff_methods) / sizeof(diff_methods[0]),
	.init = svc_init_ctx,
};
