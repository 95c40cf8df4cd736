/*
 * spec/parse_internal.h - what the spec/parse*.c pieces share.
 *
 * A parse runs with a struct pctx (document name for the error prefix and the
 * caller's err). Every helper takes the JSON path of the value it looks at
 * ("linux.namespaces[2]") and builds child paths with oj_key()/oj_idx(), so
 * each error reads "<name>: <path>: <reason>" and has class BERTH_E_INVALID.
 * JSON null is treated as absent, as Go's encoding/json does for runc.
 * Helpers return 0 on success (also when an optional value is absent) and -1
 * with *c->err set; outputs are written only on success, except by oj_each()
 * and oj_each_member(), which leave a partly filled array for the caller's
 * free function.
 */
#ifndef BERTH_SPEC_PARSE_INTERNAL_H
#define BERTH_SPEC_PARSE_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/config.h"

#define JP_MAX 256

struct pctx {
	const char *name;
	struct berth_err **err;
};

/* A JSON path buffer; child paths are built into a fresh one. */
struct jp {
	char s[JP_MAX];
};

/* "<parent>.<key>" ("<key>" at the top). */
const char *oj_key(struct jp *out, const char *parent, const char *key);
/* "<parent>[<i>]" */
const char *oj_idx(struct jp *out, const char *parent, size_t i);
/* "<parent>.<key>[<i>]" (a lookup helper for arrays held under a key) */
const char *oj_key_idx(struct jp *out, const char *parent, const char *key, size_t i);

/* Sets "<name>: <path>: <fmt...>" (BERTH_E_INVALID); returns -1. */
int oj_err(struct pctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parses a whole JSON text (strict, one value, nothing after it). */
int oj_tokenize(struct pctx *c, const char *buf, size_t len, struct json_object **out);

/* obj[key], or NULL when absent or JSON null. obj must be an object. */
struct json_object *oj_get(struct json_object *obj, const char *key);

/* Type checks of a value (v != NULL). */
int oj_v_object(struct pctx *c, struct json_object *v, const char *path);
int oj_v_array(struct pctx *c, struct json_object *v, const char *path);
int oj_v_str(struct pctx *c, struct json_object *v, const char *path, char **out);
int oj_v_bool(struct pctx *c, struct json_object *v, const char *path, bool *out);
int oj_v_u64(struct pctx *c, struct json_object *v, const char *path, uint64_t max, uint64_t *out);
int oj_v_i64(struct pctx *c, struct json_object *v, const char *path, int64_t min, int64_t max,
	     int64_t *out);
int oj_v_strv(struct pctx *c, struct json_object *v, const char *path, char ***out);

/* Member accessors: absent leaves *out untouched (and *has false); path is the parent's. */
int oj_str(struct pctx *c, struct json_object *o, const char *path, const char *key, char **out);
int oj_str_req(struct pctx *c, struct json_object *o, const char *path, const char *key,
	       char **out);
int oj_bool(struct pctx *c, struct json_object *o, const char *path, const char *key, bool *out,
	    bool *has);
int oj_u64(struct pctx *c, struct json_object *o, const char *path, const char *key, uint64_t max,
	   uint64_t *out, bool *has);
int oj_u32(struct pctx *c, struct json_object *o, const char *path, const char *key, uint32_t *out,
	   bool *has);
/* A uid or gid: 0..OCI_ID_MAX. */
int oj_id(struct pctx *c, struct json_object *o, const char *path, const char *key, uint32_t *out,
	  bool *has);
int oj_i64(struct pctx *c, struct json_object *o, const char *path, const char *key, int64_t min,
	   int64_t max, int64_t *out, bool *has);
int oj_int(struct pctx *c, struct json_object *o, const char *path, const char *key, int *out,
	   bool *has);
int oj_strv(struct pctx *c, struct json_object *o, const char *path, const char *key, char ***out);
/* obj[key] as an array (NULL + *n = 0 when absent). */
int oj_arr(struct pctx *c, struct json_object *o, const char *path, const char *key,
	   struct json_object **arr, size_t *n);
/* obj[key] as an object (NULL when absent). */
int oj_obj(struct pctx *c, struct json_object *o, const char *path, const char *key,
	   struct json_object **out);
/* A map of string -> string (annotations, sysctl, unified). */
int oj_kv(struct pctx *c, struct json_object *o, const char *path, const char *key,
	  struct oci_kv **out, size_t *n);
/* An array of {containerID, hostID, size}. */
int oj_idmaps(struct pctx *c, struct json_object *o, const char *path, const char *key,
	      struct oci_id_mapping **out, size_t *n);

/*
 * Parses one element of an array of objects: e is an object (already checked),
 * path is "<path>.<key>[i]", elem the zeroed i-th element to fill in, arg what
 * the caller of oj_each() passed through.
 */
typedef int (*oj_elem_fn)(struct pctx *c, struct json_object *e, const char *path, void *elem,
			  void *arg);

/*
 * o[key] as an array of objects: *out becomes a fresh zeroed array of n + 1
 * elements (a typed pointer: sizeof(**out) is the element size), then each
 * element is checked to be an object and handed to fn in order; the first
 * failure stops the walk. *n counts the elements handed to fn, the current one
 * included, so on failure *out and *n describe what the caller's free function
 * must release, and fn may look at the elements before the current one.
 * Absent (or null): *out and *n are left untouched.
 */
#define oj_each(c, o, path, key, out, n, fn, arg) \
	oj_each_sized(c, o, path, key, sizeof(**(out)), (void **)(out), n, fn, arg)
int oj_each_sized(struct pctx *c, struct json_object *o, const char *path, const char *key,
		  size_t elem_size, void **out, size_t *n, oj_elem_fn fn, void *arg);

/*
 * Parses one member of a map (an object keyed by name): v is its value (NULL
 * for JSON null, unchecked), path is "<path>.<key>.<name>", elem and arg as above.
 */
typedef int (*oj_member_fn)(struct pctx *c, const char *name, struct json_object *v,
			    const char *path, void *elem, void *arg);

/* o[key] as an object whose members fill *out, in the way oj_each() fills it from an array. */
#define oj_each_member(c, o, path, key, out, n, fn, arg) \
	oj_each_member_sized(c, o, path, key, sizeof(**(out)), (void **)(out), n, fn, arg)
int oj_each_member_sized(struct pctx *c, struct json_object *o, const char *path, const char *key,
			 size_t elem_size, void **out, size_t *n, oj_member_fn fn, void *arg);

bool oj_path_is_absolute(const char *p);

/* Area parsers: v is the object at path. */
int oj_parse_process(struct pctx *c, struct json_object *v, const char *path,
		     struct oci_process **out);
int oj_parse_linux(struct pctx *c, struct json_object *v, const char *path, struct oci_linux **out);
int oj_parse_resources(struct pctx *c, struct json_object *v, const char *path,
		       struct oci_resources **out);
int oj_parse_seccomp(struct pctx *c, struct json_object *v, const char *path,
		     struct oci_seccomp **out);

/* Frees of the pieces (accept NULL). */
void oci_kv_free(struct oci_kv *kv, size_t n);
void oci_linux_free(struct oci_linux *l);
void oci_seccomp_free(struct oci_seccomp *s);
void oci_mount_clear(struct oci_mount *m);
void oci_hooks_free(struct oci_hooks *h);

#endif
