/*
 * supervisor/tasks/dead.c - a shim that dies under a live task (killed, crashed), as
 * containerd's cleanupAfterDeadShim handles it: `<shim> delete` (which cleans up after the
 * runtime and reports the init's exit), /tasks/exit and /tasks/delete published with that
 * status (255 when unknown), the bundle removed, the task dropped from the table.
 *
 * The shim's pid (from Connect) is watched with a pidfd on the manager thread. Whoever
 * takes the task out of the table owns its end: tasks_delete() takes it out before it
 * shuts the shim down, so an orderly exit is never mistaken for a death. The cleanup
 * runs `delete`, which blocks, so it runs on a thread of its own; the manager waits for
 * these threads before it stops.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/api/events/task.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "supervisor/tasks/tasks_internal.h"

#define DEAD_EXIT_STATUS 255

static void publish(struct tasks_manager *m, const char *ns, const char *topic,
		    const char *type_url, const ProtobufCMessage *ev)
{
	cleanup_free uint8_t *buf = xmalloc(protobuf_c_message_get_packed_size(ev) + 1);
	size_t len = protobuf_c_message_pack(ev, buf);

	if (m->on_event)
		m->on_event(m->event_arg, 0, ns, topic, type_url, buf, len);
}

static void publish_exit(struct tasks_task *t, const struct tasks_exit *x)
{
	Containerd__Events__TaskExit ex = CONTAINERD__EVENTS__TASK_EXIT__INIT;
	Containerd__Events__TaskDelete del = CONTAINERD__EVENTS__TASK_DELETE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;

	ts.seconds = x->exited_ns / 1000000000;
	ts.nanos = (int32_t)(x->exited_ns % 1000000000);
	ex.container_id = t->id;
	ex.id = t->id;
	ex.pid = x->pid;
	ex.exit_status = x->status;
	ex.exited_at = &ts;
	publish(t->m, t->ns, "/tasks/exit", "containerd.events.TaskExit", &ex.base);
	del.container_id = t->id;
	del.pid = x->pid;
	del.exit_status = x->status;
	del.exited_at = &ts;
	publish(t->m, t->ns, "/tasks/delete", "containerd.events.TaskDelete", &del.base);
}

static void *cleanup_main(void *arg)
{
	struct tasks_task *t = arg;
	struct tasks_manager *m = t->m;
	struct tasks_exit x = {.status = DEAD_EXIT_STATUS};

	if (tasks_table_remove(m, t)) {
		log_warn("task '%s' (namespace '%s'): shim died: cleaning up", t->id, t->ns);
		tasks_task_close_sync(t);
		if (tasks_shim_delete(t, &x) < 0) {
			struct timespec now;

			clock_gettime(CLOCK_REALTIME, &now);
			x.status = DEAD_EXIT_STATUS;
			x.exited_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
		}
		publish_exit(t, &x);
		tasks_bundle_remove(t->bundle);
	}
	tasks_task_put(t);
	pthread_mutex_lock(&m->lock);
	m->cleanups--;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

static void shim_exited(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct tasks_task *t = data;
	struct tasks_manager *m = t->m;
	pthread_attr_t attr;
	pthread_t th;
	bool go;

	evloop_remove(loop, t->pid_watch);
	t->pid_watch = NULL;
	close(t->pidfd);
	t->pidfd = -1;
	pthread_mutex_lock(&m->lock);
	go = !m->stopping;
	if (go)
		m->cleanups++;
	pthread_mutex_unlock(&m->lock);
	if (!go)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	tasks_task_ref(t);
	if (pthread_create(&th, &attr, cleanup_main, t) != 0) {
		log_error("task '%s': shim died, and no thread to clean up: %s", t->id,
			  strerror(errno));
		tasks_task_put(t);
		pthread_mutex_lock(&m->lock);
		m->cleanups--;
		pthread_mutex_unlock(&m->lock);
	}
	pthread_attr_destroy(&attr);
}

struct watch_job {
	struct tasks_task *t;
	int fd;
};

static void watch_job_run(void *arg)
{
	struct watch_job *j = arg;
	struct tasks_task *t = j->t;
	struct berth_err *err = NULL;

	if (t->closed || t->pidfd >= 0) {
		close(j->fd);
	} else {
		t->pidfd = j->fd;
		t->pid_watch = evloop_add(tasks_loop_evloop(t->m->loop), j->fd, EPOLLIN,
					  shim_exited, t, &err);
		if (!t->pid_watch) {
			log_warn("task '%s': cannot watch the shim: %s", t->id, err->msg);
			berth_err_free(&err);
			close(t->pidfd);
			t->pidfd = -1;
		}
	}
	tasks_task_put(t);
	free(j);
}

void tasks_task_watch_shim(struct tasks_task *t, uint32_t shim_pid)
{
	struct watch_job *j;
	int fd;

	if (!shim_pid)
		return;
	fd = (int)syscall(SYS_pidfd_open, (pid_t)shim_pid, 0);
	if (fd < 0) {
		/* ESRCH: already gone; calls will fail and Delete cleans up */
		log_warn("task '%s': pidfd of shim %u: %s", t->id, shim_pid, strerror(errno));
		return;
	}
	j = xnew(struct watch_job);
	j->t = tasks_task_ref(t);
	j->fd = fd;
	tasks_loop_post(t->m->loop, watch_job_run, j);
}

void tasks_task_unwatch_shim(struct tasks_task *t)
{
	evloop_remove(tasks_loop_evloop(t->m->loop), t->pid_watch);
	t->pid_watch = NULL;
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}
