/*
 * spec/generate.c - the default config.json and the features document (see
 * generate.h). The default spec follows runc 1.1's `runc spec` (specconv.Example
 * and ToRootless), with berth's hostname and OCI version.
 */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "spec/caps.h"
#include "spec/generate.h"
#include "spec/mountopt.h"
#include "spec/names.h"
#include "spec/serialize_internal.h"

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};

static struct json_object *strs(const char *const *v)
{
	return oj_strv_json((char *const *)v);
}

static struct json_object *default_process(void)
{
	static const char *const args[] = {"sh", NULL};
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
		NULL};
	static const char *const sets[] = {"bounding", "effective", "permitted", "ambient"};
	struct json_object *p = json_object_new_object();
	struct json_object *user = json_object_new_object();
	struct json_object *caps = json_object_new_object();
	struct json_object *rl = json_object_new_object();
	struct json_object *rls = json_object_new_array();

	oj_put_bool(p, "terminal", true);
	oj_put_u64(user, "uid", 0);
	oj_put_u64(user, "gid", 0);
	json_object_object_add(p, "user", user);
	json_object_object_add(p, "args", strs(args));
	json_object_object_add(p, "env", strs(env));
	oj_put_str(p, "cwd", "/");
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		json_object_object_add(caps, sets[i], strs(default_caps));
	json_object_object_add(p, "capabilities", caps);
	oj_put_str(rl, "type", "RLIMIT_NOFILE");
	oj_put_u64(rl, "hard", 1024);
	oj_put_u64(rl, "soft", 1024);
	json_object_array_add(rls, rl);
	json_object_object_add(p, "rlimits", rls);
	oj_put_bool(p, "noNewPrivileges", true);
	return p;
}

static void add_mount(struct json_object *a, const char *dest, const char *type, const char *src,
		      const char *const *opts)
{
	struct json_object *m = json_object_new_object();

	oj_put_str(m, "destination", dest);
	oj_put_str(m, "type", type);
	oj_put_str(m, "source", src);
	if (opts)
		json_object_object_add(m, "options", strs(opts));
	json_object_array_add(a, m);
}

static struct json_object *default_mounts(bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
					  "mode=0620", "gid=5",	 NULL};
	static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
					  "mode=1777", "size=65536k", NULL};
	static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec",
						   "nodev", "ro",     NULL};
	static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
	const char *pts_opts[7];
	struct json_object *a = json_object_new_array();

	/* a rootless container cannot chown its ptys to the host's tty group */
	memcpy(pts_opts, pts, sizeof(pts));
	if (rootless)
		pts_opts[5] = NULL;
	add_mount(a, "/proc", "proc", "proc", NULL);
	add_mount(a, "/dev", "tmpfs", "tmpfs", dev);
	add_mount(a, "/dev/pts", "devpts", "devpts", pts_opts);
	add_mount(a, "/dev/shm", "tmpfs", "shm", shm);
	add_mount(a, "/dev/mqueue", "mqueue", "mqueue", mq);
	/* sysfs cannot be mounted without owning the network namespace */
	if (rootless)
		add_mount(a, "/sys", "none", "/sys", sys_rootless);
	else
		add_mount(a, "/sys", "sysfs", "sysfs", sys);
	add_mount(a, "/sys/fs/cgroup", "cgroup", "cgroup", cg);
	return a;
}

static void add_rootless_maps(struct json_object *l)
{
	struct oci_id_mapping uid = {0, (uint32_t)geteuid(), 1};
	struct oci_id_mapping gid = {0, (uint32_t)getegid(), 1};

	oj_put_idmaps(l, "uidMappings", &uid, 1);
	oj_put_idmaps(l, "gidMappings", &gid, 1);
}

static struct json_object *default_linux(bool rootless)
{
	static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount"};
	static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "user"};
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     NULL};
	static const char *const ro[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	struct json_object *l = json_object_new_object();
	struct json_object *nss = json_object_new_array();

	if (rootless) {
		add_rootless_maps(l);
	} else {
		struct json_object *res = json_object_new_object();
		struct json_object *devs = json_object_new_array();
		struct json_object *deny = json_object_new_object();

		oj_put_bool(deny, "allow", false);
		oj_put_str(deny, "access", "rwm");
		json_object_array_add(devs, deny);
		json_object_object_add(res, "devices", devs);
		json_object_object_add(l, "resources", res);
	}
	for (size_t i = 0; i < 5; i++) {
		struct json_object *e = json_object_new_object();

		oj_put_str(e, "type", rootless ? ns_rootless[i] : ns[i]);
		json_object_array_add(nss, e);
	}
	json_object_object_add(l, "namespaces", nss);
	json_object_object_add(l, "maskedPaths", strs(masked));
	json_object_object_add(l, "readonlyPaths", strs(ro));
	return l;
}

char *oci_spec_default_json(bool rootless)
{
	struct json_object *o = json_object_new_object();
	struct json_object *root = json_object_new_object();

	oj_put_str(o, "ociVersion", OCI_SPEC_VERSION);
	json_object_object_add(o, "process", default_process());
	oj_put_str(root, "path", "rootfs");
	oj_put_bool(root, "readonly", true);
	json_object_object_add(o, "root", root);
	oj_put_str(o, "hostname", "berth");
	json_object_object_add(o, "mounts", default_mounts(rootless));
	json_object_object_add(o, "linux", default_linux(rootless));
	return oj_text(o);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct json_object *names_json(const struct oci_name *t)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; t[i].name; i++)
		json_object_array_add(a, json_object_new_string(t[i].name));
	return a;
}

static struct json_object *mount_options_json(void)
{
	struct json_object *a = json_object_new_array();
	const char *v[128] = {NULL};
	size_t n = 0;

	while (n < 128 && oci_mount_option_name(n)) {
		v[n] = oci_mount_option_name(n);
		n++;
	}
	qsort(v, n, sizeof(v[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static struct json_object *enabled(bool on)
{
	struct json_object *o = json_object_new_object();

	oj_put_bool(o, "enabled", on);
	return o;
}

static struct json_object *features_seccomp(void)
{
	struct json_object *s = enabled(true);

	json_object_object_add(s, "actions", names_json(oci_seccomp_action_names));
	json_object_object_add(s, "operators", names_json(oci_seccomp_op_names));
	json_object_object_add(s, "archs", names_json(oci_seccomp_arch_names));
	json_object_object_add(s, "knownFlags", names_json(oci_seccomp_flag_names));
	json_object_object_add(s, "supportedFlags", names_json(oci_seccomp_flag_names));
	return s;
}

static struct json_object *features_linux(void)
{
	struct json_object *l = json_object_new_object();
	struct json_object *ns = json_object_new_array();
	struct json_object *caps = json_object_new_array();
	struct json_object *cg = json_object_new_object();
	struct json_object *ext = json_object_new_object();

	for (int i = 0; i < OCI_NS_COUNT; i++)
		json_object_array_add(ns, json_object_new_string(oci_ns_type_name(i)));
	json_object_object_add(l, "namespaces", ns);
	for (int i = 0; i <= OCI_CAP_LAST; i++)
		json_object_array_add(caps, json_object_new_string(oci_cap_name(i)));
	json_object_object_add(l, "capabilities", caps);
	oj_put_bool(cg, "v1", true);
	oj_put_bool(cg, "v2", true);
	oj_put_bool(cg, "systemd", true);
	oj_put_bool(cg, "systemdUser", false);
	oj_put_bool(cg, "rdma", true);
	json_object_object_add(l, "cgroup", cg);
	json_object_object_add(l, "seccomp", features_seccomp());
	json_object_object_add(l, "apparmor", enabled(true)); /* support, not the host (lsm.h) */
	json_object_object_add(l, "selinux", enabled(true));
	json_object_object_add(l, "intelRdt", enabled(false));
	json_object_object_add(ext, "idmap", enabled(true));
	json_object_object_add(l, "mountExtensions", ext);
	return l;
}

char *oci_features_json(void)
{
	static const char *const hooks[] = {"prestart",
					    "createRuntime",
					    "createContainer",
					    "startContainer",
					    "poststart",
					    "poststop",
					    NULL};
	struct json_object *o = json_object_new_object();
	struct json_object *ann = json_object_new_object();
	char ver[64];

	oj_put_str(o, "ociVersionMin", OCI_SPEC_VERSION_MIN);
	oj_put_str(o, "ociVersionMax", OCI_SPEC_VERSION);
	json_object_object_add(o, "hooks", strs(hooks));
	json_object_object_add(o, "mountOptions", mount_options_json());
	json_object_object_add(o, "linux", features_linux());
	snprintf(ver, sizeof(ver), "%d.%d.%d", SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
	oj_put_str(ann, "io.github.seccomp.libseccomp.version", ver);
	json_object_object_add(o, "annotations", ann);
	return oj_text(o);
}
