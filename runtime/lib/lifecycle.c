/*
 * runtime/lib/lifecycle.c - everything after create: load, status, start,
 * kill, delete, pause/resume, ps, list. See container.h for the locking.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/container_internal.h"
#include "runtime/lib/hooks.h"
#include "runtime/lib/pidstat.h"
#include "runtime/lib/rootless.h"
#include "runtime/lib/sync.h"

int rt_container_open_dir(const struct rt_ctx *ctx, const char *id, struct rt_container **out,
			  struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;

	if (rt_id_validate(id, err) < 0)
		return -1;
	c = xnew(struct rt_container);
	c->id = xstrdup(id);
	c->dir = xasprintf("%s/%s", ctx->root, id);
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0 && errno == ENOENT)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "container '%s' does not exist", id);
	if (c->dirfd < 0)
		return berth_err_sys(err, errno, "open '%s'", c->dir);
	*out = take_ptr(c);
	return 0;
}

int rt_container_lock(struct rt_container *c, struct berth_err **err)
{
	while (flock(c->dirfd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return berth_err_sys(err, errno, "lock '%s'", c->dir);
	}
	return 0;
}

int rt_container_load(const struct rt_ctx *ctx, const char *id, bool lock,
		      struct rt_container **out, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	cleanup_free char *buf = NULL;
	size_t len;

	if (rt_container_open_dir(ctx, id, &c, err) < 0)
		return -1;
	if (lock && rt_container_lock(c, err) < 0)
		return -1;
	if (fs_read_file(c->dirfd, RT_STATE_FILE, &buf, &len, err) < 0) {
		if (!berth_err_is(*err, ENOENT))
			return -1;
		berth_err_free(err);
		return berth_err_new(err, BERTH_E_NOT_FOUND, "container '%s' does not exist", id);
	}
	if (rt_state_from_json(buf, len, RT_STATE_FILE, &c->st, err) < 0)
		return berth_err_wrap(err, "load container '%s'", id);
	*out = take_ptr(c);
	return 0;
}

int rt_container_save(struct rt_container *c, struct berth_err **err)
{
	cleanup_free char *json = rt_state_to_json(c->st);

	return fs_write_replace(c->dirfd, RT_STATE_FILE, json, strlen(json), 0600, err);
}

int rt_container_config(const struct rt_container *c, struct oci_spec **out, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	size_t len;

	if (fs_read_file(c->dirfd, RT_CONFIG_FILE, &buf, &len, err) < 0)
		return -1;
	return oci_spec_parse(buf, len, "config.json", out, err);
}

static bool fifo_exists(const struct rt_container *c)
{
	return faccessat(c->dirfd, RT_FIFO_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The container's cgroup, borrowed from c (opened once per command). */
static struct rt_cgroup *container_cgroup(struct rt_container *c, struct berth_err **err)
{
	if (!c->cg &&
	    rt_cgroup_open(c->st->cgroups_path, c->id, c->st->systemd_cgroup, &c->cg, err) < 0)
		return NULL;
	return c->cg;
}

enum rt_status rt_container_status(struct rt_container *c)
{
	bool alive = rt_pid_is_alive(c->st->pid, c->st->pid_start);
	bool fifo = alive && fifo_exists(c);
	bool frozen = false;

	if (alive && !fifo) {
		struct berth_err *e = NULL;
		struct rt_cgroup *cg = container_cgroup(c, &e);

		if (cg)
			frozen = rt_cgroup_is_frozen(cg);
		berth_err_free(&e);
	}
	return rt_status_derive(alive, fifo, frozen);
}

char *rt_container_state_json(struct rt_container *c, int bjson_flags)
{
	return rt_state_oci_json(c->st, rt_container_status(c), bjson_flags);
}

static int not_in_state(const struct rt_container *c, const char *want, enum rt_status s,
			struct berth_err **err)
{
	return berth_err_new(err, BERTH_E_PRECONDITION,
			     "container '%s' is not in %s state (status %s)", c->id, want,
			     rt_status_name(s));
}

/* A second passed without news from the init: fails when its cgroup is frozen
 * (it can make no progress) or bound_s (0: none) seconds passed. */
static int fifo_stuck(struct rt_cgroup *cg, int s, int bound_s, const char *what,
		      struct berth_err **err)
{
	if (cg && !rt_rootless_no_cgroup(cg) && rt_cgroup_is_frozen(cg))
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"container init can not %s: its cgroup is frozen (thaw it, or delete --force)",
			what);
	if (bound_s > 0 && s + 1 >= bound_s)
		return berth_err_new(err, BERTH_E_TIMEOUT, "container init did not %s within %d s",
				     what, bound_s);
	return 0;
}

/* After the init's byte: it keeps its end of the fifo open (O_CLOEXEC) through the
 * startContainer hooks until execve, so the hang-up says the container's process was
 * started (or the init died). The spec runs poststart hooks after that, not before. */
static int fifo_wait_exec(int fd, int pidfd, struct rt_cgroup *cg, int bound_s,
			  struct berth_err **err)
{
	char rec[PIPE_BUF + 1];
	size_t len = 0;

	for (int s = 0;; s++) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		bool done;
		ssize_t n = -1;

		int r = poll(p, 2, 1000);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berth_err_sys(err, errno, "poll exec fifo");
		}
		if (r == 0 && fifo_stuck(cg, s, bound_s, "exec its process", err) < 0)
			return -1;
		done = p[1].revents || (p[0].revents & (POLLHUP | POLLERR));
		/* whatever the init wrote before it exited is still in the fifo: read
		 * it even when the pidfd fired first (the fd is non-blocking) */
		while (len < sizeof(rec) - 1 &&
		       (n = read(fd, rec + len, sizeof(rec) - 1 - len)) > 0)
			len += (size_t)n;
		if (n == 0)
			done = true;
		if (!done)
			continue;
		if (!len)
			return 0;
		rec[len] = '\0';
		return rt_sync_fifo_err_parse(rec, err);
	}
}

/* Waits until the init wrote its byte into the fifo and then exec'd, or died. */
static int fifo_handshake(struct rt_container *c, const struct oci_spec *spec,
			  struct berth_err **err)
{
	/* the pidfd first: opening the fifo lets the init run, and a short-lived
	 * process may be gone before we look; its byte stays in the fifo */
	cleanup_close int pidfd = rt_pid_open(c->st->pid, c->st->pid_start, err);
	cleanup_close int fd = -1;
	/* no wait without a bound (issue #15): the init runs the startContainer
	 * hooks between its byte and the execve */
	struct rt_cgroup *cg = container_cgroup(c, NULL);
	int bound = spec && spec->hooks ? rt_sync_bound(spec->hooks->start_container,
							spec->hooks->n_start_container)
					: RT_CHILD_WAIT_S;
	char b;

	if (pidfd < 0)
		return berth_err_wrap(err, "container init");
	fd = openat(c->dirfd, RT_FIFO_FILE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s/%s'", c->dir, RT_FIFO_FILE);
	for (int s = 0;; s++) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = pidfd, .events = POLLIN}};
		ssize_t n;
		int r = poll(p, 2, 1000);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berth_err_sys(err, errno, "poll exec fifo");
		}
		if (r == 0 && fifo_stuck(cg, s, RT_CHILD_WAIT_S, "start", err) < 0)
			return -1;
		if (p[0].revents & POLLIN) {
			n = read(fd, &b, 1);
			if (n == 1)
				return fifo_wait_exec(fd, pidfd, cg, bound, err);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return berth_err_sys(err, errno, "read exec fifo");
		}
		if (p[1].revents)
			return berth_err_new(err, BERTH_E_PRECONDITION,
					     "container init exited before start");
	}
}

static void warn_hooks(const struct rt_container *c, const struct oci_hook *h, size_t n,
		       const char *phase, enum rt_status s)
{
	cleanup_free char *json = NULL;
	struct berth_err *e = NULL;

	if (!n)
		return;
	json = rt_state_oci_json(c->st, s, BJSON_PLAIN);
	/* a failure here is only a warning, and the hooks after it still run */
	for (size_t i = 0; i < n; i++) {
		if (rt_hooks_run_one(&h[i], phase, i, json, &e) < 0) {
			log_warn("container '%s': %s", c->id, e->msg);
			berth_err_free(&e);
		}
	}
}

/* The spec: start MUST fail when the config has no process. The init then has
 * nothing it could ever run: release it (it exits without running anything) so
 * the container is stopped and delete finds it so, as after a process that
 * failed to start. */
static int start_nothing(struct rt_container *c, struct berth_err **err)
{
	struct berth_err *e = NULL;

	if (fifo_handshake(c, NULL, &e) < 0 ||
	    (unlinkat(c->dirfd, RT_FIFO_FILE, 0) < 0 && errno != ENOENT)) {
		log_warn("container '%s': release the init: %s", c->id,
			 e ? e->msg : strerror(errno));
		berth_err_free(&e);
	}
	return berth_err_new(
		err, BERTH_E_PRECONDITION,
		"container '%s' has no process to start (config.json has no 'process'); it is now stopped",
		c->id);
}

int rt_container_start(struct rt_container *c, struct berth_err **err)
{
	enum rt_status s = rt_container_status(c);
	cleanup(oci_spec_freep) struct oci_spec *spec = NULL;

	if (s != RT_STATUS_CREATED)
		return not_in_state(c, "created", s, err);
	if (!c->st->has_process)
		return start_nothing(c, err);
	/* read now for the hooks' timeouts; an unreadable one is reported below */
	if (rt_container_config(c, &spec, NULL) < 0)
		spec = NULL;
	if (fifo_handshake(c, spec, err) < 0)
		return berth_err_wrap(err, "start container '%s'", c->id);
	if (unlinkat(c->dirfd, RT_FIFO_FILE, 0) < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "start container '%s': remove exec fifo", c->id);
	if (!spec && rt_container_config(c, &spec, err) < 0)
		return berth_err_wrap(err, "start container '%s'", c->id);
	if (spec->hooks)
		warn_hooks(c, spec->hooks->poststart, spec->hooks->n_poststart, "poststart",
			   RT_STATUS_RUNNING);
	return 0;
}

int rt_container_kill(struct rt_container *c, int sig, bool all, struct berth_err **err)
{
	cleanup_close int pidfd = -1;

	if (all) {
		struct rt_cgroup *cg = container_cgroup(c, err);

		if (cg && rt_rootless_no_cgroup(cg)) {
			if (rt_container_status(c) == RT_STATUS_STOPPED)
				return 0;
			if (rt_rootless_tree_kill(c->st->pid, sig, err) < 0)
				return berth_err_wrap(err, "kill container '%s'", c->id);
			return 0;
		}
		if (!cg || rt_cgroup_kill_all(cg, sig, err) < 0)
			return berth_err_wrap(err, "kill container '%s'", c->id);
		return 0;
	}
	pidfd = rt_pid_open(c->st->pid, c->st->pid_start, err);
	if (pidfd < 0) {
		if (!berth_err_is(*err, ESRCH))
			return berth_err_wrap(err, "kill container '%s'", c->id);
		berth_err_free(err);
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     c->id);
	}
	if (rt_pid_signal(pidfd, sig, err) < 0)
		return berth_err_wrap(err, "kill container '%s'", c->id);
	return 0;
}

#define KILL_WAIT_S 10

/*
 * After SIGKILL: wait for the init's exit, at most KILL_WAIT_S. A frozen cgroup
 * holds a v1 task's SIGKILL until it is thawed; kill_all thawed it, but someone
 * may freeze it again, or an ancestor's freeze holds it: look each second, thaw
 * what can be thawed, and give up with an error that says why.
 */
static int wait_killed(struct rt_container *c, struct rt_cgroup *cg, int pidfd,
		       struct berth_err **err)
{
	for (int i = 0; i < KILL_WAIT_S; i++) {
		int r = rt_pid_wait_exit(pidfd, 1000, err);

		if (r != 0)
			return r < 0 ? -1 : 0;
		if (!rt_rootless_no_cgroup(cg) && rt_cgroup_is_frozen(cg) &&
		    rt_cgroup_freeze(cg, false, err) < 0)
			return berth_err_wrap(err, "container init %d cannot exit",
					      (int)c->st->pid);
	}
	return berth_err_new(err, BERTH_E_TIMEOUT,
			     "container init %d did not exit within %d s of SIGKILL%s",
			     (int)c->st->pid, KILL_WAIT_S,
			     rt_cgroup_is_frozen(cg) ? " (its cgroup is frozen)" : "");
}

/* SIGKILL everything and wait until the init is gone. */
static int kill_and_wait(struct rt_container *c, struct berth_err **err)
{
	struct rt_cgroup *cg = container_cgroup(c, err);
	cleanup_close int pidfd = rt_pid_open(c->st->pid, c->st->pid_start, NULL);

	if (!cg)
		return -1;
	if (pidfd >= 0 && rt_pid_signal(pidfd, SIGKILL, err) < 0)
		return -1;
	/* rootless without a cgroup: SIGKILL to the init ends its pid namespace */
	if (!rt_rootless_no_cgroup(cg) && rt_cgroup_kill_all(cg, SIGKILL, err) < 0)
		return -1;
	if (pidfd >= 0 && wait_killed(c, cg, pidfd, err) < 0)
		return -1;
	if (c->child > 0)
		waitpid(c->child, NULL, 0);
	return 0;
}

/* A stopped container may still have processes in its cgroup: children of an
 * init that shared the host's pid namespace, or everything when the recorded
 * init is gone but the rest lives on. They belong to the container: kill them
 * so the cgroup can go (runc does the same). */
static int kill_leftovers(struct rt_cgroup *cg, struct berth_err **err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	struct berth_err *e = NULL;

	if (rt_cgroup_pids(cg, &pids, &n, &e) < 0) {
		berth_err_free(&e); /* no cgroup left: nothing to kill */
		return 0;
	}
	if (n == 0)
		return 0;
	return rt_cgroup_kill_all(cg, SIGKILL, err);
}

int rt_container_destroy(struct rt_container *c, struct berth_err **err)
{
	cleanup(oci_spec_freep) struct oci_spec *spec = NULL;
	struct rt_cgroup *cg;
	struct berth_err *e = NULL;

	if (rt_container_config(c, &spec, &e) < 0) {
		log_warn("container '%s': no poststop hooks run: %s", c->id, e->msg);
		berth_err_free(&e);
	} else if (spec->hooks) {
		warn_hooks(c, spec->hooks->poststop, spec->hooks->n_poststop, "poststop",
			   RT_STATUS_STOPPED);
	}
	cg = container_cgroup(c, err);
	if (!cg || kill_leftovers(cg, err) < 0 || rt_cgroup_destroy(cg, err) < 0)
		return -1;
	if (c->st->host_mounts && rt_rootfs_host_release(c->st->rootfs, err) < 0)
		return -1;
	return fs_rm_rf(c->dir, err);
}

int rt_container_delete(struct rt_container *c, bool force, struct berth_err **err)
{
	enum rt_status s = rt_container_status(c);

	if (s != RT_STATUS_STOPPED) {
		if (!force)
			return berth_err_new(
				err, BERTH_E_PRECONDITION,
				"cannot delete container '%s' that is not stopped (status %s): use --force",
				c->id, rt_status_name(s));
		if (kill_and_wait(c, err) < 0)
			return berth_err_wrap(err, "delete container '%s'", c->id);
	}
	if (rt_container_destroy(c, err) < 0)
		return berth_err_wrap(err, "delete container '%s'", c->id);
	return 0;
}

int rt_container_remove_stale(const struct rt_ctx *ctx, const char *id, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup(oci_spec_freep) struct oci_spec *spec = NULL;

	if (rt_container_open_dir(ctx, id, &c, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return -1;
		berth_err_free(err); /* nothing there: done */
		return 0;
	}
	/* a create in progress holds the lock: do not pull the directory from under it */
	if (flock(c->dirfd, LOCK_EX | LOCK_NB) < 0)
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is being created",
				     id);
	if (faccessat(c->dirfd, RT_STATE_FILE, F_OK, 0) == 0)
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' has state", id);
	/* the config copy may be there: it names the cgroup */
	if (rt_container_config(c, &spec, NULL) < 0)
		spec = NULL;
	if (rt_cgroup_open(spec && spec->linux_ ? spec->linux_->cgroups_path : NULL, id,
			   ctx->systemd_cgroup, &cg, NULL) == 0 &&
	    kill_leftovers(cg, NULL) == 0)
		rt_cgroup_destroy(cg, NULL);
	return fs_rm_rf(c->dir, err);
}

int rt_container_pause(struct rt_container *c, bool pause, struct berth_err **err)
{
	enum rt_status s = rt_container_status(c);
	struct rt_cgroup *cg;

	if (pause && s != RT_STATUS_RUNNING)
		return not_in_state(c, "running", s, err);
	if (!pause && s != RT_STATUS_PAUSED)
		return not_in_state(c, "paused", s, err);
	cg = container_cgroup(c, err);
	if (cg && rt_rootless_no_cgroup(cg))
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"%s container '%s': it runs without a cgroup (rootless, none was writable): nothing can freeze it",
			pause ? "pause" : "resume", c->id);
	if (!cg || rt_cgroup_freeze(cg, pause, err) < 0)
		return berth_err_wrap(err, "%s container '%s'", pause ? "pause" : "resume", c->id);
	return 0;
}

int rt_container_pids(struct rt_container *c, pid_t **pids, size_t *n, struct berth_err **err)
{
	struct rt_cgroup *cg = container_cgroup(c, err);

	if (!cg)
		return -1;
	if (rt_rootless_no_cgroup(cg)) {
		if (!rt_pid_is_alive(c->st->pid, c->st->pid_start)) {
			*pids = NULL;
			*n = 0;
			return 0;
		}
		return rt_rootless_tree_pids(c->st->pid, pids, n, err);
	}
	return rt_cgroup_pids(cg, pids, n, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rt_container_list(const struct rt_ctx *ctx, char ***ids, struct berth_err **err)
{
	cleanup_dir DIR *d = opendir(ctx->root);
	char **v = xzalloc(sizeof(char *));
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT) {
			*ids = v;
			return 0;
		}
		free(v);
		return berth_err_sys(err, errno, "open '%s'", ctx->root);
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR ||
		    rt_id_validate(de->d_name, NULL) < 0)
			continue;
		strv_push(&v, de->d_name);
	}
	qsort(v, strv_len(v), sizeof(char *), cmp_str);
	*ids = v;
	return 0;
}

void rt_container_free(struct rt_container *c)
{
	if (!c)
		return;
	closep(&c->dirfd);
	rt_cgroup_free(c->cg);
	rt_state_free(c->st);
	free(c->dir);
	free(c->id);
	free(c);
}

void rt_container_freep(struct rt_container **c)
{
	rt_container_free(*c);
	*c = NULL;
}
