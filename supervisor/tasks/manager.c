/*
 * supervisor/tasks/manager.c - the task table and the life cycle of a task's shim: create
 * (bundle, `start`, Create, Connect), delete (Delete, Shutdown, `delete`, bundle), and
 * re-finding running shims from the bundles after a berthd restart (see tasks.h).
 *
 * The table holds one reference per task; a task is visible to tasks_get only once it is
 * ready (its shim answered Create, or Connect after a restart), but its name is taken from
 * the start of create, so two creates of one id cannot race.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "supervisor/tasks/tasks_internal.h"

#define SHUTDOWN_TIMEOUT_MS 3000
#define CONNECT_TIMEOUT_MS 5000

typedef Containerd__Task__V2__CreateTaskRequest CreateTaskRequest;

/* ---- references and the table ---- */

static struct tasks_task *task_new(struct tasks_manager *m, const char *ns, const char *id)
{
	struct tasks_task *t = xnew(struct tasks_task);

	t->m = m;
	t->refs = 1;
	t->ns = xstrdup(ns);
	t->id = xstrdup(id);
	t->log_fd = -1;
	t->pidfd = -1;
	return t;
}

struct tasks_task *tasks_task_ref(struct tasks_task *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void tasks_task_put(struct tasks_task *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* the connection and the log FIFO were closed on the manager thread before */
	free(t->ns);
	free(t->id);
	free(t->bundle);
	free(t->address);
	free(t->shim_binary);
	free(t);
}

void tasks_task_putp(struct tasks_task **t)
{
	tasks_task_put(*t);
}

const char *tasks_task_id(const struct tasks_task *t)
{
	return t->id;
}

const char *tasks_task_ns(const struct tasks_task *t)
{
	return t->ns;
}

/* Under m->lock. */
static struct tasks_task **table_find(struct tasks_manager *m, const char *ns, const char *id)
{
	for (struct tasks_task **pp = &m->tasks; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->ns, ns) == 0 && strcmp((*pp)->id, id) == 0)
			return pp;
	return NULL;
}

/* Takes the name (ns, id): the table's reference is t's first one. */
static int table_add(struct tasks_manager *m, struct tasks_task *t, bool ready,
		     struct berth_err **err)
{
	pthread_mutex_lock(&m->lock);
	if (table_find(m, t->ns, t->id)) {
		pthread_mutex_unlock(&m->lock);
		return berth_err_new(err, BERTH_E_EXISTS, "task '%s': already exists", t->id);
	}
	t->ready = ready;
	t->next = m->tasks;
	m->tasks = tasks_task_ref(t);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

bool tasks_table_remove(struct tasks_manager *m, struct tasks_task *t)
{
	struct tasks_task **pp;
	bool found = false;

	pthread_mutex_lock(&m->lock);
	pp = table_find(m, t->ns, t->id);
	if (pp && *pp == t) {
		*pp = t->next;
		found = true;
	}
	pthread_mutex_unlock(&m->lock);
	if (found)
		tasks_task_put(t);
	return found;
}

static void table_set_ready(struct tasks_manager *m, struct tasks_task *t)
{
	pthread_mutex_lock(&m->lock);
	t->ready = true;
	pthread_mutex_unlock(&m->lock);
}

struct tasks_task *tasks_get(struct tasks_manager *m, const char *ns, const char *id,
			     struct berth_err **err)
{
	struct tasks_task **pp, *t = NULL;

	pthread_mutex_lock(&m->lock);
	pp = table_find(m, ns, id);
	if (pp && (*pp)->ready)
		t = tasks_task_ref(*pp);
	pthread_mutex_unlock(&m->lock);
	if (!t)
		berth_err_new(err, BERTH_E_NOT_FOUND, "task '%s' not found", id);
	return t;
}

size_t tasks_list(struct tasks_manager *m, const char *ns, struct tasks_task ***out)
{
	struct tasks_task **v = NULL;
	size_t n = 0;

	pthread_mutex_lock(&m->lock);
	for (struct tasks_task *t = m->tasks; t; t = t->next) {
		if (!t->ready || (ns && strcmp(t->ns, ns) != 0))
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = tasks_task_ref(t);
	}
	pthread_mutex_unlock(&m->lock);
	*out = v;
	return n;
}

void tasks_list_put(struct tasks_task **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tasks_task_put(v[i]);
	free(v);
}

/* ---- shim processes ---- */

static struct tasks_shim_cmd shim_cmd(const struct tasks_task *t)
{
	const struct tasks_manager *m = t->m;

	return (struct tasks_shim_cmd){
		.binary = t->shim_binary,
		.ns = t->ns,
		.id = t->id,
		.address = m->address,
		.ttrpc_address = m->ttrpc_address,
		.publish_binary = m->publish_binary,
		.socket_dir = m->socket_dir,
		.bundle = t->bundle,
	};
}

static void exit_from_resp(struct tasks_exit *x, const Containerd__Task__V2__DeleteResponse *r);

/* `<shim> delete`: cleans up what a dead or shut-down shim left (mounts, runtime state). */
int tasks_shim_delete(struct tasks_task *t, struct tasks_exit *x)
{
	struct tasks_shim_cmd c = shim_cmd(t);
	cleanup_err struct berth_err *err = NULL;
	cleanup_free char *out = NULL;
	Containerd__Task__V2__DeleteResponse *r;
	size_t len;

	if (!t->shim_binary)
		return -1;
	if (tasks_shim_run(&c, "delete", NULL, 0, &out, &len, &err) < 0) {
		log_warn("task '%s': %s", t->id, err->msg);
		return -1;
	}
	r = containerd__task__v2__delete_response__unpack(NULL, len, (const uint8_t *)out);
	if (!r) {
		log_warn("task '%s': '%s delete' printed no DeleteResponse", t->id, t->shim_binary);
		return -1;
	}
	exit_from_resp(x, r);
	containerd__task__v2__delete_response__free_unpacked(r, NULL);
	return 0;
}

static void shim_delete(struct tasks_task *t)
{
	struct tasks_exit x;

	tasks_shim_delete(t, &x);
}

static void shim_shutdown(struct tasks_task *t)
{
	Containerd__Task__V2__ShutdownRequest req = CONTAINERD__TASK__V2__SHUTDOWN_REQUEST__INIT;
	cleanup_err struct berth_err *err = NULL;

	req.id = t->id;
	/* the shim exits before answering, or answers and exits: both are fine */
	if (tasks_call(t, "Shutdown", &req.base, NULL, SHUTDOWN_TIMEOUT_MS, &err) < 0 &&
	    err->code != BERTH_E_UNAVAILABLE)
		log_debug("task '%s': shutdown: %s", t->id, err->msg);
}

/* Undoes a create that failed after the bundle existed. */
static void create_undo(struct tasks_task *t, bool started)
{
	if (started)
		shim_shutdown(t);
	tasks_task_close_sync(t);
	if (started)
		shim_delete(t);
	tasks_bundle_remove(t->bundle);
	tasks_table_remove(t->m, t);
}

static int shim_start(struct tasks_task *t, const struct tasks_create_opts *o,
		      struct berth_err **err)
{
	struct tasks_shim_cmd c = shim_cmd(t);
	cleanup_free char *out = NULL;
	size_t len = 0;
	char *s, *e;

	if (tasks_shim_run(&c, "start", o->options, o->options_len, &out, &len, err) < 0)
		return -1;
	for (s = out; *s == ' ' || *s == '\n' || *s == '\t' || *s == '\r'; s++)
		;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	*e = '\0';
	if (!*s || strchr(s, '\n'))
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "'%s start' printed '%s', not a shim address", t->shim_binary,
				     s);
	t->address = xstrdup(s);
	return 0;
}

static int bundle_make(struct tasks_task *t, const struct tasks_create_opts *o,
		       struct berth_err **err)
{
	struct tasks_manager *m = t->m;
	int log_fd = -1;

	t->bundle = tasks_bundle_create(m->root, o->ns, o->id, o->spec, o->spec_len, &log_fd, err);
	if (!t->bundle && berth_err_is(*err, EEXIST)) {
		/* no task has this name: a bundle left by a crash; containerd would fail until
		 * its restart cleanup, here it is simply replaced */
		cleanup_free char *stale = xasprintf("%s/%s/%s", m->root, o->ns, o->id);

		log_warn("task '%s': removing stale bundle '%s'", o->id, stale);
		berth_err_free(err);
		tasks_bundle_remove(stale);
		t->bundle = tasks_bundle_create(m->root, o->ns, o->id, o->spec, o->spec_len,
						&log_fd, err);
	}
	if (!t->bundle)
		return -1;
	tasks_task_watch_log_async(t, log_fd);
	return 0;
}

static int shim_create(struct tasks_task *t, const struct tasks_create_opts *o, uint32_t *pid,
		       uint32_t *shim_pid, struct berth_err **err)
{
	CreateTaskRequest req = *(const CreateTaskRequest *)o->req;
	Containerd__Task__V2__ConnectRequest creq = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
	Containerd__Task__V2__CreateTaskResponse *resp = NULL;
	Containerd__Task__V2__ConnectResponse *cresp = NULL;

	req.id = t->id;
	req.bundle = t->bundle;
	if (tasks_call(t, "Create", &req.base, (ProtobufCMessage **)&resp, 0, err) < 0)
		return -1;
	*pid = resp->pid;
	containerd__task__v2__create_task_response__free_unpacked(resp, NULL);
	creq.id = t->id;
	if (tasks_call(t, "Connect", &creq.base, (ProtobufCMessage **)&cresp, CONNECT_TIMEOUT_MS,
		       err) < 0)
		return -1;
	if (cresp->task_pid)
		*pid = cresp->task_pid;
	*shim_pid = cresp->shim_pid;
	containerd__task__v2__connect_response__free_unpacked(cresp, NULL);
	return 0;
}

int tasks_create(struct tasks_manager *m, const struct tasks_create_opts *o, uint32_t *pid,
		 struct berth_err **err)
{
	cleanup(tasks_task_putp) struct tasks_task *t = task_new(m, o->ns, o->id);
	cleanup_close int dfd = -1;
	uint32_t shim_pid = 0;

	if (table_add(m, t, false, err) < 0)
		return -1;
	t->shim_binary = tasks_shim_binary(o->runtime, m->shim_dir, err);
	if (!t->shim_binary) {
		tasks_table_remove(m, t);
		return -1;
	}
	if (bundle_make(t, o, err) < 0) {
		tasks_task_close_sync(t);
		tasks_table_remove(m, t);
		return -1;
	}
	/* what a restarted berthd runs `delete` with (containerd writes the same file) */
	dfd = open(t->bundle, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		berth_err_sys(err, errno, "open '%s'", t->bundle);
	if (dfd < 0 || fs_write_replace(dfd, "shim-binary-path", t->shim_binary,
					strlen(t->shim_binary), 0600, err) < 0) {
		create_undo(t, false);
		return -1;
	}
	if (shim_start(t, o, err) < 0) {
		create_undo(t, false);
		return berth_err_wrap(err, "start shim for task '%s'", o->id);
	}
	if (shim_create(t, o, pid, &shim_pid, err) < 0) {
		create_undo(t, true);
		return berth_err_wrap(err, "create task '%s'", o->id);
	}
	table_set_ready(m, t);
	tasks_task_watch_shim(t, shim_pid);
	return 0;
}

static void exit_from_resp(struct tasks_exit *x, const Containerd__Task__V2__DeleteResponse *r)
{
	x->pid = r->pid;
	x->status = r->exit_status;
	x->exited_ns = r->exited_at ? r->exited_at->seconds * 1000000000 + r->exited_at->nanos : 0;
}

int tasks_delete(struct tasks_manager *m, struct tasks_task *t, struct tasks_exit *x,
		 struct berth_err **err)
{
	Containerd__Task__V2__DeleteRequest req = CONTAINERD__TASK__V2__DELETE_REQUEST__INIT;
	Containerd__Task__V2__DeleteResponse *r = NULL;
	cleanup_err struct berth_err *shim_err = NULL;

	req.id = t->id;
	if (tasks_call(t, "Delete", &req.base, (ProtobufCMessage **)&r, TASKS_CALL_TIMEOUT_MS,
		       &shim_err) < 0 &&
	    shim_err->code != BERTH_E_UNAVAILABLE) {
		*err = take_ptr(shim_err);
		return -1;
	}
	*x = (struct tasks_exit){0};
	if (r) {
		exit_from_resp(x, r);
		containerd__task__v2__delete_response__free_unpacked(r, NULL);
	}
	/* deleted in the shim (or the shim is gone): the task is no more; if the dead-shim
	 * cleanup took it out of the table first, the rest is its job */
	if (!tasks_table_remove(m, t))
		return 0;
	if (!shim_err)
		shim_shutdown(t);
	tasks_task_close_sync(t);
	if (shim_err) {
		/* what `delete` reports is the only exit status left */
		log_warn("task '%s': shim gone (%s): cleaning up", t->id, shim_err->msg);
		if (tasks_shim_delete(t, x) < 0)
			x->status = 255;
	} else {
		struct tasks_exit ignored;

		tasks_shim_delete(t, &ignored);
	}
	tasks_bundle_remove(t->bundle);
	return 0;
}

/* ---- re-finding shims after a restart ---- */

static char *read_small(const char *dir, const char *name)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, name);
	cleanup_err struct berth_err *err = NULL;
	char *s = NULL;
	size_t len;

	if (fs_read_file_max(AT_FDCWD, path, 4096, &s, &len, &err) < 0)
		return NULL;
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
	return s;
}

/* Waits (bounded) for a shim told to shut down to exit, else kills it (pid from Connect). */
static void shim_kill(uint32_t pid)
{
	if (pid <= 1)
		return;
	for (int i = 0; i < SHUTDOWN_TIMEOUT_MS / 50; i++) {
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			return;
		usleep(50 * 1000);
	}
	log_warn("shim %u did not exit after Shutdown: killing it", pid);
	kill((pid_t)pid, SIGKILL);
}

/*
 * Whether the shim at t->address holds task t: false only when it says NOT_FOUND (a shim
 * started for a create that berthd did not finish: it died between `start` and Create).
 */
static bool shim_has_task(struct tasks_task *t)
{
	Containerd__Task__V2__StateRequest req = CONTAINERD__TASK__V2__STATE_REQUEST__INIT;
	cleanup_err struct berth_err *err = NULL;
	ProtobufCMessage *resp = NULL;

	req.id = t->id;
	if (tasks_call(t, "State", &req.base, &resp, CONNECT_TIMEOUT_MS, &err) == 0) {
		protobuf_c_message_free_unpacked(resp, NULL);
		return true;
	}
	return err->code != BERTH_E_NOT_FOUND;
}

/*
 * A bundle under <state>: reattach its shim (it answers Connect and holds the task), or
 * clean up what a dead shim, or a create berthd did not finish, left: the shim told to
 * shut down (it is killed by `delete` if it does not), `<shim> delete` (runtime state,
 * mounts, the shim's socket), the bundle.
 */
static void restore_one(struct tasks_manager *m, const char *ns, const char *id)
{
	cleanup(tasks_task_putp) struct tasks_task *t = task_new(m, ns, id);
	Containerd__Task__V2__ConnectRequest req = CONTAINERD__TASK__V2__CONNECT_REQUEST__INIT;
	ProtobufCMessage *resp = NULL;
	cleanup_err struct berth_err *err = NULL;
	int log_fd;

	t->bundle = xasprintf("%s/%s/%s", m->root, ns, id);
	t->address = read_small(t->bundle, "address");
	t->shim_binary = read_small(t->bundle, "shim-binary-path");
	if (table_add(m, t, false, &err) < 0)
		return;
	log_fd = tasks_bundle_open_log(t->bundle);
	if (log_fd >= 0)
		tasks_task_watch_log_async(t, log_fd);
	req.id = t->id;
	if (t->address &&
	    tasks_call(t, "Connect", &req.base, &resp, CONNECT_TIMEOUT_MS, &err) == 0) {
		uint32_t shim_pid = ((Containerd__Task__V2__ConnectResponse *)resp)->shim_pid;

		protobuf_c_message_free_unpacked(resp, NULL);
		if (!shim_has_task(t)) {
			log_warn("task '%s' (namespace '%s'): the shim at '%s' has no task (berthd "
				 "stopped during its create): shutting it down",
				 id, ns, t->address);
			shim_shutdown(t);
			tasks_task_close_sync(t);
			shim_kill(shim_pid);
			shim_delete(t);
			tasks_bundle_remove(t->bundle);
			tasks_table_remove(m, t);
			return;
		}
		table_set_ready(m, t);
		tasks_task_watch_shim(t, shim_pid);
		log_info("task '%s' (namespace '%s'): shim reconnected at '%s'", id, ns,
			 t->address);
		return;
	}
	log_warn("task '%s' (namespace '%s'): shim gone (%s): cleaning up", id, ns,
		 err ? err->msg : "no address file");
	tasks_task_close_sync(t);
	shim_delete(t);
	tasks_bundle_remove(t->bundle);
	tasks_table_remove(m, t);
}

static void restore_ns(struct tasks_manager *m, const char *ns)
{
	cleanup_free char *dir = xasprintf("%s/%s", m->root, ns);
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_type == DT_DIR)
			restore_one(m, ns, de->d_name);
}

/* A socket in the shim socket dir nobody listens on any more (a shim killed with -9). */
static void sweep_dead_socket(const char *dir, const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || (size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", dir, name) >=
			      sizeof(sun.sun_path))
		return;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 && errno == ECONNREFUSED) {
		log_info("removing the dead shim socket '%s'", sun.sun_path);
		unlink(sun.sun_path);
	}
}

static void restore(struct tasks_manager *m)
{
	cleanup_dir DIR *d = opendir(m->root);
	cleanup_dir DIR *sd = NULL;
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_type == DT_DIR)
			restore_ns(m, de->d_name);
	/* live sockets there may be another daemon's (the directory can be shared): only the
	 * dead ones go */
	sd = m->socket_dir ? opendir(m->socket_dir) : NULL;
	while (sd && (de = readdir(sd)))
		if (de->d_type == DT_SOCK)
			sweep_dead_socket(m->socket_dir, de->d_name);
}

/* ---- the manager ---- */

struct listen_job {
	struct tasks_manager *m;
	struct berth_err *err;
	int ret;
};

static void listen_job_run(void *arg)
{
	struct listen_job *j = arg;

	j->ret = tasks_events_listen(j->m, &j->err);
}

struct tasks_manager *tasks_manager_new(const struct tasks_manager_opts *o, struct berth_err **err)
{
	struct tasks_manager *m = xnew(struct tasks_manager);
	struct listen_job lj = {.m = m};

	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->state = xstrdup(o->state);
	m->root = xasprintf("%s/%s", o->state, TASKS_DIR_NAME);
	m->address = xstrdup(o->address);
	m->ttrpc_address =
		o->ttrpc_address ? xstrdup(o->ttrpc_address) : xasprintf("%s.ttrpc", o->address);
	m->publish_binary = xstrdup(o->publish_binary ? o->publish_binary : "");
	m->shim_dir = xstrdup_or_null(o->shim_dir);
	m->socket_dir = xstrdup_or_null(o->socket_dir);
	m->on_event = o->on_event;
	m->event_arg = o->event_arg;
	if (fs_mkdir_p(m->root, 0711, err) < 0) {
		tasks_manager_free(m);
		return NULL;
	}
	m->loop = tasks_loop_new(err);
	if (!m->loop) {
		tasks_manager_free(m);
		return NULL;
	}
	tasks_loop_run_sync(m->loop, listen_job_run, &lj);
	if (lj.ret < 0) {
		*err = lj.err;
		tasks_manager_free(m);
		return NULL;
	}
	restore(m);
	return m;
}

static void close_all_job(void *arg)
{
	struct tasks_manager *m = arg;

	pthread_mutex_lock(&m->lock);
	for (struct tasks_task *t = m->tasks; t; t = t->next)
		tasks_task_close_io(t);
	pthread_mutex_unlock(&m->lock);
	ttrpc_server_free(m->events);
	m->events = NULL;
}

void tasks_manager_free(struct tasks_manager *m)
{
	if (!m)
		return;
	/* dead-shim cleanups use the loop: let them finish first */
	pthread_mutex_lock(&m->lock);
	m->stopping = true;
	while (m->cleanups)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
	if (m->loop) {
		/* the shims keep running; a restarted berthd re-finds them */
		tasks_loop_run_sync(m->loop, close_all_job, m);
		tasks_loop_free(m->loop);
	}
	while (m->tasks) {
		struct tasks_task *t = m->tasks;

		m->tasks = t->next;
		tasks_task_put(t);
	}
	if (m->ttrpc_address && m->events == NULL && m->loop)
		unlink(m->ttrpc_address);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m->state);
	free(m->root);
	free(m->address);
	free(m->ttrpc_address);
	free(m->publish_binary);
	free(m->shim_dir);
	free(m->socket_dir);
	free(m);
}
