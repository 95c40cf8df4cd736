/*
 * spec/oj_parse_seccomp.c - linux.seccomp: actions resolved into SCMP_ACT_*
 * values (errnoRet for ERRNO and TRACE, EPERM by default), operators,
 * architectures and filter flags checked against what libseccomp knows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/names.h"
#include "spec/parse_internal.h"

/* Resolves action (with errno_ret when has_errno) or fails naming path.key. */
static int resolve_action(struct pctx *c, const char *path, const char *key, const char *action,
			  bool has_errno, unsigned errno_ret, const char *errno_key, uint32_t *out)
{
	struct jp p;

	if (!oci_seccomp_action_num(action, has_errno ? errno_ret : EPERM, out))
		return oj_err(c, oj_key(&p, path, key), "unknown seccomp action '%s'", action);
	if (has_errno && !oci_seccomp_action_takes_errno(action))
		return oj_err(c, oj_key(&p, path, errno_key),
			      "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not '%s'", action);
	/* the action keeps 16 bits of data: more would wrap (65536 became "return 0"),
	 * and the kernel caps an errno at MAX_ERRNO */
	if (has_errno && !strcmp(action, "SCMP_ACT_ERRNO") && errno_ret > 4095)
		return oj_err(c, oj_key(&p, path, errno_key), "out of range (maximum 4095)");
	if (has_errno && errno_ret > UINT16_MAX)
		return oj_err(c, oj_key(&p, path, errno_key), "out of range (maximum 65535)");
	return 0;
}

static int check_names(struct pctx *c, char **v, const char *path, const char *key,
		       const struct oci_name *table, const char *what)
{
	for (size_t i = 0; v && v[i]; i++) {
		struct jp p;

		if (oci_name_lookup(table, v[i]) < 0)
			return oj_err(c, oj_key_idx(&p, path, key, i), "unknown %s '%s'", what,
				      v[i]);
	}
	return 0;
}

static int parse_arg(struct pctx *c, struct json_object *e, const char *path, void *elem, void *arg)
{
	struct oci_seccomp_arg *a = elem;
	cleanup_free char *op = NULL;
	bool has_index = false, has_value = false;
	uint64_t index = 0;
	struct jp p;
	int64_t num;

	if (oj_u64(c, e, path, "index", 5, &index, &has_index) < 0 ||
	    oj_u64(c, e, path, "value", UINT64_MAX, &a->value, &has_value) < 0 ||
	    oj_u64(c, e, path, "valueTwo", UINT64_MAX, &a->value_two, NULL) < 0 ||
	    oj_str_req(c, e, path, "op", &op) < 0)
		return -1;
	if (!has_index)
		return oj_err(c, oj_key(&p, path, "index"), "required");
	if (!has_value)
		return oj_err(c, oj_key(&p, path, "value"), "required");
	num = oci_name_lookup(oci_seccomp_op_names, op);
	if (num < 0)
		return oj_err(c, oj_key(&p, path, "op"), "unknown seccomp operator '%s'", op);
	a->index = (unsigned)index;
	a->op = (int)num;
	return 0;
}

static int parse_syscall(struct pctx *c, struct json_object *e, const char *path, void *elem,
			 void *arg)
{
	struct oci_seccomp_syscall *s = elem;
	uint32_t errno_ret = 0;
	struct jp p;

	if (oj_strv(c, e, path, "names", &s->names) < 0 ||
	    oj_str_req(c, e, path, "action", &s->action) < 0 ||
	    oj_u32(c, e, path, "errnoRet", &errno_ret, &s->has_errno_ret) < 0 ||
	    oj_each(c, e, path, "args", &s->args, &s->n_args, parse_arg, NULL) < 0)
		return -1;
	if (!s->names || !s->names[0])
		return oj_err(c, oj_key(&p, path, "names"), "must have at least one element");
	for (size_t i = 0; s->names[i]; i++)
		if (!*s->names[i])
			return oj_err(c, oj_key_idx(&p, path, "names", i), "must not be empty");
	s->errno_ret = errno_ret;
	return resolve_action(c, path, "action", s->action, s->has_errno_ret, errno_ret, "errnoRet",
			      &s->action_num);
}

static bool uses_notify(const struct oci_seccomp *sc)
{
	if (!strcmp(sc->default_action, "SCMP_ACT_NOTIFY"))
		return true;
	for (size_t i = 0; i < sc->n_syscalls; i++)
		if (!strcmp(sc->syscalls[i].action, "SCMP_ACT_NOTIFY"))
			return true;
	return false;
}

static int parse_seccomp_fields(struct pctx *c, struct json_object *v, const char *path,
				struct oci_seccomp *sc)
{
	uint32_t errno_ret = 0;
	struct jp p;

	if (oj_str_req(c, v, path, "defaultAction", &sc->default_action) < 0 ||
	    oj_u32(c, v, path, "defaultErrnoRet", &errno_ret, &sc->has_default_errno_ret) < 0 ||
	    resolve_action(c, path, "defaultAction", sc->default_action, sc->has_default_errno_ret,
			   errno_ret, "defaultErrnoRet", &sc->default_action_num) < 0 ||
	    oj_strv(c, v, path, "architectures", &sc->architectures) < 0 ||
	    check_names(c, sc->architectures, path, "architectures", oci_seccomp_arch_names,
			"architecture") < 0 ||
	    oj_strv(c, v, path, "flags", &sc->flags) < 0 ||
	    check_names(c, sc->flags, path, "flags", oci_seccomp_flag_names, "seccomp flag") < 0 ||
	    oj_str(c, v, path, "listenerPath", &sc->listener_path) < 0 ||
	    oj_str(c, v, path, "listenerMetadata", &sc->listener_metadata) < 0 ||
	    oj_each(c, v, path, "syscalls", &sc->syscalls, &sc->n_syscalls, parse_syscall, NULL) <
		    0)
		return -1;
	sc->default_errno_ret = errno_ret;
	if (sc->listener_path && *sc->listener_path && !oj_path_is_absolute(sc->listener_path))
		return oj_err(c, oj_key(&p, path, "listenerPath"), "must be an absolute path");
	if (uses_notify(sc) && (!sc->listener_path || !*sc->listener_path))
		return oj_err(c, oj_key(&p, path, "listenerPath"), "required with SCMP_ACT_NOTIFY");
	return 0;
}

int oj_parse_seccomp(struct pctx *c, struct json_object *v, const char *path,
		     struct oci_seccomp **out)
{
	struct oci_seccomp *sc = xnew(struct oci_seccomp);

	if (parse_seccomp_fields(c, v, path, sc) < 0) {
		oci_seccomp_free(sc);
		return -1;
	}
	*out = sc;
	return 0;
}
