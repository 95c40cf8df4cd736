/*
 * supervisor/tasks/forward.c - the ttrpc socket shims publish their events to
 * ($TTRPC_ADDRESS = <berthd socket>.ttrpc): containerd.services.events.ttrpc.v1.Events/Forward
 * (ForwardRequest{Envelope{timestamp, namespace, topic, event Any}}) -> Empty. Each envelope
 * goes to the manager's on_event callback (berthd: the events service's fan-out), on the
 * manager thread. The socket is mode 0600: only root's shims publish.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "supervisor/tasks/tasks_internal.h"

typedef Containerd__Services__Events__Ttrpc__V1__ForwardRequest ForwardRequest;

static void forward(struct ttrpc_call *call, const uint8_t *payload, size_t len, void *data)
{
	struct tasks_manager *m = data;
	ForwardRequest *req = containerd__services__events__ttrpc__v1__forward_request__unpack(
		NULL, len, payload);
	const Containerd__Services__Events__Ttrpc__V1__Envelope *env;
	int64_t ts;

	if (!req) {
		ttrpc_call_fail(call, TTRPC_INVALID_ARGUMENT, "ForwardRequest: does not decode");
		return;
	}
	env = req->envelope;
	if (!env || !env->event || !env->topic[0] || env->topic[0] != '/' || !env->namespace_[0]) {
		ttrpc_call_fail(
			call, TTRPC_INVALID_ARGUMENT,
			"envelope: want a namespace, a topic starting with '/' and an event");
		containerd__services__events__ttrpc__v1__forward_request__free_unpacked(req, NULL);
		return;
	}
	ts = env->timestamp ? env->timestamp->seconds * 1000000000 + env->timestamp->nanos : 0;
	if (m->on_event)
		m->on_event(m->event_arg, ts, env->namespace_, env->topic, env->event->type_url,
			    env->event->value.data, env->event->value.len);
	ttrpc_call_reply(call, NULL);
	containerd__services__events__ttrpc__v1__forward_request__free_unpacked(req, NULL);
}

static const struct ttrpc_method event_methods[] = {
	{"containerd.services.events.ttrpc.v1.Events", "Forward", forward},
};

int tasks_events_listen(struct tasks_manager *m, struct berth_err **err)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;

	if (strlen(m->ttrpc_address) >= sizeof(sun.sun_path))
		return berth_err_new(err, BERTH_E_INVALID, "socket path '%s' is too long",
				     m->ttrpc_address);
	strcpy(sun.sun_path, m->ttrpc_address);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_err_sys(err, errno, "socket");
	/* berthd holds the gRPC socket's lockfile: a socket left here is a dead berthd's */
	if (unlink(m->ttrpc_address) < 0 && errno != ENOENT)
		return berth_err_sys(err, errno, "remove '%s'", m->ttrpc_address);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return berth_err_sys(err, errno, "bind '%s'", m->ttrpc_address);
	if (chmod(m->ttrpc_address, 0600) < 0)
		return berth_err_sys(err, errno, "chmod '%s'", m->ttrpc_address);
	if (listen(fd, 128) < 0)
		return berth_err_sys(err, errno, "listen '%s'", m->ttrpc_address);
	m->events = ttrpc_server_new(tasks_loop_evloop(m->loop), event_methods,
				     sizeof(event_methods) / sizeof(event_methods[0]), m);
	if (ttrpc_server_listen(m->events, take_fd(&fd), err) < 0)
		return berth_err_wrap(err, "listen '%s'", m->ttrpc_address);
	return 0;
}
