/*
 * Unit tests for runtime/lib/cgroup/ (cgroup*.c) on the real cgroupfs of the host (root).
 *
 * Every test works under its own "/berth-unit-<pid>-<n>" cgroup and removes
 * it. What the host has (v1, hybrid, v2; which controllers are mounted where;
 * which files the kernel offers) is re-derived here from /proc/self/mountinfo
 * and the cgroup files, never assumed; a test whose precondition the host
 * lacks is skipped with a reason. The pure v2 code runs on any host with a
 * cgroup2 mount through rt_cgroup_set_mountinfo() and a one-line mountinfo.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "spec/config.h"

/* ---- what the host has, from mountinfo ---- */

struct host {
	bool v1_ctrl;	 /* some v1 hierarchy binds a real controller */
	char *v2_mnt;	 /* a cgroup2 mount point or NULL */
	char **v1_ctrls; /* every controller bound by a v1 hierarchy */
};

static struct host host;

static void host_scan(void)
{
	static const char *const real[] = {"cpu",      "cpuacct",    "cpuset", "memory",  "devices",
					   "freezer",  "blkio",	     "pids",   "hugetlb", "net_cls",
					   "net_prio", "perf_event", "rdma",   "misc",	  NULL};
	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *line = NULL;
	size_t cap = 0;

	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		char type[32], src[256], opts[512], mnt[512];

		if (!sep || sscanf(sep + 3, "%31s %255s %511s", type, src, opts) != 3 ||
		    sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1)
			continue;
		if (strcmp(type, "cgroup2") == 0 &&
		    (!host.v2_mnt || strcmp(mnt, "/sys/fs/cgroup") == 0)) {
			free(host.v2_mnt);
			host.v2_mnt = xstrdup(mnt);
		}
		if (strcmp(type, "cgroup") != 0)
			continue;
		for (size_t i = 0; real[i]; i++) {
			cleanup(strv_freep) char **o = strv_split(opts, ",");

			if (strv_contains(o, real[i])) {
				host.v1_ctrl = true;
				strv_push(&host.v1_ctrls, real[i]);
			}
		}
	}
}

static int group_setup(void **state)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_cgroup needs root\n");
		return -1;
	}
	host_scan();
	return 0;
}

static int group_teardown(void **state)
{
	free(host.v2_mnt);
	strv_free(host.v1_ctrls);
	return 0;
}

/* ---- helpers ---- */

static char *unique(const char *leaf)
{
	static int n;

	return xasprintf("/berth-unit-%d-%d/%s", (int)getpid(), n++, leaf);
}

static char *slurp(const char *dir, const char *file)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	struct berth_err *err = NULL;
	char *s = NULL;
	size_t len;

	if (fs_read_file_max(AT_FDCWD, p, 1 << 20, &s, &len, &err) < 0)
		fail_msg("read '%s': %s", p, err->msg);
	while (len && s[len - 1] == '\n')
		s[--len] = '\0';
	return s;
}

static void assert_file(const char *dir, const char *file, const char *want)
{
	cleanup_free char *got = slurp(dir, file);

	if (strcmp(got, want) != 0)
		fail_msg("%s/%s: expected '%s', got '%s'", dir, file, want, got);
}

/* err by address: it is read after the call that sets it */
static void assert_ok(int r, struct berth_err **err)
{
	if (r < 0)
		fail_msg("unexpected error: %s", *err ? (*err)->msg : "(none)");
}

static void assert_err(int r, struct berth_err **err, const char *want)
{
	if (r >= 0)
		fail_msg("expected error '%s', got success", want);
	assert_non_null(*err);
	if (strcmp((*err)->msg, want) != 0)
		fail_msg("expected '%s', got '%s'", want, (*err)->msg);
	berth_err_free(err);
}

static bool has_file(const char *dir, const char *file)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);

	return access(p, F_OK) == 0;
}

static bool is_v2(const struct rt_cgroup *cg, const char *ctrl)
{
	const char *p = rt_cgroup_path(cg, ctrl), *u = rt_cgroup_path(cg, "");

	return p && u && strcmp(p, u) == 0;
}

/* A child that waits on a pipe until the parent moved it, then runs fn. */
struct child {
	pid_t pid;
	int go; /* write end */
};

static struct child spawn(int (*fn)(void))
{
	int p[2];
	struct child c;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		char b;

		close(p[1]);
		if (read(p[0], &b, 1) != 1)
			_exit(120);
		_exit(fn ? fn() : 0);
	}
	close(p[0]);
	c.go = p[1];
	return c;
}

static void release(struct child *c)
{
	assert_int_equal(write(c->go, "x", 1), 1);
	close(c->go);
}

static int do_pause(void)
{
	for (;;)
		pause();
	return 0;
}

static int wait_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void destroy_and_check_gone(struct rt_cgroup *cg)
{
	struct berth_err *err = NULL;
	const char *ctrls[] = {"memory", "cpu", "pids", "freezer", "devices", "", NULL};

	assert_ok(rt_cgroup_destroy(cg, &err), &err);
	for (size_t i = 0; ctrls[i]; i++) {
		const char *p = rt_cgroup_path(cg, ctrls[i]);
		cleanup_free char *parent = p ? xstrdup(p) : NULL;

		if (!p)
			continue;
		if (access(p, F_OK) == 0)
			fail_msg("'%s' still exists after destroy", p);
		/* the per-test parent level was created by the module, so it goes too */
		*strrchr(parent, '/') = '\0';
		if (access(parent, F_OK) == 0)
			fail_msg("'%s' still exists after destroy", parent);
	}
}

/* ---- tests ---- */

static void layout_detection_matches_mountinfo(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	struct berth_err *err = NULL;
	enum rt_cgroup_mode want =
		host.v1_ctrl ? (host.v2_mnt ? RT_CGROUP_HYBRID : RT_CGROUP_V1) : RT_CGROUP_V2;

	assert_ok(rt_cgroup_open(NULL, "abc", false, &cg, &err), &err);
	assert_int_equal(rt_cgroup_mode(cg), want);
	if (host.v2_mnt) {
		cleanup_free char *u = xasprintf("%s/berth/abc", host.v2_mnt);

		assert_string_equal(rt_cgroup_path(cg, ""), u);
	} else {
		assert_null(rt_cgroup_path(cg, ""));
	}
	strv_foreach (c, host.v1_ctrls)
		assert_false(is_v2(cg, c));
}

static void paths_are_a_pure_function_of_cgroups_path_and_id(void **state)
{
	struct berth_err *err = NULL;
	struct {
		const char *in, *want;
	} cases[] = {
		{NULL, "/berth/abc"}, {"", "/berth/abc"},   {"/a//b/../c/", "/a/c"},
		{"x/./y", "/x/y"},    {"/../../up", "/up"}, {"/default/abc", "/default/abc"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;

		assert_ok(rt_cgroup_open(cases[i].in, "abc", false, &cg, &err), &err);
		assert_string_equal(rt_cgroup_name(cg), cases[i].want);
	}
}

static void systemd_syntax_and_root_path_are_refused(void **state)
{
	struct rt_cgroup *cg = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(rt_cgroup_open("system.slice:berth:abc", "abc", false, &cg, &err), -1);
	assert_non_null(
		strstr(err->msg,
		       "linux.cgroupsPath: 'system.slice:berth:abc': the systemd cgroup driver"));
	if (access("/run/systemd/system", F_OK) < 0)
		assert_non_null(strstr(err->msg, "systemd, which is not running"));
	berth_err_free(&err);
	assert_int_equal(rt_cgroup_open("/berth/x", "abc", true, &cg, &err), -1);
	assert_non_null(strstr(err->msg, "systemd cgroup driver"));
	berth_err_free(&err);
	assert_err(rt_cgroup_open("/..", "abc", false, &cg, &err), &err,
		   "linux.cgroupsPath: '/..' is the root cgroup");
	assert_null(cg);
}

static void create_applies_memory_cpu_pids_and_reads_them_back(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("limits");
	struct berth_err *err = NULL;
	struct oci_memory mem = {.has_limit = true,
				 .limit = 64 << 20,
				 .has_reservation = true,
				 .reservation = 32 << 20};
	struct oci_cpu cpu = {.has_shares = true,
			      .shares = 512,
			      .has_quota = true,
			      .quota = 50000,
			      .has_period = true,
			      .period = 100000};
	struct oci_resources res = {
		.memory = &mem, .cpu = &cpu, .has_pids_limit = true, .pids_limit = 32};
	const char *m, *c, *p;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, "memory") || !rt_cgroup_path(cg, "cpu") ||
	    !rt_cgroup_path(cg, "pids"))
		skip();
	assert_ok(rt_cgroup_create(cg, &res, &err), &err);
	m = rt_cgroup_path(cg, "memory");
	c = rt_cgroup_path(cg, "cpu");
	p = rt_cgroup_path(cg, "pids");
	if (is_v2(cg, "memory")) {
		assert_file(m, "memory.max", "67108864");
		assert_file(m, "memory.low", "33554432");
	} else {
		assert_file(m, "memory.limit_in_bytes", "67108864");
		assert_file(m, "memory.soft_limit_in_bytes", "33554432");
	}
	if (is_v2(cg, "cpu")) {
		assert_file(c, "cpu.weight", "20"); /* 1 + (512-2)*9999/262142, as runc */
		assert_file(c, "cpu.max", "50000 100000");
	} else {
		assert_file(c, "cpu.shares", "512");
		assert_file(c, "cpu.cfs_quota_us", "50000");
		assert_file(c, "cpu.cfs_period_us", "100000");
	}
	assert_file(p, "pids.max", "32");
	if (rt_cgroup_path(cg, "cpuset") && !is_v2(cg, "cpuset")) {
		/* a new v1 cpuset level inherits cpus/mems, else no task could join */
		cleanup_free char *cpus = slurp(rt_cgroup_path(cg, "cpuset"), "cpuset.cpus");

		assert_true(cpus[0] != '\0');
	}
	destroy_and_check_gone(cg);
}

static void lifecycle_enter_freeze_thaw_kill_destroy(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("life");
	cleanup_free pid_t *pids = NULL;
	struct berth_err *err = NULL;
	struct child a, b;
	size_t n = 0;
	int st;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	assert_ok(rt_cgroup_create(cg, NULL, &err), &err);
	a = spawn(do_pause);
	b = spawn(do_pause);
	assert_ok(rt_cgroup_enter(cg, a.pid, &err), &err);
	assert_ok(rt_cgroup_enter(cg, b.pid, &err), &err);
	release(&a);
	release(&b);
	assert_ok(rt_cgroup_pids(cg, &pids, &n, &err), &err);
	assert_int_equal(n, 2);
	assert_true((pids[0] == a.pid && pids[1] == b.pid) ||
		    (pids[0] == b.pid && pids[1] == a.pid));
	{
		cleanup_free char *procs =
			slurp(rt_cgroup_path(cg, rt_cgroup_path(cg, "freezer") ? "freezer" : ""),
			      "cgroup.procs");
		char want[16];

		snprintf(want, sizeof(want), "%d", (int)a.pid);
		assert_non_null(strstr(procs, want));
	}
	assert_false(rt_cgroup_is_frozen(cg));
	assert_ok(rt_cgroup_freeze(cg, true, &err), &err);
	assert_true(rt_cgroup_is_frozen(cg));
	if (rt_cgroup_path(cg, "freezer"))
		assert_file(rt_cgroup_path(cg, "freezer"), "freezer.state", "FROZEN");
	assert_ok(rt_cgroup_freeze(cg, false, &err), &err);
	assert_false(rt_cgroup_is_frozen(cg));
	/* a non-KILL signal goes through freeze, signal each pid, thaw */
	assert_ok(rt_cgroup_kill_all(cg, SIGTERM, &err), &err);
	st = wait_status(a.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	st = wait_status(b.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	assert_false(rt_cgroup_is_frozen(cg));
	destroy_and_check_gone(cg);
	/* destroying again: missing is success */
	assert_ok(rt_cgroup_destroy(cg, &err), &err);
}

static void operations_on_a_missing_cgroup_say_it_does_not_exist(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("missing");
	cleanup_free pid_t *pids = NULL;
	struct berth_err *err = NULL;
	struct oci_resources res = {.has_pids_limit = true, .pids_limit = 5};
	size_t n;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	assert_int_equal(rt_cgroup_kill_all(cg, SIGKILL, &err), -1);
	assert_true(berth_err_is(err, ENOENT));
	berth_err_free(&err);
	assert_int_equal(rt_cgroup_kill_all(cg, SIGTERM, &err), -1);
	assert_true(berth_err_is(err, ENOENT));
	berth_err_free(&err);
	assert_int_equal(rt_cgroup_freeze(cg, true, &err), -1);
	assert_true(berth_err_is(err, ENOENT));
	berth_err_free(&err);
	assert_int_equal(rt_cgroup_pids(cg, &pids, &n, &err), -1);
	assert_true(berth_err_is(err, ENOENT));
	berth_err_free(&err);
	if (rt_cgroup_path(cg, "pids")) {
		assert_int_equal(rt_cgroup_update(cg, &res, &err), -1);
		assert_true(berth_err_is(err, ENOENT));
		assert_non_null(strstr(err->msg, "linux.resources.pids.limit: cgroup '"));
		berth_err_free(&err);
	}
	assert_false(rt_cgroup_is_frozen(cg));
	assert_ok(rt_cgroup_destroy(cg, &err), &err);
}

static void kill_all_sigkill_reaches_a_frozen_cgroup(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("kill");
	struct berth_err *err = NULL;
	struct child a;
	int st;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	assert_ok(rt_cgroup_create(cg, NULL, &err), &err);
	a = spawn(do_pause);
	assert_ok(rt_cgroup_enter(cg, a.pid, &err), &err);
	release(&a);
	assert_ok(rt_cgroup_freeze(cg, true, &err), &err);
	assert_ok(rt_cgroup_kill_all(cg, SIGKILL, &err), &err);
	/* thawed after the kill, as runc does: a frozen v1 task acts on SIGKILL only
	 * once thawed, and delete --force waited forever for it (issue #15) */
	assert_false(rt_cgroup_is_frozen(cg));
	st = wait_status(a.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	destroy_and_check_gone(cg);
}

/* Whether a fresh cgroup of that controller offers file (probed, then removed). */
static bool fresh_has(const char *ctrl, const char *file, bool *v2)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("probe");
	struct berth_err *err = NULL;
	bool has;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, ctrl))
		return false;
	assert_ok(rt_cgroup_create(cg, NULL, &err), &err);
	has = has_file(rt_cgroup_path(cg, ctrl), file);
	*v2 = is_v2(cg, ctrl);
	assert_ok(rt_cgroup_destroy(cg, &err), &err);
	return has;
}

static void field_whose_file_the_kernel_lacks_is_a_named_error(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("nofile");
	struct berth_err *err = NULL;
	struct oci_block_io bio = {.has_leaf_weight = true, .leaf_weight = 500};
	struct oci_resources res = {.block_io = &bio};
	bool v2 = false;

	if (fresh_has("blkio", "blkio.leaf_weight", &v2) || v2 || !host.v1_ctrl)
		skip(); /* the kernel has CFQ's leaf weight here: nothing missing to test */
	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, "blkio"))
		skip();
	assert_err(
		rt_cgroup_create(cg, &res, &err), &err,
		"linux.resources.blockIO.leafWeight: 'blkio.leaf_weight' does not exist (no CFQ on this kernel)");
	/* nothing half-made: the failed create removed its directories */
	if (access(rt_cgroup_path(cg, "blkio"), F_OK) == 0)
		fail_msg("'%s' left behind by a failed create", rt_cgroup_path(cg, "blkio"));
}

static void blkio_weight_uses_cfq_or_bfq_or_names_the_missing_file(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("weight");
	struct berth_err *err = NULL;
	struct oci_block_io bio = {.has_weight = true, .weight = 500};
	struct oci_resources res = {.block_io = &bio};
	bool v2 = false, cfq = fresh_has("blkio", "blkio.weight", &v2),
	     bfq = fresh_has("blkio", "blkio.bfq.weight", &v2);

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, "blkio") || v2)
		skip();
	if (!cfq && !bfq) {
		assert_err(
			rt_cgroup_create(cg, &res, &err), &err,
			"linux.resources.blockIO.weight: 'blkio.weight' does not exist (no CFQ/BFQ on this kernel)");
		return;
	}
	assert_ok(rt_cgroup_create(cg, &res, &err), &err);
	{
		cleanup_free char *got = slurp(rt_cgroup_path(cg, "blkio"),
					       cfq ? "blkio.weight" : "blkio.bfq.weight");

		assert_non_null(strstr(got, "500"));
	}
	destroy_and_check_gone(cg);
}

static void unmounted_controller_is_a_named_error_before_any_change(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("netcls");
	struct berth_err *err = NULL;
	struct oci_network net = {.has_class_id = true, .class_id = 0x100001};
	struct oci_resources res = {.network = &net};

	if (strv_contains(host.v1_ctrls, "net_cls"))
		skip(); /* net_cls is mounted here */
	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	assert_err(
		rt_cgroup_create(cg, &res, &err), &err,
		"linux.resources.network.classID: the 'net_cls' cgroup controller is not mounted on this host");
	if (rt_cgroup_path(cg, "memory") && access(rt_cgroup_path(cg, "memory"), F_OK) == 0)
		fail_msg("a cgroup was created although validation failed");
}

static void hugetlb_uses_the_file_names_of_its_hierarchy(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("huge");
	struct berth_err *err = NULL;
	struct oci_hugepage_limit hl = {.page_size = "2MB", .limit = 4 << 20};
	struct oci_hugepage_limit bad = {.page_size = "3MB", .limit = 4 << 20};
	struct oci_resources res = {.hugepage_limits = &hl, .n_hugepage_limits = 1};
	bool v2;

	if (access("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) < 0)
		skip();
	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, "hugetlb"))
		skip();
	v2 = is_v2(cg, "hugetlb");
	/* on a hybrid host hugetlb may live on the unified mount: v2 names there */
	assert_int_equal(v2, !strv_contains(host.v1_ctrls, "hugetlb"));
	assert_ok(rt_cgroup_create(cg, &res, &err), &err);
	assert_file(rt_cgroup_path(cg, "hugetlb"),
		    v2 ? "hugetlb.2MB.max" : "hugetlb.2MB.limit_in_bytes", "4194304");
	res.hugepage_limits = &bad;
	assert_err(
		rt_cgroup_update(cg, &res, &err), &err,
		v2 ? "linux.resources.hugepageLimits[0]: 'hugetlb.3MB.max' does not exist (no such huge page size)"
		   : "linux.resources.hugepageLimits[0]: 'hugetlb.3MB.limit_in_bytes' does not exist (no such huge page size)");
	destroy_and_check_gone(cg);
}

static int try_devices(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	close(fd);
	fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	close(fd);
	fd = open("/dev/zero", O_WRONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EPERM)
		return 3;
	fd = open("/dev/full", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EPERM)
		return 4;
	return 0;
}

static const struct oci_device_cgroup dev_rules[] = {
	{.allow = false, .type = 'a', .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 3,
	 .access = "rwm"},
	{.allow = true,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 5,
	 .access = "rw"},
	{.allow = false,
	 .type = 'c',
	 .has_major = true,
	 .has_minor = true,
	 .major = 1,
	 .minor = 5,
	 .access = "w"},
};

static void check_devices_in_child(struct rt_cgroup *cg)
{
	struct berth_err *err = NULL;
	struct child a = spawn(try_devices);
	int st;

	assert_ok(rt_cgroup_enter(cg, a.pid, &err), &err);
	release(&a);
	st = wait_status(a.pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) != 0)
		fail_msg("device check %d failed in the child", WEXITSTATUS(st));
}

static void v1_device_rules_deny_all_then_apply_in_order(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("dev");
	struct berth_err *err = NULL;
	struct oci_resources res = {.devices = (struct oci_device_cgroup *)dev_rules,
				    .n_devices = 4};

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, "devices") || is_v2(cg, "devices"))
		skip();
	assert_ok(rt_cgroup_create(cg, &res, &err), &err);
	assert_file(rt_cgroup_path(cg, "devices"), "devices.list", "c 1:3 rwm\nc 1:5 r");
	check_devices_in_child(cg);
	destroy_and_check_gone(cg);
}

static int touch_and_pause(void)
{
	/* volatile: the compiler must not drop an allocation nobody reads */
	volatile char *p = malloc(4 << 20);

	if (!p)
		return 1;
	for (size_t i = 0; i < (4 << 20); i += 4096)
		p[i] = 1;
	return do_pause();
}

/* Waits (bounded) until the cgroup is charged at least min bytes. */
static void wait_usage(struct rt_cgroup *cg, uint64_t min)
{
	struct berth_err *err = NULL;
	struct rt_cgroup_stats st;

	for (int i = 0; i < 500; i++) {
		assert_ok(rt_cgroup_stats(cg, &st, &err), &err);
		rt_cgroup_stats_clear(&st);
		if (st.mem_usage >= min)
			return;
		usleep(10000);
	}
	fail_msg("the cgroup never reached %llu bytes of memory", (unsigned long long)min);
}

static void update_changes_limits_and_checks_before_update(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("upd");
	struct berth_err *err = NULL;
	struct oci_memory mem = {.has_limit = true,
				 .limit = 1,
				 .has_check_before_update = true,
				 .check_before_update = true};
	struct oci_resources res = {.has_pids_limit = true, .pids_limit = 32};
	struct oci_resources res2 = {.has_pids_limit = true, .pids_limit = -1};
	struct oci_resources res3 = {.memory = &mem};
	struct child a;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, "pids") || !rt_cgroup_path(cg, "memory"))
		skip();
	assert_ok(rt_cgroup_create(cg, &res, &err), &err);
	assert_file(rt_cgroup_path(cg, "pids"), "pids.max", "32");
	assert_ok(rt_cgroup_update(cg, &res2, &err), &err);
	assert_file(rt_cgroup_path(cg, "pids"), "pids.max", "max");
	a = spawn(touch_and_pause);
	assert_ok(rt_cgroup_enter(cg, a.pid, &err), &err);
	release(&a);
	wait_usage(cg, 1 << 20);
	assert_int_equal(rt_cgroup_update(cg, &res3, &err), -1);
	assert_non_null(
		strstr(err->msg, "linux.resources.memory.limit: 1 is below the current usage"));
	assert_int_equal(err->code, BERTH_E_PRECONDITION);
	berth_err_free(&err);
	assert_ok(rt_cgroup_kill_all(cg, SIGKILL, &err), &err);
	wait_status(a.pid);
	destroy_and_check_gone(cg);
}

static void update_json(struct rt_cgroup *cg, const char *json)
{
	cleanup(oci_resources_freep) struct oci_resources *res = NULL;
	struct berth_err *err = NULL;

	if (oci_resources_parse(json, strlen(json), "resources", &res, &err) < 0)
		fail_msg("parse '%s': %s", json, err->msg);
	if (rt_cgroup_update(cg, res, &err) < 0)
		fail_msg("update '%s': %s", json, err->msg);
}

static void update_from_runc_resources_json_moves_memory_and_swap_both_ways(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("swap");
	struct berth_err *err = NULL;
	const char *m;
	bool swap;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!(m = rt_cgroup_path(cg, "memory")) || !rt_cgroup_path(cg, "cpu"))
		skip();
	assert_ok(rt_cgroup_create(cg, NULL, &err), &err);
	swap = has_file(m, is_v2(cg, "memory") ? "memory.swap.max" : "memory.memsw.limit_in_bytes");
	/* up: v1 needs memsw raised before the limit; down: the limit lowered first */
	update_json(cg, swap ? "{\"memory\":{\"limit\":67108864,\"swap\":134217728}}"
			     : "{\"memory\":{\"limit\":67108864}}");
	update_json(cg, swap ? "{\"memory\":{\"limit\":268435456,\"swap\":536870912}}"
			     : "{\"memory\":{\"limit\":268435456}}");
	if (is_v2(cg, "memory")) {
		assert_file(m, "memory.max", "268435456");
		if (swap)
			assert_file(m, "memory.swap.max",
				    "268435456"); /* swap - limit, like runc */
	} else {
		assert_file(m, "memory.limit_in_bytes", "268435456");
		if (swap)
			assert_file(m, "memory.memsw.limit_in_bytes", "536870912");
	}
	update_json(cg, swap ? "{\"memory\":{\"limit\":33554432,\"swap\":33554432}}"
			     : "{\"memory\":{\"limit\":33554432}}");
	assert_file(m, is_v2(cg, "memory") ? "memory.max" : "memory.limit_in_bytes", "33554432");
	/* unlimited memory without a swap value: unlimited swap too */
	update_json(cg, "{\"memory\":{\"limit\":-1}}");
	if (is_v2(cg, "memory"))
		assert_file(m, "memory.max", "max");
	else if (swap) {
		cleanup_free char *lim = slurp(m, "memory.limit_in_bytes");

		assert_file(m, "memory.memsw.limit_in_bytes", lim);
	}
	update_json(
		cg,
		"{\"cpu\":{\"shares\":256,\"quota\":20000,\"period\":50000},\"pids\":{\"limit\":50}}");
	if (is_v2(cg, "cpu"))
		assert_file(rt_cgroup_path(cg, "cpu"), "cpu.max", "20000 50000");
	else
		assert_file(rt_cgroup_path(cg, "cpu"), "cpu.cfs_period_us", "50000");
	destroy_and_check_gone(cg);
}

static int eat_memory(void)
{
	for (size_t i = 0; i < 1024; i++) {
		volatile char *p = malloc(1 << 20);

		if (!p)
			return 1;
		for (size_t j = 0; j < (1 << 20); j += 4096)
			p[j] = (char)i;
	}
	return 2; /* not OOM-killed */
}

static void stats_and_oom_events_report_the_cgroup(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("oom");
	struct berth_err *err = NULL;
	struct oci_memory mem = {.has_limit = true, .limit = 32 << 20};
	struct oci_resources res = {.memory = &mem, .has_pids_limit = true, .pids_limit = 16};
	struct rt_cgroup_stats st;
	cleanup_close int efd = -1;
	struct child a;
	int status;
	uint64_t before;

	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	if (!rt_cgroup_path(cg, "memory") || !rt_cgroup_path(cg, "pids"))
		skip();
	/* no swap escape: memory+swap equal to memory (when swap is accounted) */
	{
		cleanup_free char *root = xstrdup(rt_cgroup_path(cg, "memory"));

		*strstr(root, rt_cgroup_name(cg)) = '\0';
		if (is_v2(cg, "memory") ? has_file(rt_cgroup_path(cg, ""), "memory.swap.max")
					: has_file(root, "memory.memsw.limit_in_bytes")) {
			mem.has_swap = true;
			mem.swap = mem.limit;
		}
	}
	assert_ok(rt_cgroup_create(cg, &res, &err), &err);
	efd = rt_cgroup_oom_fd(cg, &err);
	assert_ok(efd, &err);
	before = rt_cgroup_oom_count(cg);
	a = spawn(eat_memory);
	assert_ok(rt_cgroup_enter(cg, a.pid, &err), &err);
	assert_ok(rt_cgroup_stats(cg, &st, &err), &err);
	assert_true(st.has_memory && st.has_pids);
	assert_int_equal(st.mem_limit, 32 << 20);
	assert_int_equal(st.pids_current, 1);
	assert_int_equal(st.pids_limit, 16);
	rt_cgroup_stats_clear(&st);
	release(&a);
	status = wait_status(a.pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	{
		uint64_t cnt;
		fd_set rf;
		struct timeval tv = {5, 0};

		FD_ZERO(&rf);
		FD_SET(efd, &rf);
		/* the kill above was the OOM killer: the fd has fired by now */
		assert_int_equal(select(efd + 1, &rf, NULL, NULL, &tv), 1);
		if (!is_v2(cg, "memory"))
			assert_int_equal(read(efd, &cnt, sizeof(cnt)), sizeof(cnt));
	}
	assert_true(rt_cgroup_oom_count(cg) > before);
	assert_ok(rt_cgroup_stats(cg, &st, &err), &err);
	assert_true(st.mem_failcnt > 0 || st.mem_max_usage > 0);
	rt_cgroup_stats_clear(&st);
	destroy_and_check_gone(cg);
}

/* ---- pure v2, through a one-line mountinfo naming the host's cgroup2 ---- */

static char *fake_mountinfo(void)
{
	char tmpl[] = "/tmp/berth-test-cgroup-mi-XXXXXX";
	int fd = mkstemp(tmpl);
	cleanup_free char *line =
		xasprintf("99 1 0:99 / %s rw,relatime - cgroup2 cgroup2 rw\n", host.v2_mnt);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	return xstrdup(tmpl);
}

static void pure_v2_create_devices_freeze_kill_destroy(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("v2");
	cleanup_free char *mi = NULL;
	cleanup_free char *ctrls = NULL;
	struct berth_err *err = NULL;
	struct oci_kv kv = {.key = "cgroup.max.descendants", .value = "3"};
	struct oci_resources res = {.devices = (struct oci_device_cgroup *)dev_rules,
				    .n_devices = 4,
				    .unified = &kv,
				    .n_unified = 1};
	struct oci_memory mem = {.has_limit = true, .limit = 1 << 24};
	struct oci_resources res_mem = {.memory = &mem};
	struct child a;
	int st;

	if (!host.v2_mnt)
		skip();
	mi = fake_mountinfo();
	rt_cgroup_set_mountinfo(mi);
	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	rt_cgroup_set_mountinfo(NULL);
	unlink(mi);
	assert_int_equal(rt_cgroup_mode(cg), RT_CGROUP_V2);
	ctrls = slurp(host.v2_mnt, "cgroup.controllers");
	if (!strstr(ctrls, "memory"))
		assert_err(
			rt_cgroup_create(cg, &res_mem, &err), &err,
			"linux.resources.memory: the 'memory' cgroup controller is not mounted on this host");
	assert_ok(rt_cgroup_create(cg, &res, &err), &err);
	assert_file(rt_cgroup_path(cg, ""), "cgroup.max.descendants", "3");
	/* every available controller is delegated down to the container's parent */
	if (ctrls[0]) {
		cleanup_free char *parent = xstrdup(rt_cgroup_path(cg, ""));

		*strrchr(parent, '/') = '\0';
		assert_file(parent, "cgroup.subtree_control", ctrls);
	}
	/* the eBPF device filter: /dev/null rwm, /dev/zero read only, the rest denied */
	check_devices_in_child(cg);
	a = spawn(do_pause);
	assert_ok(rt_cgroup_enter(cg, a.pid, &err), &err);
	release(&a);
	assert_ok(rt_cgroup_freeze(cg, true, &err), &err);
	assert_true(rt_cgroup_is_frozen(cg));
	assert_file(rt_cgroup_path(cg, ""), "cgroup.freeze", "1");
	assert_ok(rt_cgroup_freeze(cg, false, &err), &err);
	assert_false(rt_cgroup_is_frozen(cg));
	/* update replaces the device program: now /dev/zero is denied entirely */
	{
		struct oci_device_cgroup deny_zero = {.allow = false,
						      .type = 'c',
						      .has_major = true,
						      .has_minor = true,
						      .major = 1,
						      .minor = 5,
						      .access = "rwm"};
		struct oci_device_cgroup rules[5];
		struct oci_resources upd = {.devices = rules, .n_devices = 5};

		memcpy(rules, dev_rules, sizeof(dev_rules));
		rules[4] = deny_zero;
		assert_ok(rt_cgroup_update(cg, &upd, &err), &err);
		{
			struct child b = spawn(try_devices);

			assert_ok(rt_cgroup_enter(cg, b.pid, &err), &err);
			release(&b);
			st = wait_status(b.pid);
			assert_true(WIFEXITED(st) &&
				    WEXITSTATUS(st) == 2); /* read of /dev/zero denied */
		}
	}
	assert_ok(rt_cgroup_kill_all(cg, SIGKILL, &err), &err); /* cgroup.kill */
	st = wait_status(a.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	destroy_and_check_gone(cg);
}

static void unified_is_refused_on_pure_v1(void **state)
{
	cleanup(rt_cgroup_freep) struct rt_cgroup *cg = NULL;
	cleanup_free char *path = unique("v1only");
	char mi[] = "/tmp/berth-test-cgroup-mi-XXXXXX";
	/* validation fails before any file is touched, so the mount point need not exist */
	const char line[] = "98 1 0:98 / /nonexistent/berth/memory rw - cgroup cgroup rw,memory\n";
	struct berth_err *err = NULL;
	struct oci_kv kv = {.key = "pids.max", .value = "3"};
	struct oci_resources res = {.unified = &kv, .n_unified = 1};
	int fd = mkstemp(mi);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	rt_cgroup_set_mountinfo(mi);
	assert_ok(rt_cgroup_open(path, "x", false, &cg, &err), &err);
	rt_cgroup_set_mountinfo(NULL);
	unlink(mi);
	assert_int_equal(rt_cgroup_mode(cg), RT_CGROUP_V1);
	{
		cleanup_free char *want =
			xasprintf("/nonexistent/berth/memory%s", rt_cgroup_name(cg));

		assert_string_equal(rt_cgroup_path(cg, "memory"), want);
	}
	assert_null(rt_cgroup_path(cg, ""));
	assert_err(rt_cgroup_create(cg, &res, &err), &err,
		   "linux.resources.unified: needs cgroup v2, and this host has only cgroup v1");
}

/* regression: issue #14 (dockerd's "blockIO": {"weight": 0} was out of range) */
static void zeros_clients_send_are_dropped_as_not_set(void **state)
{
	cleanup(oci_resources_freep) struct oci_resources *r = xnew(struct oci_resources);

	r->block_io = xnew(struct oci_block_io);
	r->block_io->has_weight = r->block_io->has_leaf_weight = true;
	r->cpu = xnew(struct oci_cpu);
	r->cpu->has_shares = r->cpu->has_quota = true;
	r->cpu->cpus = xstrdup("");
	r->memory = xnew(struct oci_memory);
	r->memory->has_limit = r->memory->has_swappiness = true;
	r->memory->limit = 1 << 26;
	r->memory->swappiness = UINT64_MAX;
	r->has_pids_limit = true;
	r->network = xnew(struct oci_network);
	r->network->has_class_id = true;

	rt_cgroup_drop_unset(r);
	assert_null(r->block_io);
	assert_null(r->cpu);
	assert_null(r->network);
	assert_false(r->has_pids_limit);
	/* a real value stays, only the "-1" swappiness goes */
	assert_non_null(r->memory);
	assert_true(r->memory->has_limit);
	assert_false(r->memory->has_swappiness);
	rt_cgroup_drop_unset(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(zeros_clients_send_are_dropped_as_not_set),
		cmocka_unit_test(layout_detection_matches_mountinfo),
		cmocka_unit_test(paths_are_a_pure_function_of_cgroups_path_and_id),
		cmocka_unit_test(systemd_syntax_and_root_path_are_refused),
		cmocka_unit_test(create_applies_memory_cpu_pids_and_reads_them_back),
		cmocka_unit_test(lifecycle_enter_freeze_thaw_kill_destroy),
		cmocka_unit_test(kill_all_sigkill_reaches_a_frozen_cgroup),
		cmocka_unit_test(operations_on_a_missing_cgroup_say_it_does_not_exist),
		cmocka_unit_test(field_whose_file_the_kernel_lacks_is_a_named_error),
		cmocka_unit_test(blkio_weight_uses_cfq_or_bfq_or_names_the_missing_file),
		cmocka_unit_test(unmounted_controller_is_a_named_error_before_any_change),
		cmocka_unit_test(hugetlb_uses_the_file_names_of_its_hierarchy),
		cmocka_unit_test(v1_device_rules_deny_all_then_apply_in_order),
		cmocka_unit_test(update_changes_limits_and_checks_before_update),
		cmocka_unit_test(update_from_runc_resources_json_moves_memory_and_swap_both_ways),
		cmocka_unit_test(stats_and_oom_events_report_the_cgroup),
		cmocka_unit_test(pure_v2_create_devices_freeze_kill_destroy),
		cmocka_unit_test(unified_is_refused_on_pure_v1),
	};
	return cmocka_run_group_tests_name("cgroup", tests, group_setup, group_teardown);
}
