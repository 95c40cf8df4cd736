/*
 * tests/helpers/rpcfuzz.c - malformed requests to every method of every containerd 1.6
 * gRPC service berthd serves, then a Version call after each one to see the daemon
 * still answers.
 *
 *   rpcfuzz SOCKET [ROUNDS [SEED]]      (ROUNDS per method, default 24; SEED default 1)
 *
 * Not called: berth.services.transfer.v1.Transfer (Pull/Push reach out to the registry a
 * reference names, and random references name public ones: no network in tests).
 *
 * The services' methods come from the protobuf-c service descriptors, the requests from
 * their message descriptors: every field, nested messages to a bounded depth, maps (as
 * repeated entry messages) and oneofs. Round r of a method is one of:
 *   empty     the message with no field set
 *   full      every field set, every repeated field 3 equal elements (duplicates)
 *   random    each field set or not, repeated fields with 0, 1, 2, 7 or 40 elements, a
 *             third of them duplicated; strings from a pool of hostile values (empty,
 *             64 KiB long, invalid UTF-8, control bytes, format directives, filter syntax,
 *             path tricks); integers at their limits; unknown enum values
 *   bytes     random bytes as the payload (mostly not a valid message)
 *   mutated   a random message encoded, then bytes flipped or the tail cut
 * Calls alternate between a client in namespace "fuzz", one without a namespace and one
 * whose namespace is not a valid identifier. Events/Subscribe is opened and cancelled at
 * once (it never ends by itself); every other call is read to its status. Deterministic
 * for a seed (xorshift64*). The responses' status codes do not matter: only whether the
 * daemon keeps answering.
 *
 * $RPCFUZZ_SKIP: comma-separated method paths not called (for peers that crash on them).
 *
 * Exit 0 if Version answered after every call, 1 naming the call after which it did not
 * (method, round, kind, payload length and its first bytes in hex), 2 on usage errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <github.com/containerd/containerd/api/services/containers/v1/containers.pb-c.h>
#include <github.com/containerd/containerd/api/services/content/v1/content.pb-c.h>
#include <github.com/containerd/containerd/api/services/diff/v1/diff.pb-c.h>
#include <github.com/containerd/containerd/api/services/events/v1/events.pb-c.h>
#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>
#include <github.com/containerd/containerd/api/services/introspection/v1/introspection.pb-c.h>
#include <github.com/containerd/containerd/api/services/leases/v1/leases.pb-c.h>
#include <github.com/containerd/containerd/api/services/namespaces/v1/namespace.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>
#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>
#include <github.com/containerd/containerd/api/services/version/v1/version.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/xalloc.h"
#include "supervisor/rpc/client.h"

#define MAX_DEPTH 4
#define MAX_STREAM_MSGS 64

static const ProtobufCServiceDescriptor *const services[] = {
	&containerd__services__version__v1__version__descriptor,
	&containerd__services__namespaces__v1__namespaces__descriptor,
	&containerd__services__introspection__v1__introspection__descriptor,
	&containerd__services__events__v1__events__descriptor,
	&containerd__services__content__v1__content__descriptor,
	&containerd__services__images__v1__images__descriptor,
	&containerd__services__leases__v1__leases__descriptor,
	&containerd__services__snapshots__v1__snapshots__descriptor,
	&containerd__services__diff__v1__diff__descriptor,
	&containerd__services__containers__v1__containers__descriptor,
	&containerd__services__tasks__v1__tasks__descriptor,
};

enum kind { K_EMPTY, K_FULL, K_RANDOM, K_BYTES, K_MUTATED, K_N };
static const char *const kind_names[] = {"empty", "full", "random", "bytes", "mutated"};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_n(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static char *long_string(size_t n, char c)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static char *pool_string(void)
{
	static const char *const pool[] = {
		"",
		"a",
		"fuzz",
		"default",
		"overlayfs",
		"native",
		"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"sha256:zz",
		"sha512:00",
		"../../../../etc",
		"/",
		"a/../../b",
		".",
		"\xff\xfe\xfd",	      /* invalid UTF-8 */
		"\xc3\x28",	      /* invalid 2-byte sequence */
		"\xed\xa0\x80",	      /* a UTF-16 surrogate */
		"\x01\x02\x1b[31m\n", /* control bytes */
		"%s%s%n%x%p",
		"name==a,name!=b",
		"labels.\"k\"==v",
		"labels.\"k",
		"name~=\"(\"",
		"name~=\"[[[\"",
		",,,",
		"==",
		"id==",
		"labels.a.b.c.d.e==x",
		"parent",
		"kind==active",
		"containerd.io/gc.ref.content.l0",
		"containerd.io/gc.root",
		"types.containerd.io/opencontainers/runtime-spec/1/Spec",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"/tasks/exit",
		"topic with spaces",
		"labels",
		"labels.x",
		"target",
		"annotations",
	};
	size_t n = sizeof(pool) / sizeof(pool[0]);
	size_t i = rnd_n(n + 3);

	if (i == n)
		return long_string(300, 'k');
	if (i == n + 1)
		return long_string(5000, 'v');
	if (i == n + 2)
		return long_string(70000, 'z');
	return xstrdup(pool[i]);
}

static int64_t pool_int(void)
{
	static const int64_t pool[] = {0,	  1,	     -1,	2,	   127,
				       128,	  4096,	     INT32_MAX, INT32_MIN, UINT32_MAX,
				       INT64_MAX, INT64_MIN, 1 << 30,	-4096};
	size_t i = rnd_n(sizeof(pool) / sizeof(pool[0]) + 1);

	return i < sizeof(pool) / sizeof(pool[0]) ? pool[i] : (int64_t)rnd();
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	default:
		return 4;
	}
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d, int depth, enum kind k);

/* One value of field f into dst; false if none can be made (a message too deep). */
static bool make_value(const ProtobufCFieldDescriptor *f, void *dst, int depth, enum kind k)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: {
		uint32_t v = (uint32_t)pool_int();

		memcpy(dst, &v, 4);
		return true;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		int64_t v = pool_int();

		memcpy(dst, &v, 8);
		return true;
	}
	case PROTOBUF_C_TYPE_FLOAT: {
		float v = (float)pool_int();

		memcpy(dst, &v, 4);
		return true;
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		double v = (double)pool_int();

		memcpy(dst, &v, 8);
		return true;
	}
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)dst = rnd() & 1;
		return true;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		int32_t v =
			rnd_n(4) == 0 ? (int32_t)pool_int() : e->values[rnd_n(e->n_values)].value;

		memcpy(dst, &v, 4);
		return true;
	}
	case PROTOBUF_C_TYPE_STRING:
		*(char **)dst = pool_string();
		return true;
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = dst;
		size_t n = rnd_n(4) == 0 ? 70000 : rnd_n(65);

		b->len = n;
		b->data = xmalloc(n + 1);
		for (size_t i = 0; i < n; i++)
			b->data[i] = (uint8_t)rnd();
		return true;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		if (depth >= MAX_DEPTH)
			return false;
		*(ProtobufCMessage **)dst = new_message(f->descriptor, depth + 1, k);
		return true;
	}
	return false;
}

/* A copy of the value at src (for duplicated elements); messages are made anew. */
static void copy_value(const ProtobufCFieldDescriptor *f, void *dst, const void *src, int depth,
		       enum kind k)
{
	if (f->type == PROTOBUF_C_TYPE_STRING) {
		*(char **)dst = xstrdup(*(char *const *)src);
	} else if (f->type == PROTOBUF_C_TYPE_BYTES) {
		const ProtobufCBinaryData *s = src;
		ProtobufCBinaryData *d = dst;

		d->len = s->len;
		d->data = xmalloc(s->len + 1);
		memcpy(d->data, s->data, s->len);
	} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		*(ProtobufCMessage **)dst = new_message(f->descriptor, depth + 1, k);
	} else {
		memcpy(dst, src, elem_size(f));
	}
}

static void fill_field(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, int depth,
		       enum kind k)
{
	char *base = (char *)m;
	void *member = base + f->offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t *which = (uint32_t *)(base + f->quantifier_offset);

		if (*which != 0 || !make_value(f, member, depth, k))
			return;
		*which = f->id;
		return;
	}
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		static const size_t counts[] = {0, 1, 2, 7, 40};
		size_t n = k == K_FULL ? 3 : counts[rnd_n(5)];
		bool dup = k == K_FULL || rnd_n(3) == 0;
		size_t es = elem_size(f);
		char *arr;

		if (n == 0 || (f->type == PROTOBUF_C_TYPE_MESSAGE && depth >= MAX_DEPTH))
			return;
		if (depth >= 2 && n > 7)
			n = 7; /* nested lists multiply: keep messages small */
		arr = xcalloc(n, es);
		if (!make_value(f, arr, depth, k)) {
			free(arr);
			return;
		}
		for (size_t i = 1; i < n; i++) {
			if (dup)
				copy_value(f, arr + i * es, arr, depth, k);
			else
				make_value(f, arr + i * es, depth, k);
		}
		*(size_t *)(base + f->quantifier_offset) = n;
		*(void **)member = arr;
		return;
	}
	if (!make_value(f, member, depth, k))
		return;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_STRING &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
}

static ProtobufCMessage *new_message(const ProtobufCMessageDescriptor *d, int depth, enum kind k)
{
	ProtobufCMessage *m = xmalloc(d->sizeof_message);

	protobuf_c_message_init(d, m);
	if (k == K_EMPTY)
		return m;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (k == K_FULL || rnd_n(2) == 0)
			fill_field(m, &d->fields[i], depth, k);
	return m;
}

/* The request payload of one round. */
static uint8_t *make_payload(const ProtobufCMessageDescriptor *in, enum kind k, size_t *len)
{
	ProtobufCMessage *m;
	uint8_t *buf;

	if (k == K_BYTES) {
		*len = rnd_n(200);
		buf = xmalloc(*len + 1);
		for (size_t i = 0; i < *len; i++)
			buf[i] = (uint8_t)rnd();
		return buf;
	}
	m = new_message(in, 0, k == K_MUTATED ? K_RANDOM : k);
	*len = protobuf_c_message_get_packed_size(m);
	buf = xmalloc(*len + 1);
	protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);
	if (k == K_MUTATED && *len > 0) {
		if (rnd_n(2) == 0) {
			*len = rnd_n(*len);
		} else {
			for (size_t i = 0, n = 1 + rnd_n(3); i < n; i++)
				buf[rnd_n(*len)] ^= (uint8_t)(1 + rnd_n(255));
		}
	}
	return buf;
}

/* One call: the payload sent, the stream read to its end (or cancelled for Subscribe). */
static void one_call(struct rpc_client *c, const char *path, const ProtobufCMessageDescriptor *out,
		     const uint8_t *buf, size_t len, bool endless)
{
	struct berth_err *err = NULL;
	struct rpc_client_stream *s = rpc_client_stream_open_raw(c, path, buf, len, out, &err);

	if (s && !endless) {
		for (int i = 0; i < MAX_STREAM_MSGS; i++) {
			ProtobufCMessage *m = NULL;

			if (rpc_client_stream_recv(s, &m, &err) != 1)
				break;
			protobuf_c_message_free_unpacked(m, NULL);
		}
	}
	rpc_client_stream_free(s);
	berth_err_free(&err);
}

static bool version_ok(struct rpc_client *c)
{
	Google__Protobuf__Empty req = GOOGLE__PROTOBUF__EMPTY__INIT;
	ProtobufCMessage *resp = NULL;
	struct berth_err *err = NULL;

	if (rpc_client_invoke(c, &containerd__services__version__v1__version__descriptor, "Version",
			      &req.base, &resp, &err) < 0) {
		fprintf(stderr, "rpcfuzz: Version: %s\n", err->msg);
		berth_err_free(&err);
		return false;
	}
	protobuf_c_message_free_unpacked(resp, NULL);
	return true;
}

static bool skipped(const char *path)
{
	const char *skip = getenv("RPCFUZZ_SKIP");
	size_t n = strlen(path);

	for (const char *p = skip; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
		if (strncmp(p, path, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	struct rpc_client *clients[3];
	struct berth_err *err = NULL;
	unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 24;
	struct timespec t0, t1;
	unsigned long calls = 0;

	if (argc < 2 || argc > 4 || rounds == 0) {
		fprintf(stderr, "usage: rpcfuzz SOCKET [ROUNDS [SEED]]\n");
		return 2;
	}
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	if (rng_state == 0)
		rng_state = 1;
	clients[0] = rpc_client_new(argv[1], "fuzz", &err);
	clients[1] = rpc_client_new(argv[1], NULL, &err);
	clients[2] = rpc_client_new(argv[1], "bad/ns name", &err);
	if (!clients[0] || !clients[1] || !clients[2]) {
		fprintf(stderr, "rpcfuzz: %s\n", err ? err->msg : "no client");
		return 2;
	}
	if (!version_ok(clients[0])) {
		fprintf(stderr, "rpcfuzz: '%s' does not answer Version before the first call\n",
			argv[1]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t si = 0; si < sizeof(services) / sizeof(services[0]); si++) {
		const ProtobufCServiceDescriptor *sd = services[si];

		for (unsigned mi = 0; mi < sd->n_methods; mi++) {
			const ProtobufCMethodDescriptor *md = &sd->methods[mi];
			char *path = xasprintf("/%s/%s", sd->name, md->name);
			bool endless = strcmp(path, "/containerd.services.events.v1.Events/"
						    "Subscribe") == 0;

			if (skipped(path)) {
				printf("rpcfuzz: %s skipped ($RPCFUZZ_SKIP)\n", path);
				free(path);
				continue;
			}

			for (unsigned long r = 0; r < rounds; r++) {
				enum kind k = (enum kind)(r % K_N);
				struct rpc_client *c = clients[r % 7 == 6 ? 1 + (r / 7) % 2 : 0];
				size_t len;
				uint8_t *buf = make_payload(md->input, k, &len);

				one_call(c, path, md->output, buf, len, endless);
				calls++;
				if (!version_ok(clients[0])) {
					fprintf(stderr,
						"rpcfuzz: no answer after %s round %lu (%s, "
						"%zu bytes:",
						path, r, kind_names[k], len);
					for (size_t i = 0; i < len && i < 48; i++)
						fprintf(stderr, " %02x", buf[i]);
					fprintf(stderr, "%s)\n", len > 48 ? " ..." : "");
					return 1;
				}
				free(buf);
			}
			free(path);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("rpcfuzz: %lu calls to %zu services, daemon answered after each, %.1f s\n", calls,
	       sizeof(services) / sizeof(services[0]),
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int i = 0; i < 3; i++)
		rpc_client_free(clients[i]);
	return 0;
}
