/*
 * spec/parse_util.c - JSON reading helpers of the spec parsers: strict
 * tokenizing with line numbers, typed member access with path-naming errors.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/parse_internal.h"

/* Appends s to out at *len, truncating at JP_MAX - 1. */
static void jp_append(struct jp *out, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (n > JP_MAX - 1 - *len)
		n = JP_MAX - 1 - *len;
	memcpy(out->s + *len, s, n);
	*len += n;
	out->s[*len] = '\0';
}

const char *oj_key(struct jp *out, const char *parent, const char *key)
{
	size_t len = 0;

	out->s[0] = '\0';
	if (parent && *parent) {
		jp_append(out, &len, parent);
		jp_append(out, &len, ".");
	}
	jp_append(out, &len, key);
	return out->s;
}

const char *oj_idx(struct jp *out, const char *parent, size_t i)
{
	char idx[32];
	size_t len = 0;

	out->s[0] = '\0';
	snprintf(idx, sizeof(idx), "[%zu]", i);
	jp_append(out, &len, parent);
	jp_append(out, &len, idx);
	return out->s;
}

const char *oj_key_idx(struct jp *out, const char *parent, const char *key, size_t i)
{
	struct jp k;

	return oj_idx(out, oj_key(&k, parent, key), i);
}

int oj_err(struct pctx *c, const char *path, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (path && *path)
		return berth_err_new(c->err, BERTH_E_INVALID, "%s: %s: %s", c->name, path, msg);
	return berth_err_new(c->err, BERTH_E_INVALID, "%s: %s", c->name, msg);
}

static unsigned line_of(const char *buf, size_t off)
{
	unsigned line = 1;

	for (size_t i = 0; i < off && buf[i]; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/* json-c clamps integers that overflow 64 bits; find them in the text first. */
static int check_int_literals(struct pctx *c, const char *buf, size_t len)
{
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		size_t j = i;

		if (in_str) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				in_str = false;
			continue;
		}
		if (buf[i] == '"') {
			in_str = true;
			continue;
		}
		if (buf[i] != '-' && !isdigit((unsigned char)buf[i]))
			continue;
		if (buf[j] == '-')
			j++;
		while (j < len && isdigit((unsigned char)buf[j]))
			j++;
		if (j < len && (buf[j] == '.' || buf[j] == 'e' || buf[j] == 'E')) {
			while (j < len && (isalnum((unsigned char)buf[j]) || buf[j] == '.' ||
					   buf[j] == '+' || buf[j] == '-'))
				j++;
			i = j - 1;
			continue;
		}
		cleanup_free char *lit = xstrndup(buf + i, j - i);
		errno = 0;
		if (lit[0] == '-')
			(void)strtoll(lit, NULL, 10);
		else
			(void)strtoull(lit, NULL, 10);
		if (errno == ERANGE)
			return oj_err(c, NULL, "number %s out of range at line %u", lit,
				      line_of(buf, i));
		i = j - 1;
	}
	return 0;
}

int oj_tokenize(struct pctx *c, const char *buf, size_t len, struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* a bare number or truncated text: tell json-c the text ended */
		end = len;
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		if (e == json_tokener_continue)
			e = json_tokener_error_parse_eof;
	}
	json_tokener_free(tok);
	if (!o || e != json_tokener_success) {
		json_object_put(o);
		if (e == json_tokener_success)
			e = json_tokener_error_parse_unexpected;
		return oj_err(c, NULL, "not valid JSON: %s at line %u", json_tokener_error_desc(e),
			      line_of(buf, end < len ? end : len));
	}
	for (size_t i = end; i < len; i++) {
		if (!isspace((unsigned char)buf[i]) && buf[i] != '\0') {
			json_object_put(o);
			return oj_err(
				c, NULL,
				"not valid JSON: unexpected data after the document at line %u",
				line_of(buf, i));
		}
	}
	if (check_int_literals(c, buf, len) < 0) {
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}

struct json_object *oj_get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	if (json_object_get_type(v) == json_type_null)
		return NULL;
	return v;
}

int oj_v_object(struct pctx *c, struct json_object *v, const char *path)
{
	if (json_object_get_type(v) != json_type_object)
		return oj_err(c, path, "must be an object");
	return 0;
}

int oj_v_array(struct pctx *c, struct json_object *v, const char *path)
{
	if (json_object_get_type(v) != json_type_array)
		return oj_err(c, path, "must be an array");
	return 0;
}

int oj_v_str(struct pctx *c, struct json_object *v, const char *path, char **out)
{
	size_t len;

	if (json_object_get_type(v) != json_type_string)
		return oj_err(c, path, "must be a string");
	/* "\u0000" would silently cut a path short */
	len = (size_t)json_object_get_string_len(v);
	if (strlen(json_object_get_string(v)) != len)
		return oj_err(c, path, "must not contain a NUL character");
	*out = xstrndup(json_object_get_string(v), len);
	return 0;
}

int oj_v_bool(struct pctx *c, struct json_object *v, const char *path, bool *out)
{
	if (json_object_get_type(v) != json_type_boolean)
		return oj_err(c, path, "must be a boolean");
	*out = json_object_get_boolean(v);
	return 0;
}

int oj_v_u64(struct pctx *c, struct json_object *v, const char *path, uint64_t max, uint64_t *out)
{
	uint64_t u;

	if (json_object_get_type(v) != json_type_int)
		return oj_err(c, path, "must be an integer");
	if (json_object_get_int64(v) < 0)
		return oj_err(c, path, "must not be negative");
	u = json_object_get_uint64(v);
	if (u > max)
		return oj_err(c, path, "out of range (maximum %" PRIu64 ")", max);
	*out = u;
	return 0;
}

int oj_v_i64(struct pctx *c, struct json_object *v, const char *path, int64_t min, int64_t max,
	     int64_t *out)
{
	int64_t i;

	if (json_object_get_type(v) != json_type_int)
		return oj_err(c, path, "must be an integer");
	i = json_object_get_int64(v);
	if (i >= 0 && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return oj_err(c, path, "out of range (maximum %" PRId64 ")", max);
	if (i < min)
		return oj_err(c, path, "out of range (minimum %" PRId64 ")", min);
	if (i > max)
		return oj_err(c, path, "out of range (maximum %" PRId64 ")", max);
	*out = i;
	return 0;
}

int oj_v_strv(struct pctx *c, struct json_object *v, const char *path, char ***out)
{
	cleanup(strv_freep) char **r = NULL;
	size_t n;

	if (oj_v_array(c, v, path) < 0)
		return -1;
	n = json_object_array_length(v);
	r = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		struct jp p;

		if (!e || oj_v_str(c, e, oj_idx(&p, path, i), &r[i]) < 0) {
			if (!e)
				oj_err(c, oj_idx(&p, path, i), "must be a string");
			return -1;
		}
	}
	*out = take_ptr(r);
	return 0;
}

int oj_str(struct pctx *c, struct json_object *o, const char *path, const char *key, char **out)
{
	struct json_object *v = oj_get(o, key);
	struct jp p;
	char *s;

	if (!v)
		return 0;
	if (oj_v_str(c, v, oj_key(&p, path, key), &s) < 0)
		return -1;
	free(*out);
	*out = s;
	return 0;
}

int oj_str_req(struct pctx *c, struct json_object *o, const char *path, const char *key, char **out)
{
	struct jp p;

	if (!oj_get(o, key))
		return oj_err(c, oj_key(&p, path, key), "required");
	return oj_str(c, o, path, key, out);
}

int oj_bool(struct pctx *c, struct json_object *o, const char *path, const char *key, bool *out,
	    bool *has)
{
	struct json_object *v = oj_get(o, key);
	struct jp p;

	if (!v)
		return 0;
	if (oj_v_bool(c, v, oj_key(&p, path, key), out) < 0)
		return -1;
	if (has)
		*has = true;
	return 0;
}

int oj_u64(struct pctx *c, struct json_object *o, const char *path, const char *key, uint64_t max,
	   uint64_t *out, bool *has)
{
	struct json_object *v = oj_get(o, key);
	struct jp p;

	if (!v)
		return 0;
	if (oj_v_u64(c, v, oj_key(&p, path, key), max, out) < 0)
		return -1;
	if (has)
		*has = true;
	return 0;
}

int oj_u32(struct pctx *c, struct json_object *o, const char *path, const char *key, uint32_t *out,
	   bool *has)
{
	uint64_t u = *out;

	if (oj_u64(c, o, path, key, UINT32_MAX, &u, has) < 0)
		return -1;
	*out = (uint32_t)u;
	return 0;
}

int oj_id(struct pctx *c, struct json_object *o, const char *path, const char *key, uint32_t *out,
	  bool *has)
{
	uint64_t u = *out;

	if (oj_u64(c, o, path, key, OCI_ID_MAX, &u, has) < 0)
		return -1;
	*out = (uint32_t)u;
	return 0;
}

int oj_i64(struct pctx *c, struct json_object *o, const char *path, const char *key, int64_t min,
	   int64_t max, int64_t *out, bool *has)
{
	struct json_object *v = oj_get(o, key);
	struct jp p;

	if (!v)
		return 0;
	if (oj_v_i64(c, v, oj_key(&p, path, key), min, max, out) < 0)
		return -1;
	if (has)
		*has = true;
	return 0;
}

int oj_int(struct pctx *c, struct json_object *o, const char *path, const char *key, int *out,
	   bool *has)
{
	int64_t i = *out;

	if (oj_i64(c, o, path, key, INT32_MIN, INT32_MAX, &i, has) < 0)
		return -1;
	*out = (int)i;
	return 0;
}

int oj_strv(struct pctx *c, struct json_object *o, const char *path, const char *key, char ***out)
{
	struct json_object *v = oj_get(o, key);
	struct jp p;
	char **r;

	if (!v)
		return 0;
	if (oj_v_strv(c, v, oj_key(&p, path, key), &r) < 0)
		return -1;
	strv_free(*out);
	*out = r;
	return 0;
}

int oj_arr(struct pctx *c, struct json_object *o, const char *path, const char *key,
	   struct json_object **arr, size_t *n)
{
	struct json_object *v = oj_get(o, key);
	struct jp p;

	*arr = NULL;
	*n = 0;
	if (!v)
		return 0;
	if (oj_v_array(c, v, oj_key(&p, path, key)) < 0)
		return -1;
	*arr = v;
	*n = json_object_array_length(v);
	return 0;
}

int oj_obj(struct pctx *c, struct json_object *o, const char *path, const char *key,
	   struct json_object **out)
{
	struct json_object *v = oj_get(o, key);
	struct jp p;

	*out = NULL;
	if (!v)
		return 0;
	if (oj_v_object(c, v, oj_key(&p, path, key)) < 0)
		return -1;
	*out = v;
	return 0;
}

void oci_kv_free(struct oci_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static int parse_kv(struct pctx *c, const char *name, struct json_object *v, const char *path,
		    void *elem, void *arg)
{
	struct oci_kv *kv = elem;

	kv->key = xstrdup(name);
	return oj_v_str(c, v, path, &kv->value);
}

int oj_kv(struct pctx *c, struct json_object *o, const char *path, const char *key,
	  struct oci_kv **out, size_t *n)
{
	struct oci_kv *kv = NULL;
	size_t cnt = 0;

	if (oj_each_member(c, o, path, key, &kv, &cnt, parse_kv, NULL) < 0) {
		oci_kv_free(kv, cnt);
		return -1;
	}
	if (!kv)
		return 0;
	*out = kv;
	*n = cnt;
	return 0;
}

int oj_each_sized(struct pctx *c, struct json_object *o, const char *path, const char *key,
		  size_t elem_size, void **out, size_t *n, oj_elem_fn fn, void *arg)
{
	struct json_object *arr;
	size_t cnt;
	char *elems;

	if (oj_arr(c, o, path, key, &arr, &cnt) < 0)
		return -1;
	if (!arr)
		return 0;
	elems = xcalloc(cnt + 1, elem_size);
	*out = elems;
	for (size_t i = 0; i < cnt; i++) {
		/* a JSON null element is NULL here, which oj_v_object() calls no object */
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct jp p;

		*n = i + 1;
		oj_key_idx(&p, path, key, i);
		if (oj_v_object(c, e, p.s) < 0 || fn(c, e, p.s, elems + i * elem_size, arg) < 0)
			return -1;
	}
	return 0;
}

int oj_each_member_sized(struct pctx *c, struct json_object *o, const char *path, const char *key,
			 size_t elem_size, void **out, size_t *n, oj_member_fn fn, void *arg)
{
	struct json_object *m;
	char *elems;
	struct jp p;
	size_t i = 0;

	if (oj_obj(c, o, path, key, &m) < 0)
		return -1;
	if (!m)
		return 0;
	oj_key(&p, path, key);
	elems = xcalloc((size_t)json_object_object_length(m) + 1, elem_size);
	*out = elems;
	json_object_object_foreach(m, name, v)
	{
		struct jp q;

		*n = i + 1;
		if (fn(c, name, v, oj_key(&q, p.s, name), elems + i * elem_size, arg) < 0)
			return -1;
		i++;
	}
	return 0;
}

static int parse_idmap(struct pctx *c, struct json_object *e, const char *path, void *elem,
		       void *arg)
{
	struct oci_id_mapping *m = elem;
	bool has_c = false, has_h = false, has_s = false;
	struct jp p;

	if (oj_u32(c, e, path, "containerID", &m->container_id, &has_c) < 0 ||
	    oj_u32(c, e, path, "hostID", &m->host_id, &has_h) < 0 ||
	    oj_u32(c, e, path, "size", &m->size, &has_s) < 0)
		return -1;
	if (!has_c || !has_h || !has_s)
		return oj_err(c,
			      oj_key(&p, path,
				     !has_c   ? "containerID"
				     : !has_h ? "hostID"
					      : "size"),
			      "required");
	/* the kernel refuses an empty extent and one whose end wraps past 2^32 - 1 */
	if (m->size == 0)
		return oj_err(c, oj_key(&p, path, "size"), "must be at least 1");
	if ((uint64_t)m->container_id + m->size > UINT32_MAX)
		return oj_err(c, oj_key(&p, path, "size"),
			      "containerID + size exceeds 4294967295 (the ids would wrap)");
	if ((uint64_t)m->host_id + m->size > UINT32_MAX)
		return oj_err(c, oj_key(&p, path, "size"),
			      "hostID + size exceeds 4294967295 (the ids would wrap)");
	return 0;
}

int oj_idmaps(struct pctx *c, struct json_object *o, const char *path, const char *key,
	      struct oci_id_mapping **out, size_t *n)
{
	cleanup_free struct oci_id_mapping *m = NULL;
	size_t cnt = 0;

	if (oj_each(c, o, path, key, &m, &cnt, parse_idmap, NULL) < 0)
		return -1;
	if (!m)
		return 0;
	*out = take_ptr(m);
	*n = cnt;
	return 0;
}

bool oj_path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}
