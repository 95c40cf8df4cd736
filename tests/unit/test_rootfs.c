/*
 * Unit tests for runtime/lib/rootfs (runs as root): a child process unshares
 * its mount (and UTS) namespace, builds a container view of a small busybox
 * rootfs with rt_rootfs_setup/pivot, rt_sysctl_apply and rt_rootfs_finish,
 * looks around from inside (stat, statfs, statvfs, readlink, mountinfo) and
 * reports "key=value" facts through a pipe; the tests assert on the facts.
 * Nothing is mounted in the test's own namespace; all paths live in a temp
 * bundle removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/rootfs.h"
#include "spec/config.h"
#include "spec/generate.h"
#include "spec/mountopt.h"

#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif

static char *bundle; /* temp bundle of the whole run */

/* ---- building the bundle and the spec ---- */

static void put(const char *path, const char *content, mode_t mode)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
}

static void mk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mk(const char *fmt, ...)
{
	struct berth_err *err = NULL;
	cleanup_free char *p = NULL;
	va_list ap;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	assert_int_equal(fs_mkdir_p(p, 0755, &err), 0);
}

static void copy_busybox(const char *dst)
{
	cleanup_free char *data = NULL;
	struct berth_err *err = NULL;
	size_t len;
	cleanup_close int fd = -1;

	assert_int_equal(fs_read_file(AT_FDCWD, "/bin/busybox", &data, &len, &err), 0);
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, data, len), (ssize_t)len);
}

/*
 * bundle/rootfs: bin/busybox, proc dev sys tmp etc, secret/key, rw/, copy/
 *   (seed 0640, link -> seed), evil -> <bundle>/outside (a host path),
 *   rootlink -> /
 * bundle/data/hello, bundle/hostfile, bundle/console, bundle/outside/
 */
static int group_setup(void **state)
{
	char tmpl[] = "/tmp/berth-test-rootfs-XXXXXX";
	cleanup_free char *p = NULL, *evil = NULL, *evil2 = NULL;

	if (geteuid() != 0) {
		fprintf(stderr, "test_rootfs: needs root\n");
		return -1;
	}
	bundle = xstrdup(mkdtemp(tmpl));
	mk("%s/rootfs/bin", bundle);
	mk("%s/rootfs/proc", bundle);
	mk("%s/rootfs/dev", bundle);
	mk("%s/rootfs/sys", bundle);
	mk("%s/rootfs/tmp", bundle);
	mk("%s/rootfs/etc", bundle);
	mk("%s/rootfs/secret", bundle);
	mk("%s/rootfs/rw", bundle);
	mk("%s/rootfs/copy", bundle);
	mk("%s/data/sub", bundle);
	mk("%s/outside", bundle);
	p = xasprintf("%s/rootfs/bin/busybox", bundle);
	copy_busybox(p);
	free(p);
	p = xasprintf("%s/rootfs/secret/key", bundle);
	put(p, "s3cret", 0600);
	free(p);
	p = xasprintf("%s/rootfs/etc/maskme", bundle);
	put(p, "visible", 0644);
	free(p);
	p = xasprintf("%s/rootfs/copy/seed", bundle);
	put(p, "seed content", 0640);
	free(p);
	p = xasprintf("%s/rootfs/copy/link", bundle);
	assert_int_equal(symlink("seed", p), 0);
	free(p);
	p = xasprintf("%s/rootfs/evil", bundle);
	evil = xasprintf("%s/outside", bundle);
	assert_int_equal(symlink(evil, p), 0);
	free(p);
	p = xasprintf("%s/rootfs/etc/hostname", bundle);
	evil2 = xasprintf("%s/secret", bundle);
	assert_int_equal(symlink(evil2, p), 0);
	free(p);
	put(evil2, "host secret", 0644);
	p = xasprintf("%s/rootfs/rootlink", bundle);
	assert_int_equal(symlink("/", p), 0);
	free(p);
	p = xasprintf("%s/data/hello", bundle);
	put(p, "hello", 0644);
	free(p);
	p = xasprintf("%s/hostfile", bundle);
	put(p, "host file", 0644);
	free(p);
	p = xasprintf("%s/console", bundle);
	put(p, "console", 0644);
	return 0;
}

static int group_teardown(void **state)
{
	struct berth_err *err = NULL;

	if (bundle)
		fs_rm_rf(bundle, &err);
	berth_err_free(&err);
	free(bundle);
	return 0;
}

static struct oci_spec *spec_new(void)
{
	struct oci_spec *s = xnew(struct oci_spec);

	s->root = xnew(struct oci_root);
	s->root->path = xstrdup("rootfs");
	s->linux_ = xnew(struct oci_linux);
	return s;
}

static void add_mount(struct oci_spec *s, const char *dest, const char *type, const char *src,
		      const char *opts)
{
	struct oci_mount *m;

	s->mounts = xreallocarray(s->mounts, s->n_mounts + 1, sizeof(*s->mounts));
	m = &s->mounts[s->n_mounts++];
	memset(m, 0, sizeof(*m));
	m->destination = xstrdup(dest);
	m->type = xstrdup_or_null(type);
	m->source = xstrdup_or_null(src);
	m->options = strv_split(opts, ",");
	oci_mount_compile(m);
}

static void add_device(struct oci_spec *s, char type, const char *path, int major, int minor,
		       mode_t mode, uid_t uid, gid_t gid)
{
	struct oci_linux *l = s->linux_;
	struct oci_device *d;

	l->devices = xreallocarray(l->devices, l->n_devices + 1, sizeof(*l->devices));
	d = &l->devices[l->n_devices++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->path = xstrdup(path);
	d->major = major;
	d->minor = minor;
	d->has_file_mode = d->has_uid = d->has_gid = true;
	d->file_mode = mode;
	d->uid = uid;
	d->gid = gid;
}

/* Lists a namespace in linux.namespaces (the scenario child creates its own). */
static void add_ns(struct oci_spec *s, enum oci_ns_type type)
{
	struct oci_linux *l = s->linux_;

	l->namespaces = xreallocarray(l->namespaces, l->n_namespaces + 1, sizeof(*l->namespaces));
	memset(&l->namespaces[l->n_namespaces], 0, sizeof(*l->namespaces));
	l->namespaces[l->n_namespaces++].type = type;
}

static void add_sysctl(struct oci_spec *s, const char *key, const char *value)
{
	struct oci_linux *l = s->linux_;

	l->sysctl = xreallocarray(l->sysctl, l->n_sysctl + 1, sizeof(*l->sysctl));
	l->sysctl[l->n_sysctl].key = xstrdup(key);
	l->sysctl[l->n_sysctl].value = xstrdup(value);
	l->n_sysctl++;
}

/* ---- facts, gathered in the child ---- */

static void fact(int fd, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fact(int fd, const char *key, const char *fmt, ...)
{
	cleanup_free char *v = NULL, *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	for (char *c = v; *c; c++)
		if (*c == '\n')
			*c = ' ';
	line = xasprintf("%s=%s\n", key, v);
	(void)fs_write_all(fd, line, strlen(line));
}

static const char *errname(int e)
{
	switch (e) {
	case ENOENT:
		return "ENOENT";
	case EROFS:
		return "EROFS";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	default:
		return strerror(e);
	}
}

static void fact_fs(int fd, const char *key, const char *path)
{
	struct statfs s;

	if (statfs(path, &s) < 0)
		return fact(fd, key, "%s", errname(errno));
	switch (s.f_type) {
	case PROC_SUPER_MAGIC:
		return fact(fd, key, "proc");
	case TMPFS_MAGIC:
		return fact(fd, key, "tmpfs");
	case DEVPTS_SUPER_MAGIC:
		return fact(fd, key, "devpts");
	case SYSFS_MAGIC:
		return fact(fd, key, "sysfs");
	case CGROUP_SUPER_MAGIC:
		return fact(fd, key, "cgroup");
	case CGROUP2_SUPER_MAGIC:
		return fact(fd, key, "cgroup2");
	default:
		return fact(fd, key, "other");
	}
}

static void fact_flags(int fd, const char *key, const char *path)
{
	struct statvfs s;

	if (statvfs(path, &s) < 0)
		return fact(fd, key, "%s", errname(errno));
	fact(fd, key, "%s%s%s%s", s.f_flag & ST_RDONLY ? "ro" : "rw",
	     s.f_flag & ST_NOSUID ? ",nosuid" : "", s.f_flag & ST_NODEV ? ",nodev" : "",
	     s.f_flag & ST_NOEXEC ? ",noexec" : "");
}

static void fact_node(int fd, const char *key, const char *path)
{
	struct stat st;
	const char *t;

	if (lstat(path, &st) < 0)
		return fact(fd, key, "%s", errname(errno));
	t = S_ISCHR(st.st_mode)	   ? "chr"
	    : S_ISBLK(st.st_mode)  ? "blk"
	    : S_ISFIFO(st.st_mode) ? "fifo"
	    : S_ISDIR(st.st_mode)  ? "dir"
	    : S_ISLNK(st.st_mode)  ? "lnk"
				   : "file";
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		fact(fd, key, "%s %u,%u %04o %u:%u", t, major(st.st_rdev), minor(st.st_rdev),
		     st.st_mode & 07777, st.st_uid, st.st_gid);
	else
		fact(fd, key, "%s %04o %u:%u", t, st.st_mode & 07777, st.st_uid, st.st_gid);
}

static void fact_link(int fd, const char *key, const char *path)
{
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return fact(fd, key, "%s", errname(errno));
	buf[n] = '\0';
	fact(fd, key, "%s", buf);
}

static void fact_read(int fd, const char *key, const char *path)
{
	cleanup_free char *data = NULL;
	struct berth_err *err = NULL;
	size_t len;

	if (fs_read_file_max(AT_FDCWD, path, 4096, &data, &len, &err) < 0) {
		fact(fd, key, "%s", errname(err->errnum));
		berth_err_free(&err);
		return;
	}
	fact(fd, key, "%s", data);
}

static void fact_write(int fd, const char *key, const char *path)
{
	int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (f < 0)
		return fact(fd, key, "%s", errname(errno));
	close(f);
	fact(fd, key, "ok");
}

static void fact_err(int fd, const char *key, int r, struct berth_err **err)
{
	if (r == 0)
		fact(fd, key, "ok");
	else
		fact(fd, key, "%s", *err ? (*err)->msg : "error without message");
	berth_err_free(err);
}

/* "shared", "slave", "shared,slave" or "private" for the mount at "/". */
static void fact_root_propagation(int fd, const char *key)
{
	cleanup_free char *mi = NULL;
	struct berth_err *err = NULL;
	cleanup(strv_freep) char **lines = NULL;

	if (fs_read_file_max(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &mi, NULL, &err) < 0) {
		fact_err(fd, key, -1, &err);
		return;
	}
	lines = strv_split(mi, "\n");
	strv_foreach (line, lines) {
		cleanup(strv_freep) char **f = strv_split(line, " ");
		bool shared = false, slave = false;

		if (strv_len(f) < 7 || strcmp(f[4], "/"))
			continue;
		for (size_t i = 6; f[i] && strcmp(f[i], "-"); i++) {
			shared |= !strncmp(f[i], "shared:", 7);
			slave |= !strncmp(f[i], "master:", 7);
		}
		return fact(fd, key, "%s",
			    shared && slave ? "shared,slave"
			    : shared	    ? "shared"
			    : slave	    ? "slave"
					    : "private");
	}
	fact(fd, key, "no mount at /");
}

static bool cgroup_tasks_has_self(const char *path)
{
	cleanup_free char *data = NULL;
	struct berth_err *err = NULL;
	cleanup(strv_freep) char **lines = NULL;
	char me[32];

	if (fs_read_file_max(AT_FDCWD, path, 1 << 20, &data, NULL, &err) < 0) {
		berth_err_free(&err);
		return false;
	}
	snprintf(me, sizeof(me), "%d", getpid());
	lines = strv_split(data, "\n");
	return strv_contains(lines, me);
}

/* ---- running a scenario in a child ---- */

typedef void (*scenario_fn)(int out, struct oci_spec *spec, struct rt_rootfs_opts *opts);

struct facts {
	char **lines; /* "key=value" */
};

static const char *get(struct facts *f, const char *key)
{
	size_t n = strlen(key);

	strv_foreach (l, f->lines) {
		if (!strncmp(l, key, n) && l[n] == '=')
			return l + n + 1;
	}
	return "(no such fact)";
}

/* Maps uid and gid 0 of the new user namespace to host root (what a process
 * may write for itself: its own ids, setgroups denied). */
static int map_self_root(int out)
{
	static const char *const files[][2] = {
		{"/proc/self/setgroups", "deny"},
		{"/proc/self/uid_map", "0 0 1"},
		{"/proc/self/gid_map", "0 0 1"},
	};
	struct berth_err *err = NULL;

	for (size_t i = 0; i < 3; i++)
		if (fs_write_string(AT_FDCWD, files[i][0], files[i][1], &err) < 0) {
			fact_err(out, "unshare", -1, &err);
			return -1;
		}
	return 0;
}

/*
 * Runs fn in a child that unshared the namespaces of flags (a mount namespace
 * at least); with CLONE_NEWPID, fn runs in a grandchild, pid 1 of the new
 * namespace. Returns the facts it wrote.
 */
static struct facts *run_child_ns(scenario_fn fn, struct oci_spec *spec,
				  struct rt_rootfs_opts *opts, int flags)
{
	cleanup_free char *out = NULL;
	struct berth_err *err = NULL;
	struct facts *f;
	int p[2], status;
	size_t len;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNS | flags) < 0) {
			fact(p[1], "unshare", "%s", strerror(errno));
			_exit(1);
		}
		if ((flags & CLONE_NEWUSER) && map_self_root(p[1]) < 0)
			_exit(1);
		if (flags & CLONE_NEWPID) {
			pid_t init = fork();

			if (init == 0) {
				fn(p[1], spec, opts);
				_exit(0);
			}
			_exit(init > 0 && waitpid(init, &status, 0) == init && WIFEXITED(status)
				      ? 0
				      : 1);
		}
		fn(p[1], spec, opts);
		_exit(0);
	}
	close(p[1]);
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
		assert_int_equal(fs_read_file_max(AT_FDCWD, path, 1 << 20, &out, &len, &err), 0);
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	f = xnew(struct facts);
	f->lines = strv_split(out, "\n");
	return f;
}

static struct facts *run_child(scenario_fn fn, struct oci_spec *spec, struct rt_rootfs_opts *opts)
{
	return run_child_ns(fn, spec, opts, CLONE_NEWUTS);
}

static void facts_free(struct facts *f)
{
	strv_free(f->lines);
	free(f);
}

/* ---- scenario "full": a runc-like default spec plus the cases under test ---- */

static int count_fds(void)
{
	cleanup_dir DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	return n;
}

static void full_scenario(int out, struct oci_spec *spec, struct rt_rootfs_opts *opts)
{
	struct berth_err *err = NULL;
	cleanup_free char *evil_host = xasprintf("%s/outside", bundle);
	cleanup_free char *evil_in = xasprintf("%s/rootfs%s/outside", bundle, bundle);
	cleanup_free char *hidden = xasprintf("%s/data/hello", bundle);
	cleanup_free char *secret_host = xasprintf("%s/secret", bundle);
	cleanup_free char *secret_in = xasprintf("%s/rootfs%s/secret", bundle, bundle);
	static const char *const devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
	int r, fds = count_fds();

	r = rt_rootfs_setup(spec, opts, &err);
	fact_err(out, "setup", r, &err);
	if (r < 0)
		return;
	/* before pivot_root the host's paths are still in view */
	fact_fs(out, "evil_host_fs", evil_host);
	fact_fs(out, "evil_inside_fs", evil_in);
	fact_read(out, "secret_host", secret_host);
	fact_read(out, "secret_inside", secret_in);
	fact_err(out, "pivot", rt_rootfs_pivot(spec, opts, &err), &err);
	fact_err(out, "sysctl", rt_sysctl_apply(spec, &err), &err);
	fact_err(out, "finish", rt_rootfs_finish(spec, opts, &err), &err);
	fact(out, "fds_left_open", "%d", count_fds() - fds);

	fact_node(out, "busybox", "/bin/busybox");
	fact(out, "host_data_hidden", "%s", access(hidden, F_OK) == 0 ? "visible" : errname(errno));
	fact_root_propagation(out, "root_propagation");
	fact_flags(out, "root_flags", "/");
	fact_write(out, "root_write", "/newfile");

	fact_fs(out, "proc_fs", "/proc");
	fact_fs(out, "dev_fs", "/dev");
	fact_flags(out, "dev_flags", "/dev");
	fact_fs(out, "pts_fs", "/dev/pts");
	fact_fs(out, "shm_fs", "/dev/shm");
	fact_write(out, "shm_write", "/dev/shm/x");
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		char key[32], path[32];

		snprintf(key, sizeof(key), "dev_%s", devs[i]);
		snprintf(path, sizeof(path), "/dev/%s", devs[i]);
		fact_node(out, key, path);
	}
	fact_node(out, "mydev", "/dev/sub/mydev");
	fact_node(out, "myfifo", "/dev/myfifo");
	fact_link(out, "link_fd", "/dev/fd");
	fact_link(out, "link_stdin", "/dev/stdin");
	fact_link(out, "link_stdout", "/dev/stdout");
	fact_link(out, "link_stderr", "/dev/stderr");
	fact_link(out, "link_ptmx", "/dev/ptmx");
	fact_link(out, "link_core", "/dev/core");
	fact_read(out, "console", "/dev/console");

	fact_flags(out, "data_flags", "/data");
	fact_read(out, "data_read", "/data/hello");
	fact_write(out, "data_write", "/data/new");
	fact_read(out, "boundfile_read", "/etc/bound/file");
	fact_flags(out, "boundfile_flags", "/etc/bound/file");
	fact_read(out, "relsrc_read", "/relsrc/hello");
	fact_flags(out, "rro_flags", "/rro");
	fact_flags(out, "rro_sub_flags", "/rro/sub");
	fact_read(out, "hostname_read", "/etc/hostname");

	fact_fs(out, "copy_fs", "/copy");
	fact_read(out, "copy_seed", "/copy/seed");
	fact_node(out, "copy_seed_node", "/copy/seed");
	fact_link(out, "copy_link", "/copy/link");

	fact_fs(out, "rotmp_fs", "/rotmp");
	fact_flags(out, "rotmp_flags", "/rotmp");

	fact_fs(out, "sys_fs", "/sys");
	fact_flags(out, "sys_flags", "/sys");
	fact_fs(out, "cg_fs", "/sys/fs/cgroup");
	fact_flags(out, "cg_flags", "/sys/fs/cgroup");
	fact_fs(out, "cg_memory_fs", "/sys/fs/cgroup/memory");
	fact_flags(out, "cg_memory_flags", "/sys/fs/cgroup/memory");
	fact(out, "cg_memory_has_self", "%s",
	     cgroup_tasks_has_self("/sys/fs/cgroup/memory/tasks") ? "yes" : "no");

	fact_node(out, "kcore", "/proc/kcore");
	fact_read(out, "kcore_read", "/proc/kcore");
	fact_node(out, "version", "/proc/version");
	fact_read(out, "version_read", "/proc/version");
	fact_node(out, "maskme", "/etc/maskme");
	fact_read(out, "maskme_read", "/etc/maskme");
	fact_fs(out, "secret_fs", "/secret");
	fact_flags(out, "secret_flags", "/secret");
	fact_read(out, "secret_key", "/secret/key");
	fact_flags(out, "procsys_flags", "/proc/sys");
	fact_flags(out, "rw_flags", "/rw");
	{
		char dom[128] = "";

		if (getdomainname(dom, sizeof(dom)) < 0)
			fact(out, "domainname", "%s", strerror(errno));
		else
			fact(out, "domainname", "%s", dom);
	}
}

static struct facts *full;

static int full_setup(void **state)
{
	struct oci_spec *s = spec_new();
	struct rt_rootfs_opts opts = {.bundle = bundle};
	cleanup_free char *console = xasprintf("%s/console", bundle);
	cleanup_free char *data = xasprintf("%s/data", bundle);
	cleanup_free char *hostfile = xasprintf("%s/hostfile", bundle);

	opts.console_path = console;
	s->root->readonly = true;
	add_mount(s, "/proc", "proc", "proc", "nosuid,noexec,nodev");
	add_mount(s, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
	add_mount(s, "/dev/pts", "devpts", "devpts",
		  "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5");
	add_mount(s, "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k");
	add_mount(s, "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro");
	add_mount(s, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro");
	add_mount(s, "/data", "bind", data, "rbind,ro,nosuid");
	add_mount(s, "/etc/bound/file", NULL, hostfile, "bind,ro");
	add_mount(s, "/relsrc", "bind", "data", "bind");
	add_mount(s, "/rro", "bind", data, "rbind,rro,rnosuid");
	add_mount(s, "/rro/sub", "tmpfs", "tmpfs", "");
	add_mount(s, "/etc/hostname", "bind", hostfile, "bind");
	add_mount(s, "/copy", "tmpfs", "tmpfs", "tmpcopyup,mode=755");
	add_mount(s, "/evil", "tmpfs", "tmpfs", "");
	add_mount(s, "/rotmp", "tmpfs", "tmpfs", "ro");
	add_device(s, 'c', "/dev/sub/mydev", 1, 3, 0640, 1000, 1000);
	add_device(s, 'p', "/dev/myfifo", 0, 0, 0600, 0, 0);
	add_device(s, 'c', "/dev/full", 1, 7, 0600, 0, 5);
	strv_push(&s->linux_->masked_paths, "/proc/kcore"); /* missing on some kernels */
	strv_push(&s->linux_->masked_paths, "/proc/version");
	strv_push(&s->linux_->masked_paths, "/etc/maskme");
	strv_push(&s->linux_->masked_paths, "/secret");
	strv_push(&s->linux_->masked_paths, "/nonexistent");
	strv_push(&s->linux_->readonly_paths, "/proc/sys");
	strv_push(&s->linux_->readonly_paths, "/rw");
	strv_push(&s->linux_->readonly_paths, "/missing");
	s->linux_->rootfs_propagation = xstrdup("shared");
	s->linux_->rootfs_propagation_flags = MS_SHARED;
	add_ns(s, OCI_NS_UTS);
	add_sysctl(s, "kernel.domainname", "berth.test");
	full = run_child(full_scenario, s, &opts);
	oci_spec_free(s);
	return 0;
}

static int full_teardown(void **state)
{
	facts_free(full);
	full = NULL;
	return 0;
}

#define assert_fact(key, want) assert_string_equal(get(full, key), want)

/* What fact_flags() reports for a bind of host path with extra flags added:
 * the host's nosuid/nodev/noexec are kept by a remount, as they must be. */
static char *host_flags(const char *path, unsigned long extra)
{
	struct statvfs s;
	unsigned long f;

	assert_int_equal(statvfs(path, &s), 0);
	f = (s.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY)) | extra;
	return xasprintf("%s%s%s%s", f & ST_RDONLY ? "ro" : "rw", f & ST_NOSUID ? ",nosuid" : "",
			 f & ST_NODEV ? ",nodev" : "", f & ST_NOEXEC ? ",noexec" : "");
}

static void every_step_succeeds(void **state)
{
	assert_fact("setup", "ok");
	assert_fact("pivot", "ok");
	assert_fact("sysctl", "ok");
	assert_fact("finish", "ok");
}

static void no_fd_is_left_open(void **state)
{
	assert_fact("fds_left_open", "0");
}

static void pivot_root_shows_the_rootfs_and_hides_the_host(void **state)
{
	assert_fact("busybox", "file 0755 0:0");
	assert_fact("host_data_hidden", "ENOENT");
}

static void root_readonly_makes_root_ro(void **state)
{
	cleanup_free char *want = host_flags(bundle, ST_RDONLY);

	assert_fact("root_flags", want);
	assert_fact("root_write", "EROFS");
}

static void rootfs_propagation_shared_makes_root_shared(void **state)
{
	assert_fact("root_propagation", "shared");
}

static void proc_dev_pts_shm_are_mounted(void **state)
{
	assert_fact("proc_fs", "proc");
	assert_fact("dev_fs", "tmpfs");
	assert_fact("dev_flags", "rw,nosuid");
	assert_fact("pts_fs", "devpts");
	assert_fact("shm_fs", "tmpfs");
	assert_fact("shm_write", "ok");
}

static void default_devices_are_created_0666_root(void **state)
{
	assert_fact("dev_null", "chr 1,3 0666 0:0");
	assert_fact("dev_zero", "chr 1,5 0666 0:0");
	assert_fact("dev_random", "chr 1,8 0666 0:0");
	assert_fact("dev_urandom", "chr 1,9 0666 0:0");
	assert_fact("dev_tty", "chr 5,0 0666 0:0");
}

static void linux_devices_get_type_mode_and_owner(void **state)
{
	assert_fact("mydev", "chr 1,3 0640 1000:1000");
	assert_fact("myfifo", "fifo 0600 0:0");
	/* a default device listed in linux.devices is made as the spec says */
	assert_fact("dev_full", "chr 1,7 0600 0:5");
}

static void dev_symlinks_point_into_proc_and_pts(void **state)
{
	assert_fact("link_fd", "/proc/self/fd");
	assert_fact("link_stdin", "/proc/self/fd/0");
	assert_fact("link_stdout", "/proc/self/fd/1");
	assert_fact("link_stderr", "/proc/self/fd/2");
	assert_fact("link_ptmx", "pts/ptmx");
	if (access("/proc/kcore", F_OK) == 0)
		assert_fact("link_core", "/proc/kcore");
}

static void console_path_is_bound_on_dev_console(void **state)
{
	assert_fact("console", "console");
}

static void bind_ro_nosuid_is_remounted_with_its_flags(void **state)
{
	cleanup_free char *want = host_flags(bundle, ST_RDONLY | ST_NOSUID);

	assert_fact("data_flags", want);
	assert_fact("data_read", "hello");
	assert_fact("data_write", "EROFS");
}

static void file_bind_creates_its_destination_file(void **state)
{
	cleanup_free char *want = host_flags(bundle, ST_RDONLY);

	assert_fact("boundfile_read", "host file");
	assert_fact("boundfile_flags", want);
}

static void relative_bind_source_is_relative_to_the_bundle(void **state)
{
	assert_fact("relsrc_read", "hello");
}

static void recursive_attributes_apply_to_the_mount_itself(void **state)
{
	cleanup_free char *want = host_flags(bundle, ST_RDONLY | ST_NOSUID);

	/* "rro" is mount_setattr(AT_RECURSIVE) on the bind; /rro/sub is mounted
	 * after it, so it stays as its own options say */
	assert_fact("rro_flags", want);
	assert_fact("rro_sub_flags", "rw");
}

static void tmpcopyup_copies_the_directory_into_the_tmpfs(void **state)
{
	assert_fact("copy_fs", "tmpfs");
	assert_fact("copy_seed", "seed content");
	assert_fact("copy_seed_node", "file 0640 0:0");
	assert_fact("copy_link", "seed");
}

static void tmpfs_ro_is_readonly_after_setup(void **state)
{
	assert_fact("rotmp_fs", "tmpfs");
	assert_fact("rotmp_flags", "ro");
}

static void sysfs_and_cgroup_v1_are_mounted_ro(void **state)
{
	struct statfs sfs;

	assert_fact("sys_fs", "sysfs");
	assert_fact("sys_flags", "ro,nosuid,nodev,noexec");
	assert_int_equal(statfs("/sys/fs/cgroup", &sfs), 0);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		assert_fact("cg_fs", "cgroup2");
		return;
	}
	assert_fact("cg_fs", "tmpfs");
	assert_fact("cg_flags", "ro,nosuid,nodev,noexec");
	assert_fact("cg_memory_fs", "cgroup");
	assert_fact("cg_memory_flags", "ro,nosuid,nodev,noexec");
	/* the bind shows the container's own cgroup, which holds the child */
	assert_fact("cg_memory_has_self", "yes");
}

static void symlink_to_host_path_mounts_inside_the_rootfs(void **state)
{
	/* rootfs/evil -> <bundle>/outside: the tmpfs must land in
	 * rootfs/<bundle>/outside, never on the host's <bundle>/outside */
	assert_fact("evil_host_fs", "other");
	assert_fact("evil_inside_fs", "tmpfs");
}

static void file_bind_through_host_symlink_lands_inside_the_rootfs(void **state)
{
	/* rootfs/etc/hostname -> <bundle>/secret (a host file): the bind goes to
	 * rootfs/<bundle>/secret, created empty; the host file is untouched */
	assert_fact("hostname_read", "host file");
	assert_fact("secret_host", "host secret");
	assert_fact("secret_inside", "host file");
}

static void masked_paths_hide_files_and_dirs(void **state)
{
	if (access("/proc/kcore", F_OK) == 0) {
		assert_fact("kcore", "chr 1,3 0666 0:0");
		assert_fact("kcore_read", "");
	} else {
		assert_fact("kcore", "ENOENT"); /* a missing masked path is skipped */
	}
	assert_fact("version", "chr 1,3 0666 0:0");
	assert_fact("version_read", "");
	assert_fact("maskme", "chr 1,3 0666 0:0");
	assert_fact("maskme_read", "");
	assert_fact("secret_fs", "tmpfs");
	assert_fact("secret_flags", "ro");
	assert_fact("secret_key", "ENOENT");
}

static void readonly_paths_are_remounted_ro(void **state)
{
	cleanup_free char *want = host_flags(bundle, ST_RDONLY);

	assert_fact("procsys_flags", "ro,nosuid,nodev,noexec");
	assert_fact("rw_flags", want);
}

static void sysctl_is_written_in_the_container_namespaces(void **state)
{
	char dom[128] = "";

	assert_fact("domainname", "berth.test");
	/* the test's own UTS namespace is untouched */
	assert_int_equal(getdomainname(dom, sizeof(dom)), 0);
	assert_string_not_equal(dom, "berth.test");
}

static void nothing_leaked_to_the_host_namespace(void **state)
{
	cleanup_free char *proc = xasprintf("%s/rootfs/proc", bundle);
	cleanup_free char *evil = xasprintf("%s/outside", bundle);
	struct statfs sfs;

	assert_int_equal(statfs(proc, &sfs), 0);
	assert_int_not_equal(sfs.f_type, PROC_SUPER_MAGIC);
	assert_int_equal(statfs(evil, &sfs), 0);
	assert_int_not_equal(sfs.f_type, TMPFS_MAGIC);
}

/* ---- scenarios that must fail, and their messages ---- */

static void setup_only(int out, struct oci_spec *spec, struct rt_rootfs_opts *opts)
{
	struct berth_err *err = NULL;

	fact_err(out, "setup", rt_rootfs_setup(spec, opts, &err), &err);
}

static char *setup_error(const char *dest, const char *type, const char *src, const char *o)
{
	struct oci_spec *s = spec_new();
	struct rt_rootfs_opts opts = {.bundle = bundle};
	struct facts *f;
	char *msg;

	add_mount(s, "/proc", "proc", "proc", "");
	add_mount(s, dest, type, src, o);
	f = run_child(setup_only, s, &opts);
	msg = xstrdup(get(f, "setup"));
	facts_free(f);
	oci_spec_free(s);
	return msg;
}

static void failing_mount_error_names_the_mount_and_cause(void **state)
{
	cleanup_free char *msg = setup_error("/x", "nosuchfs", "none", "");

	assert_string_equal(msg, "mounts[1] '/x': mount 'none' on '/x': No such device");
}

static void mount_over_root_is_refused(void **state)
{
	cleanup_free char *msg = setup_error("/../", "tmpfs", "tmpfs", "");

	assert_string_equal(msg, "mounts[1] '/../': refusing to mount over the container root");
}

static void destination_symlink_to_root_is_refused(void **state)
{
	cleanup_free char *msg = setup_error("/rootlink", "tmpfs", "tmpfs", "");

	assert_string_equal(
		msg,
		"mounts[1] '/rootlink': destination '/rootlink' resolves to the container root");
}

static void mount_inside_proc_is_refused(void **state)
{
	cleanup_free char *msg = setup_error("/proc/sys", "tmpfs", "tmpfs", "");

	assert_string_equal(
		msg,
		"mounts[1] '/proc/sys': '/proc/sys' cannot be mounted because it is inside /proc");
}

static void missing_bind_source_is_named(void **state)
{
	cleanup_free char *msg = setup_error("/y", "bind", "/nonexistent-berth-src", "bind");

	assert_string_equal(
		msg,
		"mounts[1] '/y': stat source '/nonexistent-berth-src': No such file or directory");
}

static void sysctl_key_with_dotdot_or_slash_is_refused(void **state)
{
	struct oci_spec *s = spec_new();
	struct berth_err *err = NULL;

	add_sysctl(s, "kernel..x", "1");
	assert_int_equal(rt_sysctl_apply(s, &err), -1);
	assert_string_equal(err->msg, "linux.sysctl 'kernel..x': invalid key");
	assert_int_equal(err->code, BERTH_E_INVALID);
	berth_err_free(&err);
	free(s->linux_->sysctl[0].key);
	s->linux_->sysctl[0].key = xstrdup("net/../../etc");
	assert_int_equal(rt_sysctl_apply(s, &err), -1);
	assert_string_equal(err->msg, "linux.sysctl 'net/../../etc': invalid key");
	berth_err_free(&err);
	oci_spec_free(s);
}

static void sysctl_unknown_key_error_names_key_and_file(void **state)
{
	struct oci_spec *s = spec_new();
	struct berth_err *err = NULL;

	add_ns(s, OCI_NS_NETWORK);
	add_sysctl(s, "net.berth_no_such_key", "1");
	assert_int_equal(rt_sysctl_apply(s, &err), -1);
	assert_string_equal(
		err->msg,
		"linux.sysctl 'net.berth_no_such_key': open '/proc/sys/net/berth_no_such_key': No such file or directory");
	berth_err_free(&err);
	oci_spec_free(s);
}

/* regression: vm.swappiness from a container's config was written to the host */
static void sysctl_outside_the_container_namespaces_is_refused_before_any_write(void **state)
{
	struct oci_spec *s = spec_new();
	struct berth_err *err = NULL;

	add_ns(s, OCI_NS_NETWORK);
	add_sysctl(s, "net.berth_no_such_key", "1");
	add_sysctl(s, "vm.swappiness", "60");
	assert_int_equal(rt_sysctl_check(s, &err), -1);
	assert_string_equal(
		err->msg,
		"linux.sysctl 'vm.swappiness': not in a separate kernel namespace: setting it would change the host");
	berth_err_free(&err);
	/* the error comes from the check: the first (writable-looking) key was not tried */
	assert_int_equal(rt_sysctl_apply(s, &err), -1);
	assert_non_null(strstr(err->msg, "vm.swappiness"));
	berth_err_free(&err);
	free(s->linux_->sysctl[1].key);
	s->linux_->sysctl[1].key = xstrdup("kernel.hostname");
	assert_int_equal(rt_sysctl_check(s, &err), -1);
	assert_string_equal(
		err->msg,
		"linux.sysctl 'kernel.hostname': needs a uts namespace in linux.namespaces");
	berth_err_free(&err);
	oci_spec_free(s);
}

/* ---- user namespace mode (bind devices) and no_pivot ---- */

static void userns_and_chroot_scenario(int out, struct oci_spec *spec, struct rt_rootfs_opts *opts)
{
	struct berth_err *err = NULL;
	cleanup_free char *hidden = xasprintf("%s/data/hello", bundle);
	cleanup_free char *mi = NULL;
	int r = rt_rootfs_setup(spec, opts, &err);

	fact_err(out, "setup", r, &err);
	if (r < 0)
		return;
	fact_err(out, "pivot", rt_rootfs_pivot(spec, opts, &err), &err);
	fact_err(out, "finish", rt_rootfs_finish(spec, opts, &err), &err);
	fact_node(out, "dev_null", "/dev/null");
	fact_node(out, "busybox", "/bin/busybox");
	fact(out, "host_data_hidden", "%s", access(hidden, F_OK) == 0 ? "visible" : errname(errno));
	if (fs_read_file_max(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &mi, NULL, &err) < 0)
		return fact_err(out, "dev_null_mounted", -1, &err);
	fact(out, "dev_null_mounted", "%s", strstr(mi, " /dev/null ") ? "yes" : "no");
}

static void userns_binds_host_devices_and_no_pivot_chroots(void **state)
{
	struct oci_spec *s = spec_new();
	struct rt_rootfs_opts opts = {.bundle = bundle, .userns = true, .no_pivot = true};
	struct facts *f;

	add_mount(s, "/proc", "proc", "proc", "");
	add_mount(s, "/dev", "tmpfs", "tmpfs", "mode=755");
	f = run_child(userns_and_chroot_scenario, s, &opts);
	assert_string_equal(get(f, "setup"), "ok");
	assert_string_equal(get(f, "pivot"), "ok");
	assert_string_equal(get(f, "finish"), "ok");
	assert_string_equal(get(f, "dev_null"), "chr 1,3 0666 0:0");
	assert_string_equal(get(f, "dev_null_mounted"), "yes");
	assert_string_equal(get(f, "busybox"), "file 0755 0:0");
	assert_string_equal(get(f, "host_data_hidden"), "ENOENT");
	facts_free(f);
	oci_spec_free(s);
}

/* ---- cgroup namespace ---- */

/* The root (field 4 of mountinfo) of the mount at mnt, as the process sees it. */
static void fact_mount_root(int out, const char *key, const char *mnt)
{
	cleanup_free char *mi = NULL;
	struct berth_err *err = NULL;
	cleanup(strv_freep) char **lines = NULL;

	if (fs_read_file_max(AT_FDCWD, "/proc/self/mountinfo", 1 << 20, &mi, NULL, &err) < 0)
		return fact_err(out, key, -1, &err);
	lines = strv_split(mi, "\n");
	strv_foreach (line, lines) {
		cleanup(strv_freep) char **f = strv_split(line, " ");

		if (strv_len(f) > 4 && !strcmp(f[4], mnt))
			return fact(out, key, "%s", f[3]);
	}
	fact(out, key, "not mounted");
}

static void cgroupns_scenario(int out, struct oci_spec *spec, struct rt_rootfs_opts *opts)
{
	struct berth_err *err = NULL;
	int r = rt_rootfs_setup(spec, opts, &err);

	fact_err(out, "setup", r, &err);
	if (r < 0)
		return;
	fact_err(out, "pivot", rt_rootfs_pivot(spec, opts, &err), &err);
	fact_fs(out, "cg_memory_fs", "/sys/fs/cgroup/memory");
	fact_flags(out, "cg_memory_flags", "/sys/fs/cgroup/memory");
	fact_mount_root(out, "cg_memory_root", "/sys/fs/cgroup/memory");
	fact(out, "cg_memory_has_self", "%s",
	     cgroup_tasks_has_self("/sys/fs/cgroup/memory/tasks") ? "yes" : "no");
	fact_link(out, "cg_cpu_link", "/sys/fs/cgroup/cpu");
}

static void cgroup_namespace_mounts_each_v1_hierarchy_at_its_root(void **state)
{
	struct oci_spec *s = spec_new();
	struct rt_rootfs_opts opts = {.bundle = bundle};
	struct statfs sfs;
	struct facts *f;

	assert_int_equal(statfs("/sys/fs/cgroup", &sfs), 0);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		skip();
	s->linux_->namespaces = xnew(struct oci_namespace);
	s->linux_->namespaces[0].type = OCI_NS_CGROUP;
	s->linux_->n_namespaces = 1;
	add_mount(s, "/proc", "proc", "proc", "");
	add_mount(s, "/sys", "sysfs", "sysfs", "ro");
	add_mount(s, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,ro");
	f = run_child_ns(cgroupns_scenario, s, &opts, CLONE_NEWCGROUP);
	assert_string_equal(get(f, "setup"), "ok");
	assert_string_equal(get(f, "pivot"), "ok");
	assert_string_equal(get(f, "cg_memory_fs"), "cgroup");
	assert_string_equal(get(f, "cg_memory_flags"), "ro,nosuid,nodev,noexec");
	assert_string_equal(get(f, "cg_memory_root"), "/");
	assert_string_equal(get(f, "cg_memory_has_self"), "yes");
	facts_free(f);
	oci_spec_free(s);
}

/* idmount.h: the parent makes idmapped trees; without one the child must not
 * fall back to a plain bind, which would show the files with unmapped owners */
static void id_mapped_mount_not_prepared_is_refused(void **state)
{
	struct oci_spec *s = spec_new();
	struct rt_rootfs_opts opts = {.bundle = bundle};
	struct facts *f;

	add_mount(s, "/data", "bind", "data", "rbind");
	s->mounts[0].uid_mappings = xnew(struct oci_id_mapping);
	s->mounts[0].n_uid_mappings = 1;
	f = run_child(setup_only, s, &opts);
	assert_string_equal(get(f, "setup"), "mounts[0] '/data': idmapped mount was not prepared");
	facts_free(f);
	oci_spec_free(s);
}

/* ---- the default specs of `berth spec` / `berth spec --rootless` ---- */

static void default_scenario(int out, struct oci_spec *spec, struct rt_rootfs_opts *opts)
{
	struct berth_err *err = NULL;
	int r = rt_rootfs_setup(spec, opts, &err);

	fact_err(out, "setup", r, &err);
	if (r < 0)
		return;
	fact_err(out, "pivot", rt_rootfs_pivot(spec, opts, &err), &err);
	fact_err(out, "sysctl", rt_sysctl_apply(spec, &err), &err);
	fact_err(out, "finish", rt_rootfs_finish(spec, opts, &err), &err);
	fact_fs(out, "proc_fs", "/proc");
	fact_fs(out, "sys_fs", "/sys");
	fact_flags(out, "sys_flags", "/sys");
	fact_flags(out, "procsys_flags", "/proc/sys");
	fact_fs(out, "cg_memory_fs", "/sys/fs/cgroup/memory");
	fact_flags(out, "cg_memory_flags", "/sys/fs/cgroup/memory");
	fact_fs(out, "pts_fs", "/dev/pts");
	fact_node(out, "dev_null", "/dev/null");
	fact(out, "pid", "%d", getpid());
	fact_read(out, "uid_map", "/proc/self/uid_map");
	{
		struct statfs sfs;

		fact(out, "mqueue", "%s",
		     statfs("/dev/mqueue", &sfs) < 0 ? strerror(errno)
		     : sfs.f_type == 0x19800202	     ? "mqueue"
						     : "other");
	}
}

static struct facts *run_default(bool rootless, bool sysfs, int flags)
{
	cleanup_free char *json = oci_spec_default_json(rootless);
	struct rt_rootfs_opts opts = {.bundle = bundle, .userns = rootless};
	struct oci_spec *s = NULL;
	struct berth_err *err = NULL;
	struct facts *f;

	if (oci_spec_parse(json, strlen(json), "config.json", &s, &err) < 0)
		fail_msg("default spec does not parse: %s", err->msg);
	for (size_t i = 0; sysfs && i < s->n_mounts; i++) {
		struct oci_mount *m = &s->mounts[i];

		if (strcmp(m->destination, "/sys"))
			continue;
		/* a plain sysfs mount, which a user namespace without its own
		 * network namespace may not make: berth must bind /sys instead */
		free(m->type);
		m->type = xstrdup("sysfs");
		strv_free(m->options);
		m->options = strv_split("nosuid,noexec,nodev,ro", ",");
		oci_mount_compile(m);
	}
	f = run_child_ns(default_scenario, s, &opts, flags);
	oci_spec_free(s);
	return f;
}

static void assert_default_container(struct facts *f, const char *dev_null)
{
	struct statfs sfs;

	assert_string_equal(get(f, "setup"), "ok");
	assert_string_equal(get(f, "pivot"), "ok");
	assert_string_equal(get(f, "sysctl"), "ok");
	assert_string_equal(get(f, "finish"), "ok");
	assert_string_equal(get(f, "pid"), "1");
	assert_string_equal(get(f, "proc_fs"), "proc");
	assert_string_equal(get(f, "sys_fs"), "sysfs");
	assert_string_equal(get(f, "sys_flags"), "ro,nosuid,nodev,noexec");
	assert_string_equal(get(f, "procsys_flags"), "ro"); /* the default /proc has no options */
	assert_string_equal(get(f, "pts_fs"), "devpts");
	assert_string_equal(get(f, "mqueue"), "mqueue");
	assert_string_equal(get(f, "dev_null"), dev_null);
	assert_int_equal(statfs("/sys/fs/cgroup", &sfs), 0);
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		assert_string_equal(get(f, "cg_memory_fs"), "cgroup");
		assert_string_equal(get(f, "cg_memory_flags"), "ro,nosuid,nodev,noexec");
	}
}

static void default_spec_builds_a_runc_like_container(void **state)
{
	struct facts *f = run_default(false, false, CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID);

	assert_default_container(f, "chr 1,3 0666 0:0");
	assert_string_equal(get(f, "uid_map"), "         0          0 4294967295 ");
	facts_free(f);
}

static void rootless_default_spec_works_in_a_user_namespace(void **state)
{
	/* uid 0 maps to host root here, but the mounts are owned by a user
	 * namespace: mknod, sysfs and clearing locked flags are refused */
	struct facts *f = run_default(true, false,
				      CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID);

	assert_default_container(f, "chr 1,3 0666 0:0");
	assert_string_equal(get(f, "uid_map"), "         0          0          1 ");
	facts_free(f);
}

static void sysfs_in_a_user_namespace_without_netns_binds_host_sys(void **state)
{
	struct facts *f =
		run_default(true, true, CLONE_NEWUSER | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID);

	assert_default_container(f, "chr 1,3 0666 0:0");
	facts_free(f);
}

static int all_setup(void **state)
{
	if (group_setup(state) < 0)
		return -1;
	return full_setup(state);
}

static int all_teardown(void **state)
{
	full_teardown(state);
	return group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_step_succeeds),
		cmocka_unit_test(no_fd_is_left_open),
		cmocka_unit_test(pivot_root_shows_the_rootfs_and_hides_the_host),
		cmocka_unit_test(root_readonly_makes_root_ro),
		cmocka_unit_test(rootfs_propagation_shared_makes_root_shared),
		cmocka_unit_test(proc_dev_pts_shm_are_mounted),
		cmocka_unit_test(default_devices_are_created_0666_root),
		cmocka_unit_test(linux_devices_get_type_mode_and_owner),
		cmocka_unit_test(dev_symlinks_point_into_proc_and_pts),
		cmocka_unit_test(console_path_is_bound_on_dev_console),
		cmocka_unit_test(bind_ro_nosuid_is_remounted_with_its_flags),
		cmocka_unit_test(file_bind_creates_its_destination_file),
		cmocka_unit_test(relative_bind_source_is_relative_to_the_bundle),
		cmocka_unit_test(recursive_attributes_apply_to_the_mount_itself),
		cmocka_unit_test(tmpcopyup_copies_the_directory_into_the_tmpfs),
		cmocka_unit_test(tmpfs_ro_is_readonly_after_setup),
		cmocka_unit_test(sysfs_and_cgroup_v1_are_mounted_ro),
		cmocka_unit_test(symlink_to_host_path_mounts_inside_the_rootfs),
		cmocka_unit_test(file_bind_through_host_symlink_lands_inside_the_rootfs),
		cmocka_unit_test(masked_paths_hide_files_and_dirs),
		cmocka_unit_test(readonly_paths_are_remounted_ro),
		cmocka_unit_test(sysctl_is_written_in_the_container_namespaces),
		cmocka_unit_test(nothing_leaked_to_the_host_namespace),
		cmocka_unit_test(failing_mount_error_names_the_mount_and_cause),
		cmocka_unit_test(mount_over_root_is_refused),
		cmocka_unit_test(destination_symlink_to_root_is_refused),
		cmocka_unit_test(mount_inside_proc_is_refused),
		cmocka_unit_test(missing_bind_source_is_named),
		cmocka_unit_test(sysctl_key_with_dotdot_or_slash_is_refused),
		cmocka_unit_test(sysctl_unknown_key_error_names_key_and_file),
		cmocka_unit_test(
			sysctl_outside_the_container_namespaces_is_refused_before_any_write),
		cmocka_unit_test(userns_binds_host_devices_and_no_pivot_chroots),
		cmocka_unit_test(cgroup_namespace_mounts_each_v1_hierarchy_at_its_root),
		cmocka_unit_test(id_mapped_mount_not_prepared_is_refused),
		cmocka_unit_test(default_spec_builds_a_runc_like_container),
		cmocka_unit_test(rootless_default_spec_works_in_a_user_namespace),
		cmocka_unit_test(sysfs_in_a_user_namespace_without_netns_binds_host_sys),
	};

	return cmocka_run_group_tests(tests, all_setup, all_teardown);
}
