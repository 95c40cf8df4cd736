/*
 * supervisor/snapshot/native.c - the native (copy) driver, like containerd's "native".
 *
 * Each snapshot has fs/, a full copy of its parent's tree made at Prepare/View time
 * (modes, owners, xattrs, times, symlinks, hardlinks, devices, fifos). Mounts are
 * always one bind mount of fs: rw for an active snapshot, ro for a view.
 */
#include <errno.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot_internal.h"

static int native_check(const char *root, struct berth_err **err)
{
	return 0;
}

static int native_create(const struct snap_ctx *ctx, struct berth_err **err)
{
	cleanup_free char *fsdir = xasprintf("%s/fs", ctx->dir);

	/* chmod: the daemon's umask must not make a container's / untraversable */
	if (mkdir(fsdir, 0755) < 0 || chmod(fsdir, 0755) < 0)
		return berth_err_sys(err, errno, "mkdir '%s'", fsdir);
	if (ctx->parents && snap_tree_copy(ctx->parents[0], fsdir, err) < 0)
		return -1;
	return 0;
}

static int native_mounts(const struct snap_ctx *ctx, struct snap_mounts *out,
			 struct berth_err **err)
{
	cleanup_free char *fsdir = xasprintf("%s/fs", ctx->dir);
	char **opts = NULL;

	strv_push(&opts, ctx->kind == SNAP_KIND_ACTIVE ? "rw" : "ro");
	strv_push(&opts, "rbind");
	snap_mounts_add(out, "bind", fsdir, opts);
	return 0;
}

const struct snap_ops snap_native_ops = {
	.name = "native",
	.check = native_check,
	.create = native_create,
	.mounts = native_mounts,
};
