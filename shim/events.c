/*
 * shim/events.c - publishes task events to containerd, in order:
 * containerd.services.events.ttrpc.v1.Events/Forward(ForwardRequest{Envelope{
 * timestamp, namespace, topic, event: Any{type_url: "containerd.events.TaskExit", ...}}})
 * on $TTRPC_ADDRESS, one call in flight at a time, each with a 5 s timeout and
 * up to 5 attempts (a fresh connection after a failure), like the runc shim.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "shim/shim.h"

#define EVENT_TIMEOUT_MS 5000
#define EVENT_ATTEMPTS 5
#define EVENT_BACKOFF_MS 200

struct event {
	char *topic;
	uint8_t *request; /* packed ForwardRequest, reused by retries */
	size_t len;
	int attempts;
	struct event *next;
};

struct shim_events {
	struct evloop *loop;
	char *address;
	char *ns;
	struct ttrpc_client *client;
	struct event *head, **tail;
	bool in_flight;
	struct evloop_watch *retry;
};

static void send_next(struct shim_events *ev);

static void event_free(struct event *e)
{
	free(e->topic);
	free(e->request);
	free(e);
}

struct shim_events *shim_events_new(struct evloop *loop, const char *ttrpc_address, const char *ns)
{
	struct shim_events *ev = xnew(struct shim_events);

	ev->loop = loop;
	ev->address = ttrpc_address && *ttrpc_address ? xstrdup(ttrpc_address) : NULL;
	ev->ns = xstrdup(ns);
	ev->tail = &ev->head;
	return ev;
}

void shim_events_free(struct shim_events *ev)
{
	if (!ev)
		return;
	evloop_remove(ev->loop, ev->retry);
	ttrpc_client_free(ev->client);
	while (ev->head) {
		struct event *e = ev->head;

		ev->head = e->next;
		event_free(e);
	}
	free(ev->address);
	free(ev->ns);
	free(ev);
}

bool shim_events_idle(const struct shim_events *ev)
{
	return !ev->head;
}

static void pop(struct shim_events *ev)
{
	struct event *e = ev->head;

	ev->head = e->next;
	if (!ev->head)
		ev->tail = &ev->head;
	event_free(e);
}

static void retry_fired(struct evloop *loop, struct evloop_watch *w, uint32_t events, void *data)
{
	struct shim_events *ev = data;

	ev->retry = NULL;
	send_next(ev);
}

static void schedule_retry(struct shim_events *ev)
{
	ev->retry = evloop_timer_add(ev->loop, EVENT_BACKOFF_MS * (uint64_t)ev->head->attempts,
				     retry_fired, ev, NULL);
	if (!ev->retry)
		send_next(ev);
}

static void forwarded(void *data, enum ttrpc_code code, const char *msg, const uint8_t *payload,
		      size_t len)
{
	struct shim_events *ev = data;
	struct event *e = ev->head;

	ev->in_flight = false;
	if (code == TTRPC_OK) {
		log_debug("event %s published", e->topic);
		pop(ev);
		send_next(ev);
		return;
	}
	log_warn("publish event %s (attempt %d): code %d: %s", e->topic, e->attempts, code, msg);
	/* reconnect for the next attempt; the client cannot be freed from its own callback */
	schedule_retry(ev);
}

/* Sends the head of the queue if nothing is in flight. */
static void send_next(struct shim_events *ev)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;
	struct event *e;

	while (!ev->in_flight && !ev->retry && (e = ev->head)) {
		if (e->attempts >= EVENT_ATTEMPTS) {
			log_error("event %s dropped after %d attempts", e->topic, e->attempts);
			pop(ev);
			continue;
		}
		e->attempts++;
		if (ev->client && ttrpc_client_is_closed(ev->client)) {
			ttrpc_client_free(ev->client);
			ev->client = NULL;
		}
		if (!ev->client)
			ev->client = ttrpc_client_connect(ev->loop, ev->address, &err);
		if (!ev->client) {
			log_warn("publish event %s (attempt %d): %s", e->topic, e->attempts,
				 err->msg);
			berth_err_free(&err);
			schedule_retry(ev);
			return;
		}
		ev->in_flight = true;
		if (ttrpc_client_call_raw(ev->client, "containerd.services.events.ttrpc.v1.Events",
					  "Forward", e->request, e->len, EVENT_TIMEOUT_MS,
					  forwarded, ev, &err) < 0) {
			ev->in_flight = false;
			log_warn("publish event %s: %s", e->topic, err->msg);
			berth_err_free(&err);
			schedule_retry(ev);
			return;
		}
	}
}

void shim_events_publish(struct shim_events *ev, const char *topic, const char *type_url,
			 const ProtobufCMessage *msg)
{
	Containerd__Services__Events__Ttrpc__V1__ForwardRequest req =
		CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
	Containerd__Services__Events__Ttrpc__V1__Envelope env =
		CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
	Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	cleanup_free uint8_t *value = NULL;
	struct timespec now;
	struct event *e;

	if (!ev->address) {
		log_debug("event %s not published: TTRPC_ADDRESS is not set", topic);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	shim_timestamp_set(&ts, &now);
	any.type_url = (char *)type_url;
	any.value.len = protobuf_c_message_get_packed_size(msg);
	value = xmalloc(any.value.len + 1);
	protobuf_c_message_pack(msg, value);
	any.value.data = value;
	env.timestamp = &ts;
	env.namespace_ = ev->ns;
	env.topic = (char *)topic;
	env.event = &any;
	req.envelope = &env;

	e = xnew(struct event);
	e->topic = xstrdup(topic);
	e->len = protobuf_c_message_get_packed_size(&req.base);
	e->request = xmalloc(e->len + 1);
	protobuf_c_message_pack(&req.base, e->request);
	*ev->tail = e;
	ev->tail = &e->next;
	send_next(ev);
}
