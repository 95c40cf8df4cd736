/*
 * supervisor/snapshot/overlay.c - the overlayfs driver: layout and mounts like
 * containerd's overlayfs snapshotter.
 *
 * Each snapshot has fs/ (its upper dir once committed, a lower dir for its children)
 * and, when active, work/. Mounts: no parent -> bind of fs (rw, or ro for a view);
 * active with parents -> overlay with lowerdir=<parents nearest first>, upperdir=fs,
 * workdir=work; view with one parent -> ro bind of the parent's fs; view with several
 * -> overlay with lowerdir only. berthd never mounts these itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot_internal.h"

static int overlay_check(const char *root, struct berth_err **err)
{
	cleanup_free char *fss = NULL;
	cleanup_free char *mod = NULL;
	struct utsname u;

	if (fs_read_file_max(AT_FDCWD, "/proc/filesystems", 1 << 20, &fss, NULL, err) < 0)
		return berth_err_wrap(err, "overlayfs snapshotter");
	if (strstr(fss, "\toverlay\n"))
		return 0;
	/* not loaded yet: the first overlay mount loads the module if it is installed */
	if (uname(&u) == 0) {
		mod = xasprintf("/lib/modules/%s/kernel/fs/overlayfs", u.release);
		if (fs_exists(mod))
			return 0;
	}
	return berth_err_new(
		err, BERTH_E_UNAVAILABLE,
		"overlayfs snapshotter: the kernel does not support overlay (not in /proc/filesystems)");
}

static int overlay_create(const struct snap_ctx *ctx, struct berth_err **err)
{
	cleanup_free char *fsdir = xasprintf("%s/fs", ctx->dir);
	cleanup_free char *work = xasprintf("%s/work", ctx->dir);

	/* chmod: the daemon's umask must not make a container's / untraversable */
	if (mkdir(fsdir, 0755) < 0 || chmod(fsdir, 0755) < 0)
		return berth_err_sys(err, errno, "mkdir '%s'", fsdir);
	if (ctx->kind == SNAP_KIND_ACTIVE && mkdir(work, 0711) < 0)
		return berth_err_sys(err, errno, "mkdir '%s'", work);
	return 0;
}

static bool overlay_supports_index(void)
{
	return access("/sys/module/overlay/parameters/index", F_OK) == 0;
}

static int overlay_mounts(const struct snap_ctx *ctx, struct snap_mounts *out,
			  struct berth_err **err)
{
	size_t np = strv_len(ctx->parents), optlen = 0;
	char **opts = NULL;
	cleanup_free char *lower = NULL;
	long page = sysconf(_SC_PAGESIZE);

	if (np == 0) {
		cleanup_free char *fsdir = xasprintf("%s/fs", ctx->dir);

		strv_push(&opts, ctx->kind == SNAP_KIND_ACTIVE ? "rw" : "ro");
		strv_push(&opts, "rbind");
		snap_mounts_add(out, "bind", fsdir, opts);
		return 0;
	}
	if (ctx->kind == SNAP_KIND_VIEW && np == 1) {
		strv_push(&opts, "ro");
		strv_push(&opts, "rbind");
		snap_mounts_add(out, "bind", ctx->parents[0], opts);
		return 0;
	}
	if (overlay_supports_index())
		strv_push(&opts, "index=off");
	if (ctx->kind == SNAP_KIND_ACTIVE) {
		strv_push_take(&opts, xasprintf("workdir=%s/work", ctx->dir));
		strv_push_take(&opts, xasprintf("upperdir=%s/fs", ctx->dir));
	}
	lower = strv_join(ctx->parents, ":");
	strv_push_take(&opts, xasprintf("lowerdir=%s", lower));
	strv_foreach (o, opts)
		optlen += strlen(o) + 1;
	/* the kernel copies mount data into one page, NUL included */
	if (page > 0 && optlen > (size_t)page) {
		strv_free(opts);
		return berth_err_new(
			err, BERTH_E_RESOURCE,
			"overlay mount options for %zu parent layers are %zu bytes, more than the kernel's limit of %ld (one page)",
			np, optlen, page);
	}
	snap_mounts_add(out, "overlay", "overlay", opts);
	return 0;
}

const struct snap_ops snap_overlay_ops = {
	.name = "overlayfs",
	.check = overlay_check,
	.create = overlay_create,
	.mounts = overlay_mounts,
};
