/*
 * Unit tests of layer application (supervisor/diff/): the fixtures of
 * tests/helpers/mklayers.sh applied onto private temp dirs, checking the exact result
 * and that nothing outside the target changed. Needs root (owners, devices, trusted.*
 * xattrs, and an overlay mount in a private mount namespace child).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/diff/diff.h"

#define MT_TAR "application/vnd.oci.image.layer.v1.tar"
#define MT_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct fx {
	char *tmp;
	char *layers;
	char *outside;
	char *target;
};

static struct fx *fx;

static char *path_of(const char *dir, const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

static int group_setup(void **state)
{
	char tmpl[] = "/tmp/berth-test-diff-XXXXXX";
	const char *top = getenv("BERTH_TOP");
	cleanup_free char *cmd = NULL;
	cleanup_free char *victim = NULL;
	struct berth_err *err = NULL;

	if (!mkdtemp(tmpl))
		return -1;
	fx = xnew(struct fx);
	fx->tmp = xstrdup(tmpl);
	fx->layers = path_of(fx->tmp, "layers");
	fx->outside = path_of(fx->tmp, "outside");
	if (mkdir(fx->outside, 0755) < 0)
		return -1;
	victim = path_of(fx->outside, "victim-file");
	{
		cleanup_close int dfd = open(fx->outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fs_write_atomic(dfd, "victim-file", "original", 8, 0644, &err) < 0) {
			berth_err_free(&err);
			return -1;
		}
	}
	cmd = xasprintf("%s/tests/helpers/mklayers.sh '%s' '%s'", top ? top : ".", fx->layers,
			fx->outside);
	if (system(cmd) != 0) {
		fprintf(stderr, "test_diff: '%s' failed\n", cmd);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	struct berth_err *err = NULL;

	fs_rm_rf(fx->tmp, &err);
	berth_err_free(&err);
	free(fx->tmp);
	free(fx->layers);
	free(fx->outside);
	free(fx->target);
	free(fx);
	return 0;
}

static int n_target;

/* Each test gets a fresh, empty target dir. */
static int setup(void **state)
{
	free(fx->target);
	fx->target = xasprintf("%s/target%d", fx->tmp, ++n_target);
	return mkdir(fx->target, 0755);
}

static int teardown(void **state)
{
	cleanup_free char *victim = path_of(fx->outside, "victim-file");
	cleanup_free char *got = NULL;
	struct berth_err *err = NULL;
	cleanup_dir DIR *d = opendir(fx->outside);
	struct dirent *de;
	int n = 0;

	/* nothing outside the target changed: OUTSIDE still holds only victim-file */
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	assert_int_equal(n, 1);
	assert_int_equal(fs_read_file(AT_FDCWD, victim, &got, NULL, &err), 0);
	assert_string_equal(got, "original");
	assert_false(fs_exists("/tmp/escape-dotdot"));
	free(got);
	got = path_of(fx->tmp, "escape-dotdot");
	assert_false(fs_exists(got));
	free(got);
	got = path_of(fx->tmp, "escape-nested");
	assert_false(fs_exists(got));
	return 0;
}

static char *read_diff_id(const char *layer)
{
	cleanup_free char *p = xasprintf("%s/%s.sha256", fx->layers, layer);
	char *s = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(fs_read_file(AT_FDCWD, p, &s, NULL, &err), 0);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* Applies layers/<file> onto target. */
static int apply(const char *file, const char *target, const struct diff_apply_opts *o,
		 struct diff_result *res, struct berth_err **err)
{
	cleanup_free char *p = path_of(fx->layers, file);
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return diff_apply(fd, target, o, res, err);
}

static void apply_ok(const char *file, const char *target, const struct diff_apply_opts *o)
{
	struct diff_result res = {0};
	struct berth_err *err = NULL;

	if (apply(file, target, o, &res, &err) < 0)
		fail_msg("apply %s: %s", file, err->msg);
	diff_result_fini(&res);
}

static char *apply_fail(const char *file, const struct diff_apply_opts *o, enum berth_err_code code)
{
	struct diff_result res = {0};
	struct berth_err *err = NULL;
	char *msg;

	if (apply(file, fx->target, o, &res, &err) == 0)
		fail_msg("apply %s: expected %s, got success", file, berth_err_code_name(code));
	if (err->code != code)
		fail_msg("apply %s: expected %s, got %s: %s", file, berth_err_code_name(code),
			 berth_err_code_name(err->code), err->msg);
	msg = xstrdup(err->msg);
	berth_err_free(&err);
	return msg;
}

static char *read_at(const char *dir, const char *rel)
{
	cleanup_free char *p = path_of(dir, rel);
	char *s = NULL;
	struct berth_err *err = NULL;

	if (fs_read_file(AT_FDCWD, p, &s, NULL, &err) < 0)
		fail_msg("read %s: %s", p, err->msg);
	return s;
}

static struct stat lstat_at(const char *dir, const char *rel)
{
	cleanup_free char *p = path_of(dir, rel);
	struct stat st;

	if (lstat(p, &st) < 0)
		fail_msg("lstat %s: %s", p, strerror(errno));
	return st;
}

static bool exists_at(const char *dir, const char *rel)
{
	cleanup_free char *p = path_of(dir, rel);
	struct stat st;

	return lstat(p, &st) == 0;
}

static void check_base_tree(const char *t)
{
	cleanup_free char *hello = read_at(t, "etc/hello");
	cleanup_free char *hpath = path_of(t, "etc/hello");
	cleanup_free char *lpath = path_of(t, "usr/bin/link");
	struct stat st;
	char buf[64] = {0};

	assert_string_equal(hello, "hello\n");
	st = lstat_at(t, "etc/hello");
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	assert_int_equal(st.st_mtim.tv_sec, 1234567890);
	assert_int_equal(lgetxattr(hpath, "user.greeting", buf, sizeof(buf) - 1), 2);
	assert_string_equal(buf, "hi");
	assert_int_equal(lgetxattr(hpath, "trusted.overlay.opaque", buf, sizeof(buf)), -1);
	assert_int_equal(lgetxattr(hpath, "security.selinux", buf, sizeof(buf)), -1);
	st = lstat_at(t, "etc");
	assert_int_equal(st.st_mtim.tv_sec, 1000000000);
	st = lstat_at(t, "usr/bin/tool");
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(lstat_at(t, "usr/bin/hard").st_ino, st.st_ino);
	st = lstat_at(t, "usr/bin/link");
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_mtim.tv_sec, 1111111111);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(readlink(lpath, buf, sizeof(buf) - 1), 4);
	assert_string_equal(buf, "tool");
	assert_true(S_ISFIFO(lstat_at(t, "run/fifo").st_mode));
	assert_int_equal(lstat_at(t, "tmp").st_mode & 07777, 01777);
	assert_true(exists_at(t, "opt/keep/a"));
}

static void plain_tar_gives_the_exact_tree_and_its_diff_id(void **state)
{
	struct diff_apply_opts o = {.media_type = MT_TAR, .layer = "base"};
	struct diff_result res = {0};
	struct berth_err *err = NULL;
	cleanup_free char *want = read_diff_id("base.tar");
	cleanup_free char *p = path_of(fx->layers, "base.tar");
	struct stat st;

	o.expected_diff_id = want;
	if (apply("base.tar", fx->target, &o, &res, &err) < 0)
		fail_msg("%s", err->msg);
	assert_string_equal(res.diff_id, want);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(res.size, st.st_size);
	diff_result_fini(&res);
	check_base_tree(fx->target);
}

static void compressed_layers_have_the_diff_id_of_their_tar(void **state)
{
	static const char *const cases[][2] = {
		{"base.tar.gz", MT_GZIP},
		{"base.tar.gz", MT_DOCKER_GZIP},
		{"base.tar.zst", MT_ZSTD},
	};
	cleanup_free char *want = read_diff_id("base.tar");

	for (size_t i = 0; i < 3; i++) {
		struct diff_apply_opts o = {.media_type = cases[i][1], .expected_diff_id = want};
		struct diff_result res = {0};
		struct berth_err *err = NULL;
		cleanup_free char *t = xasprintf("%s/c%zu", fx->target, i);

		if (strstr(cases[i][1], "zstd") && !diff_media_type_supported(cases[i][1]))
			continue;
		assert_int_equal(mkdir(t, 0755), 0);
		if (apply(cases[i][0], t, &o, &res, &err) < 0)
			fail_msg("%s as %s: %s", cases[i][0], cases[i][1], err->msg);
		assert_string_equal(res.diff_id, want);
		diff_result_fini(&res);
		check_base_tree(t);
	}
}

static void unknown_media_type_is_refused_by_name_before_any_write(void **state)
{
	struct diff_apply_opts o = {.media_type = "application/x-foo", .layer = "sha256:abc"};
	cleanup_free char *msg = apply_fail("base.tar", &o, BERTH_E_INVALID);

	assert_non_null(strstr(msg, "'application/x-foo'"));
	assert_non_null(strstr(msg, "sha256:abc"));
	assert_false(exists_at(fx->target, "etc"));
}

static void wrong_diff_id_fails_naming_both_digests(void **state)
{
	const char *bad = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	struct diff_apply_opts o = {.media_type = MT_GZIP, .expected_diff_id = bad};
	cleanup_free char *want = read_diff_id("base.tar");
	cleanup_free char *msg = apply_fail("base.tar.gz", &o, BERTH_E_INVALID);

	assert_non_null(strstr(msg, "diff-id mismatch"));
	assert_non_null(strstr(msg, bad));
	assert_non_null(strstr(msg, want));
}

static void gzip_type_on_garbage_is_invalid(void **state)
{
	struct diff_apply_opts o = {.media_type = MT_GZIP};
	cleanup_free char *msg = apply_fail("base.tar.sha256", &o, BERTH_E_INVALID);

	(void)msg;
}

static void whiteouts_remove_lower_paths_from_a_full_tree(void **state)
{
	struct diff_apply_opts o = {.media_type = MT_TAR};
	const char *t = fx->target;
	cleanup_free char *c = NULL, *made = NULL;

	apply_ok("base.tar", t, &o);
	apply_ok("whiteout.tar", t, &o);
	assert_false(exists_at(t, "etc/hello"));
	assert_true(exists_at(t, "etc"));
	assert_false(exists_at(t, "opt/keep/a"));
	assert_false(exists_at(t, "opt/keep/b"));
	c = read_at(t, "opt/keep/c");
	assert_string_equal(c, "c");
	assert_false(exists_at(t, "opt/gone"));
	assert_false(exists_at(t, "var/lib/old"));
	assert_true(exists_at(t, "var/lib/new"));
	made = read_at(t, "made-here");
	assert_string_equal(made, "this layer made me");
	assert_false(exists_at(t, ".wh.made-here"));
	assert_false(exists_at(t, ".wh..wh.plnk"));
	assert_false(exists_at(t, "etc/.wh.hello"));
	assert_false(exists_at(t, "opt/keep/.wh..wh..opq"));
	/* untouched by the whiteouts */
	assert_true(exists_at(t, "usr/bin/tool"));
}

static bool is_whiteout(const char *dir, const char *rel)
{
	struct stat st = lstat_at(dir, rel);

	return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

/* In a private mount namespace child: overlay lower + upper on mnt, then check fn. */
static int in_overlay(const char *lower, const char *upper, int (*fn)(const char *mnt))
{
	cleanup_free char *work = path_of(fx->tmp, "work");
	cleanup_free char *mnt = path_of(fx->tmp, "mnt");
	cleanup_free char *opts =
		xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
	struct berth_err *err = NULL;
	int status;
	pid_t pid;

	fs_rm_rf(work, &err);
	berth_err_free(&err);
	mkdir(work, 0700);
	mkdir(mnt, 0755);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("overlay", mnt, "overlay", 0, opts) < 0) {
			fprintf(stderr, "overlay mount: %m\n");
			_exit(90);
		}
		_exit(fn(mnt) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int merged_view_hides_whiteouts(const char *mnt)
{
	struct stat st;
	char p[4096];
	int bad = 0;

	snprintf(p, sizeof(p), "%s/etc/hello", mnt);
	bad |= lstat(p, &st) == 0;
	snprintf(p, sizeof(p), "%s/opt/keep/a", mnt);
	bad |= lstat(p, &st) == 0;
	snprintf(p, sizeof(p), "%s/opt/keep/c", mnt);
	bad |= lstat(p, &st) != 0;
	snprintf(p, sizeof(p), "%s/opt/gone", mnt);
	bad |= lstat(p, &st) == 0;
	snprintf(p, sizeof(p), "%s/var/lib/new", mnt);
	bad |= lstat(p, &st) != 0;
	snprintf(p, sizeof(p), "%s/usr/bin/tool", mnt);
	bad |= lstat(p, &st) != 0;
	snprintf(p, sizeof(p), "%s/made-here", mnt);
	bad |= lstat(p, &st) != 0;
	if (bad)
		fprintf(stderr, "merged view is wrong\n");
	return bad ? -1 : 0;
}

static void whiteouts_become_overlay_markers_in_an_upper_dir(void **state)
{
	cleanup_free char *lower = path_of(fx->target, "lower");
	cleanup_free char *upper = path_of(fx->target, "upper");
	cleanup_free char *keep = path_of(upper, "opt/keep");
	char *lowers[] = {lower, NULL};
	struct diff_apply_opts base = {.media_type = MT_TAR};
	struct diff_apply_opts o = {
		.media_type = MT_TAR, .whiteouts = DIFF_WHITEOUT_OVERLAY, .lowers = lowers};
	char v[8] = {0};

	assert_int_equal(mkdir(lower, 0755), 0);
	assert_int_equal(mkdir(upper, 0755), 0);
	apply_ok("base.tar", lower, &base);
	apply_ok("whiteout.tar", upper, &o);
	assert_true(is_whiteout(upper, "etc/hello"));
	assert_true(is_whiteout(upper, "opt/gone"));
	assert_true(is_whiteout(upper, "var/lib/old"));
	assert_int_equal(lgetxattr(keep, "trusted.overlay.opaque", v, sizeof(v) - 1), 1);
	assert_string_equal(v, "y");
	assert_false(exists_at(upper, "opt/keep/a"));
	assert_true(S_ISREG(lstat_at(upper, "made-here").st_mode));
	assert_false(exists_at(upper, ".wh..wh.plnk"));
	/* the lower is untouched */
	assert_true(exists_at(lower, "etc/hello"));
	assert_true(exists_at(lower, "opt/keep/a"));
	assert_int_equal(in_overlay(lower, upper, merged_view_hides_whiteouts), 0);
}

static void overlay_parents_come_from_the_lowers(void **state)
{
	cleanup_free char *lower = path_of(fx->target, "lower");
	cleanup_free char *upper = path_of(fx->target, "upper");
	char *lowers[] = {lower, NULL};
	struct diff_apply_opts base = {.media_type = MT_TAR};
	struct diff_apply_opts o = {
		.media_type = MT_TAR, .whiteouts = DIFF_WHITEOUT_OVERLAY, .lowers = lowers};
	cleanup_free char *y = NULL;

	assert_int_equal(mkdir(lower, 0755), 0);
	assert_int_equal(mkdir(upper, 0755), 0);
	apply_ok("base.tar", lower, &base);
	apply_ok("nodirs.tar", upper, &o);
	/* tmp/ copied up with the lower's sticky mode, not a default 0755 */
	assert_int_equal(lstat_at(upper, "tmp").st_mode & 07777, 01777);
	/* binlink -> usr/bin is the lower's symlink: followed, not shadowed by a new dir */
	assert_false(exists_at(upper, "binlink"));
	y = read_at(upper, "usr/bin/y");
	assert_string_equal(y, "y");
	/* missing parents without a lower get 0755 whatever the daemon's umask */
	{
		cleanup_free char *empty = path_of(fx->target, "empty");
		struct diff_apply_opts plain = {.media_type = MT_TAR};

		assert_int_equal(mkdir(empty, 0755), 0);
		apply_ok("nodirs.tar", empty, &plain);
		assert_int_equal(lstat_at(empty, "tmp").st_mode & 07777, 0755);
		assert_int_equal(lstat_at(empty, "binlink").st_mode & 07777, 0755);
	}
	/* and the same layer on a full tree */
	apply_ok("nodirs.tar", lower, &base);
	assert_true(S_ISLNK(lstat_at(lower, "binlink").st_mode));
	assert_true(exists_at(lower, "usr/bin/y"));
}

static void hardlinks_to_lower_files_copy_them_up_in_an_upper_dir(void **state)
{
	cleanup_free char *lower = path_of(fx->target, "lower");
	cleanup_free char *upper = path_of(fx->target, "upper");
	cleanup_free char *greeting = path_of(upper, "etc/hello");
	cleanup_free char *tool = NULL;
	char *lowers[] = {lower, NULL};
	struct diff_apply_opts base = {.media_type = MT_TAR};
	struct diff_apply_opts o = {
		.media_type = MT_TAR, .whiteouts = DIFF_WHITEOUT_OVERLAY, .lowers = lowers};
	struct stat st;
	char v[8] = {0};

	assert_int_equal(mkdir(lower, 0755), 0);
	assert_int_equal(mkdir(upper, 0755), 0);
	apply_ok("base.tar", lower, &base);
	apply_ok("hardlink-lower.tar", upper, &o);
	st = lstat_at(upper, "usr/bin/tool");
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(lstat_at(upper, "hard2").st_ino, st.st_ino);
	tool = read_at(upper, "hard2");
	assert_string_equal(tool, "#!/bin/sh\necho tool\n");
	st = lstat_at(upper, "etc/hello");
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_mtim.tv_sec, 1234567890);
	assert_int_equal(lgetxattr(greeting, "user.greeting", v, sizeof(v) - 1), 2);
	/* the lower keeps its own, unshared inode */
	assert_int_equal(lstat_at(lower, "usr/bin/tool").st_nlink, 2);
	/* on a full tree the same layer just links */
	apply_ok("hardlink-lower.tar", lower, &base);
	assert_int_equal(lstat_at(lower, "usr/bin/tool").st_nlink, 3);
}

static void hostile_names_are_refused_naming_layer_and_entry(void **state)
{
	static const char *const cases[][2] = {
		{"hostile-dotdot.tar", "entry '../escape-dotdot': path escapes the snapshot"},
		{"hostile-nested-dotdot.tar",
		 "entry 'a/../../escape-nested': path escapes the snapshot"},
		{"hostile-absolute.tar", "absolute path escapes the snapshot"},
		{"hostile-hardlink-absolute.tar", "entry 'passwd': hardlink target '/etc/passwd'"},
		{"hostile-hardlink-dotdot.tar", "path escapes the snapshot"},
		{"hostile-whiteout-dotdot.tar", "escapes its directory"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *id = read_diff_id(cases[i][0]);
		struct diff_apply_opts o = {.media_type = MT_TAR, .layer = id};
		cleanup_free char *msg = apply_fail(cases[i][0], &o, BERTH_E_INVALID);
		cleanup_free char *prefix = xasprintf("layer %s: ", id);

		if (strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, cases[i][1]))
			fail_msg("%s: got '%s'", cases[i][0], msg);
	}
}

static void symlinked_parents_are_followed_inside_the_target_only(void **state)
{
	struct diff_apply_opts o = {.media_type = MT_TAR};
	cleanup_free char *in1 = xasprintf("%s%s/pwned", fx->target, fx->outside);
	cleanup_free char *in2 = xasprintf("%s%s/pwned2", fx->target, fx->outside);
	struct berth_err *err = NULL;
	cleanup_free char *got = NULL;

	apply_ok("hostile-symlink-parent.tar", fx->target, &o);
	apply_ok("hostile-symlink-relative.tar", fx->target, &o);
	/* the writes landed inside the target, under the path the symlinks named */
	assert_int_equal(fs_read_file(AT_FDCWD, in1, &got, NULL, &err), 0);
	assert_string_equal(got, "pwned");
	assert_true(fs_exists(in2));
	/* teardown checks OUTSIDE itself is unchanged */
}

static void file_entry_replaces_a_symlink_instead_of_writing_through_it(void **state)
{
	struct diff_apply_opts o = {.media_type = MT_TAR};
	cleanup_free char *got = NULL;

	apply_ok("hostile-symlink-overwrite.tar", fx->target, &o);
	assert_true(S_ISREG(lstat_at(fx->target, "victim").st_mode));
	got = read_at(fx->target, "victim");
	assert_string_equal(got, "replaced");
}

static void hardlink_through_a_symlink_resolves_inside_the_target(void **state)
{
	struct diff_apply_opts o = {.media_type = MT_TAR};
	struct stat before, after;
	cleanup_free char *msg = NULL;

	assert_int_equal(stat("/etc/passwd", &before), 0);
	msg = apply_fail("hostile-hardlink-symlink.tar", &o, BERTH_E_NOT_FOUND);
	assert_non_null(strstr(msg, "entry 'passwd'"));
	assert_int_equal(stat("/etc/passwd", &after), 0);
	assert_int_equal(after.st_nlink, before.st_nlink);
	assert_false(exists_at(fx->target, "passwd"));
}

static void device_nodes_need_the_allow_flag(void **state)
{
	struct diff_apply_opts o = {.media_type = MT_TAR};
	cleanup_free char *msg = apply_fail("hostile-device.tar", &o, BERTH_E_PERMISSION);
	struct stat st;

	assert_non_null(strstr(msg, "entry 'dev/mem': device nodes are not allowed"));
	assert_false(exists_at(fx->target, "dev/mem"));
	o.allow_devices = true;
	apply_ok("hostile-device.tar", fx->target, &o);
	st = lstat_at(fx->target, "dev/mem");
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 1));
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* --- diff_compute --- */

static int sink_fd(void *arg, const void *buf, size_t len, struct berth_err **err)
{
	if (fs_write_all(*(int *)arg, buf, len) < 0)
		return berth_err_sys(err, errno, "write");
	return 0;
}

/* Computes lower -> upper into layers/<file>; returns the result (caller finis it). */
static struct diff_compute_result compute_to(char *const *lower, char *const *upper, const char *mt,
					     const char *file)
{
	cleanup_free char *p = path_of(fx->layers, file);
	cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct diff_compute_result r = {0};
	struct berth_err *err = NULL;

	assert_true(fd >= 0);
	if (diff_compute(lower, upper, mt, sink_fd, &fd, &r, &err) < 0)
		fail_msg("diff_compute: %s", err->msg);
	return r;
}

/* Entry names of layers/<file>, one per line (tar tf). */
static char *tar_list(const char *file)
{
	cleanup_free char *cmd = xasprintf("tar tf '%s/%s' 2>&1", fx->layers, file);
	FILE *p = popen(cmd, "r");
	char *buf = xzalloc(65536);
	size_t n;

	assert_non_null(p);
	n = fread(buf, 1, 65535, p);
	buf[n] = '\0';
	assert_int_equal(pclose(p), 0);
	return buf;
}

static void computed_overlay_layer_exports_the_upper_dir_with_oci_whiteouts(void **state)
{
	cleanup_free char *lower = path_of(fx->target, "lower");
	cleanup_free char *upper = path_of(fx->target, "upper");
	cleanup_free char *full = path_of(fx->target, "full");
	cleanup_free char *list = NULL, *c = NULL;
	char *lowers[] = {lower, NULL};
	char *uppers[] = {upper, lower, NULL};
	struct diff_apply_opts plain = {.media_type = MT_TAR};
	struct diff_apply_opts o = {
		.media_type = MT_TAR, .whiteouts = DIFF_WHITEOUT_OVERLAY, .lowers = lowers};
	struct diff_compute_result r;
	struct diff_result res = {0};
	struct berth_err *err = NULL;

	assert_int_equal(mkdir(lower, 0755), 0);
	assert_int_equal(mkdir(upper, 0755), 0);
	assert_int_equal(mkdir(full, 0755), 0);
	apply_ok("base.tar", lower, &plain);
	apply_ok("upper.tar", upper, &o);
	r = compute_to(lowers, uppers, MT_TAR, "computed-upper.tar");
	list = tar_list("computed-upper.tar");
	assert_non_null(strstr(list, "etc/.wh.hello\n"));
	assert_non_null(strstr(list, "opt/keep/.wh..wh..opq\n"));
	assert_non_null(strstr(list, "opt/keep/c\n"));
	assert_null(strstr(list, "usr/bin")); /* untouched: not in the layer */
	/* a tar's digest is its diff-id */
	assert_string_equal(r.digest, r.diff_id);
	/* applied onto a full copy of the lower, it gives the merged view */
	apply_ok("base.tar", full, &plain);
	if (apply("computed-upper.tar", full, &plain, &res, &err) < 0)
		fail_msg("%s", err->msg);
	assert_string_equal(res.diff_id, r.diff_id);
	assert_int_equal(res.size, r.size);
	diff_result_fini(&res);
	diff_compute_result_fini(&r);
	assert_false(exists_at(full, "etc/hello"));
	assert_false(exists_at(full, "opt/keep/a"));
	c = read_at(full, "opt/keep/c");
	assert_string_equal(c, "c");
	assert_false(exists_at(full, "var/lib/old"));
	assert_true(exists_at(full, "usr/bin/tool"));
}

static void computed_layer_of_two_full_trees_has_only_the_changes(void **state)
{
	cleanup_free char *l = path_of(fx->target, "l");
	cleanup_free char *u = path_of(fx->target, "u");
	cleanup_free char *again = path_of(fx->target, "again");
	cleanup_free char *f_tool = path_of(u, "usr/bin/tool");
	cleanup_free char *f_hello = path_of(u, "etc/hello");
	cleanup_free char *f_a = path_of(u, "opt/keep/a");
	cleanup_free char *list = NULL, *got = NULL;
	char *lowers[] = {l, NULL};
	char *uppers[] = {u, NULL};
	struct diff_apply_opts plain = {.media_type = MT_TAR};
	struct diff_apply_opts gz = {.media_type = MT_GZIP};
	struct diff_compute_result r;
	struct diff_result res = {0};
	struct berth_err *err = NULL;
	struct timespec keep[2];
	struct stat st;
	int fd;

	assert_int_equal(mkdir(l, 0755), 0);
	assert_int_equal(mkdir(u, 0755), 0);
	assert_int_equal(mkdir(again, 0755), 0);
	apply_ok("base.tar", l, &plain);
	apply_ok("base.tar", u, &plain);
	/* same size, same mtime (no nanoseconds, as from a tar): only the bytes differ */
	assert_int_equal(stat(f_tool, &st), 0);
	keep[0] = st.st_atim;
	keep[1] = st.st_mtim;
	fd = open(f_tool, O_WRONLY | O_CLOEXEC);
	assert_int_equal(pwrite(fd, "#", 1, 2), 1);
	close(fd);
	assert_int_equal(utimensat(AT_FDCWD, f_tool, keep, 0), 0);
	assert_int_equal(unlink(f_hello), 0);
	assert_int_equal(chmod(f_a, 0600), 0);
	r = compute_to(lowers, uppers, MT_GZIP, "computed-native.tar.gz");
	assert_string_not_equal(r.digest, r.diff_id);
	list = tar_list("computed-native.tar.gz");
	assert_non_null(strstr(list, "usr/bin/tool\n"));
	assert_non_null(strstr(list, "etc/.wh.hello\n"));
	assert_non_null(strstr(list, "opt/keep/a\n"));
	assert_null(strstr(list, "opt/keep/b"));
	assert_null(strstr(list, "var/lib/old"));
	/* the tool's hardlink moved with it: written as a link to it, not as a copy */
	assert_non_null(strstr(list, "usr/bin/hard\n"));
	apply_ok("base.tar", again, &plain);
	gz.expected_diff_id = r.diff_id;
	if (apply("computed-native.tar.gz", again, &gz, &res, &err) < 0)
		fail_msg("%s", err->msg);
	diff_result_fini(&res);
	diff_compute_result_fini(&r);
	assert_false(exists_at(again, "etc/hello"));
	assert_int_equal(lstat_at(again, "opt/keep/a").st_mode & 07777, 0600);
	got = read_at(again, "usr/bin/tool");
	assert_string_equal(got, "#!#bin/sh\necho tool\n");
	assert_int_equal(lstat_at(again, "usr/bin/hard").st_ino,
			 lstat_at(again, "usr/bin/tool").st_ino);
}

static void identical_trees_give_an_empty_layer(void **state)
{
	cleanup_free char *l = path_of(fx->target, "l");
	cleanup_free char *u = path_of(fx->target, "u");
	cleanup_free char *list = NULL;
	char *lowers[] = {l, NULL};
	char *uppers[] = {u, NULL};
	struct diff_apply_opts plain = {.media_type = MT_TAR};
	struct diff_compute_result r;

	assert_int_equal(mkdir(l, 0755), 0);
	assert_int_equal(mkdir(u, 0755), 0);
	apply_ok("base.tar", l, &plain);
	apply_ok("base.tar", u, &plain);
	r = compute_to(lowers, uppers, MT_TAR, "computed-empty.tar");
	list = tar_list("computed-empty.tar");
	assert_string_equal(list, "");
	assert_int_equal(r.size, 1024); /* the end-of-archive marker only */
	diff_compute_result_fini(&r);
}

/* Makes dir/d/d/.../d (depth levels), with a file "leaf" at the bottom when leaf. */
static void make_deep(const char *dir, int depth, bool leaf)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	for (int i = 0; i < depth; i++) {
		int next;

		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	if (leaf) {
		int f = openat(fd, "leaf", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		assert_true(f >= 0);
		close(f);
	}
	close(fd);
}

struct deep_job {
	char *const *lower, *const *upper;
	int fd;
	int ret;
	struct diff_compute_result r;
	struct berth_err *err;
};

static void *deep_compute(void *arg)
{
	struct deep_job *j = arg;

	j->ret = diff_compute(j->lower, j->upper, MT_TAR, sink_fd, &j->fd, &j->r, &j->err);
	return NULL;
}

/* regression: issue #15 (no recursion on input depth): 3,000 levels on a 256 KiB stack */
static void compare_of_trees_3000_deep_needs_no_deep_stack(void **state)
{
	cleanup_free char *l = path_of(fx->target, "deep-l");
	cleanup_free char *u = path_of(fx->target, "deep-u");
	cleanup_free char *out = path_of(fx->layers, "deep.tar");
	cleanup_free char *cmd = NULL;
	char *lowers[] = {l, NULL}, *uppers[] = {u, NULL};
	struct deep_job j = {.lower = lowers, .upper = uppers};
	char line[64] = "";
	pthread_attr_t attr;
	pthread_t t;
	FILE *p;

	assert_int_equal(mkdir(l, 0755), 0);
	assert_int_equal(mkdir(u, 0755), 0);
	make_deep(l, 3000, false);
	make_deep(u, 3000, true);
	j.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(j.fd >= 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	assert_int_equal(pthread_create(&t, &attr, deep_compute, &j), 0);
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
	close(j.fd);
	if (j.ret < 0)
		fail_msg("diff_compute: %s", j.err->msg);
	diff_compute_result_fini(&j.r);
	/* the unchanged dirs are written once the leaf below them shows they lead to a change */
	cmd = xasprintf("tar tf '%s' | awk 'END {print NR, substr($0, length($0) - 6)}'", out);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	pclose(p);
	assert_string_equal(line, "3001 /d/leaf\n");
	assert_int_equal(fs_rm_rf(l, NULL), 0);
	assert_int_equal(fs_rm_rf(u, NULL), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(plain_tar_gives_the_exact_tree_and_its_diff_id),
		T(compare_of_trees_3000_deep_needs_no_deep_stack),
		T(compressed_layers_have_the_diff_id_of_their_tar),
		T(unknown_media_type_is_refused_by_name_before_any_write),
		T(wrong_diff_id_fails_naming_both_digests),
		T(gzip_type_on_garbage_is_invalid),
		T(whiteouts_remove_lower_paths_from_a_full_tree),
		T(whiteouts_become_overlay_markers_in_an_upper_dir),
		T(overlay_parents_come_from_the_lowers),
		T(hardlinks_to_lower_files_copy_them_up_in_an_upper_dir),
		T(hostile_names_are_refused_naming_layer_and_entry),
		T(symlinked_parents_are_followed_inside_the_target_only),
		T(file_entry_replaces_a_symlink_instead_of_writing_through_it),
		T(hardlink_through_a_symlink_resolves_inside_the_target),
		T(device_nodes_need_the_allow_flag),
		T(computed_overlay_layer_exports_the_upper_dir_with_oci_whiteouts),
		T(computed_layer_of_two_full_trees_has_only_the_changes),
		T(identical_trees_give_an_empty_layer),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_diff: needs root\n");
		return 0;
	}
	umask(077); /* as berthd's */
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
