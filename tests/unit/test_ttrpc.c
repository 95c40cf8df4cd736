/* Unit tests for common/ttrpc.c: framing, server dispatch and errors, client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "berth/ttrpc.pb-c.h"
#include "common/cleanup.h"
#include "common/evloop.h"
#include "common/ttrpc.h"
#include "common/xalloc.h"

/* ---- a test service: Echo replies its payload, Defer keeps the call, Fail fails ---- */

struct fixture {
	struct evloop *loop;
	struct ttrpc_server *srv;
	int peer; /* the client end of a socketpair served by srv */
	struct ttrpc_call *deferred[4];
	int n_deferred;
};

static void echo(struct ttrpc_call *call, const uint8_t *p, size_t len, void *data)
{
	ttrpc_call_reply_raw(call, p, len);
}

static void defer(struct ttrpc_call *call, const uint8_t *p, size_t len, void *data)
{
	struct fixture *f = data;

	f->deferred[f->n_deferred++] = call;
}

static void decode_kv(struct ttrpc_call *call, const uint8_t *p, size_t len, void *data)
{
	Ttrpc__KeyValue *kv = ttrpc__key_value__unpack(NULL, len, p);

	if (!kv) {
		ttrpc_call_fail(call, TTRPC_INTERNAL, "bad payload");
		return;
	}
	ttrpc_call_reply_raw(call, (const uint8_t *)kv->value, strlen(kv->value));
	ttrpc__key_value__free_unpacked(kv, NULL);
}

static void big(struct ttrpc_call *call, const uint8_t *p, size_t len, void *data)
{
	size_t n = TTRPC_MAX_BODY + 1;
	cleanup_free uint8_t *buf = xzalloc(n);

	ttrpc_call_reply_raw(call, buf, n);
}

static const struct ttrpc_method methods[] = {
	{"test.v1.Svc", "Echo", echo},
	{"test.v1.Svc", "Defer", defer},
	{"test.v1.Svc", "KV", decode_kv},
	{"test.v1.Svc", "Big", big},
};

static int setup(void **state)
{
	struct fixture *f = xnew(struct fixture);
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->loop = evloop_new(NULL);
	assert_non_null(f->loop);
	f->srv = ttrpc_server_new(f->loop, methods, 4, f);
	assert_int_equal(ttrpc_server_add_conn(f->srv, sv[0], NULL), 0);
	f->peer = sv[1];
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->peer >= 0)
		close(f->peer);
	ttrpc_server_free(f->srv);
	evloop_free(f->loop);
	free(f);
	return 0;
}

static void pump(struct fixture *f)
{
	while (evloop_run_once(f->loop, 20, NULL) > 0)
		;
}

static void send_frame(int fd, uint32_t id, uint8_t type, const void *body, size_t len)
{
	uint8_t hdr[TTRPC_HEADER_LEN];
	struct ttrpc_header h = {.length = (uint32_t)len, .stream_id = id, .type = type};

	ttrpc_header_encode(hdr, &h);
	assert_int_equal(write(fd, hdr, sizeof(hdr)), sizeof(hdr));
	if (len)
		assert_int_equal(write(fd, body, len), (ssize_t)len);
}

static void send_request(int fd, uint32_t id, const char *svc, const char *method,
			 const void *payload, size_t len)
{
	Ttrpc__Request r = TTRPC__REQUEST__INIT;
	uint8_t buf[4096];
	size_t n;

	r.service = (char *)svc;
	r.method = (char *)method;
	r.payload.data = (uint8_t *)payload;
	r.payload.len = len;
	n = ttrpc__request__pack(&r, buf);
	send_frame(fd, id, TTRPC_TYPE_REQUEST, buf, n);
}

static void read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
}

/* Reads one response frame; returns its decoded Response (caller frees). */
static Ttrpc__Response *read_response(int fd, uint32_t *id)
{
	uint8_t hdr[TTRPC_HEADER_LEN];
	struct ttrpc_header h;
	cleanup_free uint8_t *body = NULL;
	Ttrpc__Response *resp;

	read_full(fd, hdr, sizeof(hdr));
	ttrpc_header_decode(hdr, &h);
	assert_int_equal(h.type, TTRPC_TYPE_RESPONSE);
	body = xmalloc(h.length + 1);
	read_full(fd, body, h.length);
	resp = ttrpc__response__unpack(NULL, h.length, body);
	assert_non_null(resp);
	*id = h.stream_id;
	return resp;
}

static int status_code(const Ttrpc__Response *r)
{
	return r->status ? r->status->code : 0;
}

static void header_round_trips_big_endian(void **state)
{
	struct ttrpc_header h = {0x01020304, 0x0a0b0c0d, 2, 0}, back;
	uint8_t b[TTRPC_HEADER_LEN];

	ttrpc_header_encode(b, &h);
	assert_memory_equal(b, "\x01\x02\x03\x04\x0a\x0b\x0c\x0d\x02\x00", 10);
	ttrpc_header_decode(b, &back);
	assert_int_equal(back.length, h.length);
	assert_int_equal(back.stream_id, h.stream_id);
	assert_int_equal(back.type, 2);
}

static void request_is_answered_on_its_stream(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	send_request(f->peer, 7, "test.v1.Svc", "Echo", "hello", 5);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 7);
	assert_int_equal(status_code(r), 0);
	assert_int_equal(r->payload.len, 5);
	assert_memory_equal(r->payload.data, "hello", 5);
	ttrpc__response__free_unpacked(r, NULL);
}

static void unknown_service_and_method_are_unimplemented(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	send_request(f->peer, 1, "nope.Svc", "Echo", "", 0);
	send_request(f->peer, 3, "test.v1.Svc", "Nope", "", 0);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 1);
	assert_int_equal(status_code(r), TTRPC_UNIMPLEMENTED);
	ttrpc__response__free_unpacked(r, NULL);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 3);
	assert_int_equal(status_code(r), TTRPC_UNIMPLEMENTED);
	ttrpc__response__free_unpacked(r, NULL);
}

static void even_stream_id_is_invalid_argument(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	send_request(f->peer, 2, "test.v1.Svc", "Echo", "x", 1);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 2);
	assert_int_equal(status_code(r), TTRPC_INVALID_ARGUMENT);
	ttrpc__response__free_unpacked(r, NULL);
}

static void undecodable_envelope_is_invalid_argument_and_connection_survives(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	/* field 1 (string) claiming 100 bytes of which 2 follow */
	send_frame(f->peer, 5, TTRPC_TYPE_REQUEST, "\x0a\x64zz", 4);
	send_request(f->peer, 9, "test.v1.Svc", "Echo", "ok", 2);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 5);
	assert_int_equal(status_code(r), TTRPC_INVALID_ARGUMENT);
	ttrpc__response__free_unpacked(r, NULL);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 9);
	assert_int_equal(status_code(r), 0);
	ttrpc__response__free_unpacked(r, NULL);
}

static void bad_method_payload_gets_the_handlers_internal_error(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	send_request(f->peer, 11, "test.v1.Svc", "KV", "\xff\xff\xff", 3);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 11);
	assert_int_equal(status_code(r), TTRPC_INTERNAL);
	assert_string_equal(r->status->message, "bad payload");
	ttrpc__response__free_unpacked(r, NULL);
}

static void oversized_frame_is_discarded_and_answered_resource_exhausted(void **state)
{
	struct fixture *f = *state;
	size_t big = TTRPC_MAX_BODY + 1000;
	cleanup_free uint8_t *junk = xzalloc(big);
	uint8_t hdr[TTRPC_HEADER_LEN];
	struct ttrpc_header h = {.length = (uint32_t)big, .stream_id = 13, .type = 1};
	Ttrpc__Response *r;
	size_t sent = 0;
	uint32_t id;

	fcntl(f->peer, F_SETFL, O_NONBLOCK);
	ttrpc_header_encode(hdr, &h);
	assert_int_equal(write(f->peer, hdr, sizeof(hdr)), sizeof(hdr));
	while (sent < big) {
		ssize_t n = write(f->peer, junk + sent, big - sent);

		if (n < 0 && errno == EAGAIN) {
			evloop_run_once(f->loop, 10, NULL);
			continue;
		}
		assert_true(n > 0);
		sent += (size_t)n;
	}
	fcntl(f->peer, F_SETFL, 0);
	send_request(f->peer, 15, "test.v1.Svc", "Echo", "after", 5);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 13);
	assert_int_equal(status_code(r), TTRPC_RESOURCE_EXHAUSTED);
	ttrpc__response__free_unpacked(r, NULL);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 15);
	assert_memory_equal(r->payload.data, "after", 5);
	ttrpc__response__free_unpacked(r, NULL);
}

static void oversized_response_becomes_resource_exhausted(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	send_request(f->peer, 17, "test.v1.Svc", "Big", "", 0);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 17);
	assert_int_equal(status_code(r), TTRPC_RESOURCE_EXHAUSTED);
	assert_int_equal(r->payload.len, 0);
	ttrpc__response__free_unpacked(r, NULL);
}

static void truncated_frame_closes_the_connection(void **state)
{
	struct fixture *f = *state;
	uint8_t hdr[TTRPC_HEADER_LEN];
	struct ttrpc_header h = {.length = 100, .stream_id = 1, .type = 1};

	ttrpc_header_encode(hdr, &h);
	assert_int_equal(write(f->peer, hdr, sizeof(hdr)), sizeof(hdr));
	assert_int_equal(write(f->peer, "0123456789", 10), 10);
	close(f->peer);
	f->peer = -1;
	assert_int_equal(ttrpc_server_n_conns(f->srv), 1);
	pump(f);
	assert_int_equal(ttrpc_server_n_conns(f->srv), 0);
}

static void truncated_header_closes_the_connection(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(write(f->peer, "\x00\x00\x00", 3), 3);
	close(f->peer);
	f->peer = -1;
	pump(f);
	assert_int_equal(ttrpc_server_n_conns(f->srv), 0);
}

static void unknown_frame_type_is_skipped(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	send_frame(f->peer, 1, 9, "garbage", 7);
	send_request(f->peer, 3, "test.v1.Svc", "Echo", "y", 1);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 3);
	ttrpc__response__free_unpacked(r, NULL);
}

static void deferred_replies_may_come_out_of_order(void **state)
{
	struct fixture *f = *state;
	Ttrpc__Response *r;
	uint32_t id;

	send_request(f->peer, 1, "test.v1.Svc", "Defer", "", 0);
	send_request(f->peer, 3, "test.v1.Svc", "Echo", "now", 3);
	pump(f);
	assert_int_equal(f->n_deferred, 1);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 3);
	ttrpc__response__free_unpacked(r, NULL);
	ttrpc_call_reply_raw(f->deferred[0], (const uint8_t *)"late", 4);
	pump(f);
	r = read_response(f->peer, &id);
	assert_int_equal(id, 1);
	assert_memory_equal(r->payload.data, "late", 4);
	ttrpc__response__free_unpacked(r, NULL);
}

static void deferred_reply_after_the_client_left_is_dropped(void **state)
{
	struct fixture *f = *state;

	send_request(f->peer, 1, "test.v1.Svc", "Defer", "", 0);
	pump(f);
	close(f->peer);
	f->peer = -1;
	pump(f);
	assert_int_equal(ttrpc_server_n_conns(f->srv), 0);
	ttrpc_call_fail(f->deferred[0], TTRPC_CANCELLED, "too late"); /* must not crash */
}

/* ---- client ---- */

struct result {
	int done;
	enum ttrpc_code code;
	char payload[64];
};

static void on_reply(void *data, enum ttrpc_code code, const char *msg, const uint8_t *p,
		     size_t len)
{
	struct result *r = data;

	r->done++;
	r->code = code;
	snprintf(r->payload, sizeof(r->payload), "%.*s", (int)len, p ? (const char *)p : "");
}

static char *listen_tmp(struct fixture *f, char *dir)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/s.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(ttrpc_server_listen(f->srv, fd, NULL), 0);
	return xasprintf("unix://%s", sun.sun_path);
}

static void client_call_round_trips_through_the_server(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/test_ttrpc.XXXXXX";
	cleanup_free char *addr = listen_tmp(f, dir);
	struct ttrpc_client *c = ttrpc_client_connect(f->loop, addr, NULL);
	Ttrpc__KeyValue kv = TTRPC__KEY_VALUE__INIT;
	struct result r1 = {0}, r2 = {0}, r3 = {0};

	assert_non_null(c);
	kv.key = "k";
	kv.value = "v1";
	assert_int_equal(
		ttrpc_client_call(c, "test.v1.Svc", "KV", &kv.base, 1000, on_reply, &r1, NULL), 0);
	assert_int_equal(
		ttrpc_client_call(c, "test.v1.Svc", "Nope", NULL, 1000, on_reply, &r2, NULL), 0);
	assert_int_equal(
		ttrpc_client_call(c, "test.v1.Svc", "Defer", NULL, 50, on_reply, &r3, NULL), 0);
	for (int i = 0; i < 100 && !(r1.done && r2.done && r3.done); i++)
		evloop_run_once(f->loop, 20, NULL);
	assert_int_equal(r1.done, 1);
	assert_int_equal(r1.code, TTRPC_OK);
	assert_string_equal(r1.payload, "v1");
	assert_int_equal(r2.code, TTRPC_UNIMPLEMENTED);
	assert_int_equal(r3.done, 1);
	assert_int_equal(r3.code, TTRPC_DEADLINE_EXCEEDED);
	/* the late answer to the timed-out call is ignored */
	ttrpc_call_reply(f->deferred[0], NULL);
	pump(f);
	assert_int_equal(r3.done, 1);
	ttrpc_client_free(c);
	pump(f);
	unlink(addr + 7);
	rmdir(dir);
}

static void client_pending_calls_fail_unavailable_when_the_server_goes(void **state)
{
	struct fixture *f = *state;
	char dir[] = "/tmp/test_ttrpc.XXXXXX";
	cleanup_free char *addr = listen_tmp(f, dir);
	struct ttrpc_client *c = ttrpc_client_connect(f->loop, addr, NULL);
	struct result r = {0};

	assert_non_null(c);
	assert_int_equal(ttrpc_client_call(c, "test.v1.Svc", "Defer", NULL, 0, on_reply, &r, NULL),
			 0);
	pump(f);
	ttrpc_server_free(f->srv); /* closes every connection */
	f->srv = ttrpc_server_new(f->loop, methods, 4, f);
	for (int i = 0; i < 50 && !r.done; i++)
		evloop_run_once(f->loop, 20, NULL);
	assert_int_equal(r.code, TTRPC_UNAVAILABLE);
	assert_true(ttrpc_client_is_closed(c));
	ttrpc_call_fail(f->deferred[0], TTRPC_CANCELLED, "gone");
	ttrpc_client_free(c);
	unlink(addr + 7);
	rmdir(dir);
}

static void client_connect_to_missing_socket_fails_with_path(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;

	assert_null(ttrpc_client_connect(f->loop, "/nonexistent/x.sock", &err));
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "/nonexistent/x.sock"));
	berth_err_free(&err);
}

static void err_classes_map_to_grpc_codes(void **state)
{
	struct berth_err e = {0};

	e.code = BERTH_E_NOT_FOUND;
	assert_int_equal(ttrpc_code_from_err(&e), TTRPC_NOT_FOUND);
	e.code = BERTH_E_PRECONDITION;
	assert_int_equal(ttrpc_code_from_err(&e), TTRPC_FAILED_PRECONDITION);
	e.code = BERTH_E_INVALID;
	assert_int_equal(ttrpc_code_from_err(&e), TTRPC_INVALID_ARGUMENT);
	e.code = BERTH_E_UNIMPLEMENTED;
	assert_int_equal(ttrpc_code_from_err(&e), TTRPC_UNIMPLEMENTED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_round_trips_big_endian),
		T(request_is_answered_on_its_stream),
		T(unknown_service_and_method_are_unimplemented),
		T(even_stream_id_is_invalid_argument),
		T(undecodable_envelope_is_invalid_argument_and_connection_survives),
		T(bad_method_payload_gets_the_handlers_internal_error),
		T(oversized_frame_is_discarded_and_answered_resource_exhausted),
		T(oversized_response_becomes_resource_exhausted),
		T(truncated_frame_closes_the_connection),
		T(truncated_header_closes_the_connection),
		T(unknown_frame_type_is_skipped),
		T(deferred_replies_may_come_out_of_order),
		T(deferred_reply_after_the_client_left_is_dropped),
		T(client_call_round_trips_through_the_server),
		T(client_pending_calls_fail_unavailable_when_the_server_goes),
		T(client_connect_to_missing_socket_fails_with_path),
		cmocka_unit_test(err_classes_map_to_grpc_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
