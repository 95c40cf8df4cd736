/* runtime/lib/state.c - see state.h. */
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/state.h"

#define RT_ID_MAX 1024

int rt_id_validate(const char *id, struct berth_err **err)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0)
		return berth_err_new(err, BERTH_E_INVALID, "container id must not be empty");
	if (n > RT_ID_MAX)
		return berth_err_new(err, BERTH_E_INVALID, "container id is longer than %d bytes",
				     RT_ID_MAX);
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return berth_err_new(err, BERTH_E_INVALID, "invalid container id '%s'", id);
	for (const char *p = id; *p; p++) {
		char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '+' || c == '.' || c == '-')
			continue;
		return berth_err_new(err, BERTH_E_INVALID,
				     "invalid container id '%s': only [A-Za-z0-9_+.-] are allowed",
				     id);
	}
	return 0;
}

const char *rt_status_name(enum rt_status s)
{
	switch (s) {
	case RT_STATUS_CREATING:
		return "creating";
	case RT_STATUS_CREATED:
		return "created";
	case RT_STATUS_RUNNING:
		return "running";
	case RT_STATUS_PAUSED:
		return "paused";
	case RT_STATUS_STOPPED:
		return "stopped";
	}
	return "unknown";
}

enum rt_status rt_status_derive(bool init_alive, bool fifo_exists, bool frozen)
{
	if (!init_alive)
		return RT_STATUS_STOPPED;
	if (fifo_exists)
		return RT_STATUS_CREATED;
	if (frozen)
		return RT_STATUS_PAUSED;
	return RT_STATUS_RUNNING;
}

static struct bjson *annotations_json(const struct rt_state *st)
{
	struct bjson *a = bjson_object_new();

	for (size_t i = 0; i < st->n_annotations; i++)
		bjson_set_str(a, st->annotations[i].key, st->annotations[i].value);
	return a;
}

char *rt_state_to_json(const struct rt_state *st)
{
	cleanup(bjson_freep) struct bjson *o = bjson_object_new();

	bjson_set_str(o, "id", st->id);
	bjson_set_str(o, "ociVersion", st->oci_version);
	bjson_set_int(o, "pid", st->pid);
	bjson_set_int(o, "pidStart", (int64_t)st->pid_start);
	bjson_set_str(o, "bundle", st->bundle);
	bjson_set_str(o, "rootfs", st->rootfs);
	bjson_set_str(o, "created", st->created);
	bjson_set_str(o, "owner", st->owner);
	if (st->cgroups_path)
		bjson_set_str(o, "cgroupsPath", st->cgroups_path);
	bjson_set_bool(o, "systemdCgroup", st->systemd_cgroup);
	bjson_set_bool(o, "hasProcess", st->has_process);
	bjson_set_bool(o, "ownPidns", st->own_pidns);
	if (st->host_mounts)
		bjson_set_bool(o, "hostMounts", true);
	if (st->n_annotations)
		bjson_set_take(o, "annotations", annotations_json(st));
	return bjson_to_string(o, BJSON_PLAIN);
}

static int add_annotation(const char *key, const struct bjson *val, void *ctx)
{
	struct rt_state *st = ctx;
	const char *v = bjson_str(val);

	if (!v)
		return -1;
	st->annotations =
		xreallocarray(st->annotations, st->n_annotations + 1, sizeof(*st->annotations));
	st->annotations[st->n_annotations].key = xstrdup(key);
	st->annotations[st->n_annotations].value = xstrdup(v);
	st->n_annotations++;
	return 0;
}

static int req_str(const struct bjson *o, const char *key, const char *name, char **out,
		   struct berth_err **err)
{
	const char *s = bjson_get_str(o, key);

	if (!s)
		return berth_err_new(err, BERTH_E_INVALID, "%s: missing string '%s'", name, key);
	*out = xstrdup(s);
	return 0;
}

int rt_state_from_json(const char *buf, size_t len, const char *name, struct rt_state **out,
		       struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *o = NULL;
	cleanup(rt_state_freep) struct rt_state *st = xnew(struct rt_state);
	int64_t pid, start;

	if (bjson_parse(buf, len, name, &o, err) < 0)
		return -1;
	if (!bjson_is_object(o))
		return berth_err_new(err, BERTH_E_INVALID, "%s: not a JSON object", name);
	if (req_str(o, "id", name, &st->id, err) < 0 ||
	    req_str(o, "bundle", name, &st->bundle, err) < 0 ||
	    req_str(o, "rootfs", name, &st->rootfs, err) < 0 ||
	    req_str(o, "created", name, &st->created, err) < 0)
		return -1;
	if (!bjson_get_int(o, "pid", &pid) || !bjson_get_int(o, "pidStart", &start) || pid < 0 ||
	    start < 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s: missing or invalid 'pid'/'pidStart'", name);
	st->pid = (pid_t)pid;
	st->pid_start = (uint64_t)start;
	st->oci_version = xstrdup(bjson_get_str(o, "ociVersion") ?: "");
	st->owner = xstrdup(bjson_get_str(o, "owner") ?: "");
	st->cgroups_path = xstrdup_or_null(bjson_get_str(o, "cgroupsPath"));
	bjson_get_bool(o, "systemdCgroup", &st->systemd_cgroup);
	bjson_get_bool(o, "hasProcess", &st->has_process);
	bjson_get_bool(o, "ownPidns", &st->own_pidns);
	bjson_get_bool(o, "hostMounts", &st->host_mounts);
	if (bjson_object_foreach(bjson_get(o, "annotations"), add_annotation, st) != 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s: annotations: values must be strings", name);
	*out = take_ptr(st);
	return 0;
}

struct bjson *rt_state_oci(const struct rt_state *st, enum rt_status status)
{
	struct bjson *o = bjson_object_new();

	bjson_set_str(o, "ociVersion", st->oci_version);
	bjson_set_str(o, "id", st->id);
	bjson_set_int(o, "pid", status == RT_STATUS_STOPPED ? 0 : st->pid);
	bjson_set_str(o, "status", rt_status_name(status));
	bjson_set_str(o, "bundle", st->bundle);
	bjson_set_str(o, "rootfs", st->rootfs);
	bjson_set_str(o, "created", st->created);
	bjson_set_str(o, "owner", st->owner);
	if (st->n_annotations)
		bjson_set_take(o, "annotations", annotations_json(st));
	return o;
}

char *rt_state_oci_json(const struct rt_state *st, enum rt_status status, int bjson_flags)
{
	cleanup(bjson_freep) struct bjson *o = rt_state_oci(st, status);

	return bjson_to_string(o, bjson_flags);
}

void rt_state_set_annotations(struct rt_state *st, const struct oci_kv *kv, size_t n)
{
	st->annotations = n ? xcalloc(n, sizeof(*st->annotations)) : NULL;
	for (size_t i = 0; i < n; i++) {
		st->annotations[i].key = xstrdup(kv[i].key);
		st->annotations[i].value = xstrdup(kv[i].value ?: "");
	}
	st->n_annotations = n;
}

void rt_state_free(struct rt_state *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->oci_version);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->cgroups_path);
	for (size_t i = 0; i < st->n_annotations; i++) {
		free(st->annotations[i].key);
		free(st->annotations[i].value);
	}
	free(st->annotations);
	free(st);
}

void rt_state_freep(struct rt_state **st)
{
	rt_state_free(*st);
	*st = NULL;
}
