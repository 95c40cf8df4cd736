/* runtime/lib/cgroup/cgroup_systemd.c - see cgroup_systemd.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"
#include "runtime/lib/cgroup/cgroup_systemd.h"

#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define CALL_TIMEOUT_MS 25000
#define JOB_TIMEOUT_MS 30000
#define UNIT_NAME_MAX 255

/* cg->mgr_data of this manager */
struct sd_data {
	char *unit;  /* "berth-<id>.scope" */
	char *slice; /* "system.slice" */
};

static struct sd_data *sd_of(const struct rt_cgroup *cg)
{
	return cg->mgr_data;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* systemd's unit name alphabet (unit-name.c: letters, digits, ":-_.\"), and its length */
static int check_unit_name(const char *orig, const char *name, struct berth_err **err)
{
	size_t bad = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789:-_.\\");

	if (name[bad])
		return berth_err_new(
			err, BERTH_E_INVALID,
			"linux.cgroupsPath: '%s': unit name '%s' has a character systemd does not allow ('%c')",
			orig, name, name[bad]);
	if (strlen(name) > UNIT_NAME_MAX)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"linux.cgroupsPath: '%s': unit name '%.40s...' is longer than %d bytes",
			orig, name, UNIT_NAME_MAX);
	return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "" (the root). */
static int expand_slice(const char *orig, const char *slice, char **out, struct berth_err **err)
{
	cleanup_free char *base = NULL;
	cleanup_free char *path = NULL;
	size_t n;

	if (!has_suffix(slice, ".slice") || strchr(slice, '/'))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"linux.cgroupsPath: '%s': slice '%s' is not a slice name ('name.slice', sub-slices with '-', no '/')",
			orig, slice);
	if (strcmp(slice, "-.slice") == 0) {
		*out = xstrdup("");
		return 0;
	}
	n = strlen(slice) - strlen(".slice");
	base = xstrndup(slice, n);
	if (n == 0 || base[0] == '-' || base[n - 1] == '-' || strstr(base, "--"))
		return berth_err_new(err, BERTH_E_INVALID,
				     "linux.cgroupsPath: '%s': slice '%s' has an empty component",
				     orig, slice);
	if (check_unit_name(orig, slice, err) < 0)
		return -1;
	path = xstrdup("");
	for (char *dash = base;; dash++) {
		char c = *dash;

		if (c != '-' && c != '\0')
			continue;
		*dash = '\0';
		/* each level is the prefix up to this dash, plus ".slice" */
		char *p = xasprintf("%s/%s.slice", path, base);

		free(path);
		path = p;
		*dash = c;
		if (c == '\0')
			break;
	}
	*out = take_ptr(path);
	return 0;
}

int rt_cgroup_systemd_resolve(const char *cgroups_path, const char *id, char **slice, char **unit,
			      char **path, struct berth_err **err)
{
	cleanup(strv_freep) char **parts = NULL;
	cleanup_free char *sl = NULL;
	cleanup_free char *un = NULL;
	cleanup_free char *dir = NULL;
	const char *orig = cgroups_path ? cgroups_path : "";
	const char *prefix, *name;
	size_t colons = 0;

	for (const char *c = orig; *c; c++)
		colons += *c == ':';
	if (!*orig) {
		sl = xstrdup("system.slice");
		prefix = "berth";
		name = id;
	} else {
		if (colons != 2)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"linux.cgroupsPath: '%s': the systemd cgroup driver expects 'slice:prefix:name' (e.g. 'system.slice:berth:%s')",
				orig, id);
		/* strv_split drops empty fields: split by hand */
		const char *c1 = strchr(orig, ':'), *c2 = strchr(c1 + 1, ':');

		parts = xcalloc(4, sizeof(char *));
		parts[0] = xstrndup(orig, (size_t)(c1 - orig));
		parts[1] = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
		parts[2] = xstrdup(c2 + 1);
		sl = xstrdup(parts[0][0] ? parts[0] : "system.slice");
		if (strcmp(sl, "-") == 0) {
			free(sl);
			sl = xstrdup("-.slice");
		}
		prefix = parts[1];
		name = parts[2];
	}
	if (!name || !*name)
		return berth_err_new(err, BERTH_E_INVALID,
				     "linux.cgroupsPath: '%s': the name part is empty", orig);
	if (has_suffix(name, ".slice"))
		un = xstrdup(name);
	else if (*prefix)
		un = xasprintf("%s-%s.scope", prefix, name);
	else
		un = xasprintf("%s.scope", name);
	if (strchr(un, '/'))
		return berth_err_new(err, BERTH_E_INVALID,
				     "linux.cgroupsPath: '%s': unit name '%s' must not contain '/'",
				     orig, un);
	if (check_unit_name(orig, un, err) < 0 || expand_slice(orig, sl, &dir, err) < 0)
		return -1;
	*path = xasprintf("%s/%s", dir, un);
	*slice = take_ptr(sl);
	*unit = take_ptr(un);
	return 0;
}

/* ---- StartTransientUnit ---- */

static void prop_begin(struct rt_dbus_buf *b, const char *name, const char *sig)
{
	rt_dbus_put_struct(b);
	rt_dbus_put_str(b, 's', name);
	rt_dbus_put_variant(b, sig);
}

static void prop_bool(struct rt_dbus_buf *b, const char *name, bool v)
{
	prop_begin(b, name, "b");
	rt_dbus_put_bool(b, v);
}

static void prop_str(struct rt_dbus_buf *b, const char *name, const char *v)
{
	prop_begin(b, name, "s");
	rt_dbus_put_str(b, 's', v);
}

static void prop_u64(struct rt_dbus_buf *b, const char *name, uint64_t v)
{
	prop_begin(b, name, "t");
	rt_dbus_put_u64(b, v);
}

/* The cpu limits as systemd expresses them: shares (v1) or weight (v2); a quota per
 * second of wall time (rounded up to systemd's 1% = 10 ms granularity, as runc does) with
 * its period. */
static void prop_cpu(struct rt_dbus_buf *b, const struct oci_cpu *c, bool v2)
{
	uint64_t period = c->has_period && c->period ? c->period : 100000;

	if (c->has_shares && c->shares)
		prop_u64(b, v2 ? "CPUWeight" : "CPUShares",
			 v2 ? cg_v2_shares_to_weight(c->shares) : c->shares);
	if (c->has_quota && c->quota > 0) {
		uint64_t per_sec = (uint64_t)c->quota * 1000000 / period;

		per_sec = (per_sec + 9999) / 10000 * 10000;
		prop_u64(b, "CPUQuotaPerSecUSec", per_sec);
		prop_u64(b, "CPUQuotaPeriodUSec", period);
	}
}

/* ---- device rules as DevicePolicy= and DeviceAllow= ----
 *
 * On a systemd re-realization of the unit (daemon-reload...), systemd rewrites the device
 * controller from the unit's properties: with none it writes "a" to devices.allow (v1),
 * i.e. every device, whatever berth wrote (measured with systemd 252). So the rules are
 * folded into an allow list the way the kernel applies them in order (deny-all first),
 * and given to systemd in the forms it parses without a device node: "/dev/char/M:m",
 * "char-<driver>" (a major by its /proc/devices name), "char-*". A rule it cannot
 * express is left out, which is stricter than berth's own rules; on cgroup v2, where
 * systemd's BPF program adds to berth's (both must allow), that would deny what berth
 * allows, so there the unit gets no device properties at all when one is missing. */

struct dev_entry {
	char type;	      /* 'c', 'b' or 'a' */
	int64_t major, minor; /* -1 = any */
	unsigned acc;	      /* 1 r, 2 w, 4 m */
};

static unsigned dev_access(const char *a)
{
	unsigned m = 0;

	for (; a && *a; a++)
		m |= *a == 'r' ? 1 : *a == 'w' ? 2 : *a == 'm' ? 4 : 0;
	return a ? m : 7;
}

/* Folds rules into *list; false when the result is not an allow list (a deny after
 * "allow all": systemd has no deny rules). *all: everything is allowed. */
static bool dev_fold(const struct oci_device_cgroup *d, size_t n, struct dev_entry **list,
		     size_t *len, bool *all)
{
	*all = false;
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		struct dev_entry e = {
			.type = d[i].type ? d[i].type : 'a',
			.major = d[i].has_major && d[i].major >= 0 ? d[i].major : -1,
			.minor = d[i].has_minor && d[i].minor >= 0 ? d[i].minor : -1,
			.acc = d[i].access ? dev_access(d[i].access) : 7,
		};
		bool every = e.type == 'a' && e.major < 0 && e.minor < 0;

		if (every && e.acc == 7) {
			*all = d[i].allow;
			*len = 0;
			continue;
		}
		if (!d[i].allow && *all)
			return false;
		if (!d[i].allow) {
			for (size_t j = 0; j < *len; j++)
				if ((*list)[j].type == e.type && (*list)[j].major == e.major &&
				    (*list)[j].minor == e.minor)
					(*list)[j].acc &= ~e.acc;
			continue;
		}
		if (*all)
			continue;
		*list = xreallocarray(*list, *len + 1, sizeof(**list));
		(*list)[(*len)++] = e;
	}
	return true;
}

/* The /proc/devices name of a major ("pts" for c 136), or NULL. Caller frees. */
static char *dev_driver(char type, int64_t major)
{
	cleanup_fclose FILE *f = fopen("/proc/devices", "re");
	char line[256], name[128];
	bool in = false;
	long m;

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Character", 9) == 0 || strncmp(line, "Block", 5) == 0) {
			in = (line[0] == 'C') == (type == 'c');
			continue;
		}
		if (in && sscanf(line, "%ld %127s", &m, name) == 2 && m == major)
			return xstrdup(name);
	}
	return NULL;
}

/* systemd's spelling of e (one type), or NULL when it has none. Caller frees. */
static char *dev_spec(char type, const struct dev_entry *e)
{
	const char *kind = type == 'c' ? "char" : "block";
	cleanup_free char *drv = NULL;

	if (e->major < 0)
		return e->minor < 0 ? xasprintf("%s-*", kind) : NULL;
	if (e->minor >= 0)
		return xasprintf("/dev/%s/%lld:%lld", kind, (long long)e->major,
				 (long long)e->minor);
	drv = dev_driver(type, e->major);
	return drv ? xasprintf("%s-%s", kind, drv) : NULL;
}

static void prop_devices(struct rt_dbus_buf *b, const struct oci_resources *res, bool v2)
{
	cleanup_free struct dev_entry *list = NULL;
	cleanup(strv_freep) char **specs = NULL;
	struct rt_dbus_array arr;
	size_t len = 0;
	bool all, missing = false;

	if (!res->n_devices || !dev_fold(res->devices, res->n_devices, &list, &len, &all))
		return; /* nothing to say, or nothing systemd can say: berth's rules stand */
	if (all) {
		prop_str(b, "DevicePolicy", "auto");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		static const char types[] = {'c', 'b'};
		char perm[4] = "";

		if (!list[i].acc)
			continue;
		snprintf(perm, sizeof(perm), "%s%s%s", list[i].acc & 1 ? "r" : "",
			 list[i].acc & 2 ? "w" : "", list[i].acc & 4 ? "m" : "");
		for (size_t t = 0; t < 2; t++) {
			char *spec;

			if (list[i].type != 'a' && list[i].type != types[t])
				continue;
			spec = dev_spec(types[t], &list[i]);
			if (!spec) {
				missing = true;
				continue;
			}
			strv_push(&specs, spec);
			strv_push(&specs, perm);
			free(spec);
		}
	}
	if (missing && v2)
		return;
	prop_str(b, "DevicePolicy", "strict");
	prop_begin(b, "DeviceAllow", "a(ss)");
	arr = rt_dbus_array_open(b, 8);
	for (size_t i = 0; specs && specs[i]; i += 2) {
		rt_dbus_put_struct(b);
		rt_dbus_put_str(b, 's', specs[i]);
		rt_dbus_put_str(b, 's', specs[i + 1]);
	}
	rt_dbus_array_close(b, arr);
}

/* The limits berth writes itself also go to the unit: systemd writes its own values
 * whenever it realizes the unit's cgroup again (daemon-reload, a sibling's change), and
 * without these it would write "no limit". */
static void prop_limits(struct rt_dbus_buf *b, const struct oci_resources *res, bool v2)
{
	if (!res)
		return;
	if (res->memory && res->memory->has_limit && res->memory->limit > 0)
		prop_u64(b, v2 ? "MemoryMax" : "MemoryLimit", (uint64_t)res->memory->limit);
	if (res->has_pids_limit && res->pids_limit > 0)
		prop_u64(b, "TasksMax", (uint64_t)res->pids_limit);
	if (res->cpu)
		prop_cpu(b, res->cpu, v2);
	prop_devices(b, res, v2);
}

void rt_cgroup_systemd_start_body(struct rt_dbus_buf *b, const char *unit, const char *slice,
				  const char *desc, pid_t pid, const struct oci_resources *res,
				  bool v2)
{
	static const char *const accounting[] = {"MemoryAccounting", "CPUAccounting",
						 "TasksAccounting", "IOAccounting", NULL};
	struct rt_dbus_array props, aux;

	rt_dbus_put_str(b, 's', unit);
	rt_dbus_put_str(b, 's', "replace");
	props = rt_dbus_array_open(b, 8);
	prop_str(b, "Description", desc);
	if (has_suffix(unit, ".slice")) {
		struct rt_dbus_array wants;

		/* a slice's parent is implied by its name; Wants= orders it after it */
		prop_begin(b, "Wants", "as");
		wants = rt_dbus_array_open(b, 4);
		rt_dbus_put_str(b, 's', slice);
		rt_dbus_array_close(b, wants);
	} else {
		prop_str(b, "Slice", slice);
		prop_bool(b, "Delegate", true);
	}
	prop_bool(b, "DefaultDependencies", false);
	if (pid > 0) {
		struct rt_dbus_array pids;

		prop_begin(b, "PIDs", "au");
		pids = rt_dbus_array_open(b, 4);
		rt_dbus_put_u32(b, (uint32_t)pid);
		rt_dbus_array_close(b, pids);
	}
	for (size_t i = 0; accounting[i]; i++)
		prop_bool(b, accounting[i], true);
	prop_limits(b, res, v2);
	rt_dbus_array_close(b, props);
	aux = rt_dbus_array_open(b, 8); /* no auxiliary units */
	rt_dbus_array_close(b, aux);
}

void rt_cgroup_systemd_set_body(struct rt_dbus_buf *b, const char *unit,
				const struct oci_resources *res, bool v2)
{
	struct rt_dbus_array props;

	rt_dbus_put_str(b, 's', unit);
	rt_dbus_put_bool(b, true); /* runtime: not persisted, like the transient unit itself */
	props = rt_dbus_array_open(b, 8);
	prop_limits(b, res, v2);
	rt_dbus_array_close(b, props);
}

/* Manager.Subscribe, so that systemd emits JobRemoved to us. */
static int subscribe(struct rt_dbus *d, struct berth_err **err)
{
	if (rt_dbus_add_match(
		    d,
		    "type='signal',sender='org.freedesktop.systemd1',interface='" SD_MANAGER
		    "',member='JobRemoved',path='" SD_PATH "'",
		    err) < 0)
		return -1;
	return rt_dbus_call(d, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, CALL_TIMEOUT_MS, NULL,
			    err);
}

/* Reads the job path of a reply "o". */
static int reply_job(const struct rt_dbus_msg *m, char **job, struct berth_err **err)
{
	struct rt_dbus_reader r;
	const char *s;

	rt_dbus_reader_init(&r, m);
	if (rt_dbus_get_str(&r, &s, err) < 0)
		return -1;
	*job = xstrdup(s);
	return 0;
}

/* Waits for JobRemoved(u id, o job, s unit, s result) of job; *result caller-owned. */
static int wait_job(struct rt_dbus *d, const char *job, char **result, struct berth_err **err)
{
	for (;;) {
		cleanup(rt_dbus_msg_freep) struct rt_dbus_msg *m = NULL;
		struct rt_dbus_reader r;
		const char *path, *unit, *res;
		uint32_t id;
		struct berth_err *e = NULL;

		if (rt_dbus_next_signal(d, JOB_TIMEOUT_MS, &m, err) < 0)
			return berth_err_wrap(err, "wait for systemd job '%s'", job);
		if (!m->member || strcmp(m->member, "JobRemoved") != 0 || !m->interface ||
		    strcmp(m->interface, SD_MANAGER) != 0 || strcmp(m->signature, "uoss") != 0)
			continue;
		rt_dbus_reader_init(&r, m);
		if (rt_dbus_get_u32(&r, &id, &e) < 0 || rt_dbus_get_str(&r, &path, &e) < 0 ||
		    rt_dbus_get_str(&r, &unit, &e) < 0 || rt_dbus_get_str(&r, &res, &e) < 0) {
			berth_err_free(&e); /* not ours to judge: skip it */
			continue;
		}
		if (strcmp(path, job) == 0) {
			*result = xstrdup(res);
			return 0;
		}
	}
}

static int start_once(struct rt_dbus *d, const struct rt_cgroup *cg, const char *id, pid_t pid,
		      const struct oci_resources *res, struct berth_err **err)
{
	cleanup(rt_dbus_msg_freep) struct rt_dbus_msg *reply = NULL;
	cleanup_free char *desc = xasprintf("berth container %s", id);
	cleanup_free char *job = NULL;
	cleanup_free char *result = NULL;
	struct rt_dbus_buf body = {0};
	int r;

	rt_cgroup_systemd_start_body(&body, sd_of(cg)->unit, sd_of(cg)->slice, desc, pid, res,
				     cg->mode == RT_CGROUP_V2);
	r = rt_dbus_call(d, SD_PATH, SD_MANAGER, "StartTransientUnit", "ssa(sv)a(sa(sv))", &body,
			 CALL_TIMEOUT_MS, &reply, err);
	rt_dbus_buf_clear(&body);
	if (r < 0 || reply_job(reply, &job, err) < 0 || wait_job(d, job, &result, err) < 0)
		return -1;
	if (strcmp(result, "done") != 0)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "systemd could not start unit '%s': job result '%s'",
				     sd_of(cg)->unit, result);
	return 0;
}

static void reset_failed(struct rt_dbus *d, const char *unit)
{
	struct rt_dbus_buf body = {0};
	struct berth_err *e = NULL;

	rt_dbus_put_str(&body, 's', unit);
	if (rt_dbus_call(d, SD_PATH, SD_MANAGER, "ResetFailedUnit", "s", &body, CALL_TIMEOUT_MS,
			 NULL, &e) < 0 &&
	    e->code != BERTH_E_NOT_FOUND)
		log_debug("unit '%s': %s", unit, e->msg);
	berth_err_free(&e);
	rt_dbus_buf_clear(&body);
}

static int sd_start(struct rt_cgroup *cg, const char *id, pid_t pid,
		    const struct oci_resources *res, struct berth_err **err)
{
	cleanup(rt_dbus_closep) struct rt_dbus *d = NULL;
	struct berth_err *e = NULL;

	if (rt_dbus_open_systemd(&d, err) < 0 || subscribe(d, err) < 0)
		return berth_err_wrap(err, "start systemd unit '%s'", sd_of(cg)->unit);
	if (start_once(d, cg, id, pid, res, &e) == 0)
		return 0;
	if (e->code != BERTH_E_EXISTS) {
		if (err)
			*err = take_ptr(e);
		berth_err_free(&e);
		return berth_err_wrap(err, "start systemd unit '%s'", sd_of(cg)->unit);
	}
	/* a failed unit of an earlier container with this name stays loaded until reset */
	berth_err_free(&e);
	reset_failed(d, sd_of(cg)->unit);
	if (start_once(d, cg, id, pid, res, err) < 0)
		return berth_err_wrap(err, "start systemd unit '%s'", sd_of(cg)->unit);
	return 0;
}

static int sd_destroy(struct rt_cgroup *cg, struct berth_err **err)
{
	cleanup(rt_dbus_closep) struct rt_dbus *d = NULL;
	cleanup(rt_dbus_msg_freep) struct rt_dbus_msg *reply = NULL;
	cleanup_free char *job = NULL;
	cleanup_free char *result = NULL;
	struct rt_dbus_buf body = {0};
	struct berth_err *e = NULL;
	int r;

	if (rt_dbus_open_systemd(&d, err) < 0 || subscribe(d, err) < 0)
		return berth_err_wrap(err, "stop systemd unit '%s'", sd_of(cg)->unit);
	rt_dbus_put_str(&body, 's', sd_of(cg)->unit);
	rt_dbus_put_str(&body, 's', "replace");
	r = rt_dbus_call(d, SD_PATH, SD_MANAGER, "StopUnit", "ss", &body, CALL_TIMEOUT_MS, &reply,
			 &e);
	rt_dbus_buf_clear(&body);
	if (r < 0 && e->code == BERTH_E_NOT_FOUND) {
		berth_err_free(&e); /* an empty scope is gone by itself */
		return 0;
	}
	if (r < 0) {
		if (err)
			*err = take_ptr(e);
		berth_err_free(&e);
		return berth_err_wrap(err, "stop systemd unit '%s'", sd_of(cg)->unit);
	}
	if (reply_job(reply, &job, err) < 0 || wait_job(d, job, &result, err) < 0)
		return berth_err_wrap(err, "stop systemd unit '%s'", sd_of(cg)->unit);
	/* a scope that failed (its init was killed) is reset so that its name can be reused */
	reset_failed(d, sd_of(cg)->unit);
	if (strcmp(result, "done") != 0)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "stop systemd unit '%s': job result '%s'", sd_of(cg)->unit,
				     result);
	return 0;
}

static int sd_update(struct rt_cgroup *cg, const struct oci_resources *res, struct berth_err **err)
{
	cleanup(rt_dbus_closep) struct rt_dbus *d = NULL;
	struct rt_dbus_buf body = {0}, none = {0};
	int r;

	rt_cgroup_systemd_set_body(&body, sd_of(cg)->unit, res, cg->mode == RT_CGROUP_V2);
	rt_cgroup_systemd_set_body(&none, sd_of(cg)->unit, NULL, cg->mode == RT_CGROUP_V2);
	r = body.len == none.len; /* no property to set */
	rt_dbus_buf_clear(&none);
	if (r) {
		rt_dbus_buf_clear(&body);
		return 0;
	}
	r = rt_dbus_open_systemd(&d, err);
	if (r == 0)
		r = rt_dbus_call(d, SD_PATH, SD_MANAGER, "SetUnitProperties", "sba(sv)", &body,
				 CALL_TIMEOUT_MS, NULL, err);
	rt_dbus_buf_clear(&body);
	if (r < 0)
		return berth_err_wrap(err, "set properties of systemd unit '%s'", sd_of(cg)->unit);
	return 0;
}

static int sd_available(const char *cgroups_path, const char *id, struct berth_err **err)
{
	if (access("/run/systemd/system", F_OK) < 0)
		return berth_err_new(
			err, BERTH_E_UNAVAILABLE,
			"linux.cgroupsPath: '%s': the systemd cgroup driver needs systemd, which is not running (no /run/systemd/system); use a cgroupfs path like '/berth/%s'",
			cgroups_path ? cgroups_path : "", id);
	return 0;
}

static int sd_resolve(struct rt_cgroup *cg, const char *cgroups_path, const char *id, char **path,
		      struct berth_err **err)
{
	struct sd_data *d = xnew(struct sd_data);

	cg->mgr_data = d;
	return rt_cgroup_systemd_resolve(cgroups_path, id, &d->slice, &d->unit, path, err);
}

static int sd_check_rootless(const struct rt_cgroup *cg, struct berth_err **err)
{
	return berth_err_new(
		err, BERTH_E_UNIMPLEMENTED,
		"--systemd-cgroup: rootless containers (the user's systemd instance) are not supported: use the cgroupfs driver");
}

static void sd_free(struct rt_cgroup *cg)
{
	struct sd_data *d = cg->mgr_data;

	if (!d)
		return;
	free(d->unit);
	free(d->slice);
	free(d);
	cg->mgr_data = NULL;
}

const struct rt_cgroup_manager rt_cgroup_manager_systemd = {
	.name = "systemd",
	.needs_pid = true,
	.available = sd_available,
	.resolve = sd_resolve,
	.check_rootless = sd_check_rootless,
	.start = sd_start,
	.update = sd_update,
	.destroy = sd_destroy,
	.free = sd_free,
};
