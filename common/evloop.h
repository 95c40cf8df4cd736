/*
 * common/evloop.h - a single-threaded epoll event loop.
 *
 * Owns the epoll fd and the watches (fd + callback). A watch does not own its
 * fd unless it is a timer (evloop_timer_add creates and closes its timerfd).
 * evloop_remove() may be called from any callback, for any watch: the watch
 * is unregistered at once and freed after the current batch of events, so a
 * callback never sees a freed watch. No locks: use from one thread only.
 */
#ifndef BERTH_COMMON_EVLOOP_H
#define BERTH_COMMON_EVLOOP_H

#include <stdint.h>
#include <sys/epoll.h>

#include "common/err.h"

struct evloop;
struct evloop_watch;

/* events: the EPOLL* bits that fired (0 for a timer). */
typedef void (*evloop_fn)(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data);

struct evloop *evloop_new(struct berth_err **err);
/* Frees every watch (closing timer fds only); accepts NULL. */
void evloop_free(struct evloop *loop);

/* Watches fd (borrowed: the caller closes it after evloop_remove) for events. */
struct evloop_watch *evloop_add(struct evloop *loop, int fd, uint32_t events, evloop_fn fn,
				void *data, struct berth_err **err);
int evloop_mod(struct evloop *loop, struct evloop_watch *w, uint32_t events,
	       struct berth_err **err);
/* Unregisters w; it is freed after the current dispatch. Accepts NULL. */
void evloop_remove(struct evloop *loop, struct evloop_watch *w);
int evloop_watch_fd(const struct evloop_watch *w);

/*
 * One-shot timer firing after ms milliseconds. It is removed (and its fd closed)
 * when it fires, so the callback must forget it; evloop_remove() before that cancels it.
 */
struct evloop_watch *evloop_timer_add(struct evloop *loop, uint64_t ms, evloop_fn fn, void *data,
				      struct berth_err **err);

/*
 * Waits up to timeout_ms (-1: forever) and dispatches what is ready.
 * Returns the number of events dispatched (0 on timeout or EINTR).
 */
int evloop_run_once(struct evloop *loop, int timeout_ms, struct berth_err **err);

#endif
