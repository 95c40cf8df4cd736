/*
 * supervisor/ctl/spec_flags.c - docker run's flags that map onto the OCI spec beyond the
 * process (spec.c does the process): -v, --mount, --tmpfs, --cpus, --cpu-shares,
 * --memory-swap, --ulimit, --cap-add/--cap-drop, --privileged, --security-opt, --device
 * and --init. Values are checked here and errors name the flag and the value; nothing
 * is read from the image. The container's labels (--label, the stop signal) are not
 * spec: cmd_run.c puts them on the container record.
 *
 * "ALL" capabilities (and --privileged) mean the capabilities in berthctl's own bounding
 * set, as containerd's WithAllCurrentCapabilities: asking the kernel for one the host
 * lacks (CAP_SYS_RESOURCE on some hosts) would fail the container.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/caps.h"
#include "spec/config.h"
#include "supervisor/ctl/container.h"

static char **all_caps(void)
{
	char **v = NULL;

	for (int i = 0; i <= OCI_CAP_LAST; i++)
		if (prctl(PR_CAPBSET_READ, (unsigned long)i, 0, 0, 0) == 1)
			strv_push(&v, oci_cap_name(i));
	return v;
}

/* "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; NULL if unknown */
static char *cap_name(const char *s)
{
	cleanup_free char *up = xasprintf("%s%s", strncasecmp(s, "CAP_", 4) ? "CAP_" : "", s);

	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return oci_cap_from_name(up) >= 0 ? take_ptr(up) : NULL;
}

static void strv_remove(char **v, const char *s)
{
	size_t j = 0;

	for (size_t i = 0; v && v[i]; i++) {
		if (strcmp(v[i], s) == 0)
			free(v[i]);
		else
			v[j++] = v[i];
	}
	if (v)
		v[j] = NULL;
}

static int apply_caps(struct oci_process *p, const struct ctl_run_opts *o, struct berth_err **err)
{
	struct oci_capabilities *c = p->capabilities;
	cleanup(strv_freep) char **set = strv_dup(c->bounding);

	if (o->privileged || strv_contains(o->cap_add, "ALL") || strv_contains(o->cap_add, "all")) {
		strv_free(set);
		set = all_caps();
	}
	for (size_t i = 0; o->cap_drop && o->cap_drop[i]; i++) {
		cleanup_free char *n = NULL;

		if (strcasecmp(o->cap_drop[i], "ALL") == 0) {
			strv_free(set);
			set = NULL;
			continue;
		}
		n = cap_name(o->cap_drop[i]);
		if (!n)
			return berth_err_new(err, BERTH_E_INVALID,
					     "--cap-drop: unknown capability '%s'", o->cap_drop[i]);
		strv_remove(set, n);
	}
	/* docker: adds win over drops (--cap-drop ALL --cap-add X keeps X) */
	for (size_t i = 0; o->cap_add && o->cap_add[i]; i++) {
		cleanup_free char *n = NULL;

		if (strcasecmp(o->cap_add[i], "ALL") == 0)
			continue;
		n = cap_name(o->cap_add[i]);
		if (!n)
			return berth_err_new(err, BERTH_E_INVALID,
					     "--cap-add: unknown capability '%s'", o->cap_add[i]);
		if (!strv_contains(set, n))
			strv_push(&set, n);
	}
	strv_free(c->bounding);
	strv_free(c->effective);
	strv_free(c->permitted);
	c->bounding = strv_dup(set);
	c->effective = strv_dup(set);
	c->permitted = strv_dup(set);
	return 0;
}

static struct oci_mount *mount_add(struct oci_spec *s, const char *dst, const char *type,
				   const char *src)
{
	struct oci_mount *m;

	/* a later mount on the same destination replaces the earlier (docker's -v over /run) */
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (strcmp(s->mounts[i].destination, dst) != 0)
			continue;
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		strv_free(s->mounts[i].options);
		free(s->mounts[i].data);
		memmove(&s->mounts[i], &s->mounts[i + 1], (s->n_mounts - i - 1) * sizeof(*m));
		s->n_mounts--;
		break;
	}
	s->mounts = xreallocarray(s->mounts, s->n_mounts + 1, sizeof(*s->mounts));
	m = &s->mounts[s->n_mounts++];
	memset(m, 0, sizeof(*m));
	m->destination = xstrdup(dst);
	m->type = xstrdup(type);
	m->source = xstrdup(src);
	return m;
}

static int check_dest(const char *flag, const char *val, const char *dst, struct berth_err **err)
{
	if (!dst || dst[0] != '/')
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s '%s': the container path must be absolute", flag, val);
	if (strcmp(dst, "/") == 0)
		return berth_err_new(err, BERTH_E_INVALID, "%s '%s': cannot mount over '/'", flag,
				     val);
	return 0;
}

/* -v HOST:CTR[:ro|rw] (a missing host directory is created, as docker does) */
static int add_volume(struct oci_spec *s, const char *v, struct berth_err **err)
{
	cleanup(strv_freep) char **f = strv_split(v, ":");
	size_t n = strv_len(f);
	bool ro = false;

	if (n < 2 || n > 3)
		return berth_err_new(err, BERTH_E_INVALID, "-v '%s': want HOST:CONTAINER[:ro|rw]",
				     v);
	if (f[0][0] != '/')
		return berth_err_new(
			err, BERTH_E_INVALID,
			"-v '%s': the host path must be absolute (named volumes are not supported)",
			v);
	if (check_dest("-v", v, f[1], err) < 0)
		return -1;
	if (access(f[0], F_OK) < 0 && fs_mkdir_p(f[0], 0755, err) < 0)
		return berth_err_wrap(err, "-v '%s': create the host directory", v);
	if (n == 3) {
		if (strcmp(f[2], "ro") != 0 && strcmp(f[2], "rw") != 0)
			return berth_err_new(err, BERTH_E_INVALID,
					     "-v '%s': unknown option '%s' (want ro or rw)", v,
					     f[2]);
		ro = strcmp(f[2], "ro") == 0;
	}
	mount_add(s, f[1], "bind", f[0])->options =
		strv_dup((char *const[]){"rbind", ro ? "ro" : "rw", NULL});
	return 0;
}

static int tmpfs_add(struct oci_spec *s, const char *flag, const char *val, const char *dst,
		     const char *extra, struct berth_err **err)
{
	char **opts = strv_dup((char *const[]){"nosuid", "nodev", "noexec", NULL});
	struct oci_mount *m;

	if (check_dest(flag, val, dst, err) < 0) {
		strv_free(opts);
		return -1;
	}
	if (extra && *extra) {
		cleanup(strv_freep) char **more = strv_split(extra, ",");

		for (size_t i = 0; more[i]; i++) {
			/* docker's --tmpfs /x:exec takes noexec away */
			if (strcmp(more[i], "exec") == 0)
				strv_remove(opts, "noexec");
			else if (strcmp(more[i], "suid") == 0)
				strv_remove(opts, "nosuid");
			else if (strcmp(more[i], "dev") == 0)
				strv_remove(opts, "nodev");
			else
				strv_push(&opts, more[i]);
		}
	}
	m = mount_add(s, dst, "tmpfs", "tmpfs");
	m->options = opts;
	return 0;
}

/* --tmpfs /path[:opts] */
static int add_tmpfs(struct oci_spec *s, const char *v, struct berth_err **err)
{
	cleanup_free char *dst = xstrdup(v);
	char *colon = strchr(dst, ':');

	if (colon)
		*colon++ = '\0';
	return tmpfs_add(s, "--tmpfs", v, dst, colon, err);
}

/* --mount type=bind|tmpfs,source=,target=,readonly,tmpfs-size=,tmpfs-mode= */
static int add_mount(struct oci_spec *s, const char *v, struct berth_err **err)
{
	cleanup(strv_freep) char **kv = strv_split(v, ",");
	const char *type = NULL, *src = NULL, *dst = NULL;
	cleanup_free char *extra = xstrdup("");
	bool ro = false;
	struct stat st;

	for (size_t i = 0; kv[i]; i++) {
		char *eq = strchr(kv[i], '=');
		const char *val = eq ? eq + 1 : "";
		char *next;

		if (eq)
			*eq = '\0';
		if (strcmp(kv[i], "type") == 0)
			type = val;
		else if (strcmp(kv[i], "source") == 0 || strcmp(kv[i], "src") == 0)
			src = val;
		else if (strcmp(kv[i], "target") == 0 || strcmp(kv[i], "destination") == 0 ||
			 strcmp(kv[i], "dst") == 0)
			dst = val;
		else if (strcmp(kv[i], "readonly") == 0 || strcmp(kv[i], "ro") == 0)
			ro = !eq || strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
		else if (strcmp(kv[i], "tmpfs-size") == 0 || strcmp(kv[i], "tmpfs-mode") == 0) {
			next = xasprintf("%s%s%s=%s", extra, *extra ? "," : "", kv[i] + 6, val);
			free(extra);
			extra = next;
		} else
			return berth_err_new(err, BERTH_E_INVALID, "--mount '%s': unknown key '%s'",
					     v, kv[i]);
	}
	if (!type || (strcmp(type, "bind") != 0 && strcmp(type, "tmpfs") != 0))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"--mount '%s': type must be bind or tmpfs (volumes are not supported)", v);
	if (strcmp(type, "tmpfs") == 0)
		return tmpfs_add(s, "--mount", v, dst, extra, err);
	if (!src || src[0] != '/')
		return berth_err_new(err, BERTH_E_INVALID,
				     "--mount '%s': a bind needs an absolute source", v);
	if (stat(src, &st) < 0)
		return berth_err_sys(err, errno, "--mount '%s': source '%s'", v, src);
	if (check_dest("--mount", v, dst, err) < 0)
		return -1;
	mount_add(s, dst, "bind", src)->options =
		strv_dup((char *const[]){"rbind", ro ? "ro" : "rw", NULL});
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

/* --ulimit NAME=SOFT[:HARD] */
static int add_ulimit(struct oci_process *p, const char *v, struct berth_err **err)
{
	static const char *const names[] = {
		"core",	  "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
		"nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",	 "as"};
	static const int nums[] = {RLIMIT_CORE,	  RLIMIT_CPU,	     RLIMIT_DATA,     RLIMIT_FSIZE,
				   RLIMIT_LOCKS,  RLIMIT_MEMLOCK,    RLIMIT_MSGQUEUE, RLIMIT_NICE,
				   RLIMIT_NOFILE, RLIMIT_NPROC,	     RLIMIT_RSS,      RLIMIT_RTPRIO,
				   RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK,    RLIMIT_AS};
	cleanup_free char *name = xstrdup(v);
	char *eq = strchr(name, '='), *colon;
	uint64_t soft, hard;
	struct oci_rlimit *r;
	int num = -1;
	size_t i;

	if (eq)
		*eq++ = '\0';
	colon = eq ? strchr(eq, ':') : NULL;
	if (colon)
		*colon++ = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0)
			num = nums[i];
	if (num < 0 || !eq || parse_u64(eq, &soft) < 0 || (colon && parse_u64(colon, &hard) < 0))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"--ulimit '%s': want NAME=SOFT[:HARD] (NAME: nofile, nproc, core, ...)", v);
	if (!colon)
		hard = soft;
	if (soft > hard)
		return berth_err_new(err, BERTH_E_INVALID,
				     "--ulimit '%s': the soft limit is above the hard limit", v);
	for (i = 0; i < p->n_rlimits && p->rlimits[i].resource != num; i++)
		;
	if (i == p->n_rlimits) {
		p->rlimits = xreallocarray(p->rlimits, p->n_rlimits + 1, sizeof(*p->rlimits));
		memset(&p->rlimits[p->n_rlimits], 0, sizeof(*p->rlimits));
		p->n_rlimits++;
	}
	r = &p->rlimits[i];
	free(r->type);
	r->type = xasprintf("RLIMIT_%s", name);
	for (char *c = r->type; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	r->resource = num;
	r->soft = soft;
	r->hard = hard;
	return 0;
}

static struct oci_device_cgroup *dev_rule_add(struct oci_resources *r)
{
	struct oci_device_cgroup *d;

	r->devices = xreallocarray(r->devices, r->n_devices + 1, sizeof(*r->devices));
	d = &r->devices[r->n_devices++];
	memset(d, 0, sizeof(*d));
	return d;
}

/* --device HOST[:CONTAINER][:PERMS] */
static int add_device(struct oci_spec *s, const char *v, struct berth_err **err)
{
	cleanup(strv_freep) char **f = strv_split(v, ":");
	size_t n = strv_len(f);
	const char *host = n ? f[0] : "", *ctr = host, *perms = "rwm";
	struct oci_device *d;
	struct oci_device_cgroup *rule;
	struct stat st;

	if (n >= 2 && f[1][0] == '/')
		ctr = f[1];
	else if (n == 2)
		perms = f[1];
	if (n == 3)
		perms = f[2];
	if (n < 1 || n > 3 || host[0] != '/' || ctr[0] != '/' || !*perms ||
	    strspn(perms, "rwm") != strlen(perms))
		return berth_err_new(err, BERTH_E_INVALID,
				     "--device '%s': want HOST[:CONTAINER][:PERMISSIONS rwm]", v);
	if (stat(host, &st) < 0)
		return berth_err_sys(err, errno, "--device '%s': '%s'", v, host);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return berth_err_new(err, BERTH_E_INVALID,
				     "--device '%s': '%s' is not a device node", v, host);
	s->linux_->devices =
		xreallocarray(s->linux_->devices, s->linux_->n_devices + 1, sizeof(*d));
	d = &s->linux_->devices[s->linux_->n_devices++];
	memset(d, 0, sizeof(*d));
	d->type = S_ISCHR(st.st_mode) ? 'c' : 'b';
	d->path = xstrdup(ctr);
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
	d->has_file_mode = true;
	d->file_mode = st.st_mode & 07777;
	d->has_uid = d->has_gid = true;
	rule = dev_rule_add(s->linux_->resources);
	rule->allow = true;
	rule->type = d->type;
	rule->has_major = rule->has_minor = true;
	rule->major = d->major;
	rule->minor = d->minor;
	rule->access = xstrdup(perms);
	return 0;
}

static void set_privileged(struct oci_spec *s)
{
	struct oci_device_cgroup *rule = dev_rule_add(s->linux_->resources);

	rule->allow = true;
	rule->type = 'a';
	rule->access = xstrdup("rwm");
	strv_free(s->linux_->masked_paths);
	strv_free(s->linux_->readonly_paths);
	s->linux_->masked_paths = NULL;
	s->linux_->readonly_paths = NULL;
	/* sysfs and cgroupfs writable, as docker's privileged containers have them */
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (strcmp(s->mounts[i].destination, "/sys") != 0 &&
		    strcmp(s->mounts[i].destination, "/sys/fs/cgroup") != 0)
			continue;
		strv_remove(s->mounts[i].options, "ro");
	}
}

static int apply_security(struct oci_spec *s, const struct ctl_run_opts *o, struct berth_err **err)
{
	for (size_t i = 0; o->security_opts && o->security_opts[i]; i++) {
		const char *v = o->security_opts[i];

		if (strcmp(v, "no-new-privileges") == 0 ||
		    strcmp(v, "no-new-privileges=true") == 0 ||
		    strcmp(v, "no-new-privileges:true") == 0)
			s->process->no_new_privileges = true;
		else if (strcmp(v, "no-new-privileges=false") == 0 ||
			 strcmp(v, "no-new-privileges:false") == 0)
			s->process->no_new_privileges = false;
		else if (strncmp(v, "seccomp=", 8) == 0 || strncmp(v, "seccomp:", 8) == 0)
			continue; /* spec_seccomp_apply, on the JSON */
		else
			return berth_err_new(
				err, BERTH_E_INVALID,
				"--security-opt '%s': supported: no-new-privileges[=true|false], seccomp=unconfined|PROFILE",
				v);
	}
	return 0;
}

/* --init: a tiny init (tini, as docker-init is) bound in as pid 1 */
static int apply_init(struct oci_spec *s, const struct ctl_run_opts *o, struct berth_err **err)
{
	/* static builds only: the image may have no libc */
	static const char *const cands[] = {"/usr/bin/tini-static", "/usr/bin/docker-init", NULL};
	const char *init = NULL;
	char **args = NULL;

	if (!o->init)
		return 0;
	for (size_t i = 0; cands[i] && !init; i++)
		if (access(cands[i], X_OK) == 0)
			init = cands[i];
	if (!init)
		return berth_err_new(
			err, BERTH_E_NOT_FOUND,
			"--init: no static init found on this host (/usr/bin/tini-static: Debian package tini)");
	mount_add(s, "/sbin/docker-init", "bind", init)->options =
		strv_dup((char *const[]){"bind", "ro", NULL});
	strv_push(&args, "/sbin/docker-init");
	strv_push(&args, "--");
	for (size_t i = 0; s->process->args && s->process->args[i]; i++)
		strv_push(&args, s->process->args[i]);
	strv_free(s->process->args);
	s->process->args = args;
	return 0;
}

static int apply_cpu(struct oci_resources *r, const struct ctl_run_opts *o, struct berth_err **err)
{
	if (!o->has_cpus && !o->has_cpu_shares)
		return 0;
	if (!r->cpu)
		r->cpu = xnew(struct oci_cpu);
	if (o->has_cpus) {
		r->cpu->has_quota = r->cpu->has_period = true;
		r->cpu->period = 100000;
		r->cpu->quota = (int64_t)(o->cpus * 100000.0 + 0.5);
	}
	if (o->has_cpu_shares) {
		r->cpu->has_shares = true;
		r->cpu->shares = o->cpu_shares;
	}
	return 0;
}

static int apply_swap(struct oci_resources *r, const struct ctl_run_opts *o, struct berth_err **err)
{
	if (!o->has_memory_swap)
		return 0;
	if (!o->has_memory)
		return berth_err_new(err, BERTH_E_INVALID,
				     "--memory-swap: needs --memory (docker's rule)");
	if (o->memory_swap != -1 && o->memory_swap < o->memory)
		return berth_err_new(err, BERTH_E_INVALID,
				     "--memory-swap: %" PRId64 " is below --memory %" PRId64
				     " (it is memory plus swap)",
				     o->memory_swap, o->memory);
	r->memory->has_swap = true;
	r->memory->swap = o->memory_swap;
	return 0;
}

int ctl_spec_apply_flags(struct oci_spec *s, const struct ctl_run_opts *o, struct berth_err **err)
{
	if (!s->linux_->resources)
		s->linux_->resources = xnew(struct oci_resources);
	for (size_t i = 0; o->volumes && o->volumes[i]; i++)
		if (add_volume(s, o->volumes[i], err) < 0)
			return -1;
	for (size_t i = 0; o->mounts && o->mounts[i]; i++)
		if (add_mount(s, o->mounts[i], err) < 0)
			return -1;
	for (size_t i = 0; o->tmpfs && o->tmpfs[i]; i++)
		if (add_tmpfs(s, o->tmpfs[i], err) < 0)
			return -1;
	for (size_t i = 0; o->ulimits && o->ulimits[i]; i++)
		if (add_ulimit(s->process, o->ulimits[i], err) < 0)
			return -1;
	for (size_t i = 0; o->devices && o->devices[i]; i++)
		if (add_device(s, o->devices[i], err) < 0)
			return -1;
	if (o->privileged)
		set_privileged(s);
	if (apply_caps(s->process, o, err) < 0 || apply_security(s, o, err) < 0 ||
	    apply_cpu(s->linux_->resources, o, err) < 0 ||
	    apply_swap(s->linux_->resources, o, err) < 0 || apply_init(s, o, err) < 0)
		return -1;
	return 0;
}

const char *ctl_spec_seccomp_opt(const struct ctl_run_opts *o)
{
	const char *last = NULL;

	for (size_t i = 0; o->security_opts && o->security_opts[i]; i++)
		if (strncmp(o->security_opts[i], "seccomp", 7) == 0 &&
		    (o->security_opts[i][7] == '=' || o->security_opts[i][7] == ':'))
			last = o->security_opts[i] + 8;
	return o->privileged && !last ? "unconfined" : last;
}
