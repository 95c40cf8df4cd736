/*
 * supervisor/tasks/bundle.c - a task's bundle directory, as containerd 1.6 lays it out
 * (runtime/v2/bundle.go): <root>/<ns>/<id>/ with config.json (the container's spec),
 * rootfs/ (the shim mounts the rootfs there), and the `log` FIFO the shim writes its log
 * to. berthd holds the FIFO open read-write, so the shim's write-only open never blocks and
 * the FIFO never reports EOF while berthd runs.
 * Removal unmounts whatever is left on rootfs/ first: fs_rm_rf does not cross mounts, but
 * a container's upper directory must never be reached through a leftover mount anyway.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/tasks/tasks_internal.h"

char *tasks_bundle_create(const char *root, const char *ns, const char *id, const uint8_t *spec,
			  size_t spec_len, int *log_fd, struct berth_err **err)
{
	cleanup_free char *nsdir = xasprintf("%s/%s", root, ns);
	cleanup_free char *bundle = xasprintf("%s/%s", nsdir, id);
	cleanup_free char *rootfs = xasprintf("%s/rootfs", bundle);
	cleanup_free char *log = xasprintf("%s/log", bundle);
	cleanup_close int dfd = -1;
	int fd;

	if (fs_mkdir_p(nsdir, 0711, err) < 0)
		return NULL;
	if (mkdir(bundle, 0700) < 0)
		return berth_err_sys(err, errno, "bundle '%s'", bundle), NULL;
	dfd = open(bundle, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dfd < 0 || fs_write_replace(dfd, "config.json", spec, spec_len, 0644, err) < 0 ||
	    mkdir(rootfs, 0711) < 0 || mkfifo(log, 0700) < 0) {
		if (!*err)
			berth_err_sys(err, errno, "bundle '%s'", bundle);
		tasks_bundle_remove(bundle);
		return NULL;
	}
	fd = open(log, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		berth_err_sys(err, errno, "open '%s'", log);
		tasks_bundle_remove(bundle);
		return NULL;
	}
	*log_fd = fd;
	return take_ptr(bundle);
}

int tasks_bundle_open_log(const char *bundle)
{
	cleanup_free char *log = xasprintf("%s/log", bundle);

	return open(log, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

void tasks_bundle_remove(const char *bundle)
{
	cleanup_free char *rootfs = xasprintf("%s/rootfs", bundle);
	cleanup_err struct berth_err *err = NULL;

	/* every mount stacked on rootfs/ (the shim unmounts them; this is for a dead shim) */
	for (int i = 0; i < 64 && umount2(rootfs, MNT_DETACH) == 0; i++)
		;
	if (fs_rm_rf(bundle, &err) < 0)
		log_warn("remove bundle: %s", err->msg);
}
