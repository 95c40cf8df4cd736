/*
 * spec/serialize_internal.h - what spec/serialize*.c share: json-c builders
 * that add a member only when the value is present (see serialize.c).
 */
#ifndef BERTH_SPEC_SERIALIZE_INTERNAL_H
#define BERTH_SPEC_SERIALIZE_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/config.h"

void oj_put_str(struct json_object *o, const char *key, const char *s); /* skips NULL */
void oj_put_bool(struct json_object *o, const char *key, bool b);
void oj_put_u64(struct json_object *o, const char *key, uint64_t v);
void oj_put_i64(struct json_object *o, const char *key, int64_t v);
void oj_put_strv(struct json_object *o, const char *key, char *const *v); /* skips NULL */
void oj_put_kv(struct json_object *o, const char *key, const struct oci_kv *kv, size_t n);
void oj_put_idmaps(struct json_object *o, const char *key, const struct oci_id_mapping *m,
		   size_t n);
struct json_object *oj_strv_json(char *const *v);

struct json_object *oj_process(const struct oci_process *p);
struct json_object *oj_linux(const struct oci_linux *l);
struct json_object *oj_resources(const struct oci_resources *r);

/* Pretty text (tabs, like runc) of o; drops the reference to o. Caller frees. */
char *oj_text(struct json_object *o);

#endif
