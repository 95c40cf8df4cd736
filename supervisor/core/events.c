/*
 * supervisor/core/events.c - the event fan-out (events.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/core/events.h"
#include "supervisor/core/filter.h"
#include "supervisor/meta/meta.h"

struct sub {
	struct core_filter *filter;
	core_event_deliver_fn deliver;
	core_event_end_fn end;
	void *arg;
	struct sub *next;
};

struct core_events {
	pthread_mutex_t lock;
	struct sub *subs;
};

struct core_events *core_events_new(void)
{
	struct core_events *bus = xnew(struct core_events);

	pthread_mutex_init(&bus->lock, NULL);
	return bus;
}

void core_events_free(struct core_events *bus)
{
	if (!bus)
		return;
	if (bus->subs)
		log_warn("events: subscribers left at exit");
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

static void sub_free(struct sub *s)
{
	core_filter_free(s->filter);
	free(s);
}

int core_events_subscribe(struct core_events *bus, struct core_filter *filter,
			  core_event_deliver_fn deliver, core_event_end_fn end, void *arg,
			  core_event_gone_fn gone)
{
	struct sub *s = xnew(struct sub);

	s->filter = filter;
	s->deliver = deliver;
	s->end = end;
	s->arg = arg;
	pthread_mutex_lock(&bus->lock);
	if (gone && gone(arg)) {
		pthread_mutex_unlock(&bus->lock);
		sub_free(s);
		return -1;
	}
	s->next = bus->subs;
	bus->subs = s;
	pthread_mutex_unlock(&bus->lock);
	return 0;
}

bool core_events_unsubscribe(struct core_events *bus, void *arg)
{
	struct sub *found = NULL;

	pthread_mutex_lock(&bus->lock);
	for (struct sub **pp = &bus->subs; *pp; pp = &(*pp)->next)
		if ((*pp)->arg == arg) {
			found = *pp;
			*pp = found->next;
			break;
		}
	pthread_mutex_unlock(&bus->lock);
	if (!found)
		return false;
	sub_free(found);
	return true;
}

static const char *event_field(const void *obj, char *const *path, size_t n)
{
	const struct core_event *ev = obj;

	if (n == 1 && strcmp(path[0], "topic") == 0)
		return ev->topic;
	if (n == 1 && strcmp(path[0], "namespace") == 0)
		return ev->ns;
	return NULL;
}

void core_events_publish(struct core_events *bus, const struct core_event *in)
{
	struct core_event ev = *in;
	struct sub *dead = NULL;

	if (!bus)
		return;
	if (!ev.ts_ns)
		ev.ts_ns = meta_now();
	pthread_mutex_lock(&bus->lock);
	for (struct sub **pp = &bus->subs; *pp;) {
		struct sub *s = *pp;

		if (!core_filter_match(s->filter, event_field, &ev) ||
		    s->deliver(s->arg, &ev) == 0) {
			pp = &s->next;
			continue;
		}
		*pp = s->next; /* delivery failed: the subscriber is gone */
		s->next = dead;
		dead = s;
	}
	pthread_mutex_unlock(&bus->lock);
	while (dead) {
		struct sub *s = dead;

		dead = s->next;
		s->end(s->arg);
		sub_free(s);
	}
}
