/*
 * supervisor/services/svc_events.c - containerd.services.events.v1.Events and svc_publish().
 * See events.h for the subscriber life cycle.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/events/v1/events.pb-c.h>
#include <google/protobuf/any.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta.h"
#include "supervisor/services/events.h"
#include "supervisor/core/filter.h"
#include "supervisor/services/svc_util.h"

typedef Containerd__Services__Events__V1__Envelope Envelope;

struct sub {
	struct svc_events *bus;
	struct rpc_call *call;
	struct core_filter *filter;
	struct sub *next;
};

struct svc_events {
	pthread_mutex_t lock;
	struct sub *subs;
};

struct svc_events *svc_events_new(void)
{
	struct svc_events *ev = xnew(struct svc_events);

	pthread_mutex_init(&ev->lock, NULL);
	return ev;
}

void svc_events_free(struct svc_events *ev)
{
	if (!ev)
		return;
	if (ev->subs)
		log_warn("events: subscribers left at exit");
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

/* Unlinks s if still listed; true if the caller now owns ending it. Under bus->lock. */
static bool sub_unlink(struct svc_events *bus, struct sub *s)
{
	for (struct sub **pp = &bus->subs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			return true;
		}
	return false;
}

static void sub_end(struct sub *s)
{
	rpc_stream_finish(s->call, NULL);
	core_filter_free(s->filter);
	free(s);
}

static void sub_cancelled(void *arg)
{
	struct sub *s = arg;
	struct svc_events *bus = s->bus; /* s is alive while listed; bus always */
	bool mine;

	pthread_mutex_lock(&bus->lock);
	mine = sub_unlink(bus, s);
	pthread_mutex_unlock(&bus->lock);
	if (mine)
		sub_end(s);
}

static const char *env_field(const void *obj, char *const *path, size_t n)
{
	const Envelope *e = obj;

	if (n == 1 && strcmp(path[0], "topic") == 0)
		return e->topic;
	if (n == 1 && strcmp(path[0], "namespace") == 0)
		return e->namespace_;
	return NULL;
}

static void bus_send(struct svc_events *bus, const Envelope *env)
{
	struct sub *dead = NULL;

	pthread_mutex_lock(&bus->lock);
	for (struct sub **pp = &bus->subs; *pp;) {
		struct sub *s = *pp;

		if (!core_filter_match(s->filter, env_field, env) ||
		    rpc_stream_push(s->call, &env->base) == 0) {
			pp = &s->next;
			continue;
		}
		*pp = s->next; /* push failed: the client is gone */
		s->next = dead;
		dead = s;
	}
	pthread_mutex_unlock(&bus->lock);
	while (dead) {
		struct sub *s = dead;

		dead = s->next;
		sub_end(s);
	}
}

void svc_publish(struct berthd_components *ctx, const char *ns, const char *topic,
		 const char *type_url, const ProtobufCMessage *event)
{
	Envelope env = CONTAINERD__SERVICES__EVENTS__V1__ENVELOPE__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__Timestamp ts;
	cleanup_free uint8_t *buf = NULL;

	if (!ctx->events)
		return;
	buf = xmalloc(protobuf_c_message_get_packed_size(event) + 1);
	any.type_url = (char *)type_url;
	any.value.len = protobuf_c_message_pack(event, buf);
	any.value.data = buf;
	env.timestamp = svc_ts(&ts, meta_now());
	env.namespace_ = (char *)ns;
	env.topic = (char *)topic;
	env.event = &any;
	bus_send(ctx->events, &env);
}

void svc_events_publish_raw(struct svc_events *ev, int64_t ts_ns, const char *ns, const char *topic,
			    const char *type_url, const uint8_t *value, size_t len)
{
	Envelope env = CONTAINERD__SERVICES__EVENTS__V1__ENVELOPE__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__Timestamp ts;

	if (!ev)
		return;
	any.type_url = (char *)type_url;
	any.value.data = (uint8_t *)value;
	any.value.len = len;
	env.timestamp = svc_ts(&ts, ts_ns ? ts_ns : meta_now());
	env.namespace_ = (char *)ns;
	env.topic = (char *)topic;
	env.event = &any;
	bus_send(ev, &env);
}

/* containerd's events.Validate for topics: "/" then non-empty components. */
static int topic_check(const char *topic, struct berth_err **err)
{
	if (!topic || topic[0] != '/' || topic[1] == '\0')
		return berth_err_new(err, BERTH_E_INVALID,
				     "topic '%s': must start with '/' and have components",
				     topic ? topic : "");
	if (strstr(topic, "//") || topic[strlen(topic) - 1] == '/')
		return berth_err_new(err, BERTH_E_INVALID, "topic '%s': empty component", topic);
	return 0;
}

static void ev_publish(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Events__V1__PublishRequest *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	Envelope env = CONTAINERD__SERVICES__EVENTS__V1__ENVELOPE__INIT;
	cleanup_err struct berth_err *err = NULL;
	Google__Protobuf__Timestamp ts;
	const char *ns = svc_call_ns(call);

	if (!ns)
		return;
	if (topic_check(req->topic, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	if (!req->event) {
		rpc_call_failf(call, BERTH_E_INVALID, "event: missing");
		return;
	}
	env.timestamp = svc_ts(&ts, meta_now());
	env.namespace_ = (char *)ns;
	env.topic = req->topic;
	env.event = req->event;
	bus_send(svc_ctx_of(call)->events, &env);
	rpc_call_reply(call, &resp.base);
}

static void ev_forward(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Events__V1__ForwardRequest *req = (const void *)msg;
	Google__Protobuf__Empty resp = GOOGLE__PROTOBUF__EMPTY__INIT;
	cleanup_err struct berth_err *err = NULL;
	const Envelope *env = req->envelope;

	if (!env || !env->event) {
		rpc_call_failf(call, BERTH_E_INVALID, "envelope: missing or without event");
		return;
	}
	if (topic_check(env->topic, &err) < 0 ||
	    svc_identifier_check("envelope.namespace", env->namespace_, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	bus_send(svc_ctx_of(call)->events, env);
	rpc_call_reply(call, &resp.base);
}

static void ev_subscribe(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Events__V1__SubscribeRequest *req = (const void *)msg;
	struct svc_events *bus = svc_ctx_of(call)->events;
	cleanup_err struct berth_err *err = NULL;
	struct sub *s = xnew(struct sub);

	if (core_filter_parse(req->filters, req->n_filters, &s->filter, &err) < 0) {
		free(s);
		rpc_call_fail(call, err);
		return;
	}
	s->bus = bus;
	s->call = call;
	/*
	 * The stream stays open after we return; it ends on cancel or at shutdown. The
	 * callback ends only a listed subscriber, so if the call was cancelled before we
	 * listed it (the callback already ran and found nothing), we end it here.
	 */
	rpc_call_on_cancel(call, sub_cancelled, s);
	pthread_mutex_lock(&bus->lock);
	if (rpc_call_is_cancelled(call)) {
		pthread_mutex_unlock(&bus->lock);
		sub_end(s);
		return;
	}
	s->next = bus->subs;
	bus->subs = s;
	pthread_mutex_unlock(&bus->lock);
}

#define EV_SVC "/containerd.services.events.v1.Events/"
#define EV_MSG(x) &containerd__services__events__v1__##x##__descriptor

static const struct rpc_method ev_methods[] = {
	{EV_SVC "Publish", EV_MSG(publish_request), &google__protobuf__empty__descriptor, RPC_UNARY,
	 ev_publish},
	{EV_SVC "Forward", EV_MSG(forward_request), &google__protobuf__empty__descriptor, RPC_UNARY,
	 ev_forward},
	{EV_SVC "Subscribe", EV_MSG(subscribe_request), EV_MSG(envelope), RPC_SERVER_STREAM,
	 ev_subscribe},
};

const struct rpc_service svc_events_service = {
	.name = "containerd.services.events.v1.Events",
	.methods = ev_methods,
	.n_methods = sizeof(ev_methods) / sizeof(ev_methods[0]),
	.init = svc_init_ctx,
};
