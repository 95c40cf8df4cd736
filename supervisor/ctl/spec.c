/*
 * supervisor/ctl/spec.c - the OCI spec of a berthctl container, as containerd's clients
 * build it (oci/spec_opts.go WithDefaultSpec + WithImageConfig, then the flags): berth's
 * default spec, the image config's Env/Entrypoint/Cmd/WorkingDir/User, then -e, -w, -u,
 * --entrypoint, --memory, --pids-limit, --hostname, --read-only. See container.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/config.h"
#include "spec/generate.h"
#include "supervisor/ctl/container.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* containerd 1.6's default capability set (oci/spec.go defaultCaps) */
static const char *const default_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

int ctl_parse_bytes(const char *s, int64_t *out, struct berth_err **err)
{
	char *end = NULL;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || errno)
		goto bad;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		end++;
		break;
	case 'k':
		shift = 10;
		end++;
		break;
	case 'm':
		shift = 20;
		end++;
		break;
	case 'g':
		shift = 30;
		end++;
		break;
	default:
		goto bad;
	}
	if (shift && tolower((unsigned char)*end) == 'b')
		end++;
	if (*end || v == 0 || v > (unsigned long long)(INT64_MAX >> shift))
		goto bad;
	*out = (int64_t)(v << shift);
	return 0;
bad:
	return berth_err_new(
		err, BERTH_E_INVALID,
		"invalid size '%s': want a positive number of bytes, optionally with a k, m or g suffix",
		s);
}

/* Adds "K=V" unless env has K. */
static void env_set_default(char ***env, const char *kv)
{
	size_t klen = (size_t)(strchr(kv, '=') - kv);

	for (size_t i = 0; *env && (*env)[i]; i++)
		if (strncmp((*env)[i], kv, klen + 1) == 0)
			return;
	strv_push(env, kv);
}

/* Sets "K=V" in env, replacing an entry with the same key; a bare "K" is left as is. */
static void env_set(char ***env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);

	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, klen) == 0 &&
		    ((*env)[i][klen] == '=' || (*env)[i][klen] == '\0')) {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return;
		}
	}
	strv_push(env, kv);
}

/*
 * The process user: o->resolved when run/exec resolved it in the rootfs (uid, gid,
 * supplementary groups, HOME unless set), else user resolved without passwd/group files
 * (numbers only: a name is an error naming it).
 */
static int set_user(struct oci_process *p, const struct ctl_run_opts *o, const char *user,
		    struct berth_err **err)
{
	struct ctl_user tmp = {0};
	const struct ctl_user *u = o->resolved;
	bool has_home = false;

	if (!u) {
		if (!user || !*user)
			return 0;
		if (ctl_user_resolve(user, NULL, 0, NULL, 0, &tmp, err) < 0)
			return -1;
		u = &tmp;
	}
	p->user.uid = u->uid;
	p->user.gid = u->gid;
	free(p->user.additional_gids);
	p->user.additional_gids = NULL;
	p->user.n_additional_gids = u->n_gids;
	if (u->n_gids) {
		p->user.additional_gids = xcalloc(u->n_gids, sizeof(gid_t));
		for (size_t i = 0; i < u->n_gids; i++)
			p->user.additional_gids[i] = u->gids[i];
	}
	for (size_t i = 0; p->env && p->env[i]; i++)
		has_home |= strncmp(p->env[i], "HOME=", 5) == 0;
	if (o->resolved && !has_home && u->home)
		strv_push_take(&p->env, xasprintf("HOME=%s", u->home));
	ctl_user_clear(&tmp);
	return 0;
}

static char **json_strv(const struct bjson *arr)
{
	char **v = NULL;

	for (size_t i = 0; arr && bjson_is_array(arr) && i < bjson_array_len(arr); i++) {
		const char *s = bjson_str(bjson_array_get(arr, i));

		if (s)
			strv_push(&v, s);
	}
	return v;
}

/* Process args: entrypoint + (args given ? args : image Cmd), as docker does. */
static int set_args(struct oci_process *p, const struct ctl_run_opts *o, const struct bjson *cfg,
		    struct berth_err **err)
{
	char **args = NULL, **cmd;

	if (o->entrypoint) {
		if (*o->entrypoint)
			strv_push(&args, o->entrypoint);
	} else {
		args = json_strv(bjson_get(cfg, "Entrypoint"));
	}
	if (o->args && o->args[0])
		cmd = strv_dup(o->args);
	else if (o->entrypoint)
		cmd = NULL; /* a new entrypoint drops the image's Cmd (docker) */
	else
		cmd = json_strv(bjson_get(cfg, "Cmd"));
	for (size_t i = 0; cmd && cmd[i]; i++)
		strv_push(&args, cmd[i]);
	strv_free(cmd);
	if (!args)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"no command: the image has no Entrypoint or Cmd and none was given");
	strv_free(p->args);
	p->args = args;
	return 0;
}

static void set_caps(struct oci_process *p)
{
	struct oci_capabilities *c = p->capabilities;

	if (!c)
		c = p->capabilities = xnew(struct oci_capabilities);
	strv_free(c->bounding);
	strv_free(c->effective);
	strv_free(c->permitted);
	strv_free(c->inheritable);
	strv_free(c->ambient);
	c->bounding = strv_dup((char *const *)default_caps);
	c->effective = strv_dup((char *const *)default_caps);
	c->permitted = strv_dup((char *const *)default_caps);
	c->inheritable = NULL;
	c->ambient = NULL;
}

/* containerd mounts a tmpfs on /run (oci/mounts.go) */
static void add_run_mount(struct oci_spec *s)
{
	static const char *const opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
					   NULL};
	struct oci_mount *m;

	s->mounts = xreallocarray(s->mounts, s->n_mounts + 1, sizeof(*s->mounts));
	m = &s->mounts[s->n_mounts++];
	memset(m, 0, sizeof(*m));
	m->destination = xstrdup("/run");
	m->type = xstrdup("tmpfs");
	m->source = xstrdup("tmpfs");
	m->options = strv_dup((char *const *)opts);
}

static void set_resources(struct oci_spec *s, const struct ctl_run_opts *o)
{
	struct oci_resources *r;

	if (!s->linux_->resources)
		s->linux_->resources = xnew(struct oci_resources);
	r = s->linux_->resources;
	if (o->has_memory) {
		if (!r->memory)
			r->memory = xnew(struct oci_memory);
		r->memory->has_limit = true;
		r->memory->limit = o->memory;
	}
	if (o->has_pids_limit) {
		r->has_pids_limit = true;
		r->pids_limit = o->pids_limit;
	}
}

/* The image config's process fields, then the flags' (later wins). */
static int apply_process(struct oci_process *p, const struct ctl_run_opts *o,
			 const struct bjson *cfg, bool exec, struct berth_err **err)
{
	const char *wd = bjson_get_str(cfg, "WorkingDir"), *user = bjson_get_str(cfg, "User");
	char **env = exec ? NULL : json_strv(bjson_get(cfg, "Env"));

	if (!exec) {
		strv_free(p->env);
		p->env = NULL;
		strv_push(&p->env, DEFAULT_PATH);
	}
	for (size_t i = 0; env && env[i]; i++)
		env_set(&p->env, env[i]);
	strv_free(env);
	for (size_t i = 0; o->env && o->env[i]; i++)
		env_set(&p->env, o->env[i]);
	if (!exec && set_args(p, o, cfg, err) < 0)
		return -1;
	if (exec) {
		strv_free(p->args);
		p->args = strv_dup(o->args);
	}
	if (o->workdir)
		wd = o->workdir;
	if (wd && *wd) {
		if (wd[0] != '/')
			return berth_err_new(err, BERTH_E_INVALID,
					     "working directory '%s': not an absolute path", wd);
		free(p->cwd);
		p->cwd = xstrdup(wd);
	} else if (!exec) {
		free(p->cwd);
		p->cwd = xstrdup("/");
	}
	if (o->user)
		user = o->user;
	if (set_user(p, o, user, err) < 0)
		return -1;
	p->terminal = o->tty;
	free(p->console_size);
	p->console_size = NULL;
	/* the size from the start (a ResizePty after start would race the process) */
	if (o->tty && o->rows && o->cols) {
		p->console_size = xnew(struct oci_console_size);
		p->console_size->height = o->rows;
		p->console_size->width = o->cols;
	}
	if (o->tty)
		env_set_default(&p->env, "TERM=xterm"); /* docker's -t */
	return 0;
}

/*
 * --security-opt seccomp=PROFILE: the profile (OCI linux.seccomp's shape, which docker's
 * profiles share for defaultAction/architectures/syscalls) goes into the JSON, and the
 * whole spec is parsed again so a bad profile is an error naming it. unconfined: none
 * (the default spec has no filter).
 */
static int apply_seccomp(const struct ctl_run_opts *o, char **json, struct berth_err **err)
{
	const char *opt = ctl_spec_seccomp_opt(o);
	cleanup(bjson_freep) struct bjson *root = NULL;
	cleanup(oci_spec_freep) struct oci_spec *check = NULL;
	struct bjson *profile = NULL;
	cleanup_free char *buf = NULL;
	size_t len;

	if (!opt || strcmp(opt, "unconfined") == 0)
		return 0;
	if (fs_read_file_max(AT_FDCWD, opt, 4 << 20, &buf, &len, err) < 0)
		return berth_err_wrap(err, "--security-opt seccomp='%s'", opt);
	if (bjson_parse(buf, len, opt, &profile, err) < 0 ||
	    bjson_parse(*json, strlen(*json), "spec", &root, err) < 0) {
		bjson_free(profile);
		return berth_err_wrap(err, "--security-opt seccomp");
	}
	bjson_set_take((struct bjson *)bjson_get(root, "linux"), "seccomp", profile);
	free(*json);
	*json = bjson_to_string(root, BJSON_PLAIN);
	if (oci_spec_parse(*json, strlen(*json), "spec", &check, err) < 0) {
		free(*json);
		*json = NULL;
		return berth_err_wrap(err, "--security-opt seccomp='%s'", opt);
	}
	return 0;
}

int ctl_spec_build(const struct ctl_run_opts *o, const char *config_json, size_t len,
		   const char *ns, const char *id, char **out, struct berth_err **err)
{
	cleanup_free char *def = oci_spec_default_json(false);
	cleanup(oci_spec_freep) struct oci_spec *s = NULL;
	cleanup(bjson_freep) struct bjson *img = NULL;
	const struct bjson *cfg;

	if (bjson_parse(config_json, len, "image config", &img, err) < 0)
		return -1;
	cfg = bjson_get(img, "config");
	if (oci_spec_parse(def, strlen(def), "default spec", &s, err) < 0)
		return -1;
	if (!s->process || !s->linux_ || !s->root)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "default spec: no process, root or linux");
	if (apply_process(s->process, o, cfg, false, err) < 0)
		return -1;
	set_caps(s->process);
	add_run_mount(s);
	set_resources(s, o);
	free(s->root->path);
	s->root->path = xstrdup("rootfs");
	s->root->readonly = o->readonly;
	free(s->hostname);
	/* docker: the short id unless --hostname (the spec has a new uts namespace) */
	s->hostname = o->hostname ? xstrdup(o->hostname) : xstrndup(id, 12);
	free(s->linux_->cgroups_path);
	s->linux_->cgroups_path = xasprintf("/%s/%s", ns, id);
	if (ctl_spec_apply_flags(s, o, err) < 0)
		return -1;
	*out = oci_spec_to_json(s);
	return apply_seccomp(o, out, err);
}

int ctl_spec_wants(const struct ctl_run_opts *o, const char *config_json, size_t len, char **user,
		   char **workdir, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *img = NULL;
	const struct bjson *cfg;
	const char *u, *w;

	if (bjson_parse(config_json, len, "image config", &img, err) < 0)
		return -1;
	cfg = bjson_get(img, "config");
	u = o->user ? o->user : bjson_get_str(cfg, "User");
	w = o->workdir ? o->workdir : bjson_get_str(cfg, "WorkingDir");
	*user = u && *u ? xstrdup(u) : NULL;
	*workdir = w && *w && strcmp(w, "/") != 0 ? xstrdup(w) : NULL;
	return 0;
}

bool ctl_spec_is_terminal(const char *spec_json, size_t len)
{
	cleanup(oci_spec_freep) struct oci_spec *s = NULL;
	cleanup_err struct berth_err *err = NULL;

	return oci_spec_parse(spec_json, len, "container spec", &s, &err) == 0 && s->process &&
	       s->process->terminal;
}

int ctl_spec_exec_process(const char *spec_json, size_t len, const struct ctl_run_opts *o,
			  char **out, struct berth_err **err)
{
	cleanup(oci_spec_freep) struct oci_spec *s = NULL;

	if (oci_spec_parse(spec_json, len, "container spec", &s, err) < 0)
		return -1;
	if (!s->process)
		return berth_err_new(err, BERTH_E_INVALID, "container spec: no process");
	if (apply_process(s->process, o, NULL, true, err) < 0)
		return -1;
	*out = oci_process_to_json(s->process);
	return 0;
}
