/* shim/task.c - see task.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/api/events/task.pb-c.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "shim/stdio.h"
#include "shim/task.h"

#define EXIT_GRACE_MS 2000

void shim_timestamp_set(struct Google__Protobuf__Timestamp *ts, const struct timespec *t)
{
	ts->seconds = t->tv_sec;
	ts->nanos = (int32_t)t->tv_nsec;
}

struct shim_task *shim_task_new(struct evloop *loop, struct shim_events *ev,
				const struct shim_flags *f)
{
	struct shim_task *t = xnew(struct shim_task);

	t->loop = loop;
	t->events = ev;
	t->ns = xstrdup(f->ns);
	t->id = xstrdup(f->id);
	t->address = xstrdup(f->address);
	t->flag_runtime = f->runtime;
	return t;
}

static void proc_free(struct shim_proc *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_waiters; i++)
		ttrpc_call_fail(p->waiters[i], TTRPC_NOT_FOUND, "process deleted");
	free(p->waiters);
	evloop_remove(p->task->loop, p->grace);
	shim_stdio_free(p->io);
	free(p->exec_id);
	free(p->stdin_path);
	free(p->stdout_path);
	free(p->stderr_path);
	free(p->spec_json);
	free(p);
}

static void oom_stop(struct shim_task *t)
{
	evloop_remove(t->loop, t->oom_watch);
	t->oom_watch = NULL;
	shim_oom_close(t->oom);
	t->oom = NULL;
}

void shim_task_free(struct shim_task *t)
{
	if (!t)
		return;
	oom_stop(t);
	proc_free(t->init);
	while (t->execs) {
		struct shim_proc *p = t->execs;

		t->execs = p->next;
		proc_free(p);
	}
	shim_config_clear(&t->cfg);
	free(t->ns);
	free(t->id);
	free(t->address);
	free(t->bundle);
	free(t->log_path);
	free(t->rootfs);
	free(t);
}

bool shim_task_is_empty(const struct shim_task *t)
{
	return !t->init;
}

static void publish(struct shim_task *t, const char *topic, const char *type,
		    const ProtobufCMessage *msg)
{
	cleanup_free char *url = xasprintf("containerd.events.%s", type);

	shim_events_publish(t->events, topic, url, msg);
}

static struct shim_proc *proc_new(struct shim_task *t, const char *exec_id, bool terminal,
				  const char *in, const char *out, const char *errp)
{
	struct shim_proc *p = xnew(struct shim_proc);

	p->task = t;
	p->exec_id = xstrdup(exec_id);
	p->terminal = terminal;
	p->stdin_path = xstrdup(in ? in : "");
	p->stdout_path = xstrdup(out ? out : "");
	p->stderr_path = xstrdup(errp ? errp : "");
	return p;
}

static int read_pid(const char *path, pid_t *pid, struct berth_err **err)
{
	cleanup_free char *text = NULL;
	size_t len;
	long v;
	char *end;

	if (fs_read_file(AT_FDCWD, path, &text, &len, err) < 0)
		return berth_err_wrap(err, "read pid file");
	v = strtol(text, &end, 10);
	if (v <= 0 || (*end && *end != '\n'))
		return berth_err_new(err, BERTH_E_INTERNAL, "pid file '%s': bad pid '%s'", path,
				     text);
	*pid = (pid_t)v;
	return 0;
}

/*
 * Runs a runtime command that starts a process (create, exec) with p's stdio;
 * on success p->pid is set and the output copies run.
 */
static int run_with_stdio(struct shim_task *t, struct shim_proc *p, const char *const *args,
			  const char *pidfile, struct berth_err **err)
{
	const char *argv[16];
	size_t n = 0, last;
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;
	/* containerd's shim names an exec's logger by the exec id */
	struct shim_stdio_paths paths = {.in = p->stdin_path,
					 .out = p->stdout_path,
					 .err = p->stderr_path,
					 .terminal = p->terminal,
					 .id = *p->exec_id ? p->exec_id : t->id,
					 .ns = t->ns};
	cleanup_free char *console = NULL;
	cleanup_close int lfd = -1;
	int master = -1;

	p->io = shim_stdio_new(t->loop, &paths, err);
	if (!p->io)
		return -1;
	if (p->terminal) {
		lfd = shim_console_listen(&console, err);
		if (lfd < 0)
			return -1;
	}
	/* "--console-socket S" goes before the last argument, the container id */
	for (; args[n + 1] && n < 12; n++)
		argv[n] = args[n];
	last = n;
	if (console) {
		argv[n++] = "--console-socket";
		argv[n++] = console;
	}
	argv[n++] = args[last];
	argv[n] = NULL;
	shim_stdio_child_fds(p->io, o.stdio);
	unlink(pidfile);
	if (shim_runtime_run(&t->rt, argv, &o, err) < 0 || read_pid(pidfile, &p->pid, err) < 0) {
		if (console) {
			unlink(console);
			*strrchr(console, '/') = '\0';
			rmdir(console);
		}
		shim_stdio_free(p->io);
		p->io = NULL;
		return -1;
	}
	if (p->terminal) {
		master = shim_console_recv(lfd, console, err);
		if (master < 0)
			return -1;
	}
	return shim_stdio_start(p->io, master, err);
}

static void oom_ready(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct shim_task *t = data;
	Containerd__Events__TaskOOM ev = CONTAINERD__EVENTS__TASK_OOM__INIT;

	if (!shim_oom_fired(t->oom))
		return;
	/* v1's eventfd also fires when the cgroup goes away: only a live cgroup had an OOM */
	if (!t->init || t->init->reaped) {
		oom_stop(t);
		return;
	}
	ev.container_id = t->id;
	publish(t, "/tasks/oom", "TaskOOM", &ev.base);
}

static void oom_watch(struct shim_task *t)
{
	t->oom = shim_oom_open(t->init->pid);
	if (!t->oom)
		return;
	t->oom_watch = evloop_add(t->loop, shim_oom_fd(t->oom), EPOLLIN, oom_ready, t, NULL);
	if (!t->oom_watch)
		oom_stop(t);
}

static void publish_create(struct shim_task *t, const struct shim_create *c)
{
	Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
	Containerd__Events__TaskIO io = CONTAINERD__EVENTS__TASK_IO__INIT;

	io.stdin = (char *)c->in;
	io.stdout = (char *)c->out;
	io.stderr = (char *)c->err;
	io.terminal = c->terminal;
	ev.container_id = t->id;
	ev.bundle = t->bundle;
	ev.n_rootfs = c->n_rootfs;
	ev.rootfs = c->rootfs;
	ev.io = &io;
	ev.checkpoint = (char *)(c->checkpoint ? c->checkpoint : "");
	ev.pid = (uint32_t)t->init->pid;
	publish(t, "/tasks/create", "TaskCreate", &ev.base);
}

int shim_task_create(struct shim_task *t, const struct shim_create *c, struct berth_err **err)
{
	cleanup_free char *pidfile = NULL;
	const char *args[9] = {"create", "--bundle", c->bundle, "--pid-file"};
	struct shim_proc *p;
	size_t n = 5;

	if (t->init)
		return berth_err_new(err, BERTH_E_EXISTS, "task '%s' already exists", c->id);
	if (strcmp(c->id, t->id) != 0)
		return berth_err_new(err, BERTH_E_INVALID, "id '%s': this shim serves task '%s'",
				     c->id, t->id);
	if (c->checkpoint && *c->checkpoint)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "restore from checkpoint is not supported");
	free(t->bundle);
	free(t->log_path);
	t->bundle = xstrdup(c->bundle);
	t->log_path = xasprintf("%s/log.json", c->bundle);
	shim_config_clear(&t->cfg);
	shim_config_resolve(&t->cfg, c->opt_binary, c->opt_root, t->flag_runtime, t->address,
			    t->ns);
	t->rt = (struct shim_runtime){t->cfg.binary, t->cfg.root, t->log_path, t->bundle};
	if (shim_config_save(&t->cfg, t->bundle, err) < 0)
		return -1;
	if (c->n_rootfs) {
		free(t->rootfs);
		t->rootfs = xasprintf("%s/rootfs", c->bundle);
		if (shim_mount_rootfs(c->rootfs, c->n_rootfs, t->rootfs, err) < 0) {
			free(t->rootfs);
			t->rootfs = NULL;
			return -1;
		}
	}
	pidfile = xasprintf("%s/init.pid", c->bundle);
	args[4] = pidfile;
	if (c->no_pivot)
		args[n++] = "--no-pivot";
	if (c->no_new_keyring)
		args[n++] = "--no-new-keyring";
	args[n] = c->id;
	p = proc_new(t, "", c->terminal, c->in, c->out, c->err);
	if (run_with_stdio(t, p, args, pidfile, err) < 0) {
		if (p->pid > 0) {
			/* created, but its stdio could not be set up: remove it again */
			const char *del[] = {"delete", "--force", c->id, NULL};
			struct shim_run_opts o = SHIM_RUN_OPTS_INIT;

			shim_runtime_run(&t->rt, del, &o, NULL);
		}
		proc_free(p);
		if (t->rootfs)
			shim_unmount_rootfs(t->rootfs);
		return -1;
	}
	t->init = p;
	publish_create(t, c);
	oom_watch(t);
	return 0;
}

struct shim_proc *shim_task_find(struct shim_task *t, const char *id, const char *exec_id,
				 struct berth_err **err)
{
	if (!t->init || strcmp(id, t->id) != 0)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "task '%s' not found", id), NULL;
	if (!exec_id || !*exec_id)
		return t->init;
	for (struct shim_proc *p = t->execs; p; p = p->next)
		if (strcmp(p->exec_id, exec_id) == 0)
			return p;
	return berth_err_new(err, BERTH_E_NOT_FOUND, "exec '%s' of task '%s' not found", exec_id,
			     id),
	       NULL;
}

static const char *state_name(enum shim_proc_state s)
{
	static const char *const names[] = {"created", "running", "paused", "stopped"};

	return names[s];
}

static int exec_start(struct shim_task *t, struct shim_proc *p, struct berth_err **err)
{
	Containerd__Events__TaskExecStarted ev = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
	cleanup_free char *spec = xasprintf("%s/.exec-%s-XXXXXX", t->bundle, p->exec_id);
	cleanup_free char *pidfile = xasprintf("%s/.exec-%s.pid", t->bundle, p->exec_id);
	const char *args[] = {"exec",	    "--process", spec,	"--detach",
			      "--pid-file", pidfile,	 t->id, NULL};
	cleanup_close int fd = mkostemp(spec, O_CLOEXEC);
	int ret;

	if (fd < 0)
		return berth_err_sys(err, errno, "create exec spec file in '%s'", t->bundle);
	if (fs_write_all(fd, p->spec_json, strlen(p->spec_json)) < 0) {
		berth_err_sys(err, errno, "write '%s'", spec);
		unlink(spec);
		return -1;
	}
	ret = run_with_stdio(t, p, args, pidfile, err);
	unlink(spec);
	unlink(pidfile);
	if (ret < 0) {
		if (p->pid > 0)
			kill(p->pid, SIGKILL); /* started, but its stdio could not be set up */
		return berth_err_wrap(err, "exec '%s'", p->exec_id);
	}
	p->state = SHIM_PROC_RUNNING;
	ev.container_id = t->id;
	ev.exec_id = p->exec_id;
	ev.pid = (uint32_t)p->pid;
	publish(t, "/tasks/exec-started", "TaskExecStarted", &ev.base);
	return 0;
}

int shim_task_start(struct shim_task *t, struct shim_proc *p, struct berth_err **err)
{
	Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
	const char *args[] = {"start", t->id, NULL};
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;

	if (p->state != SHIM_PROC_CREATED || p->reaped)
		return berth_err_new(err, BERTH_E_PRECONDITION, "cannot start a %s process",
				     p->reaped ? "stopped" : state_name(p->state));
	if (p != t->init)
		return exec_start(t, p, err);
	if (shim_runtime_run(&t->rt, args, &o, err) < 0)
		return -1;
	p->state = SHIM_PROC_RUNNING;
	ev.container_id = t->id;
	ev.pid = (uint32_t)p->pid;
	publish(t, "/tasks/start", "TaskStart", &ev.base);
	return 0;
}

int shim_task_kill(struct shim_task *t, struct shim_proc *p, uint32_t sig, bool all,
		   struct berth_err **err)
{
	char signum[16];
	const char *args[] = {"kill", t->id, signum, NULL, NULL};
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;

	if (sig == 0 || sig >= 65)
		return berth_err_new(err, BERTH_E_INVALID, "signal %u: invalid signal", sig);
	if (p->reaped && !(all && p == t->init))
		return berth_err_new(err, BERTH_E_NOT_FOUND, "process already finished");
	if (p != t->init) {
		if (p->state == SHIM_PROC_CREATED)
			return berth_err_new(err, BERTH_E_PRECONDITION, "process not started");
		if (kill(p->pid, (int)sig) < 0)
			return berth_err_sys(err, errno, "kill exec '%s' pid %d", p->exec_id,
					     p->pid);
		return 0;
	}
	snprintf(signum, sizeof(signum), "%u", sig);
	if (all) {
		args[1] = "--all";
		args[2] = t->id;
		args[3] = signum;
	}
	return shim_runtime_run(&t->rt, args, &o, err);
}

static void publish_delete(struct shim_task *t, struct shim_proc *p)
{
	Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	shim_timestamp_set(&ts, &p->exited_at);
	ev.container_id = t->id;
	ev.id = t->id;
	ev.pid = (uint32_t)p->pid;
	ev.exit_status = p->exit_status;
	ev.exited_at = &ts;
	publish(t, "/tasks/delete", "TaskDelete", &ev.base);
}

static int init_delete(struct shim_task *t, struct shim_proc *p, struct berth_err **err)
{
	const char *args[] = {"delete", "--force", t->id, NULL};
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;
	cleanup(berth_err_free) struct berth_err *rerr = NULL;

	if (p->state != SHIM_PROC_CREATED && p->state != SHIM_PROC_STOPPED)
		return berth_err_new(err, BERTH_E_PRECONDITION, "cannot delete a %s task",
				     state_name(p->state));
	if (shim_runtime_run(&t->rt, args, &o, &rerr) < 0) {
		if (rerr->code != BERTH_E_NOT_FOUND) {
			*err = take_ptr(rerr);
			return -1;
		}
	}
	if (!p->reaped) {
		/* a created task killed by delete --force: its exit may not be reaped yet */
		p->reaped = true;
		p->exit_status = 128 + SIGKILL;
		clock_gettime(CLOCK_REALTIME, &p->exited_at);
	}
	if (t->rootfs)
		shim_unmount_rootfs(t->rootfs);
	oom_stop(t);
	publish_delete(t, p);
	return 0;
}

int shim_task_delete(struct shim_task *t, struct shim_proc *p, uint32_t *pid, uint32_t *status,
		     struct timespec *exited_at, struct berth_err **err)
{
	if (p == t->init) {
		if (init_delete(t, p, err) < 0)
			return -1;
		t->init = NULL;
	} else {
		if (p->state != SHIM_PROC_CREATED && p->state != SHIM_PROC_STOPPED)
			return berth_err_new(err, BERTH_E_PRECONDITION,
					     "cannot delete a %s process", state_name(p->state));
		for (struct shim_proc **pp = &t->execs; *pp; pp = &(*pp)->next) {
			if (*pp == p) {
				*pp = p->next;
				break;
			}
		}
	}
	*pid = (uint32_t)p->pid;
	*status = p->exit_status;
	*exited_at = p->exited_at;
	proc_free(p);
	return 0;
}

int shim_task_exec(struct shim_task *t, const char *exec_id, bool terminal, const char *in,
		   const char *out, const char *errp, const char *spec_json, struct berth_err **err)
{
	Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
	struct shim_proc *p;

	if (!exec_id || !*exec_id || strchr(exec_id, '/'))
		return berth_err_new(err, BERTH_E_INVALID, "exec_id '%s': invalid",
				     exec_id ? exec_id : "");
	if (!t->init || t->init->reaped || t->init->state != SHIM_PROC_RUNNING)
		return berth_err_new(err, BERTH_E_PRECONDITION, "task '%s' must be running to exec",
				     t->id);
	for (p = t->execs; p; p = p->next)
		if (strcmp(p->exec_id, exec_id) == 0)
			return berth_err_new(err, BERTH_E_EXISTS, "exec '%s' already exists",
					     exec_id);
	if (!shim_jscan_valid(spec_json, strlen(spec_json)))
		return berth_err_new(err, BERTH_E_INVALID, "exec '%s': spec: invalid JSON",
				     exec_id);
	if (!shim_jscan_has(spec_json, "args"))
		return berth_err_new(err, BERTH_E_INVALID, "exec '%s': spec: missing 'args'",
				     exec_id);
	p = proc_new(t, exec_id, terminal, in, out, errp);
	p->spec_json = xstrdup(spec_json);
	p->next = t->execs;
	t->execs = p;
	ev.container_id = t->id;
	ev.exec_id = p->exec_id;
	publish(t, "/tasks/exec-added", "TaskExecAdded", &ev.base);
	return 0;
}

static int pause_resume(struct shim_task *t, bool pause, struct berth_err **err)
{
	Containerd__Events__TaskPaused paused = CONTAINERD__EVENTS__TASK_PAUSED__INIT;
	Containerd__Events__TaskResumed resumed = CONTAINERD__EVENTS__TASK_RESUMED__INIT;
	const char *args[] = {pause ? "pause" : "resume", t->id, NULL};
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;
	struct shim_proc *p = t->init;

	if (p->reaped || p->state != (pause ? SHIM_PROC_RUNNING : SHIM_PROC_PAUSED))
		return berth_err_new(err, BERTH_E_PRECONDITION, "cannot %s a %s task",
				     pause ? "pause" : "resume",
				     p->reaped ? "stopped" : state_name(p->state));
	if (shim_runtime_run(&t->rt, args, &o, err) < 0)
		return -1;
	p->state = pause ? SHIM_PROC_PAUSED : SHIM_PROC_RUNNING;
	if (pause) {
		paused.container_id = t->id;
		publish(t, "/tasks/paused", "TaskPaused", &paused.base);
	} else {
		resumed.container_id = t->id;
		publish(t, "/tasks/resumed", "TaskResumed", &resumed.base);
	}
	return 0;
}

int shim_task_pause(struct shim_task *t, struct berth_err **err)
{
	return pause_resume(t, true, err);
}

int shim_task_resume(struct shim_task *t, struct berth_err **err)
{
	return pause_resume(t, false, err);
}

int shim_task_update(struct shim_task *t, const char *resources_json, struct berth_err **err)
{
	const char *args[] = {"update", "--resources", "-", t->id, NULL};
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;

	if (!shim_jscan_valid(resources_json, strlen(resources_json)))
		return berth_err_new(err, BERTH_E_INVALID, "update: resources: invalid JSON");
	if (t->init->reaped)
		return berth_err_new(err, BERTH_E_PRECONDITION, "cannot update a stopped task");
	o.input = resources_json;
	return shim_runtime_run(&t->rt, args, &o, err);
}

int shim_task_pids(struct shim_task *t, uint32_t **pids, size_t *n, struct berth_err **err)
{
	const char *args[] = {"ps", "--format", "json", t->id, NULL};
	struct shim_run_opts o = SHIM_RUN_OPTS_INIT;
	cleanup_free char *out = NULL;

	o.output = &out;
	if (shim_runtime_run(&t->rt, args, &o, err) < 0)
		return -1;
	if (shim_jscan_int_array(out, pids, n) < 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "%s ps: unexpected output '%.64s'",
				     t->rt.binary, out);
	return 0;
}

static void wait_reply(struct shim_proc *p, struct ttrpc_call *call)
{
	Containerd__Task__V2__WaitResponse resp = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	shim_timestamp_set(&ts, &p->exited_at);
	resp.exit_status = p->exit_status;
	resp.exited_at = &ts;
	ttrpc_call_reply(call, &resp.base);
}

void shim_task_wait(struct shim_task *t, struct shim_proc *p, struct ttrpc_call *call)
{
	if (p->state == SHIM_PROC_STOPPED) {
		wait_reply(p, call);
		return;
	}
	p->waiters = xreallocarray(p->waiters, p->n_waiters + 1, sizeof(*p->waiters));
	p->waiters[p->n_waiters++] = call;
}

/* The exit is complete: output drained (or given up on). */
static void finalize_exit(void *data)
{
	struct shim_proc *p = data;
	struct shim_task *t = p->task;
	Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	if (p->state == SHIM_PROC_STOPPED)
		return;
	evloop_remove(t->loop, p->grace);
	p->grace = NULL;
	p->state = SHIM_PROC_STOPPED;
	shim_timestamp_set(&ts, &p->exited_at);
	ev.container_id = t->id;
	ev.id = *p->exec_id ? p->exec_id : t->id;
	ev.pid = (uint32_t)p->pid;
	ev.exit_status = p->exit_status;
	ev.exited_at = &ts;
	publish(t, "/tasks/exit", "TaskExit", &ev.base);
	for (size_t i = 0; i < p->n_waiters; i++)
		wait_reply(p, p->waiters[i]);
	free(p->waiters);
	p->waiters = NULL;
	p->n_waiters = 0;
}

static void grace_expired(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct shim_proc *p = data;

	p->grace = NULL;
	if (p->io && shim_stdio_is_flushing(p->io))
		return; /* output done, a logger is finishing: its own bound applies */
	log_warn("pid %d exited but its output is still open: not waiting for it", p->pid);
	finalize_exit(p);
}

/* true if pid was the logger of one of t's processes */
static bool reap_logger(struct shim_task *t, pid_t pid, int status)
{
	if (t->init && t->init->io && shim_stdio_reap(t->init->io, pid, status))
		return true;
	for (struct shim_proc *e = t->execs; e; e = e->next)
		if (e->io && shim_stdio_reap(e->io, pid, status))
			return true;
	return false;
}

void shim_task_on_exit(struct shim_task *t, pid_t pid, int status)
{
	struct shim_proc *p = t->init && t->init->pid == pid ? t->init : NULL;

	/* first: a logger's exit is never a container process's */
	if (reap_logger(t, pid, status))
		return;

	for (struct shim_proc *e = t->execs; !p && e; e = e->next)
		if (e->pid == pid && !e->reaped)
			p = e;
	if (!p || p->reaped)
		return; /* an orphan reparented to us, or a runtime helper */
	p->reaped = true;
	clock_gettime(CLOCK_REALTIME, &p->exited_at);
	if (WIFEXITED(status))
		p->exit_status = (uint32_t)WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		p->exit_status = 128 + (uint32_t)WTERMSIG(status);
	log_debug("pid %d (%s) exited with %u", pid, *p->exec_id ? p->exec_id : "init",
		  p->exit_status);
	if (!p->io || shim_stdio_is_drained(p->io)) {
		finalize_exit(p);
		return;
	}
	p->grace = evloop_timer_add(t->loop, EXIT_GRACE_MS, grace_expired, p, NULL);
	shim_stdio_on_drained(p->io, finalize_exit, p);
}
