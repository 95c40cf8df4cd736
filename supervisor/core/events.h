/*
 * supervisor/core/events.h - berthd's event fan-out: every event published in the daemon
 * (services, shims through the task manager, Events.Publish/Forward) goes to every
 * subscriber whose containerd filters (core/filter.h; fields "topic" and "namespace")
 * match. No protobuf here: an event is its namespace, topic and a packed Any (type_url +
 * value). The Events service's Subscribe stream is one kind of subscriber.
 *
 * A subscriber is (deliver, end, arg). deliver runs under the bus lock and must not block
 * (push to a queue); returning -1 says the subscriber is gone: the bus unlinks it and runs
 * end(arg) outside the lock. A subscriber that learns by itself that it is gone calls
 * core_events_unsubscribe(): exactly one side, that call (returning true) or the bus
 * (calling end), ends it.
 */
#ifndef BERTH_SUPERVISOR_CORE_EVENTS_H
#define BERTH_SUPERVISOR_CORE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct core_events;
struct core_filter;

struct core_event {
	int64_t ts_ns; /* 0: now (core_events_publish fills it in) */
	const char *ns;
	const char *topic;
	const char *type_url; /* "containerd.events.ImageCreate" */
	const uint8_t *value; /* the packed event */
	size_t len;
};

typedef int (*core_event_deliver_fn)(void *arg, const struct core_event *ev);
typedef void (*core_event_end_fn)(void *arg);
typedef bool (*core_event_gone_fn)(void *arg);

struct core_events *core_events_new(void);
/* After the RPC server stopped (no subscriber left). Accepts NULL. */
void core_events_free(struct core_events *bus);

/*
 * Lists a subscriber; takes ownership of filter (NULL: every event). gone (optional) is
 * asked under the bus lock first: if it says true, nothing is listed and the result is -1
 * (the caller ends the subscriber itself). 0 when listed.
 */
int core_events_subscribe(struct core_events *bus, struct core_filter *filter,
			  core_event_deliver_fn deliver, core_event_end_fn end, void *arg,
			  core_event_gone_fn gone);
/* Unlinks the subscriber with this arg if it is still listed: true if the caller now
 * ends it (end is not called), false if the bus already did or will. */
bool core_events_unsubscribe(struct core_events *bus, void *arg);
/* To every matching subscriber; never blocks on a slow one. Any thread. Accepts NULL bus. */
void core_events_publish(struct core_events *bus, const struct core_event *ev);

#endif
