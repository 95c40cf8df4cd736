/*
 * spec/serialize.c - struct oci_spec back to config.json text (json-c).
 *
 * Round-trip property: oci_spec_parse(oci_spec_to_json(s)) yields s field for
 * field. Optional scalars are written only when their has_ flag is set,
 * optional objects only when present, arrays whenever their pointer is set
 * (so an empty list stays an empty list). Compiled values (MS_* flags,
 * SCMP_ACT_* numbers) are not written: they are recomputed from the names.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/xalloc.h"
#include "spec/config.h"
#include "spec/serialize_internal.h"

void oj_put_str(struct json_object *o, const char *key, const char *s)
{
	if (s)
		json_object_object_add(o, key, json_object_new_string(s));
}

void oj_put_bool(struct json_object *o, const char *key, bool b)
{
	json_object_object_add(o, key, json_object_new_boolean(b));
}

void oj_put_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

void oj_put_i64(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

struct json_object *oj_strv_json(char *const *v)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

void oj_put_strv(struct json_object *o, const char *key, char *const *v)
{
	if (v)
		json_object_object_add(o, key, oj_strv_json(v));
}

void oj_put_kv(struct json_object *o, const char *key, const struct oci_kv *kv, size_t n)
{
	struct json_object *m;

	if (!kv)
		return;
	m = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(m, kv[i].key, json_object_new_string(kv[i].value));
	json_object_object_add(o, key, m);
}

void oj_put_idmaps(struct json_object *o, const char *key, const struct oci_id_mapping *m, size_t n)
{
	struct json_object *a;

	if (!m)
		return;
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		oj_put_u64(e, "containerID", m[i].container_id);
		oj_put_u64(e, "hostID", m[i].host_id);
		oj_put_u64(e, "size", m[i].size);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, key, a);
}

static struct json_object *mount_to_json(const struct oci_mount *m)
{
	struct json_object *o = json_object_new_object();

	oj_put_str(o, "destination", m->destination);
	oj_put_str(o, "type", m->type);
	oj_put_str(o, "source", m->source);
	oj_put_strv(o, "options", m->options);
	oj_put_idmaps(o, "uidMappings", m->uid_mappings, m->n_uid_mappings);
	oj_put_idmaps(o, "gidMappings", m->gid_mappings, m->n_gid_mappings);
	return o;
}

static void put_hooks_list(struct json_object *o, const char *key, const struct oci_hook *h,
			   size_t n)
{
	struct json_object *a;

	if (!h)
		return;
	a = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		oj_put_str(e, "path", h[i].path);
		oj_put_strv(e, "args", h[i].args);
		oj_put_strv(e, "env", h[i].env);
		if (h[i].has_timeout)
			oj_put_i64(e, "timeout", h[i].timeout);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, key, a);
}

static struct json_object *hooks_to_json(const struct oci_hooks *h)
{
	struct json_object *o = json_object_new_object();

	put_hooks_list(o, "prestart", h->prestart, h->n_prestart);
	put_hooks_list(o, "createRuntime", h->create_runtime, h->n_create_runtime);
	put_hooks_list(o, "createContainer", h->create_container, h->n_create_container);
	put_hooks_list(o, "startContainer", h->start_container, h->n_start_container);
	put_hooks_list(o, "poststart", h->poststart, h->n_poststart);
	put_hooks_list(o, "poststop", h->poststop, h->n_poststop);
	return o;
}

static struct json_object *spec_to_json_obj(const struct oci_spec *s)
{
	struct json_object *o = json_object_new_object();

	oj_put_str(o, "ociVersion", s->oci_version);
	if (s->process)
		json_object_object_add(o, "process", oj_process(s->process));
	if (s->root) {
		struct json_object *r = json_object_new_object();

		oj_put_str(r, "path", s->root->path);
		if (s->root->readonly)
			oj_put_bool(r, "readonly", true);
		json_object_object_add(o, "root", r);
	}
	oj_put_str(o, "hostname", s->hostname);
	oj_put_str(o, "domainname", s->domainname);
	if (s->mounts) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < s->n_mounts; i++)
			json_object_array_add(a, mount_to_json(&s->mounts[i]));
		json_object_object_add(o, "mounts", a);
	}
	if (s->hooks)
		json_object_object_add(o, "hooks", hooks_to_json(s->hooks));
	oj_put_kv(o, "annotations", s->annotations, s->n_annotations);
	if (s->linux_)
		json_object_object_add(o, "linux", oj_linux(s->linux_));
	return o;
}

char *oj_text(struct json_object *o)
{
	char *text = xstrdup(json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return text;
}

char *oci_spec_to_json(const struct oci_spec *spec)
{
	return oj_text(spec_to_json_obj(spec));
}

char *oci_process_to_json(const struct oci_process *p)
{
	return oj_text(oj_process(p));
}

char *oci_resources_to_json(const struct oci_resources *r)
{
	return oj_text(oj_resources(r));
}
