/* spec/serialize_process.c - the "process" object back to JSON (see serialize.c). */
#include "spec/serialize_internal.h"

static struct json_object *user_to_json(const struct oci_user *u)
{
	struct json_object *o = json_object_new_object();

	oj_put_u64(o, "uid", u->uid);
	oj_put_u64(o, "gid", u->gid);
	if (u->has_umask)
		oj_put_u64(o, "umask", u->umask);
	if (u->n_additional_gids) {
		struct json_object *a = json_object_new_array();

		for (size_t i = 0; i < u->n_additional_gids; i++)
			json_object_array_add(a, json_object_new_uint64(u->additional_gids[i]));
		json_object_object_add(o, "additionalGids", a);
	}
	oj_put_str(o, "username", u->username);
	return o;
}

static struct json_object *caps_to_json(const struct oci_capabilities *c)
{
	struct json_object *o = json_object_new_object();

	oj_put_strv(o, "bounding", c->bounding);
	oj_put_strv(o, "effective", c->effective);
	oj_put_strv(o, "inheritable", c->inheritable);
	oj_put_strv(o, "permitted", c->permitted);
	oj_put_strv(o, "ambient", c->ambient);
	return o;
}

static struct json_object *rlimits_to_json(const struct oci_rlimit *r, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		oj_put_str(e, "type", r[i].type);
		oj_put_u64(e, "hard", r[i].hard);
		oj_put_u64(e, "soft", r[i].soft);
		json_object_array_add(a, e);
	}
	return a;
}

static struct json_object *scheduler_to_json(const struct oci_scheduler *s)
{
	struct json_object *o = json_object_new_object();

	oj_put_str(o, "policy", s->policy);
	if (s->nice)
		oj_put_i64(o, "nice", s->nice);
	if (s->priority)
		oj_put_i64(o, "priority", s->priority);
	oj_put_strv(o, "flags", s->flags);
	if (s->runtime)
		oj_put_u64(o, "runtime", s->runtime);
	if (s->deadline)
		oj_put_u64(o, "deadline", s->deadline);
	if (s->period)
		oj_put_u64(o, "period", s->period);
	return o;
}

static void put_extras(struct json_object *o, const struct oci_process *p)
{
	if (p->scheduler)
		json_object_object_add(o, "scheduler", scheduler_to_json(p->scheduler));
	if (p->io_priority) {
		struct json_object *io = json_object_new_object();

		oj_put_str(io, "class", p->io_priority->class_name);
		oj_put_i64(io, "priority", p->io_priority->priority);
		json_object_object_add(o, "ioPriority", io);
	}
}

struct json_object *oj_process(const struct oci_process *p)
{
	struct json_object *o = json_object_new_object();

	oj_put_bool(o, "terminal", p->terminal);
	if (p->console_size) {
		struct json_object *cs = json_object_new_object();

		oj_put_u64(cs, "height", p->console_size->height);
		oj_put_u64(cs, "width", p->console_size->width);
		json_object_object_add(o, "consoleSize", cs);
	}
	json_object_object_add(o, "user", user_to_json(&p->user));
	oj_put_strv(o, "args", p->args);
	oj_put_str(o, "commandLine", p->command_line);
	oj_put_strv(o, "env", p->env);
	oj_put_str(o, "cwd", p->cwd);
	if (p->capabilities)
		json_object_object_add(o, "capabilities", caps_to_json(p->capabilities));
	if (p->rlimits)
		json_object_object_add(o, "rlimits", rlimits_to_json(p->rlimits, p->n_rlimits));
	if (p->no_new_privileges)
		oj_put_bool(o, "noNewPrivileges", true);
	oj_put_str(o, "apparmorProfile", p->apparmor_profile);
	if (p->has_oom_score_adj)
		oj_put_i64(o, "oomScoreAdj", p->oom_score_adj);
	oj_put_str(o, "selinuxLabel", p->selinux_label);
	put_extras(o, p);
	return o;
}
