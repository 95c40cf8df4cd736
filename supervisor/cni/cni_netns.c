/*
 * supervisor/cni/cni_netns.c - network namespaces kept alive by a bind mount on a file.
 *
 * A helper thread unshares its network namespace and bind-mounts its
 * /proc/thread-self/ns/net onto the file, then ends; the mount keeps the namespace
 * alive, across restarts of the process, until cni_netns_remove. The thread is used
 * because unshare(CLONE_NEWNET) changes the calling thread only, and berthd's threads
 * must keep the host's namespace. Mounts are shared by all threads, so the bind is
 * visible to the whole process.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/cni/cni.h"

struct job {
	const char *path;
	int errnum;
	const char *what;
};

static void *netns_thread(void *arg)
{
	struct job *j = arg;

	if (unshare(CLONE_NEWNET) < 0) {
		j->errnum = errno;
		j->what = "unshare(CLONE_NEWNET)";
		return NULL;
	}
	if (mount("/proc/thread-self/ns/net", j->path, NULL, MS_BIND, NULL) < 0) {
		j->errnum = errno;
		j->what = "bind-mount the namespace";
	}
	return NULL;
}

int cni_netns_create(const char *path, struct berth_err **err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	struct job j = {.path = path};
	pthread_t t;
	int r;

	if (fd < 0)
		return berth_err_sys(err, errno, "cni: create netns file '%s'", path);
	r = pthread_create(&t, NULL, netns_thread, &j);
	if (r != 0) {
		unlink(path);
		return berth_err_sys(err, r, "cni: netns '%s': start thread", path);
	}
	pthread_join(t, NULL);
	if (j.errnum) {
		unlink(path);
		return berth_err_sys(err, j.errnum, "cni: netns '%s': %s", path, j.what);
	}
	return 0;
}

int cni_netns_remove(const char *path, struct berth_err **err)
{
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		return berth_err_sys(err, errno, "cni: unmount netns '%s'", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "cni: remove netns file '%s'", path);
	return 0;
}
