/*
 * spec/oj_parse_linux.c - the "linux" object: namespaces, id mappings,
 * timeOffsets, devices, cgroupsPath, sysctl, masked/readonly paths,
 * rootfsPropagation, mountLabel, personality, intelRdt. Resources and
 * seccomp are in their own files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/names.h"
#include "spec/parse_internal.h"

/* arg is the oci_linux whose namespaces[] holds elem, so duplicates can be found */
static int parse_namespace(struct pctx *c, struct json_object *e, const char *path, void *elem,
			   void *arg)
{
	cleanup_free char *type = NULL;
	struct oci_namespace *ns = elem;
	struct oci_linux *l = arg;
	struct jp p;
	int t;

	if (oj_str_req(c, e, path, "type", &type) < 0 || oj_str(c, e, path, "path", &ns->path) < 0)
		return -1;
	t = oci_ns_type_from_name(type);
	if (t < 0)
		return oj_err(c, oj_key(&p, path, "type"), "unknown namespace '%s'", type);
	ns->type = (enum oci_ns_type)t;
	if (ns->path && !oj_path_is_absolute(ns->path))
		return oj_err(c, oj_key(&p, path, "path"), "must be an absolute path");
	for (struct oci_namespace *prev = l->namespaces; prev < ns; prev++) {
		if (prev->type == ns->type) {
			/* the error names the list: path minus "[i]" */
			size_t len = (size_t)(strrchr(path, '[') - path);

			memcpy(p.s, path, len);
			p.s[len] = '\0';
			return oj_err(c, p.s, "duplicate namespace '%s'", type);
		}
	}
	return 0;
}

static int parse_device_type(struct pctx *c, struct json_object *e, const char *path,
			     struct oci_device *d)
{
	cleanup_free char *type = NULL;
	struct jp p;

	if (oj_str_req(c, e, path, "type", &type) < 0)
		return -1;
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return oj_err(c, oj_key(&p, path, "type"), "unknown device type '%s'", type);
	d->type = type[0];
	return 0;
}

static int parse_device(struct pctx *c, struct json_object *e, const char *path, void *elem,
			void *arg)
{
	struct oci_device *d = elem;
	bool has_major = false, has_minor = false;
	uint32_t mode = 0, uid = 0, gid = 0;
	struct jp p;

	if (parse_device_type(c, e, path, d) < 0 || oj_str_req(c, e, path, "path", &d->path) < 0 ||
	    oj_i64(c, e, path, "major", 0, OCI_DEV_MAJOR_MAX, &d->major, &has_major) < 0 ||
	    oj_i64(c, e, path, "minor", 0, OCI_DEV_MINOR_MAX, &d->minor, &has_minor) < 0 ||
	    oj_u32(c, e, path, "fileMode", &mode, &d->has_file_mode) < 0 ||
	    oj_id(c, e, path, "uid", &uid, &d->has_uid) < 0 ||
	    oj_id(c, e, path, "gid", &gid, &d->has_gid) < 0)
		return -1;
	if (!oj_path_is_absolute(d->path))
		return oj_err(c, oj_key(&p, path, "path"), "must be an absolute path");
	if (d->type != 'p' && (!has_major || !has_minor))
		return oj_err(c, oj_key(&p, path, has_major ? "minor" : "major"),
			      "required for device type '%c'", d->type);
	if (d->has_file_mode && mode > 07777)
		return oj_err(c, oj_key(&p, path, "fileMode"), "out of range (maximum 07777)");
	d->file_mode = mode;
	d->uid = uid;
	d->gid = gid;
	return 0;
}

static int parse_time_offset(struct pctx *c, const char *name, struct json_object *v,
			     const char *path, void *elem, void *arg)
{
	struct oci_time_offset *t = elem;

	t->clock = xstrdup(name);
	if (strcmp(name, "monotonic") && strcmp(name, "boottime"))
		return oj_err(c, path, "unknown clock '%s'", name);
	if (oj_v_object(c, v, path) < 0 ||
	    oj_i64(c, v, path, "secs", INT64_MIN, INT64_MAX, &t->secs, NULL) < 0 ||
	    oj_u32(c, v, path, "nanosecs", &t->nanosecs, NULL) < 0)
		return -1;
	if (t->nanosecs > 999999999) {
		struct jp p;

		return oj_err(c, oj_key(&p, path, "nanosecs"), "out of range (maximum 999999999)");
	}
	return 0;
}

static int parse_propagation(struct pctx *c, struct json_object *v, const char *path,
			     struct oci_linux *l)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} props[] = {
		{"shared", MS_SHARED},	       {"rshared", MS_SHARED | MS_REC},
		{"slave", MS_SLAVE},	       {"rslave", MS_SLAVE | MS_REC},
		{"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
		{"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
	};
	struct jp p;

	if (oj_str(c, v, path, "rootfsPropagation", &l->rootfs_propagation) < 0)
		return -1;
	if (!l->rootfs_propagation || !*l->rootfs_propagation)
		return 0;
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		if (!strcmp(props[i].name, l->rootfs_propagation)) {
			l->rootfs_propagation_flags = props[i].flags;
			return 0;
		}
	}
	return oj_err(c, oj_key(&p, path, "rootfsPropagation"), "unknown propagation '%s'",
		      l->rootfs_propagation);
}

static int parse_personality(struct pctx *c, struct json_object *v, const char *path,
			     struct oci_linux *l)
{
	struct json_object *o;
	struct oci_personality *pers;
	struct jp p, q;
	int64_t num;

	if (oj_obj(c, v, path, "personality", &o) < 0)
		return -1;
	if (!o)
		return 0;
	pers = l->personality = xnew(struct oci_personality);
	oj_key(&p, path, "personality");
	if (oj_str_req(c, o, p.s, "domain", &pers->domain) < 0 ||
	    oj_strv(c, o, p.s, "flags", &pers->flags) < 0)
		return -1;
	num = oci_name_lookup(oci_personality_domain_names, pers->domain);
	if (num < 0)
		return oj_err(c, oj_key(&q, p.s, "domain"), "unknown personality domain '%s'",
			      pers->domain);
	pers->domain_num = (unsigned long)num;
	return 0;
}

static int check_abs_paths(struct pctx *c, char **paths, const char *path, const char *key)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		struct jp p;

		if (!oj_path_is_absolute(paths[i]))
			return oj_err(c, oj_key_idx(&p, path, key, i), "must be an absolute path");
	}
	return 0;
}

/* intelRdt: closID, l3CacheSchema, memBwSchema kept as strings; enableCMT/MBM as "true". */
static int parse_intel_rdt(struct pctx *c, struct json_object *v, const char *path,
			   struct oci_linux *l)
{
	struct json_object *o;
	struct jp p;
	size_t i = 0;

	if (oj_obj(c, v, path, "intelRdt", &o) < 0)
		return -1;
	if (!o)
		return 0;
	oj_key(&p, path, "intelRdt");
	l->intel_rdt = xcalloc((size_t)json_object_object_length(o) + 1, sizeof(struct oci_kv));
	json_object_object_foreach(o, k, val)
	{
		enum json_type t = json_object_get_type(val);
		struct jp q;

		if (t != json_type_string && t != json_type_boolean && t != json_type_null)
			return oj_err(c, oj_key(&q, p.s, k), "must be a string or a boolean");
		if (t == json_type_null)
			continue;
		l->intel_rdt[i].key = xstrdup(k);
		l->intel_rdt[i].value = xstrdup(json_object_get_string(val));
		l->n_intel_rdt = ++i;
	}
	return 0;
}

static int parse_linux_fields(struct pctx *c, struct json_object *v, const char *path,
			      struct oci_linux *l)
{
	struct json_object *o;
	struct jp p;

	if (oj_each(c, v, path, "namespaces", &l->namespaces, &l->n_namespaces, parse_namespace,
		    l) < 0 ||
	    oj_idmaps(c, v, path, "uidMappings", &l->uid_mappings, &l->n_uid_mappings) < 0 ||
	    oj_idmaps(c, v, path, "gidMappings", &l->gid_mappings, &l->n_gid_mappings) < 0 ||
	    oj_each_member(c, v, path, "timeOffsets", &l->time_offsets, &l->n_time_offsets,
			   parse_time_offset, NULL) < 0 ||
	    oj_each(c, v, path, "devices", &l->devices, &l->n_devices, parse_device, NULL) < 0 ||
	    oj_str(c, v, path, "cgroupsPath", &l->cgroups_path) < 0)
		return -1;
	if (oj_obj(c, v, path, "resources", &o) < 0 ||
	    (o && oj_parse_resources(c, o, oj_key(&p, path, "resources"), &l->resources) < 0))
		return -1;
	if (oj_kv(c, v, path, "sysctl", &l->sysctl, &l->n_sysctl) < 0)
		return -1;
	if (oj_obj(c, v, path, "seccomp", &o) < 0 ||
	    (o && oj_parse_seccomp(c, o, oj_key(&p, path, "seccomp"), &l->seccomp) < 0))
		return -1;
	if (parse_propagation(c, v, path, l) < 0 ||
	    oj_strv(c, v, path, "maskedPaths", &l->masked_paths) < 0 ||
	    check_abs_paths(c, l->masked_paths, path, "maskedPaths") < 0 ||
	    oj_strv(c, v, path, "readonlyPaths", &l->readonly_paths) < 0 ||
	    check_abs_paths(c, l->readonly_paths, path, "readonlyPaths") < 0 ||
	    oj_str(c, v, path, "mountLabel", &l->mount_label) < 0 ||
	    parse_personality(c, v, path, l) < 0 || parse_intel_rdt(c, v, path, l) < 0)
		return -1;
	return 0;
}

int oj_parse_linux(struct pctx *c, struct json_object *v, const char *path, struct oci_linux **out)
{
	struct oci_linux *l = xnew(struct oci_linux);

	if (parse_linux_fields(c, v, path, l) < 0) {
		oci_linux_free(l);
		return -1;
	}
	*out = l;
	return 0;
}
