/* common/bjson.c - see bjson.h. struct bjson is json-c's json_object. */
#include <json-c/json.h>
#include <string.h>

#include "common/bjson.h"
#include "common/xalloc.h"

#define J(v) ((struct json_object *)(v))
#define CJ(v) ((struct json_object *)(uintptr_t)(const void *)(v))
#define B(v) ((struct bjson *)(v))

static struct json_object *check(struct json_object *o)
{
	if (!o) {
		/* json-c returns NULL only when malloc failed: not an error path */
		xmalloc((size_t)-1);
	}
	return o;
}

struct bjson *bjson_object_new(void)
{
	return B(check(json_object_new_object()));
}

struct bjson *bjson_array_new(void)
{
	return B(check(json_object_new_array()));
}

void bjson_set_take(struct bjson *obj, const char *key, struct bjson *val)
{
	json_object_object_add(J(obj), key, J(val));
}

void bjson_set_str(struct bjson *obj, const char *key, const char *val)
{
	bjson_set_take(obj, key, val ? B(check(json_object_new_string(val))) : NULL);
}

void bjson_set_int(struct bjson *obj, const char *key, int64_t val)
{
	bjson_set_take(obj, key, B(check(json_object_new_int64(val))));
}

void bjson_set_uint(struct bjson *obj, const char *key, uint64_t val)
{
	bjson_set_take(obj, key, B(check(json_object_new_uint64(val))));
}

void bjson_set_bool(struct bjson *obj, const char *key, bool val)
{
	bjson_set_take(obj, key, B(check(json_object_new_boolean(val))));
}

void bjson_append_take(struct bjson *arr, struct bjson *val)
{
	json_object_array_add(J(arr), J(val));
}

void bjson_append_str(struct bjson *arr, const char *val)
{
	bjson_append_take(arr, val ? B(check(json_object_new_string(val))) : NULL);
}

void bjson_append_int(struct bjson *arr, int64_t val)
{
	bjson_append_take(arr, B(check(json_object_new_int64(val))));
}

void bjson_append_uint(struct bjson *arr, uint64_t val)
{
	bjson_append_take(arr, B(check(json_object_new_uint64(val))));
}

char *bjson_to_string(const struct bjson *v, int flags)
{
	int jf = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (flags & BJSON_PRETTY)
		jf |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
	else
		jf |= JSON_C_TO_STRING_PLAIN;
	return xstrdup(json_object_to_json_string_ext(CJ(v), jf));
}

int bjson_parse(const char *buf, size_t len, const char *name, struct bjson **out,
		struct berth_err **err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t off;

	if (!tok)
		xmalloc((size_t)-1);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		return berth_err_new(err, BERTH_E_INVALID, "%s: unexpected end of JSON", name);
	if (jerr != json_tokener_success)
		return berth_err_new(err, BERTH_E_INVALID, "%s: offset %zu: %s", name, off,
				     json_tokener_error_desc(jerr));
	for (; off < len; off++) {
		if (!strchr(" \t\r\n", buf[off])) {
			json_object_put(o);
			return berth_err_new(err, BERTH_E_INVALID,
					     "%s: offset %zu: trailing data after JSON value", name,
					     off);
		}
	}
	*out = B(o);
	return 0;
}

const struct bjson *bjson_get(const struct bjson *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_is_type(CJ(obj), json_type_object))
		return NULL;
	if (!json_object_object_get_ex(CJ(obj), key, &v))
		return NULL;
	return B(v);
}

const char *bjson_str(const struct bjson *v)
{
	if (!v || !json_object_is_type(CJ(v), json_type_string))
		return NULL;
	return json_object_get_string(CJ(v));
}

const char *bjson_get_str(const struct bjson *obj, const char *key)
{
	return bjson_str(bjson_get(obj, key));
}

bool bjson_get_int(const struct bjson *obj, const char *key, int64_t *out)
{
	const struct bjson *v = bjson_get(obj, key);

	if (!v || !json_object_is_type(CJ(v), json_type_int))
		return false;
	*out = json_object_get_int64(CJ(v));
	return true;
}

bool bjson_get_bool(const struct bjson *obj, const char *key, bool *out)
{
	const struct bjson *v = bjson_get(obj, key);

	if (!v || !json_object_is_type(CJ(v), json_type_boolean))
		return false;
	*out = json_object_get_boolean(CJ(v));
	return true;
}

bool bjson_is_object(const struct bjson *v)
{
	return v && json_object_is_type(CJ(v), json_type_object);
}

bool bjson_is_array(const struct bjson *v)
{
	return v && json_object_is_type(CJ(v), json_type_array);
}

size_t bjson_array_len(const struct bjson *arr)
{
	if (!bjson_is_array(arr))
		return 0;
	return json_object_array_length(CJ(arr));
}

const struct bjson *bjson_array_get(const struct bjson *arr, size_t i)
{
	if (i >= bjson_array_len(arr))
		return NULL;
	return B(json_object_array_get_idx(CJ(arr), i));
}

int bjson_object_foreach(const struct bjson *obj, bjson_member_fn fn, void *ctx)
{
	if (!bjson_is_object(obj))
		return 0;
	json_object_object_foreach(CJ(obj), key, val)
	{
		int r = fn(key, B(val), ctx);

		if (r)
			return r;
	}
	return 0;
}

void bjson_free(struct bjson *v)
{
	if (v)
		json_object_put(J(v));
}

void bjson_freep(struct bjson **v)
{
	bjson_free(*v);
	*v = NULL;
}
