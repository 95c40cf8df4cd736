/* Unit tests for common/fs.c: atomic writes, reads, mkdir -p, rm -rf. */
#include <errno.h>
#include <fcntl.h>
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

static int setup_dir(void **state)
{
	char tmpl[] = "/tmp/berth-test-fs-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		return -1;
	*state = xstrdup(d);
	return 0;
}

static int teardown_dir(void **state)
{
	struct berth_err *err = NULL;
	int r = fs_rm_rf(*state, &err);

	berth_err_free(&err);
	free(*state);
	return r;
}

static void write_atomic_replaces_content_and_leaves_no_temp(void **state)
{
	const char *dir = *state;
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *got = NULL;
	struct berth_err *err = NULL;
	size_t len;
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int n = 0;

	assert_int_equal(fs_write_atomic(dfd, "state.json", "old", 3, 0600, &err), 0);
	assert_int_equal(fs_write_atomic(dfd, "state.json", "new!", 4, 0600, &err), 0);
	assert_int_equal(fs_read_file(dfd, "state.json", &got, &len, &err), 0);
	assert_int_equal(len, 4);
	assert_string_equal(got, "new!");
	d = opendir(dir);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || strstr(de->d_name, ".tmp"))
			n++;
	assert_int_equal(n, 1);
}

static void read_missing_file_names_it(void **state)
{
	struct berth_err *err = NULL;
	char *out = NULL;

	assert_int_equal(fs_read_file(AT_FDCWD, "/nonexistent/berth", &out, NULL, &err), -1);
	assert_non_null(err);
	assert_string_equal(err->msg, "open '/nonexistent/berth': No such file or directory");
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	assert_null(out);
	berth_err_free(&err);
}

static void read_max_refuses_larger_files(void **state)
{
	const char *dir = *state;
	cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct berth_err *err = NULL;
	char big[10000];
	char *out = NULL;

	memset(big, 'x', sizeof(big));
	assert_int_equal(fs_write_atomic(dfd, "big", big, sizeof(big), 0600, &err), 0);
	assert_int_equal(fs_read_file_max(dfd, "big", 5000, &out, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_RESOURCE);
	berth_err_free(&err);
}

static void mkdir_p_and_rm_rf(void **state)
{
	const char *dir = *state;
	cleanup_free char *deep = xasprintf("%s/a/b/c", dir);
	cleanup_free char *top = xasprintf("%s/a", dir);
	cleanup_free char *file = xasprintf("%s/a/b/f", dir);
	struct berth_err *err = NULL;
	FILE *f;

	assert_int_equal(fs_mkdir_p(deep, 0755, &err), 0);
	assert_int_equal(fs_mkdir_p(deep, 0755, &err), 0); /* idempotent */
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_true(fs_exists(file));
	assert_int_equal(fs_rm_rf(top, &err), 0);
	assert_false(fs_exists(top));
	assert_int_equal(fs_rm_rf(top, &err), 0); /* missing is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_atomic_replaces_content_and_leaves_no_temp,
						setup_dir, teardown_dir),
		cmocka_unit_test(read_missing_file_names_it),
		cmocka_unit_test_setup_teardown(read_max_refuses_larger_files, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(mkdir_p_and_rm_rf, setup_dir, teardown_dir),
	};
	return cmocka_run_group_tests_name("fs", tests, NULL, NULL);
}
