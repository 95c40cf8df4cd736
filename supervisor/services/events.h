/*
 * supervisor/services/events.h - the event fan-out behind svc_publish() (svc.h) and
 * containerd.services.events.v1.Events (Publish, Forward, Subscribe).
 *
 * Subscribers are server streams; a publish packs the Envelope once per matching
 * subscriber with rpc_stream_push (never blocks). A subscriber ends when its client
 * cancels (rpc_call_on_cancel) or the server stops; exactly one side, the publisher
 * that saw the push fail or the cancel callback, removes it and finishes its call.
 */
#ifndef BERTH_SUPERVISOR_SERVICES_EVENTS_H
#define BERTH_SUPERVISOR_SERVICES_EVENTS_H

#include <stddef.h>
#include <stdint.h>

struct svc_events;

struct svc_events *svc_events_new(void);
/*
 * Publishes an event that arrives packed (a shim's ttrpc Events/Forward): Envelope{ts_ns
 * (0: now), ns, topic, Any{type_url, value}}; everything borrowed. Never blocks. Any thread.
 */
void svc_events_publish_raw(struct svc_events *ev, int64_t ts_ns, const char *ns, const char *topic,
			    const char *type_url, const uint8_t *value, size_t len);
/* After the RPC server stopped (no subscriber left). Accepts NULL. */
void svc_events_free(struct svc_events *ev);

#endif
