/*
 * spec/serialize_linux.c - the "linux" object (with resources and seccomp)
 * back to JSON (see serialize.c).
 */
#include <string.h>

#include "spec/serialize_internal.h"

static struct json_object *namespaces_to_json(const struct oci_linux *l)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n_namespaces; i++) {
		struct json_object *e = json_object_new_object();

		oj_put_str(e, "type", oci_ns_type_name(l->namespaces[i].type));
		oj_put_str(e, "path", l->namespaces[i].path);
		json_object_array_add(a, e);
	}
	return a;
}

static struct json_object *devices_to_json(const struct oci_linux *l)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < l->n_devices; i++) {
		const struct oci_device *d = &l->devices[i];
		struct json_object *e = json_object_new_object();
		char type[2] = {d->type, '\0'};

		oj_put_str(e, "type", type);
		oj_put_str(e, "path", d->path);
		if (d->type != 'p' || d->major || d->minor) {
			oj_put_i64(e, "major", d->major);
			oj_put_i64(e, "minor", d->minor);
		}
		if (d->has_file_mode)
			oj_put_u64(e, "fileMode", d->file_mode);
		if (d->has_uid)
			oj_put_u64(e, "uid", d->uid);
		if (d->has_gid)
			oj_put_u64(e, "gid", d->gid);
		json_object_array_add(a, e);
	}
	return a;
}

static struct json_object *time_offsets_to_json(const struct oci_linux *l)
{
	struct json_object *m = json_object_new_object();

	for (size_t i = 0; i < l->n_time_offsets; i++) {
		struct json_object *e = json_object_new_object();

		oj_put_i64(e, "secs", l->time_offsets[i].secs);
		oj_put_u64(e, "nanosecs", l->time_offsets[i].nanosecs);
		json_object_object_add(m, l->time_offsets[i].clock, e);
	}
	return m;
}

static struct json_object *seccomp_args_to_json(const struct oci_seccomp_syscall *s)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n_args; i++) {
		const struct oci_seccomp_arg *arg = &s->args[i];
		struct json_object *e = json_object_new_object();
		static const char *const ops[] = {NULL,		 "SCMP_CMP_NE",	      "SCMP_CMP_LT",
						  "SCMP_CMP_LE", "SCMP_CMP_EQ",	      "SCMP_CMP_GE",
						  "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};

		oj_put_u64(e, "index", arg->index);
		oj_put_u64(e, "value", arg->value);
		if (arg->value_two)
			oj_put_u64(e, "valueTwo", arg->value_two);
		if (arg->op > 0 && arg->op < 8)
			oj_put_str(e, "op", ops[arg->op]);
		json_object_array_add(a, e);
	}
	return a;
}

static struct json_object *seccomp_to_json(const struct oci_seccomp *sc)
{
	struct json_object *o = json_object_new_object();

	oj_put_str(o, "defaultAction", sc->default_action);
	if (sc->has_default_errno_ret)
		oj_put_u64(o, "defaultErrnoRet", sc->default_errno_ret);
	oj_put_strv(o, "architectures", sc->architectures);
	oj_put_strv(o, "flags", sc->flags);
	oj_put_str(o, "listenerPath", sc->listener_path);
	oj_put_str(o, "listenerMetadata", sc->listener_metadata);
	if (sc->syscalls) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < sc->n_syscalls; i++) {
			const struct oci_seccomp_syscall *s = &sc->syscalls[i];
			struct json_object *e = json_object_new_object();

			oj_put_strv(e, "names", s->names);
			oj_put_str(e, "action", s->action);
			if (s->has_errno_ret)
				oj_put_u64(e, "errnoRet", s->errno_ret);
			if (s->args)
				json_object_object_add(e, "args", seccomp_args_to_json(s));
			json_object_array_add(a, e);
		}
		json_object_object_add(o, "syscalls", a);
	}
	return o;
}

static struct json_object *intel_rdt_to_json(const struct oci_linux *l)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; i < l->n_intel_rdt; i++) {
		const struct oci_kv *kv = &l->intel_rdt[i];

		/* enableCMT / enableMBM are booleans in the spec */
		if (!strncmp(kv->key, "enable", 6) &&
		    (!strcmp(kv->value, "true") || !strcmp(kv->value, "false")))
			oj_put_bool(o, kv->key, !strcmp(kv->value, "true"));
		else
			oj_put_str(o, kv->key, kv->value);
	}
	return o;
}

static void put_linux_tail(struct json_object *o, const struct oci_linux *l)
{
	oj_put_str(o, "rootfsPropagation", l->rootfs_propagation);
	oj_put_strv(o, "maskedPaths", l->masked_paths);
	oj_put_strv(o, "readonlyPaths", l->readonly_paths);
	oj_put_str(o, "mountLabel", l->mount_label);
	if (l->personality) {
		struct json_object *p = json_object_new_object();

		oj_put_str(p, "domain", l->personality->domain);
		oj_put_strv(p, "flags", l->personality->flags);
		json_object_object_add(o, "personality", p);
	}
	if (l->intel_rdt)
		json_object_object_add(o, "intelRdt", intel_rdt_to_json(l));
}

struct json_object *oj_linux(const struct oci_linux *l)
{
	struct json_object *o = json_object_new_object();

	if (l->namespaces)
		json_object_object_add(o, "namespaces", namespaces_to_json(l));
	oj_put_idmaps(o, "uidMappings", l->uid_mappings, l->n_uid_mappings);
	oj_put_idmaps(o, "gidMappings", l->gid_mappings, l->n_gid_mappings);
	if (l->time_offsets)
		json_object_object_add(o, "timeOffsets", time_offsets_to_json(l));
	if (l->devices)
		json_object_object_add(o, "devices", devices_to_json(l));
	oj_put_str(o, "cgroupsPath", l->cgroups_path);
	if (l->resources)
		json_object_object_add(o, "resources", oj_resources(l->resources));
	oj_put_kv(o, "sysctl", l->sysctl, l->n_sysctl);
	if (l->seccomp)
		json_object_object_add(o, "seccomp", seccomp_to_json(l->seccomp));
	put_linux_tail(o, l);
	return o;
}
