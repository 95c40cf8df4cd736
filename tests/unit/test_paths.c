/*
 * Unit tests for runtime/lib/paths.c: resolution inside a root full of hostile
 * symlinks stays inside it, with openat2 and with the user-space walk.
 * Every test runs twice: once as the kernel resolves (openat2) and once with
 * RT_PATH_FORCE_WALK (the fallback for kernels without openat2).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "runtime/lib/paths.h"

struct fixture {
	char *dir;  /* temp dir holding root/ and outside/ */
	char *root; /* dir/root */
	int rootfd;
	int mode; /* 0 or RT_PATH_FORCE_WALK */
};

static int walk_mode = RT_PATH_FORCE_WALK, kernel_mode = 0;

static void put(const char *dir, const char *name, const char *content)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, content, strlen(content)), (ssize_t)strlen(content));
}

static void link_(const char *target, const char *root, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", root, name);

	assert_int_equal(symlink(target, p), 0);
}

static void mkdir_(const char *root, const char *name)
{
	cleanup_free char *p = xasprintf("%s/%s", root, name);

	assert_int_equal(mkdir(p, 0755), 0);
}

/*
 * root/etc/passwd        "inside"      outside/passwd  "outside"
 * root/etc_abs  -> /etc                root/up -> ../../../../..
 * root/esc      -> <dir>/outside       root/loop1 <-> root/loop2
 * root/dangling -> /made/by/mkdir      root/file (regular)
 * root/rootlink -> /                   root/deep/a/b -> ../../etc
 */
static int setup(void **state)
{
	char tmpl[] = "/tmp/berth-test-paths-XXXXXX";
	struct fixture *f = xnew(struct fixture);

	f->mode = *(int *)*state;
	f->dir = xstrdup(mkdtemp(tmpl));
	f->root = xasprintf("%s/root", f->dir);
	mkdir_(f->dir, "root");
	mkdir_(f->dir, "outside");
	mkdir_(f->root, "etc");
	put(f->root, "etc/passwd", "inside");
	put(f->dir, "outside/passwd", "outside");
	put(f->root, "file", "a file");
	link_("/etc", f->root, "etc_abs");
	link_("../../../../..", f->root, "up");
	{
		cleanup_free char *out = xasprintf("%s/outside", f->dir);

		link_(out, f->root, "esc");
	}
	link_("loop2", f->root, "loop1");
	link_("loop1", f->root, "loop2");
	link_("/made/by/mkdir", f->root, "dangling");
	link_("/", f->root, "rootlink");
	mkdir_(f->root, "deep");
	mkdir_(f->root, "deep/a");
	link_("../../etc", f->root, "deep/a/b");
	f->rootfd = open(f->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->rootfd >= 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;

	close(f->rootfd);
	fs_rm_rf(f->dir, &err);
	berth_err_free(&err);
	free(f->root);
	free(f->dir);
	free(f);
	return 0;
}

/* The host path an fd names, relative to the root; fails the test if outside. */
static char *rel_path(struct fixture *f, int fd)
{
	char buf[RT_PATH_FD_LEN], real[PATH_MAX];
	size_t rlen = strlen(f->root);
	ssize_t n = readlink(rt_path_fd(fd, buf), real, sizeof(real) - 1);

	assert_true(n > 0);
	real[n] = '\0';
	if (strncmp(real, f->root, rlen) || (real[rlen] && real[rlen] != '/'))
		fail_msg("resolved outside the root: expected under '%s', got '%s'", f->root, real);
	return xstrdup(real[rlen] ? real + rlen : "/");
}

/* Resolves path and returns its place relative to the root ("ENOENT"... on error). */
static char *resolve(struct fixture *f, const char *path, int flags)
{
	struct berth_err *err = NULL;
	int fd = rt_path_open(f->rootfd, path, flags | f->mode, 0755, &err);
	char *r;

	if (fd < 0) {
		r = xstrdup(err->errnum == ENOENT    ? "ENOENT"
			    : err->errnum == ELOOP   ? "ELOOP"
			    : err->errnum == ENOTDIR ? "ENOTDIR"
						     : err->msg);
		berth_err_free(&err);
		return r;
	}
	r = rel_path(f, fd);
	close(fd);
	return r;
}

#define assert_resolves(f, path, flags, want)                      \
	do {                                                       \
		cleanup_free char *got_ = resolve(f, path, flags); \
		assert_string_equal(got_, want);                   \
	} while (0)

static void absolute_symlink_to_etc_stays_in_root(void **state)
{
	struct fixture *f = *state;

	assert_resolves(f, "/etc_abs/passwd", 0, "/etc/passwd");
	assert_resolves(f, "etc_abs", 0, "/etc");
}

static void dotdot_escapes_stop_at_root(void **state)
{
	struct fixture *f = *state;

	assert_resolves(f, "/../../../../etc/passwd", 0, "/etc/passwd");
	assert_resolves(f, "/up/etc/passwd", 0, "/etc/passwd");
	assert_resolves(f, "/up/up/../..", 0, "/");
	assert_resolves(f, "/deep/a/b/passwd", 0, "/etc/passwd");
	assert_resolves(f, "/deep/a/b/../../..", 0, "/");
}

static void symlink_to_a_host_path_resolves_inside_root(void **state)
{
	struct fixture *f = *state;

	/* root/esc points at <dir>/outside; inside the root that does not exist */
	assert_resolves(f, "/esc/passwd", 0, "ENOENT");
}

static void symlink_loops_fail_with_eloop(void **state)
{
	struct fixture *f = *state;

	assert_resolves(f, "/loop1", 0, "ELOOP");
	assert_resolves(f, "/loop1/x", 0, "ELOOP");
}

static void nofollow_returns_the_symlink_itself(void **state)
{
	struct fixture *f = *state;

	assert_resolves(f, "/etc_abs", RT_PATH_NOFOLLOW, "/etc_abs");
	assert_resolves(f, "/loop1", RT_PATH_NOFOLLOW, "/loop1");
}

static void file_in_the_middle_is_enotdir(void **state)
{
	struct fixture *f = *state;

	assert_resolves(f, "/file/x", 0, "ENOTDIR");
}

static void mkdir_through_dangling_symlink_creates_inside_root(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *inside = xasprintf("%s/made/by/mkdir/sub", f->root);
	struct stat st;

	assert_resolves(f, "/dangling/sub", RT_PATH_MKDIR, "/made/by/mkdir/sub");
	assert_int_equal(stat(inside, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_not_equal(stat("/made/by/mkdir", &st), 0);
}

static void mkdir_through_host_symlink_creates_inside_root(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *host = xasprintf("%s/outside/newdir", f->dir);
	cleanup_free char *want = xasprintf("%s/outside/newdir", f->dir);
	struct stat st;

	assert_resolves(f, "/esc/newdir", RT_PATH_MKDIR, want);
	assert_int_not_equal(stat(host, &st), 0);
}

static void parent_of_a_path_and_its_name(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;
	cleanup_free char *buf = NULL, *where = NULL;
	const char *name = NULL;
	int fd = rt_path_open_parent(f->rootfd, "/etc_abs/../up/etc//shadow/", f->mode, 0, &buf,
				     &name, &err);

	/* cleaned lexically first: "/up/etc/shadow" */
	assert_true(fd >= 0);
	assert_string_equal(name, "shadow");
	where = rel_path(f, fd);
	assert_string_equal(where, "/etc");
	close(fd);
}

static void parent_of_root_is_refused(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;
	char *buf = NULL;
	const char *name;

	assert_int_equal(rt_path_open_parent(f->rootfd, "/..", f->mode, 0, &buf, &name, &err), -1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	berth_err_free(&err);
}

static void symlink_to_root_resolves_to_root(void **state)
{
	struct fixture *f = *state;
	struct berth_err *err = NULL;
	int fd = rt_path_open(f->rootfd, "/rootlink", f->mode, 0, &err);

	assert_true(fd >= 0);
	assert_true(rt_path_same_inode(fd, f->rootfd));
	close(fd);
}

static void clean_is_lexical_and_absolute(void **state)
{
	static const char *const cases[][2] = {
		{"", "/"},	 {"/", "/"},	 {"//a/./b/../c/", "/a/c"}, {"../../x", "/x"},
		{"a/b", "/a/b"}, {"/a/..", "/"}, {"/a/b/../../..", "/"},    {"/..a/.b", "/..a/.b"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cleanup_free char *got = rt_path_clean(cases[i][0]);

		assert_string_equal(got, cases[i][1]);
	}
}

#define BOTH(fn)                                               \
	{#fn " [openat2]", fn, setup, teardown, &kernel_mode}, \
	{                                                      \
#fn " [walk]", fn, setup, teardown, &walk_mode \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(absolute_symlink_to_etc_stays_in_root),
		BOTH(dotdot_escapes_stop_at_root),
		BOTH(symlink_to_a_host_path_resolves_inside_root),
		BOTH(symlink_loops_fail_with_eloop),
		BOTH(nofollow_returns_the_symlink_itself),
		BOTH(file_in_the_middle_is_enotdir),
		BOTH(mkdir_through_dangling_symlink_creates_inside_root),
		BOTH(mkdir_through_host_symlink_creates_inside_root),
		BOTH(parent_of_a_path_and_its_name),
		BOTH(parent_of_root_is_refused),
		BOTH(symlink_to_root_resolves_to_root),
		cmocka_unit_test(clean_is_lexical_and_absolute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
