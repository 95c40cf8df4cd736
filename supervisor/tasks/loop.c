/*
 * supervisor/tasks/loop.c - the manager thread: runs the evloop that owns every ttrpc
 * connection, and the jobs other threads queue for it (an eventfd wakes it up).
 * Jobs run in the order they were posted. Stopping runs what is still queued first, so a
 * job posted before tasks_loop_free() always runs (callers rely on that to free things).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/tasks/tasks_internal.h"

struct job {
	tasks_job_fn fn;
	void *arg;
	struct job *next;
};

struct tasks_loop {
	struct evloop *loop;
	struct evloop_watch *wake;
	int efd;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	struct job *head, *tail;
	bool stop; /* manager thread */
};

static void run_jobs(struct tasks_loop *l)
{
	for (;;) {
		struct job *j;

		pthread_mutex_lock(&l->lock);
		j = l->head;
		if (j) {
			l->head = j->next;
			if (!l->head)
				l->tail = NULL;
		}
		pthread_mutex_unlock(&l->lock);
		if (!j)
			return;
		j->fn(j->arg);
		free(j);
	}
}

static void on_wake(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct tasks_loop *l = data;
	uint64_t v;

	while (read(l->efd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	run_jobs(l);
}

static void *loop_main(void *arg)
{
	struct tasks_loop *l = arg;

	while (!l->stop) {
		struct berth_err *err = NULL;

		if (evloop_run_once(l->loop, -1, &err) < 0) {
			log_error("tasks: event loop: %s", err->msg);
			berth_err_free(&err);
		}
	}
	run_jobs(l);
	return NULL;
}

struct tasks_loop *tasks_loop_new(struct berth_err **err)
{
	struct tasks_loop *l = xnew(struct tasks_loop);
	int e;

	pthread_mutex_init(&l->lock, NULL);
	l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->efd < 0) {
		berth_err_sys(err, errno, "eventfd");
		tasks_loop_free(l);
		return NULL;
	}
	l->loop = evloop_new(err);
	if (!l->loop) {
		tasks_loop_free(l);
		return NULL;
	}
	l->wake = evloop_add(l->loop, l->efd, EPOLLIN, on_wake, l, err);
	if (!l->wake) {
		tasks_loop_free(l);
		return NULL;
	}
	e = pthread_create(&l->thread, NULL, loop_main, l);
	if (e) {
		berth_err_sys(err, e, "start the tasks thread");
		tasks_loop_free(l);
		return NULL;
	}
	l->started = true;
	return l;
}

static void job_stop(void *arg)
{
	struct tasks_loop *l = arg;

	l->stop = true;
}

void tasks_loop_free(struct tasks_loop *l)
{
	if (!l)
		return;
	if (l->started) {
		tasks_loop_post(l, job_stop, l);
		pthread_join(l->thread, NULL);
	}
	evloop_free(l->loop);
	if (l->efd >= 0)
		close(l->efd);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

struct evloop *tasks_loop_evloop(struct tasks_loop *l)
{
	return l->loop;
}

void tasks_loop_post(struct tasks_loop *l, tasks_job_fn fn, void *arg)
{
	struct job *j = xnew(struct job);
	uint64_t one = 1;

	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&l->lock);
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	pthread_mutex_unlock(&l->lock);
	/* EAGAIN only when the counter is saturated: the loop is awake anyway */
	while (write(l->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

struct sync_job {
	tasks_job_fn fn;
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void run_sync_job(void *arg)
{
	struct sync_job *s = arg;

	s->fn(s->arg);
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void tasks_loop_run_sync(struct tasks_loop *l, tasks_job_fn fn, void *arg)
{
	struct sync_job s = {.fn = fn, .arg = arg};

	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	tasks_loop_post(l, run_sync_job, &s);
	pthread_mutex_lock(&s.lock);
	while (!s.done)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	pthread_cond_destroy(&s.cond);
	pthread_mutex_destroy(&s.lock);
}
