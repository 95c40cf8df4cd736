/* runtime/lib/cgroup/dbus.c - see dbus.h. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/dbus.h"

#define MAX_MSG (64u << 20)
#define MAX_DEPTH 32

enum {
	FIELD_PATH = 1,
	FIELD_INTERFACE,
	FIELD_MEMBER,
	FIELD_ERROR_NAME,
	FIELD_REPLY_SERIAL,
	FIELD_DESTINATION,
	FIELD_SENDER,
	FIELD_SIGNATURE,
};

/* ---- marshalling ---- */

void rt_dbus_buf_clear(struct rt_dbus_buf *b)
{
	free(b->data);
	*b = (struct rt_dbus_buf){0};
}

static void put_bytes(struct rt_dbus_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		if (b->cap < b->len + n)
			b->cap = b->len + n;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_align(struct rt_dbus_buf *b, size_t n)
{
	static const uint8_t zero[8];

	if (b->len % n)
		put_bytes(b, zero, n - b->len % n);
}

void rt_dbus_put_u8(struct rt_dbus_buf *b, uint8_t v)
{
	put_bytes(b, &v, 1);
}

void rt_dbus_put_u32(struct rt_dbus_buf *b, uint32_t v)
{
	uint8_t le[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	put_align(b, 4);
	put_bytes(b, le, 4);
}

void rt_dbus_put_u64(struct rt_dbus_buf *b, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (v >> (8 * i)) & 0xff;
	put_align(b, 8);
	put_bytes(b, le, 8);
}

void rt_dbus_put_bool(struct rt_dbus_buf *b, bool v)
{
	rt_dbus_put_u32(b, v ? 1 : 0);
}

void rt_dbus_put_str(struct rt_dbus_buf *b, char type, const char *s)
{
	size_t n = strlen(s);

	if (type == 'g')
		rt_dbus_put_u8(b, (uint8_t)n);
	else
		rt_dbus_put_u32(b, (uint32_t)n);
	put_bytes(b, s, n + 1);
}

void rt_dbus_put_struct(struct rt_dbus_buf *b)
{
	put_align(b, 8);
}

void rt_dbus_put_variant(struct rt_dbus_buf *b, const char *sig)
{
	rt_dbus_put_str(b, 'g', sig);
}

struct rt_dbus_array rt_dbus_array_open(struct rt_dbus_buf *b, size_t elem_align)
{
	struct rt_dbus_array a;

	rt_dbus_put_u32(b, 0);
	a.len_pos = b->len - 4;
	put_align(b, elem_align);
	a.start = b->len;
	return a;
}

void rt_dbus_array_close(struct rt_dbus_buf *b, struct rt_dbus_array a)
{
	uint32_t n = (uint32_t)(b->len - a.start);

	for (int i = 0; i < 4; i++)
		b->data[a.len_pos + i] = (n >> (8 * i)) & 0xff;
}

static void put_field(struct rt_dbus_buf *b, uint8_t code, char type, const char *value)
{
	char sig[2] = {type, '\0'};

	rt_dbus_put_struct(b);
	rt_dbus_put_u8(b, code);
	rt_dbus_put_variant(b, sig);
	rt_dbus_put_str(b, type, value);
}

void rt_dbus_call_build(struct rt_dbus_buf *out, uint32_t serial, const char *dest,
			const char *path, const char *iface, const char *member, const char *sig,
			const struct rt_dbus_buf *body)
{
	struct rt_dbus_array fields;

	rt_dbus_buf_clear(out);
	rt_dbus_put_u8(out, 'l');
	rt_dbus_put_u8(out, RT_DBUS_METHOD_CALL);
	rt_dbus_put_u8(out, 0); /* flags: a reply is expected */
	rt_dbus_put_u8(out, 1); /* protocol version */
	rt_dbus_put_u32(out, body ? (uint32_t)body->len : 0);
	rt_dbus_put_u32(out, serial);
	fields = rt_dbus_array_open(out, 8);
	put_field(out, FIELD_PATH, 'o', path);
	if (iface)
		put_field(out, FIELD_INTERFACE, 's', iface);
	put_field(out, FIELD_MEMBER, 's', member);
	if (dest)
		put_field(out, FIELD_DESTINATION, 's', dest);
	if (sig && *sig)
		put_field(out, FIELD_SIGNATURE, 'g', sig);
	rt_dbus_array_close(out, fields);
	put_align(out, 8);
	if (body && body->len)
		put_bytes(out, body->data, body->len);
}

/* ---- parsing ---- */

static int bad(struct berth_err **err, const char *what, size_t pos)
{
	return berth_err_new(err, BERTH_E_INTERNAL, "d-bus message: %s at offset %zu", what, pos);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int rd_align(struct rt_dbus_reader *r, size_t n, struct berth_err **err)
{
	size_t pad = (n - r->pos % n) % n;

	if (r->pos + pad > r->len)
		return bad(err, "truncated padding", r->pos);
	for (size_t i = 0; i < pad; i++)
		if (r->data[r->pos + i])
			return bad(err, "non-zero padding", r->pos + i);
	r->pos += pad;
	return 0;
}

static int rd_fixed(struct rt_dbus_reader *r, size_t n, uint64_t *v, struct berth_err **err)
{
	uint64_t x = 0;

	if (rd_align(r, n, err) < 0)
		return -1;
	if (r->pos + n > r->len)
		return bad(err, "truncated value", r->pos);
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)r->data[r->pos + i] << (8 * i);
	r->pos += n;
	if (v)
		*v = x;
	return 0;
}

static int rd_string(struct rt_dbus_reader *r, char type, const char **s, struct berth_err **err)
{
	uint64_t n = 0;

	if (rd_fixed(r, type == 'g' ? 1 : 4, &n, err) < 0)
		return -1;
	if (n >= r->len || r->pos + n + 1 > r->len)
		return bad(err, "truncated string", r->pos);
	if (r->data[r->pos + n] || memchr(r->data + r->pos, '\0', n))
		return bad(err, "string not NUL-terminated", r->pos);
	if (s)
		*s = (const char *)r->data + r->pos;
	r->pos += n + 1;
	return 0;
}

/* Past one complete type of sig, or NULL when sig does not start with one. */
static const char *sig_next(const char *sig, int depth)
{
	char end;

	if (depth > MAX_DEPTH || !*sig)
		return NULL;
	if (strchr("ybnqiuxtdhsogv", *sig))
		return sig + 1; /* basic types and variant */
	switch (*sig) {
	case 'a':
		return sig_next(sig + 1, depth + 1);
	case '(':
	case '{':
		end = *sig == '(' ? ')' : '}';
		sig++;
		if (*sig == end)
			return NULL; /* empty structs are not allowed */
		while (sig && *sig && *sig != end)
			sig = sig_next(sig, depth + 1);
		return sig && *sig == end ? sig + 1 : NULL;
	default:
		return NULL;
	}
}

static size_t type_align(char t)
{
	if (!t)
		return 1;
	if (strchr("nq", t))
		return 2;
	if (strchr("biuhsoa", t))
		return 4;
	if (strchr("xtd({", t))
		return 8;
	return 1; /* y, g, v */
}

static int rd_skip(struct rt_dbus_reader *r, const char **sig, int depth, struct berth_err **err);

static int rd_skip_array(struct rt_dbus_reader *r, const char **sig, int depth,
			 struct berth_err **err)
{
	const char *elem = *sig + 1, *after = sig_next(*sig, depth);
	uint64_t n = 0;
	size_t end;

	if (!after)
		return bad(err, "invalid array signature", r->pos);
	if (rd_fixed(r, 4, &n, err) < 0 || rd_align(r, type_align(*elem), err) < 0)
		return -1;
	if (n > MAX_MSG || r->pos + n > r->len)
		return bad(err, "truncated array", r->pos);
	end = r->pos + n;
	while (r->pos < end) {
		const char *s = elem;

		if (rd_skip(r, &s, depth + 1, err) < 0)
			return -1;
	}
	if (r->pos != end)
		return bad(err, "array length mismatch", r->pos);
	*sig = after;
	return 0;
}

static int rd_skip_variant(struct rt_dbus_reader *r, int depth, struct berth_err **err)
{
	const char *vs, *s;

	if (rd_string(r, 'g', &vs, err) < 0)
		return -1;
	s = vs;
	if (sig_next(vs, depth) == NULL || *sig_next(vs, depth))
		return bad(err, "variant signature is not one complete type", r->pos);
	return rd_skip(r, &s, depth + 1, err);
}

/* Skips the value of the complete type at *sig and advances *sig past it. */
static int rd_skip(struct rt_dbus_reader *r, const char **sig, int depth, struct berth_err **err)
{
	char t = **sig, end;

	if (depth > MAX_DEPTH)
		return bad(err, "nesting too deep", r->pos);
	if (t && strchr("ynqbiuhxtd", t)) {
		(*sig)++;
		return rd_fixed(r, type_align(t), NULL, err); /* fixed types: size = alignment */
	}
	switch (t) {
	case 's':
	case 'o':
	case 'g':
		(*sig)++;
		return rd_string(r, t, NULL, err);
	case 'v':
		(*sig)++;
		return rd_skip_variant(r, depth, err);
	case 'a':
		return rd_skip_array(r, sig, depth, err);
	case '(':
	case '{':
		end = t == '(' ? ')' : '}';
		if (!sig_next(*sig, depth))
			return bad(err, "invalid struct signature", r->pos);
		if (rd_align(r, 8, err) < 0)
			return -1;
		(*sig)++;
		while (**sig != end)
			if (rd_skip(r, sig, depth + 1, err) < 0)
				return -1;
		(*sig)++;
		return 0;
	default:
		return bad(err, "unknown type in signature", r->pos);
	}
}

int rt_dbus_msg_size(const uint8_t hdr[16], size_t *size, struct berth_err **err)
{
	uint64_t fields = le32(hdr + 12), body = le32(hdr + 4);
	uint64_t n = 16 + fields;

	if (hdr[0] != 'l')
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "d-bus message: byte order '%c' is not supported (only 'l')",
				     hdr[0]);
	if (hdr[3] != 1)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "d-bus message: protocol version %u is not supported", hdr[3]);
	n = (n + 7) / 8 * 8 + body;
	if (fields > MAX_MSG || body > MAX_MSG || n > MAX_MSG)
		return berth_err_new(err, BERTH_E_RESOURCE,
				     "d-bus message: %llu bytes is too large",
				     (unsigned long long)n);
	*size = (size_t)n;
	return 0;
}

static int parse_field(struct rt_dbus_msg *m, struct rt_dbus_reader *r, struct berth_err **err)
{
	uint64_t code = 0, v = 0;
	const char *vs, *s;

	if (rd_align(r, 8, err) < 0 || rd_fixed(r, 1, &code, err) < 0 ||
	    rd_string(r, 'g', &vs, err) < 0)
		return -1;
	if (code == FIELD_REPLY_SERIAL && strcmp(vs, "u") == 0) {
		if (rd_fixed(r, 4, &v, err) < 0)
			return -1;
		m->reply_serial = (uint32_t)v;
		return 0;
	}
	if (code >= FIELD_PATH && code <= FIELD_SIGNATURE && code != FIELD_REPLY_SERIAL &&
	    strlen(vs) == 1 && strchr("sog", vs[0])) {
		const char **dst[] = {NULL,	      &m->path, &m->interface,	 &m->member,
				      &m->error_name, NULL,	&m->destination, &m->sender,
				      &m->signature};

		if (rd_string(r, vs[0], &s, err) < 0)
			return -1;
		*dst[code] = s;
		return 0;
	}
	/* unknown field (UNIX_FDS...) or an unexpected type: skip by its signature */
	s = vs;
	if (!sig_next(vs, 0) || *sig_next(vs, 0))
		return bad(err, "header field signature is not one complete type", r->pos);
	return rd_skip(r, &s, 1, err);
}

int rt_dbus_msg_parse(const uint8_t *data, size_t len, struct rt_dbus_msg **out,
		      struct berth_err **err)
{
	cleanup(rt_dbus_msg_freep) struct rt_dbus_msg *m = NULL;
	struct rt_dbus_reader r;
	size_t size, end;

	if (len < 16)
		return bad(err, "shorter than its header", len);
	if (rt_dbus_msg_size(data, &size, err) < 0)
		return -1;
	if (size != len)
		return bad(err, "length does not match its header", len);
	m = xnew(struct rt_dbus_msg);
	m->raw = xmalloc(len);
	memcpy(m->raw, data, len);
	m->raw_len = len;
	m->type = data[1];
	m->flags = data[2];
	m->serial = le32(data + 8);
	m->signature = "";
	if (m->type < RT_DBUS_METHOD_CALL || m->type > RT_DBUS_SIGNAL)
		return bad(err, "unknown message type", 1);
	r = (struct rt_dbus_reader){.data = m->raw, .len = len, .pos = 16};
	end = 16 + le32(data + 12);
	while (r.pos < end)
		if (parse_field(m, &r, err) < 0)
			return -1;
	if (r.pos != end)
		return bad(err, "header field array length mismatch", r.pos);
	if (rd_align(&r, 8, err) < 0)
		return -1;
	m->body = m->raw + r.pos;
	m->body_len = len - r.pos;
	if (m->type == RT_DBUS_ERROR && !m->error_name)
		return bad(err, "ERROR without an error name", 0);
	if ((m->type == RT_DBUS_METHOD_RETURN || m->type == RT_DBUS_ERROR) && !m->reply_serial)
		return bad(err, "reply without a reply serial", 0);
	*out = take_ptr(m);
	return 0;
}

void rt_dbus_msg_free(struct rt_dbus_msg *m)
{
	if (!m)
		return;
	free(m->raw);
	free(m);
}

void rt_dbus_msg_freep(struct rt_dbus_msg **m)
{
	rt_dbus_msg_free(*m);
}

void rt_dbus_reader_init(struct rt_dbus_reader *r, const struct rt_dbus_msg *m)
{
	*r = (struct rt_dbus_reader){.data = m->body, .len = m->body_len, .sig = m->signature};
}

int rt_dbus_get_u32(struct rt_dbus_reader *r, uint32_t *v, struct berth_err **err)
{
	uint64_t x = 0;

	if (*r->sig != 'u')
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "d-bus message: expected 'u', the signature has '%s'", r->sig);
	if (rd_fixed(r, 4, &x, err) < 0)
		return -1;
	r->sig++;
	*v = (uint32_t)x;
	return 0;
}

int rt_dbus_get_str(struct rt_dbus_reader *r, const char **s, struct berth_err **err)
{
	char t = *r->sig;

	if (t != 's' && t != 'o' && t != 'g')
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "d-bus message: expected a string, the signature has '%s'",
				     r->sig);
	if (rd_string(r, t, s, err) < 0)
		return -1;
	r->sig++;
	return 0;
}

char *rt_dbus_error_text(const struct rt_dbus_msg *m)
{
	struct rt_dbus_reader r;
	const char *text = NULL;
	struct berth_err *e = NULL;

	rt_dbus_reader_init(&r, m);
	if (*r.sig == 's' && rt_dbus_get_str(&r, &text, &e) < 0)
		text = NULL;
	berth_err_free(&e);
	if (text && *text)
		return xasprintf("%s: %s", m->error_name ? m->error_name : "?", text);
	return xstrdup(m->error_name ? m->error_name : "unnamed d-bus error");
}

/* ---- connection ---- */

#define SYSTEMD_NAME "org.freedesktop.systemd1"
#define PRIVATE_SOCKET "/run/systemd/private"
#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"

struct rt_dbus {
	int fd;
	bool bus;
	uint32_t serial;
	const char *addr;
	uint8_t *in;
	size_t in_len, in_cap;
	struct rt_dbus_msg *queue, **queue_tail;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for input until deadline; BERTH_E_TIMEOUT when it passes. */
static int wait_in(struct rt_dbus *d, int64_t deadline, struct berth_err **err)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = {.fd = d->fd, .events = POLLIN};
		int r;

		if (left <= 0)
			return berth_err_new(err, BERTH_E_TIMEOUT, "d-bus '%s': no answer in time",
					     d->addr);
		r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return berth_err_sys(err, errno, "d-bus '%s': poll", d->addr);
	}
}

static int fill(struct rt_dbus *d, int64_t deadline, struct berth_err **err)
{
	ssize_t n;

	if (wait_in(d, deadline, err) < 0)
		return -1;
	if (d->in_cap - d->in_len < 4096) {
		d->in_cap = d->in_cap ? d->in_cap * 2 : 16384;
		d->in = xrealloc(d->in, d->in_cap);
	}
	do
		n = recv(d->fd, d->in + d->in_len, d->in_cap - d->in_len, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n < 0)
		return berth_err_sys(err, errno, "d-bus '%s': read", d->addr);
	if (n == 0)
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "d-bus '%s': connection closed",
				     d->addr);
	d->in_len += (size_t)n;
	return 0;
}

static int read_msg(struct rt_dbus *d, int64_t deadline, struct rt_dbus_msg **out,
		    struct berth_err **err)
{
	size_t size;

	while (d->in_len < 16)
		if (fill(d, deadline, err) < 0)
			return -1;
	if (rt_dbus_msg_size(d->in, &size, err) < 0)
		return berth_err_wrap(err, "d-bus '%s'", d->addr);
	while (d->in_len < size)
		if (fill(d, deadline, err) < 0)
			return -1;
	if (rt_dbus_msg_parse(d->in, size, out, err) < 0)
		return berth_err_wrap(err, "d-bus '%s'", d->addr);
	memmove(d->in, d->in + size, d->in_len - size);
	d->in_len -= size;
	return 0;
}

static int send_all(struct rt_dbus *d, const void *p, size_t n, struct berth_err **err)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = send(d->fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return berth_err_sys(err, errno, "d-bus '%s': write", d->addr);
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static enum berth_err_code error_code(const char *name)
{
	static const struct {
		const char *suffix;
		enum berth_err_code code;
	} map[] = {
		{".NoSuchUnit", BERTH_E_NOT_FOUND},
		{".UnitExists", BERTH_E_EXISTS},
		{".AccessDenied", BERTH_E_PERMISSION},
		{".InvalidArgs", BERTH_E_INVALID},
		{".NoReply", BERTH_E_TIMEOUT},
		{".Timeout", BERTH_E_TIMEOUT},
		{".UnknownMethod", BERTH_E_UNIMPLEMENTED},
		{".ServiceUnknown", BERTH_E_UNAVAILABLE},
	};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		size_t k = strlen(map[i].suffix);

		if (n >= k && strcmp(name + n - k, map[i].suffix) == 0)
			return map[i].code;
	}
	return BERTH_E_INTERNAL;
}

static void enqueue(struct rt_dbus *d, struct rt_dbus_msg *m)
{
	*d->queue_tail = m;
	d->queue_tail = &m->next;
}

static int call_to(struct rt_dbus *d, const char *dest, const char *path, const char *iface,
		   const char *member, const char *sig, const struct rt_dbus_buf *body,
		   int timeout_ms, struct rt_dbus_msg **reply, struct berth_err **err)
{
	struct rt_dbus_buf msg = {0};
	int64_t deadline = now_ms() + timeout_ms;
	uint32_t serial = ++d->serial;
	int r;

	rt_dbus_call_build(&msg, serial, dest, path, iface, member, sig, body);
	r = send_all(d, msg.data, msg.len, err);
	rt_dbus_buf_clear(&msg);
	if (r < 0)
		return -1;
	for (;;) {
		struct rt_dbus_msg *m = NULL;

		if (read_msg(d, deadline, &m, err) < 0)
			return berth_err_wrap(err, "call %s.%s", iface, member);
		if (m->type == RT_DBUS_SIGNAL) {
			enqueue(d, m);
			continue;
		}
		if (m->reply_serial != serial) {
			rt_dbus_msg_free(m);
			continue;
		}
		if (m->type == RT_DBUS_ERROR) {
			cleanup_free char *text = rt_dbus_error_text(m);

			berth_err_new(err, error_code(m->error_name), "call %s.%s: %s", iface,
				      member, text);
			rt_dbus_msg_free(m);
			return -1;
		}
		if (reply)
			*reply = m;
		else
			rt_dbus_msg_free(m);
		return 0;
	}
}

int rt_dbus_call(struct rt_dbus *d, const char *path, const char *iface, const char *member,
		 const char *sig, const struct rt_dbus_buf *body, int timeout_ms,
		 struct rt_dbus_msg **reply, struct berth_err **err)
{
	return call_to(d, d->bus ? SYSTEMD_NAME : NULL, path, iface, member, sig, body, timeout_ms,
		       reply, err);
}

int rt_dbus_next_signal(struct rt_dbus *d, int timeout_ms, struct rt_dbus_msg **out,
			struct berth_err **err)
{
	int64_t deadline = now_ms() + timeout_ms;

	for (;;) {
		struct rt_dbus_msg *m = d->queue;

		if (m) {
			d->queue = m->next;
			if (!d->queue)
				d->queue_tail = &d->queue;
			m->next = NULL;
			*out = m;
			return 0;
		}
		if (read_msg(d, deadline, &m, err) < 0)
			return -1;
		if (m->type == RT_DBUS_SIGNAL)
			enqueue(d, m);
		else
			rt_dbus_msg_free(m);
	}
}

bool rt_dbus_is_bus(const struct rt_dbus *d)
{
	return d->bus;
}

/* One "\r\n"-terminated line of the authentication protocol; byte by byte so nothing
 * after it (the first message) is consumed. */
static int auth_line(struct rt_dbus *d, int64_t deadline, char *buf, size_t size,
		     struct berth_err **err)
{
	size_t n = 0;

	for (;;) {
		ssize_t r;

		if (wait_in(d, deadline, err) < 0)
			return -1;
		r = recv(d->fd, buf + n, 1, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return berth_err_sys(err, errno, "d-bus '%s': read", d->addr);
		if (r == 0)
			return berth_err_new(err, BERTH_E_UNAVAILABLE,
					     "d-bus '%s': connection closed during authentication",
					     d->addr);
		if (++n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n') {
			buf[n - 2] = '\0';
			return 0;
		}
		if (n + 1 >= size)
			return berth_err_new(err, BERTH_E_INTERNAL,
					     "d-bus '%s': authentication line too long", d->addr);
	}
}

static int authenticate(struct rt_dbus *d, struct berth_err **err)
{
	char uid[16], hex[40], line[512], *o = hex;
	cleanup_free char *auth = NULL;
	int64_t deadline = now_ms() + 10000;

	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	for (const char *c = uid; *c; c++)
		o += sprintf(o, "%02x", (unsigned char)*c);
	/* The credentials byte, AUTH and BEGIN in one write, as sd-bus clients pipeline them,
	 * and the first message only after "OK": systemd 252's server did not dispatch a
	 * message that arrived in the same read as BEGIN until more input came (measured:
	 * Subscribe unanswered until the client hung up). */
	auth = xasprintf("%cAUTH EXTERNAL %s\r\nBEGIN\r\n", '\0', hex);
	if (send_all(d, auth, strlen(auth + 1) + 1, err) < 0)
		return -1;
	if (auth_line(d, deadline, line, sizeof(line), err) < 0)
		return -1;
	if (strncmp(line, "OK ", 3) != 0)
		return berth_err_new(err, BERTH_E_PERMISSION,
				     "d-bus '%s': authentication refused: '%.100s'", d->addr, line);
	return 0;
}

static int dbus_connect(const char *addr, bool bus, struct rt_dbus **out, struct berth_err **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup(rt_dbus_closep) struct rt_dbus *d = xnew(struct rt_dbus);

	d->queue_tail = &d->queue;
	d->addr = addr;
	d->bus = bus;
	d->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->fd < 0)
		return berth_err_sys(err, errno, "d-bus: socket");
	if (strlen(addr) >= sizeof(sa.sun_path))
		return berth_err_new(err, BERTH_E_INVALID, "d-bus: socket path '%s' is too long",
				     addr);
	strcpy(sa.sun_path, addr);
	if (connect(d->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_err_sys(err, errno, "d-bus: connect to '%s'", addr);
	if (authenticate(d, err) < 0)
		return -1;
	if (bus && call_to(d, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			   "org.freedesktop.DBus", "Hello", NULL, NULL, 10000, NULL, err) < 0)
		return berth_err_wrap(err, "d-bus '%s'", addr);
	*out = take_ptr(d);
	return 0;
}

int rt_dbus_open_systemd(struct rt_dbus **out, struct berth_err **err)
{
	const char *env = getenv("BERTH_DBUS_ADDRESS");
	struct berth_err *e = NULL;

	if (env && *env)
		return dbus_connect(env, false, out, err);
	if (dbus_connect(PRIVATE_SOCKET, false, out, &e) == 0)
		return 0;
	if (dbus_connect(SYSTEM_BUS_SOCKET, true, out, NULL) == 0) {
		berth_err_free(&e);
		return 0;
	}
	/* report why the private socket, the one root normally uses, failed */
	e->code = BERTH_E_UNAVAILABLE;
	if (err)
		*err = take_ptr(e);
	berth_err_free(&e);
	return berth_err_wrap(err, "connect to systemd (also tried '%s')", SYSTEM_BUS_SOCKET);
}

int rt_dbus_add_match(struct rt_dbus *d, const char *rule, struct berth_err **err)
{
	struct rt_dbus_buf body = {0};
	int r;

	if (!d->bus)
		return 0; /* a peer-to-peer connection gets systemd's signals unasked */
	rt_dbus_put_str(&body, 's', rule);
	r = call_to(d, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
		    "AddMatch", "s", &body, 10000, NULL, err);
	rt_dbus_buf_clear(&body);
	return r;
}

void rt_dbus_close(struct rt_dbus *d)
{
	if (!d)
		return;
	closep(&d->fd);
	while (d->queue) {
		struct rt_dbus_msg *m = d->queue;

		d->queue = m->next;
		rt_dbus_msg_free(m);
	}
	free(d->in);
	free(d);
}

void rt_dbus_closep(struct rt_dbus **d)
{
	rt_dbus_close(*d);
}
