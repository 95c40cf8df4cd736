/*
 * spec/parse.c - config.json top level: ociVersion, root, mounts, process,
 * hostname, hooks, annotations, linux; the public parse/load entry points
 * and the namespace name helpers. Areas live in oj_parse_process.c,
 * oj_parse_linux.c, oj_parse_resources.c and oj_parse_seccomp.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/mountopt.h"
#include "spec/parse_internal.h"

static const char *const ns_names[OCI_NS_COUNT] = {
	[OCI_NS_PID] = "pid",	    [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount",
	[OCI_NS_IPC] = "ipc",	    [OCI_NS_UTS] = "uts",	  [OCI_NS_USER] = "user",
	[OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const char *oci_ns_type_name(enum oci_ns_type t)
{
	if ((int)t < 0 || t >= OCI_NS_COUNT)
		return NULL;
	return ns_names[t];
}

int oci_ns_type_from_name(const char *name)
{
	for (int i = 0; name && i < OCI_NS_COUNT; i++)
		if (!strcmp(ns_names[i], name))
			return i;
	return -1;
}

int oci_ns_clone_flag(enum oci_ns_type t)
{
	static const int flags[OCI_NS_COUNT] = {
		[OCI_NS_PID] = CLONE_NEWPID,	   [OCI_NS_NETWORK] = CLONE_NEWNET,
		[OCI_NS_MOUNT] = CLONE_NEWNS,	   [OCI_NS_IPC] = CLONE_NEWIPC,
		[OCI_NS_UTS] = CLONE_NEWUTS,	   [OCI_NS_USER] = CLONE_NEWUSER,
		[OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
	};

	if ((int)t < 0 || t >= OCI_NS_COUNT)
		return 0;
	return flags[t];
}

const struct oci_namespace *oci_spec_find_ns(const struct oci_spec *spec, enum oci_ns_type t)
{
	if (!spec || !spec->linux_)
		return NULL;
	for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
		if (spec->linux_->namespaces[i].type == t)
			return &spec->linux_->namespaces[i];
	return NULL;
}

static int parse_root(struct pctx *c, struct json_object *top, struct oci_spec *s)
{
	struct json_object *v;

	if (oj_obj(c, top, "", "root", &v) < 0)
		return -1;
	if (!v)
		return oj_err(c, "root", "required");
	s->root = xnew(struct oci_root);
	if (oj_str_req(c, v, "root", "path", &s->root->path) < 0 ||
	    oj_bool(c, v, "root", "readonly", &s->root->readonly, NULL) < 0)
		return -1;
	if (!*s->root->path)
		return oj_err(c, "root.path", "must not be empty");
	return 0;
}

static int parse_mount(struct pctx *c, struct json_object *e, const char *path, void *elem,
		       void *arg)
{
	struct oci_mount *m = elem;
	struct jp p;

	if (oj_str_req(c, e, path, "destination", &m->destination) < 0 ||
	    oj_str(c, e, path, "type", &m->type) < 0 ||
	    oj_str(c, e, path, "source", &m->source) < 0 ||
	    oj_strv(c, e, path, "options", &m->options) < 0 ||
	    oj_idmaps(c, e, path, "uidMappings", &m->uid_mappings, &m->n_uid_mappings) < 0 ||
	    oj_idmaps(c, e, path, "gidMappings", &m->gid_mappings, &m->n_gid_mappings) < 0)
		return -1;
	if (!oj_path_is_absolute(m->destination))
		return oj_err(c, oj_key(&p, path, "destination"), "must be an absolute path");
	oci_mount_compile(m);
	return 0;
}

static int parse_hook(struct pctx *c, struct json_object *e, const char *path, void *elem,
		      void *arg)
{
	struct oci_hook *h = elem;
	int64_t timeout = 0;
	struct jp p;

	if (oj_str_req(c, e, path, "path", &h->path) < 0 ||
	    oj_strv(c, e, path, "args", &h->args) < 0 || oj_strv(c, e, path, "env", &h->env) < 0 ||
	    oj_i64(c, e, path, "timeout", INT32_MIN, INT32_MAX, &timeout, &h->has_timeout) < 0)
		return -1;
	if (!oj_path_is_absolute(h->path))
		return oj_err(c, oj_key(&p, path, "path"), "must be an absolute path");
	if (h->has_timeout && timeout <= 0)
		return oj_err(c, oj_key(&p, path, "timeout"), "must be positive");
	h->timeout = (int)timeout;
	return 0;
}

/* hooks.<key>, an array of hooks, into h-><field>[] and h->n_<field> */
#define HOOKS(key, field) oj_each(c, v, "hooks", #key, &h->field, &h->n_##field, parse_hook, NULL)

static int parse_hooks(struct pctx *c, struct json_object *top, struct oci_spec *s)
{
	struct json_object *v;
	struct oci_hooks *h;

	if (oj_obj(c, top, "", "hooks", &v) < 0)
		return -1;
	if (!v)
		return 0;
	h = s->hooks = xnew(struct oci_hooks);
	if (HOOKS(prestart, prestart) < 0 || HOOKS(createRuntime, create_runtime) < 0 ||
	    HOOKS(createContainer, create_container) < 0 ||
	    HOOKS(startContainer, start_container) < 0 || HOOKS(poststart, poststart) < 0 ||
	    HOOKS(poststop, poststop) < 0)
		return -1;
	return 0;
}

#undef HOOKS

/* One dot-separated identifier list of SemVer 2.0.0 (pre-release when num_check:
 * a numeric identifier has no leading zero). Returns the end, or NULL. */
static const char *semver_idents(const char *p, bool num_check)
{
	for (;;) {
		const char *b = p;
		bool digits = true;

		for (; *p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= 'A' && *p <= 'Z');
		     p++)
			digits = digits && *p >= '0' && *p <= '9';
		if (p == b || (num_check && digits && *b == '0' && p - b > 1))
			return NULL;
		if (*p != '.')
			return p;
		p++;
	}
}

/* ociVersion MUST be SemVer 2.0.0 (config.md); berth implements runtime-spec 1.x,
 * whose minor versions only add. */
static int check_oci_version(struct pctx *c, const char *v)
{
	const char *p = v;
	unsigned long major = 0;

	for (int i = 0; i < 3; i++) {
		const char *b = p;
		unsigned long n = 0;

		for (; *p >= '0' && *p <= '9'; p++)
			n = n < 100000000 ? n * 10 + (unsigned long)(*p - '0') : n;
		if (p == b || (*b == '0' && p - b > 1) || (i < 2 && *p++ != '.'))
			return oj_err(c, "ociVersion", "'%s' is not a SemVer 2.0.0 version", v);
		if (i == 0)
			major = n;
	}
	if (*p == '-')
		p = semver_idents(p + 1, true);
	if (p && *p == '+')
		p = semver_idents(p + 1, false);
	if (!p || *p)
		return oj_err(c, "ociVersion", "'%s' is not a SemVer 2.0.0 version", v);
	if (major != 1)
		return oj_err(c, "ociVersion",
			      "'%s' is not supported: berth implements runtime-spec 1.x", v);
	return 0;
}

static int parse_top(struct pctx *c, struct json_object *top, struct oci_spec *s)
{
	struct json_object *v;

	if (oj_str_req(c, top, "", "ociVersion", &s->oci_version) < 0 ||
	    check_oci_version(c, s->oci_version) < 0 || parse_root(c, top, s) < 0 ||
	    oj_each(c, top, "", "mounts", &s->mounts, &s->n_mounts, parse_mount, NULL) < 0)
		return -1;
	if (oj_obj(c, top, "", "process", &v) < 0 ||
	    (v && oj_parse_process(c, v, "process", &s->process) < 0))
		return -1;
	if (oj_str(c, top, "", "hostname", &s->hostname) < 0 ||
	    oj_str(c, top, "", "domainname", &s->domainname) < 0 || parse_hooks(c, top, s) < 0 ||
	    oj_kv(c, top, "", "annotations", &s->annotations, &s->n_annotations) < 0)
		return -1;
	if (oj_obj(c, top, "", "linux", &v) < 0 ||
	    (v && oj_parse_linux(c, v, "linux", &s->linux_) < 0))
		return -1;
	return 0;
}

static void oj_putp(struct json_object **o)
{
	json_object_put(*o);
}

/* Tokenizes a whole document, which must be a JSON object, and sets up c for its errors. */
static int parse_doc(const char *buf, size_t len, const char *name, struct berth_err **err,
		     struct json_object **out, struct pctx *c)
{
	struct json_object *top;

	c->name = name ? name : "config.json";
	c->err = err;
	if (oj_tokenize(c, buf, len, &top) < 0)
		return -1;
	if (json_object_get_type(top) != json_type_object) {
		json_object_put(top);
		return oj_err(c, NULL, "the document must be a JSON object");
	}
	*out = top;
	return 0;
}

int oci_spec_parse(const char *buf, size_t len, const char *name, struct oci_spec **out,
		   struct berth_err **err)
{
	cleanup(oci_spec_freep) struct oci_spec *s = xnew(struct oci_spec);
	cleanup(oj_putp) struct json_object *top = NULL;
	struct pctx c;

	if (parse_doc(buf, len, name, err, &top, &c) < 0 || parse_top(&c, top, s) < 0)
		return -1;
	*out = take_ptr(s);
	return 0;
}

int oci_spec_load(const char *bundle, struct oci_spec **out, struct berth_err **err)
{
	cleanup_free char *path = xasprintf("%s/config.json", bundle ? bundle : ".");
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (fs_read_file(AT_FDCWD, path, &buf, &len, err) < 0)
		return berth_err_wrap(err, "load bundle '%s'", bundle ? bundle : ".");
	return oci_spec_parse(buf, len, "config.json", out, err);
}

int oci_process_parse(const char *buf, size_t len, const char *name, struct oci_process **out,
		      struct berth_err **err)
{
	cleanup(oj_putp) struct json_object *top = NULL;
	struct pctx c;

	if (parse_doc(buf, len, name, err, &top, &c) < 0)
		return -1;
	return oj_parse_process(&c, top, "", out);
}

int oci_resources_parse(const char *buf, size_t len, const char *name, struct oci_resources **out,
			struct berth_err **err)
{
	cleanup(oj_putp) struct json_object *top = NULL;
	struct pctx c;

	if (parse_doc(buf, len, name, err, &top, &c) < 0)
		return -1;
	return oj_parse_resources(&c, top, "", out);
}
