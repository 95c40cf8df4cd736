/*
 * runtime/lib/cgroup/dbus.h - a minimal D-Bus client, enough to talk to systemd's manager.
 *
 * berth is a static binary and links neither libdbus nor libsystemd, so this module
 * implements the small part of the D-Bus Specification it needs
 * (https://dbus.freedesktop.org/doc/dbus-specification.html):
 *   - transport: a unix stream socket; systemd's private peer-to-peer socket
 *     /run/systemd/private (root only, no bus daemon, no Hello), else the system bus
 *     /run/dbus/system_bus_socket (Hello first; calls carry DESTINATION);
 *   - authentication: a NUL byte, "AUTH EXTERNAL <hex of the uid in decimal>", "OK <guid>",
 *     "BEGIN"; no unix fd passing;
 *   - messages: little-endian marshalling of the basic types, strings, object paths,
 *     signatures, arrays, structs and variants; METHOD_CALL out, METHOD_RETURN, ERROR and
 *     SIGNAL in.
 *
 * Marshalling rules followed (spec, "Marshaling (Wire Format)"): every value is aligned
 * to its size (structs and dict entries to 8) relative to the start of the message; the
 * header is padded to 8, so a body built from offset 0 has the same alignment; an array
 * is a u32 byte length, padding to its element's alignment (present even when empty, not
 * counted in the length), then the elements; a string is a u32 length, the bytes and a
 * NUL; a signature a u8 length, the bytes and a NUL; a variant a signature of one
 * complete type, then the value.
 *
 * Calls block, each with a timeout; signals that arrive while waiting for a reply are
 * queued for rt_dbus_next_signal(), so none is lost between a call and the wait for it.
 */
#ifndef BERTH_RUNTIME_DBUS_H
#define BERTH_RUNTIME_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum rt_dbus_type {
	RT_DBUS_METHOD_CALL = 1,
	RT_DBUS_METHOD_RETURN = 2,
	RT_DBUS_ERROR = 3,
	RT_DBUS_SIGNAL = 4,
};

/* A growing output buffer; offsets (and so alignment) count from data[0]. */
struct rt_dbus_buf {
	uint8_t *data;
	size_t len, cap;
};

/* An open array: where its length goes and where its elements start. */
struct rt_dbus_array {
	size_t len_pos, start;
};

void rt_dbus_buf_clear(struct rt_dbus_buf *b);
void rt_dbus_put_u8(struct rt_dbus_buf *b, uint8_t v);
void rt_dbus_put_bool(struct rt_dbus_buf *b, bool v);
void rt_dbus_put_u32(struct rt_dbus_buf *b, uint32_t v);
void rt_dbus_put_u64(struct rt_dbus_buf *b, uint64_t v);
/* type: 's' string, 'o' object path (both u32 length), 'g' signature (u8 length). */
void rt_dbus_put_str(struct rt_dbus_buf *b, char type, const char *s);
/* Pads to 8: the start of a struct or dict entry. */
void rt_dbus_put_struct(struct rt_dbus_buf *b);
/* A variant's signature; the caller then puts the value. */
void rt_dbus_put_variant(struct rt_dbus_buf *b, const char *sig);
/* elem_align: 1, 2, 4 or 8 (8 for arrays of structs). */
struct rt_dbus_array rt_dbus_array_open(struct rt_dbus_buf *b, size_t elem_align);
void rt_dbus_array_close(struct rt_dbus_buf *b, struct rt_dbus_array a);

/* A whole METHOD_CALL message into out (cleared first): the fixed header, the header
 * fields PATH, INTERFACE, MEMBER, DESTINATION (if dest is not NULL), SIGNATURE (if sig
 * is not NULL or empty), padding, then body (may be NULL when sig is empty). */
void rt_dbus_call_build(struct rt_dbus_buf *out, uint32_t serial, const char *dest,
			const char *path, const char *iface, const char *member, const char *sig,
			const struct rt_dbus_buf *body);

/* A received message. Strings point into raw (owned). */
struct rt_dbus_msg {
	uint8_t type; /* enum rt_dbus_type */
	uint8_t flags;
	uint32_t serial;
	uint32_t reply_serial; /* 0 if absent */
	const char *path, *interface, *member, *error_name, *destination, *sender;
	const char *signature; /* "" if absent */
	const uint8_t *body;
	size_t body_len;
	uint8_t *raw;
	size_t raw_len;
	struct rt_dbus_msg *next; /* signal queue */
};

/* Size of the whole message whose first 16 bytes are hdr; errors on a message that is
 * not little-endian version 1, or larger than 64 MiB (spec: 128 MiB max). */
int rt_dbus_msg_size(const uint8_t hdr[16], size_t *size, struct berth_err **err);
/* Parses one complete message (takes a copy of data); checks every length and alignment
 * against len and skips unknown header fields by their signature. */
int rt_dbus_msg_parse(const uint8_t *data, size_t len, struct rt_dbus_msg **out,
		      struct berth_err **err);
void rt_dbus_msg_free(struct rt_dbus_msg *m);
void rt_dbus_msg_freep(struct rt_dbus_msg **m);

/* Reads a message body in order; positions count from the body start (8-aligned in the
 * message). Each getter checks the signature letter is next. */
struct rt_dbus_reader {
	const uint8_t *data;
	size_t len, pos;
	const char *sig; /* remaining signature */
};

void rt_dbus_reader_init(struct rt_dbus_reader *r, const struct rt_dbus_msg *m);
int rt_dbus_get_u32(struct rt_dbus_reader *r, uint32_t *v, struct berth_err **err);
/* 's', 'o' or 'g' as the next type; *s borrowed from the message. */
int rt_dbus_get_str(struct rt_dbus_reader *r, const char **s, struct berth_err **err);

/* For an ERROR message: "<error name>: <message>" (the message is the body's first
 * string argument when it has one); caller frees. */
char *rt_dbus_error_text(const struct rt_dbus_msg *m);

/* ---- connection ---- */

struct rt_dbus;

/* Connects to systemd: /run/systemd/private, else the system bus (Hello). The
 * BERTH_DBUS_ADDRESS environment variable, a unix socket path, overrides both (tests).
 * BERTH_E_UNAVAILABLE when no socket answers. */
int rt_dbus_open_systemd(struct rt_dbus **out, struct berth_err **err);
/* Calls a method and waits (at most timeout_ms) for its reply. A METHOD_RETURN goes to
 * *reply (may be NULL: dropped); an ERROR becomes an error whose message is
 * "<error name>: <message>" (errnum 0, class BERTH_E_UNAVAILABLE unless the name says
 * better). Signals meanwhile are queued. The destination is systemd's name on a bus,
 * none on the private socket. */
int rt_dbus_call(struct rt_dbus *d, const char *path, const char *iface, const char *member,
		 const char *sig, const struct rt_dbus_buf *body, int timeout_ms,
		 struct rt_dbus_msg **reply, struct berth_err **err);
/* The next signal (queued ones first), waiting at most timeout_ms (then
 * BERTH_E_TIMEOUT); caller frees *out. */
int rt_dbus_next_signal(struct rt_dbus *d, int timeout_ms, struct rt_dbus_msg **out,
			struct berth_err **err);
/* Whether the connection goes through a bus daemon. */
bool rt_dbus_is_bus(const struct rt_dbus *d);
/* Asks the bus daemon to route signals matching rule to us (org.freedesktop.DBus.AddMatch);
 * a no-op on the private socket, where systemd sends its signals to every peer. */
int rt_dbus_add_match(struct rt_dbus *d, const char *rule, struct berth_err **err);
void rt_dbus_close(struct rt_dbus *d);
void rt_dbus_closep(struct rt_dbus **d);

#endif
