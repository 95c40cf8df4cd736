/* common/evloop.c - see evloop.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/xalloc.h"

#define EVLOOP_BATCH 32

struct evloop_watch {
	int fd;
	bool owns_fd; /* timers: the timerfd is ours */
	bool dead;
	evloop_fn fn;
	void *data;
	struct evloop_watch *next_dead;
};

struct evloop {
	int epfd;
	struct evloop_watch *dead; /* removed, freed after the current batch */
	struct evloop_watch **all; /* every live watch, for evloop_free */
	size_t n_all;
};

struct evloop *evloop_new(struct berth_err **err)
{
	struct evloop *loop;
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		return berth_err_sys(err, errno, "epoll_create1"), NULL;
	loop = xnew(struct evloop);
	loop->epfd = fd;
	return loop;
}

static void watch_free(struct evloop_watch *w)
{
	if (w->owns_fd && w->fd >= 0)
		close(w->fd);
	free(w);
}

static void reap_dead(struct evloop *loop)
{
	while (loop->dead) {
		struct evloop_watch *w = loop->dead;

		loop->dead = w->next_dead;
		watch_free(w);
	}
}

void evloop_free(struct evloop *loop)
{
	if (!loop)
		return;
	for (size_t i = 0; i < loop->n_all; i++)
		watch_free(loop->all[i]);
	free(loop->all);
	reap_dead(loop);
	close(loop->epfd);
	free(loop);
}

static void track(struct evloop *loop, struct evloop_watch *w)
{
	loop->all = xreallocarray(loop->all, loop->n_all + 1, sizeof(*loop->all));
	loop->all[loop->n_all++] = w;
}

static void untrack(struct evloop *loop, struct evloop_watch *w)
{
	for (size_t i = 0; i < loop->n_all; i++) {
		if (loop->all[i] == w) {
			loop->all[i] = loop->all[--loop->n_all];
			return;
		}
	}
}

struct evloop_watch *evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn,
				void *data, struct berth_err **err)
{
	struct evloop_watch *w = xnew(struct evloop_watch);
	struct epoll_event ev = {.events = events, .data.ptr = w};

	w->fd = fd;
	w->fn = fn;
	w->data = data;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;

		free(w);
		return berth_err_sys(err, e, "epoll_ctl add fd %d", fd), NULL;
	}
	track(loop, w);
	return w;
}

int evloop_mod(struct evloop *loop, struct evloop_watch *w, uint32_t events, struct berth_err **err)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};

	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
		return berth_err_sys(err, errno, "epoll_ctl mod fd %d", w->fd);
	return 0;
}

void evloop_remove(struct evloop *loop, struct evloop_watch *w)
{
	if (!w || w->dead)
		return;
	/* the fd may already be closed by its owner: ignore the error */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->dead = true;
	untrack(loop, w);
	w->next_dead = loop->dead;
	loop->dead = w;
}

int evloop_watch_fd(const struct evloop_watch *w)
{
	return w->fd;
}

struct evloop_watch *evloop_timer_add(struct evloop *loop, uint64_t ms, evloop_fn fn, void *data,
				      struct berth_err **err)
{
	struct itimerspec its = {0};
	struct evloop_watch *w;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd < 0)
		return berth_err_sys(err, errno, "timerfd_create"), NULL;
	if (ms == 0)
		ms = 1; /* an all-zero it_value disarms the timer */
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		int e = errno;

		close(fd);
		return berth_err_sys(err, e, "timerfd_settime"), NULL;
	}
	w = evloop_add(loop, fd, EPOLLIN, fn, data, err);
	if (!w) {
		close(fd);
		return NULL;
	}
	w->owns_fd = true;
	return w;
}

int evloop_run_once(struct evloop *loop, int timeout_ms, struct berth_err **err)
{
	struct epoll_event evs[EVLOOP_BATCH];
	int n = epoll_wait(loop->epfd, evs, EVLOOP_BATCH, timeout_ms);

	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return berth_err_sys(err, errno, "epoll_wait");
	}
	for (int i = 0; i < n; i++) {
		struct evloop_watch *w = evs[i].data.ptr;

		if (w->dead)
			continue;
		if (w->owns_fd) {
			uint64_t ticks;

			/* a fired one-shot timer: drain it and retire it */
			if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
				continue;
			evloop_remove(loop, w);
			w->fn(loop, w, 0, w->data);
			continue;
		}
		w->fn(loop, w, evs[i].events, w->data);
	}
	reap_dead(loop);
	return n;
}
