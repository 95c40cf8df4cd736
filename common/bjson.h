/*
 * common/bjson.h - a small JSON tree (build, serialize, parse, read) over json-c.
 *
 * The one place outside spec/ that includes <json-c/...> (STYLE.md §1): callers
 * see only the opaque struct bjson. A tree is owned by its root; values added
 * with a *_take function belong to their new parent. Readers return borrowed
 * pointers valid while the root lives. Serialization never escapes '/'.
 * Config documents (config.json) are parsed by spec/, not here: bjson is for
 * berth's own records (runtime state, RPC side files) and output documents.
 */
#ifndef BERTH_COMMON_BJSON_H
#define BERTH_COMMON_BJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct bjson;

enum { BJSON_PLAIN = 0, BJSON_PRETTY = 1 };

struct bjson *bjson_object_new(void);
struct bjson *bjson_array_new(void);

/* Members; a NULL string value sets JSON null. Replaces an existing key. */
void bjson_set_str(struct bjson *obj, const char *key, const char *val);
void bjson_set_int(struct bjson *obj, const char *key, int64_t val);
void bjson_set_bool(struct bjson *obj, const char *key, bool val);
/* An unsigned 64-bit number (counters, UINT64_MAX limits). */
void bjson_set_uint(struct bjson *obj, const char *key, uint64_t val);
/* Takes ownership of val. */
void bjson_set_take(struct bjson *obj, const char *key, struct bjson *val);

void bjson_append_str(struct bjson *arr, const char *val);
void bjson_append_int(struct bjson *arr, int64_t val);
void bjson_append_uint(struct bjson *arr, uint64_t val);
/* Takes ownership of val. */
void bjson_append_take(struct bjson *arr, struct bjson *val);

/* Serializes v (BJSON_PLAIN or BJSON_PRETTY, 2-space indent); caller frees. */
char *bjson_to_string(const struct bjson *v, int flags);

/* Parses one JSON text; name prefixes the error ("state.json: ..."). */
int bjson_parse(const char *buf, size_t len, const char *name, struct bjson **out,
		struct berth_err **err);

/* Readers: NULL / false when the key is absent or of another type. */
const struct bjson *bjson_get(const struct bjson *obj, const char *key);
const char *bjson_get_str(const struct bjson *obj, const char *key);
bool bjson_get_int(const struct bjson *obj, const char *key, int64_t *out);
bool bjson_get_bool(const struct bjson *obj, const char *key, bool *out);
/* The string value of v itself, or NULL. */
const char *bjson_str(const struct bjson *v);
bool bjson_is_object(const struct bjson *v);
bool bjson_is_array(const struct bjson *v);
size_t bjson_array_len(const struct bjson *arr);
const struct bjson *bjson_array_get(const struct bjson *arr, size_t i);

/* Calls fn for each member of obj in order; stops at and returns fn's first non-zero. */
typedef int (*bjson_member_fn)(const char *key, const struct bjson *val, void *ctx);
int bjson_object_foreach(const struct bjson *obj, bjson_member_fn fn, void *ctx);

void bjson_free(struct bjson *v);
void bjson_freep(struct bjson **v);

#endif
