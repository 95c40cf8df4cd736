/*
 * spec/oj_parse_process.c - the "process" object: user, args, env, cwd,
 * capabilities, rlimits, scheduler, ioPriority, consoleSize.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/caps.h"
#include "spec/names.h"
#include "spec/parse_internal.h"

static int parse_user(struct pctx *c, struct json_object *o, const char *path, struct oci_user *u)
{
	struct json_object *v, *arr;
	uint32_t uid = 0, gid = 0, umask = 0;
	struct jp p;
	size_t n;

	if (oj_obj(c, o, path, "user", &v) < 0)
		return -1;
	if (!v)
		return 0;
	oj_key(&p, path, "user");
	if (oj_id(c, v, p.s, "uid", &uid, NULL) < 0 || oj_id(c, v, p.s, "gid", &gid, NULL) < 0 ||
	    oj_u32(c, v, p.s, "umask", &umask, &u->has_umask) < 0 ||
	    oj_str(c, v, p.s, "username", &u->username) < 0 ||
	    oj_arr(c, v, p.s, "additionalGids", &arr, &n) < 0)
		return -1;
	if (u->has_umask && umask > 0777) {
		struct jp q;

		return oj_err(c, oj_key(&q, p.s, "umask"), "out of range (maximum 0777)");
	}
	u->uid = uid;
	u->gid = gid;
	u->umask = umask;
	u->additional_gids = xcalloc(n + 1, sizeof(gid_t));
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		uint64_t g;
		struct jp q;

		oj_key_idx(&q, p.s, "additionalGids", i);
		if (!e)
			return oj_err(c, q.s, "must be an integer");
		if (oj_v_u64(c, e, q.s, OCI_ID_MAX, &g) < 0)
			return -1;
		u->additional_gids[i] = (gid_t)g;
		u->n_additional_gids = i + 1;
	}
	return 0;
}

static int parse_caps(struct pctx *c, struct json_object *o, const char *path,
		      struct oci_capabilities **out)
{
	static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
					   "ambient"};
	struct json_object *v;
	struct oci_capabilities *caps;
	char ***fields[5];
	struct jp p;

	if (oj_obj(c, o, path, "capabilities", &v) < 0)
		return -1;
	if (!v)
		return 0;
	caps = *out = xnew(struct oci_capabilities);
	fields[0] = &caps->bounding;
	fields[1] = &caps->effective;
	fields[2] = &caps->inheritable;
	fields[3] = &caps->permitted;
	fields[4] = &caps->ambient;
	oj_key(&p, path, "capabilities");
	/* names are not checked here: runtime-spec 1.1 wants a capability the
	 * runtime cannot map logged as a warning, not refused (runtime/lib/process.c) */
	for (size_t i = 0; i < 5; i++) {
		if (oj_strv(c, v, p.s, sets[i], fields[i]) < 0)
			return -1;
	}
	return 0;
}

/* arg is the oci_process whose rlimits[] holds elem, so duplicates can be found */
static int parse_rlimit(struct pctx *c, struct json_object *e, const char *path, void *elem,
			void *arg)
{
	struct oci_rlimit *r = elem;
	struct oci_process *proc = arg;
	bool has_hard = false, has_soft = false;
	struct jp p;
	int64_t num;

	if (oj_str_req(c, e, path, "type", &r->type) < 0 ||
	    oj_u64(c, e, path, "hard", UINT64_MAX, &r->hard, &has_hard) < 0 ||
	    oj_u64(c, e, path, "soft", UINT64_MAX, &r->soft, &has_soft) < 0)
		return -1;
	num = oci_name_lookup(oci_rlimit_names, r->type);
	if (num < 0)
		return oj_err(c, oj_key(&p, path, "type"), "unknown rlimit '%s'", r->type);
	if (!has_hard)
		return oj_err(c, oj_key(&p, path, "hard"), "required");
	if (!has_soft)
		return oj_err(c, oj_key(&p, path, "soft"), "required");
	/* setrlimit(2) refuses it with EINVAL; say so before anything runs */
	if (r->soft > r->hard)
		return oj_err(c, oj_key(&p, path, "soft"),
			      "%" PRIu64 " is greater than hard (%" PRIu64 ")", r->soft, r->hard);
	r->resource = (int)num;
	for (struct oci_rlimit *prev = proc->rlimits; prev < r; prev++)
		if (prev->resource == r->resource)
			return oj_err(c, oj_key(&p, path, "type"), "duplicate rlimit '%s'",
				      r->type);
	return 0;
}

static int parse_console_size(struct pctx *c, struct json_object *o, const char *path,
			      struct oci_process *proc)
{
	struct json_object *v;
	uint32_t h = 0, w = 0;
	bool has_h = false, has_w = false;
	struct jp p, q;

	if (oj_obj(c, o, path, "consoleSize", &v) < 0)
		return -1;
	if (!v)
		return 0;
	oj_key(&p, path, "consoleSize");
	if (oj_u32(c, v, p.s, "height", &h, &has_h) < 0 ||
	    oj_u32(c, v, p.s, "width", &w, &has_w) < 0)
		return -1;
	/* struct winsize holds unsigned shorts: a larger size would wrap */
	if (h > UINT16_MAX)
		return oj_err(c, oj_key(&q, p.s, "height"), "out of range (maximum 65535)");
	if (w > UINT16_MAX)
		return oj_err(c, oj_key(&q, p.s, "width"), "out of range (maximum 65535)");
	if (!has_h || !has_w)
		return oj_err(c, oj_key(&q, p.s, has_h ? "width" : "height"), "required");
	proc->console_size = xnew(struct oci_console_size);
	proc->console_size->height = h;
	proc->console_size->width = w;
	return 0;
}

static int parse_sched_fields(struct pctx *c, struct json_object *v, const char *path,
			      struct oci_scheduler *s)
{
	struct jp p;
	int64_t num;

	if (oj_str_req(c, v, path, "policy", &s->policy) < 0 ||
	    oj_int(c, v, path, "nice", &s->nice, NULL) < 0 ||
	    oj_int(c, v, path, "priority", &s->priority, NULL) < 0 ||
	    oj_strv(c, v, path, "flags", &s->flags) < 0 ||
	    oj_u64(c, v, path, "runtime", UINT64_MAX, &s->runtime, NULL) < 0 ||
	    oj_u64(c, v, path, "deadline", UINT64_MAX, &s->deadline, NULL) < 0 ||
	    oj_u64(c, v, path, "period", UINT64_MAX, &s->period, NULL) < 0)
		return -1;
	num = oci_name_lookup(oci_sched_policy_names, s->policy);
	if (num < 0)
		return oj_err(c, oj_key(&p, path, "policy"), "unknown scheduler policy '%s'",
			      s->policy);
	s->policy_num = (int)num;
	if (s->nice < -20 || s->nice > 19)
		return oj_err(c, oj_key(&p, path, "nice"), "out of range (-20 to 19)");
	/* sched_setattr(2): 1-99 for the real-time policies, 0 for the others */
	if (s->priority < 0 || s->priority > 99)
		return oj_err(c, oj_key(&p, path, "priority"), "out of range (0 to 99)");
	for (size_t i = 0; s->flags && s->flags[i]; i++) {
		struct jp q;

		if (oci_name_lookup(oci_sched_flag_names, s->flags[i]) < 0)
			return oj_err(c, oj_key_idx(&q, path, "flags", i),
				      "unknown scheduler flag '%s'", s->flags[i]);
	}
	return 0;
}

static int parse_scheduler(struct pctx *c, struct json_object *o, const char *path,
			   struct oci_process *proc)
{
	struct json_object *v;
	struct jp p;

	if (oj_obj(c, o, path, "scheduler", &v) < 0)
		return -1;
	if (!v)
		return 0;
	proc->scheduler = xnew(struct oci_scheduler);
	return parse_sched_fields(c, v, oj_key(&p, path, "scheduler"), proc->scheduler);
}

static int parse_io_priority(struct pctx *c, struct json_object *o, const char *path,
			     struct oci_process *proc)
{
	struct json_object *v;
	struct oci_io_priority *io;
	struct jp p, q;
	int64_t num;

	if (oj_obj(c, o, path, "ioPriority", &v) < 0)
		return -1;
	if (!v)
		return 0;
	io = proc->io_priority = xnew(struct oci_io_priority);
	oj_key(&p, path, "ioPriority");
	if (oj_str_req(c, v, p.s, "class", &io->class_name) < 0 ||
	    oj_int(c, v, p.s, "priority", &io->priority, NULL) < 0)
		return -1;
	num = oci_name_lookup(oci_ioprio_class_names, io->class_name);
	if (num < 0)
		return oj_err(c, oj_key(&q, p.s, "class"), "unknown I/O priority class '%s'",
			      io->class_name);
	io->class_num = (int)num;
	if (io->priority < 0 || io->priority > 7)
		return oj_err(c, oj_key(&q, p.s, "priority"), "out of range (0 to 7)");
	return 0;
}

static int check_args_cwd(struct pctx *c, const char *path, struct oci_process *proc)
{
	struct jp p;

	if (!proc->args)
		return oj_err(c, oj_key(&p, path, "args"), "required");
	if (!proc->args[0])
		return oj_err(c, oj_key(&p, path, "args"), "must have at least one element");
	if (!proc->cwd)
		return oj_err(c, oj_key(&p, path, "cwd"), "required");
	if (!oj_path_is_absolute(proc->cwd))
		return oj_err(c, oj_key(&p, path, "cwd"), "must be an absolute path");
	return 0;
}

static int parse_process_fields(struct pctx *c, struct json_object *v, const char *path,
				struct oci_process *proc)
{
	int64_t oom = 0;

	if (oj_bool(c, v, path, "terminal", &proc->terminal, NULL) < 0 ||
	    parse_console_size(c, v, path, proc) < 0 || parse_user(c, v, path, &proc->user) < 0 ||
	    oj_strv(c, v, path, "args", &proc->args) < 0 ||
	    oj_str(c, v, path, "commandLine", &proc->command_line) < 0 ||
	    oj_strv(c, v, path, "env", &proc->env) < 0 ||
	    oj_str(c, v, path, "cwd", &proc->cwd) < 0 || check_args_cwd(c, path, proc) < 0 ||
	    parse_caps(c, v, path, &proc->capabilities) < 0 ||
	    oj_each(c, v, path, "rlimits", &proc->rlimits, &proc->n_rlimits, parse_rlimit, proc) <
		    0 ||
	    oj_bool(c, v, path, "noNewPrivileges", &proc->no_new_privileges, NULL) < 0 ||
	    oj_str(c, v, path, "apparmorProfile", &proc->apparmor_profile) < 0 ||
	    oj_i64(c, v, path, "oomScoreAdj", -1000, 1000, &oom, &proc->has_oom_score_adj) < 0 ||
	    parse_scheduler(c, v, path, proc) < 0 ||
	    oj_str(c, v, path, "selinuxLabel", &proc->selinux_label) < 0 ||
	    parse_io_priority(c, v, path, proc) < 0)
		return -1;
	proc->oom_score_adj = (int)oom;
	return 0;
}

int oj_parse_process(struct pctx *c, struct json_object *v, const char *path,
		     struct oci_process **out)
{
	cleanup(oci_process_freep) struct oci_process *proc = xnew(struct oci_process);

	if (parse_process_fields(c, v, path, proc) < 0)
		return -1;
	*out = take_ptr(proc);
	return 0;
}
