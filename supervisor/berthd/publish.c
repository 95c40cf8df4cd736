/*
 * supervisor/berthd/publish.c - `berthd [--address SOCK] publish --topic T --namespace NS`:
 * the -publish-binary side of the shim v2 contract, as `containerd publish` does it. The
 * event (a packed google.protobuf.Any) comes on stdin and goes to the running berthd as
 * containerd.services.events.v1.Events/Publish. containerd 1.6 shims publish over ttrpc
 * instead (supervisor/tasks/forward.c); this is for shims that still run the binary.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "github.com/containerd/containerd/api/services/events/v1/events.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "supervisor/rpc/client.h"
#include "supervisor/berthd/publish.h"

#define PUBLISH_MAX (1u << 20)

static void rpc_client_freep(struct rpc_client **c)
{
	rpc_client_free(*c);
}

/* stdin, up to PUBLISH_MAX bytes */
static int read_stdin(uint8_t **out, size_t *out_len, struct berth_err **err)
{
	cleanup_free uint8_t *buf = xmalloc(PUBLISH_MAX);
	size_t len = 0;
	ssize_t n;

	while (len < PUBLISH_MAX && (n = read(STDIN_FILENO, buf + len, PUBLISH_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_err_sys(err, errno, "read stdin");
		len += (size_t)n;
	}
	*out = take_ptr(buf);
	*out_len = len;
	return 0;
}

static int publish(const char *address, const char *ns, const char *topic, struct berth_err **err)
{
	Containerd__Services__Events__V1__PublishRequest req =
		CONTAINERD__SERVICES__EVENTS__V1__PUBLISH_REQUEST__INIT;
	cleanup(rpc_client_freep) struct rpc_client *c = NULL;
	cleanup_free uint8_t *in = NULL;
	ProtobufCMessage *resp = NULL;
	size_t len = 0;
	int ret;

	if (read_stdin(&in, &len, err) < 0)
		return -1;
	req.topic = (char *)topic;
	req.event = google__protobuf__any__unpack(NULL, len, in);
	if (!req.event)
		return berth_err_new(err, BERTH_E_INVALID,
				     "stdin: not a packed google.protobuf.Any (%zu bytes)", len);
	c = rpc_client_new(address, ns, err);
	ret = c ? rpc_client_invoke(c, &containerd__services__events__v1__events__descriptor,
				    "Publish", &req.base, &resp, err)
		: -1;
	if (ret == 0)
		protobuf_c_message_free_unpacked(resp, NULL);
	google__protobuf__any__free_unpacked(req.event, NULL);
	return ret;
}

int berthd_publish_main(const char *address, int argc, char **argv)
{
	static const struct option opts[] = {
		{"topic", required_argument, NULL, 't'},
		{"namespace", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *topic = NULL, *ns = NULL;
	cleanup_err struct berth_err *err = NULL;
	int ch;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			topic = optarg;
			break;
		case 'n':
			ns = optarg;
			break;
		default:
			fprintf(stderr, "usage: berthd [--address SOCK] publish --topic TOPIC "
					"--namespace NS < packed-any\n");
			return 2;
		}
	}
	if (!topic || !ns) {
		fprintf(stderr, "berthd publish: --topic and --namespace are required\n");
		return 2;
	}
	if (publish(address, ns, topic, &err) < 0) {
		fprintf(stderr, "berthd publish: %s\n", err->msg);
		return 1;
	}
	return 0;
}
