/*
 * supervisor/services/svc_events.c - containerd.services.events.v1.Events and svc_publish():
 * Publish and Forward go to the fan-out (core/events.h, which also has the subscriber
 * life cycle); each Subscribe stream is one of its subscribers.
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
#include "supervisor/core/events.h"
#include "supervisor/core/filter.h"
#include "supervisor/services/svc_util.h"

typedef Containerd__Services__Events__V1__Envelope Envelope;

/* One Subscribe stream: a subscriber of the fan-out (core/events.h). */
struct sub {
	struct core_events *bus;
	struct rpc_call *call;
};

static void sub_end(void *arg)
{
	struct sub *s = arg;

	rpc_stream_finish(s->call, NULL);
	free(s);
}

static bool sub_gone(void *arg)
{
	return rpc_call_is_cancelled(((struct sub *)arg)->call);
}

static void sub_cancelled(void *arg)
{
	struct sub *s = arg; /* alive while listed; bus always */

	if (core_events_unsubscribe(s->bus, s))
		sub_end(s);
}

/* Under the bus lock: packs the Envelope for this stream (never blocks). */
static int sub_deliver(void *arg, const struct core_event *ev)
{
	struct sub *s = arg;
	Envelope env = CONTAINERD__SERVICES__EVENTS__V1__ENVELOPE__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	Google__Protobuf__Timestamp ts;

	any.type_url = (char *)ev->type_url;
	any.value.data = (uint8_t *)ev->value;
	any.value.len = ev->len;
	env.timestamp = svc_ts(&ts, ev->ts_ns);
	env.namespace_ = (char *)ev->ns;
	env.topic = (char *)ev->topic;
	env.event = &any;
	return rpc_stream_push(s->call, &env.base);
}

void svc_publish(struct berthd_components *ctx, const char *ns, const char *topic,
		 const char *type_url, const ProtobufCMessage *event)
{
	cleanup_free uint8_t *buf = NULL;
	struct core_event ev = {.ns = ns, .topic = topic, .type_url = type_url};

	if (!ctx->events)
		return;
	buf = xmalloc(protobuf_c_message_get_packed_size(event) + 1);
	ev.len = protobuf_c_message_pack(event, buf);
	ev.value = buf;
	core_events_publish(ctx->events, &ev);
}

/* An envelope as it came (Forward keeps its timestamp; Publish's has none: now). */
static void publish_any(struct berthd_components *ctx, int64_t ts_ns, const char *ns,
			const char *topic, const Google__Protobuf__Any *any)
{
	struct core_event ev = {
		.ts_ns = ts_ns,
		.ns = ns,
		.topic = topic,
		.type_url = any->type_url ? any->type_url : "",
		.value = any->value.data,
		.len = any->value.len,
	};

	core_events_publish(ctx->events, &ev);
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
	cleanup_err struct berth_err *err = NULL;
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
	publish_any(svc_ctx_of(call), 0, ns, req->topic, req->event);
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
	publish_any(svc_ctx_of(call), svc_ts_ns(env->timestamp), env->namespace_, env->topic,
		    env->event);
	rpc_call_reply(call, &resp.base);
}

static void ev_subscribe(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const Containerd__Services__Events__V1__SubscribeRequest *req = (const void *)msg;
	struct core_events *bus = svc_ctx_of(call)->events;
	cleanup_err struct berth_err *err = NULL;
	struct core_filter *filter = NULL;
	struct sub *s;

	if (core_filter_parse(req->filters, req->n_filters, &filter, &err) < 0) {
		rpc_call_fail(call, err);
		return;
	}
	s = xnew(struct sub);
	s->bus = bus;
	s->call = call;
	/*
	 * The stream stays open after we return; it ends on cancel or at shutdown. The
	 * callback ends only a listed subscriber, so if the call was cancelled before we
	 * listed it (the callback already ran and found nothing), the bus refuses to list it
	 * (sub_gone) and we end it here.
	 */
	rpc_call_on_cancel(call, sub_cancelled, s);
	if (core_events_subscribe(bus, filter, sub_deliver, sub_end, s, sub_gone) < 0)
		sub_end(s);
}

static const struct rpc_method ev_methods[] = {
	{"Publish", RPC_UNARY, ev_publish},
	{"Forward", RPC_UNARY, ev_forward},
	{"Subscribe", RPC_SERVER_STREAM, ev_subscribe},
};

const struct rpc_service svc_events_service = {
	.desc = &containerd__services__events__v1__events__descriptor,
	.methods = ev_methods,
	.n_methods = sizeof(ev_methods) / sizeof(ev_methods[0]),
	.init = svc_init_ctx,
};
