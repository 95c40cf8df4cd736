/*
 * shim/delete.c - `berth-shim delete`: containerd's cleanup after a shim died
 * (or exited after Shutdown). Idempotent: `<runtime> delete --force`, unmount
 * <bundle>/rootfs, remove a dead socket, and print a DeleteResponse
 * {exit_status: 137, exited_at: now} like runc's shim. Failures are reported on
 * stderr (containerd logs them) but the response is still printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "shim/shim.h"

static void remove_dead_socket(const struct shim_flags *f)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;
	cleanup_free char *path = shim_socket_path(f->address, f->ns, f->id, &err);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (!path || fd < 0)
		return;
	strcpy(sun.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 && errno == ECONNREFUSED)
		unlink(path);
}

int shim_delete_main(const struct shim_flags *f)
{
	Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	cleanup(berth_err_free) struct berth_err *err = NULL;
	struct shim_config cfg = {0};
	char cwd[PATH_MAX];
	const char *bundle = f->bundle;
	const char *args[] = {"delete", "--force", f->id, NULL};
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;
	cleanup_free char *log = NULL;
	cleanup_free char *rootfs = NULL;
	cleanup_free uint8_t *buf = NULL;
	struct timespec now;
	size_t n;

	if (!bundle)
		bundle = getcwd(cwd, sizeof(cwd));
	if (!bundle) {
		fprintf(stderr, "berth-shim: delete: no bundle\n");
		return 1;
	}
	if (shim_config_load(&cfg, bundle, &err) < 0) {
		/* Create never ran: nothing of the runtime's to remove, but try the defaults */
		berth_err_free(&err);
		shim_config_resolve(&cfg, NULL, NULL, f->runtime, f->address, f->ns);
	}
	log = xasprintf("%s/log.json", bundle);
	rootfs = xasprintf("%s/rootfs", bundle);
	struct shim_runtime rt = {cfg.binary, cfg.root, fs_exists(bundle) ? log : NULL,
				  fs_exists(bundle) ? bundle : NULL};
	if (shim_runtime_run(&rt, args, &o, &err) < 0 && err->code != BERTH_E_NOT_FOUND)
		fprintf(stderr, "berth-shim: delete: %s\n", err->msg);
	shim_unmount_rootfs(rootfs);
	remove_dead_socket(f);
	shim_config_clear(&cfg);

	clock_gettime(CLOCK_REALTIME, &now);
	shim_timestamp_set(&ts, &now);
	resp.exit_status = 128 + SIGKILL;
	resp.exited_at = &ts;
	n = containerd__task__v2__delete_response__get_packed_size(&resp);
	buf = xmalloc(n + 1);
	containerd__task__v2__delete_response__pack(&resp, buf);
	if (fs_write_all(STDOUT_FILENO, buf, n) < 0)
		return 1;
	return 0;
}
