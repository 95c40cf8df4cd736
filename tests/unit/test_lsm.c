/*
 * Unit tests for runtime/lib/lsm: which AppArmor/SELinux labels are kept for
 * the child, and which /proc/thread-self/attr file each is written to. A temp
 * directory stands in for "/" (rt_lsm_set_root), with the /sys and /proc files
 * a host with the LSM enabled has.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "runtime/lib/lsm.h"

static char root[] = "/tmp/berth-test-lsm.XXXXXX";

static void put(const char *path, const char *text)
{
	cleanup_free char *p = xasprintf("%s%s", root, path);
	cleanup_free char *dir = xstrdup(p);
	struct berth_err *err = NULL;

	*strrchr(dir, '/') = 0;
	assert_int_equal(fs_mkdir_p(dir, 0755, &err), 0);
	cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static char *get(const char *path)
{
	cleanup_free char *p = xasprintf("%s%s", root, path);
	struct berth_err *err = NULL;
	char *buf = NULL;
	size_t len;

	if (fs_read_file(AT_FDCWD, p, &buf, &len, &err) < 0) {
		berth_err_free(&err);
		return NULL;
	}
	return buf;
}

static int setup(void **state)
{
	assert_non_null(mkdtemp(root));
	rt_lsm_set_root(root);
	return 0;
}

static int teardown(void **state)
{
	struct berth_err *err = NULL;

	rt_lsm_set_root(NULL);
	fs_rm_rf(root, &err);
	strcpy(root + strlen(root) - 6, "XXXXXX");
	return 0;
}

static void apparmor_host(void)
{
	put("/sys/module/apparmor/parameters/enabled", "Y\n");
	put("/sys/kernel/security/apparmor/profiles", "");
}

static void test_apparmor_profile_is_written_as_exec_to_attr_apparmor_exec(void **state)
{
	struct oci_process proc = {.apparmor_profile = "berth-test"};
	struct rt_lsm_plan plan;
	struct berth_err *err = NULL;
	cleanup_free char *got = NULL;

	apparmor_host();
	put("/proc/thread-self/attr/apparmor/exec", "");
	put("/proc/thread-self/attr/exec", "");
	assert_true(rt_lsm_apparmor_enabled());
	assert_int_equal(rt_lsm_prepare(&plan, &proc, &err), 0);
	assert_string_equal(plan.apparmor_exec, "exec berth-test");
	assert_null(plan.selinux_exec);
	assert_int_equal(rt_lsm_apply(&plan, &err), 0);
	got = get("/proc/thread-self/attr/apparmor/exec");
	assert_string_equal(got, "exec berth-test");
	free(got);
	got = get("/proc/thread-self/attr/exec");
	assert_string_equal(got, ""); /* the SELinux file is left alone */
	rt_lsm_plan_clear(&plan);
}

static void test_apparmor_before_linux_5_8_uses_attr_exec(void **state)
{
	struct oci_process proc = {.apparmor_profile = "old-kernel"};
	struct rt_lsm_plan plan;
	struct berth_err *err = NULL;
	cleanup_free char *got = NULL;

	apparmor_host();
	put("/proc/thread-self/attr/exec", "");
	assert_int_equal(rt_lsm_prepare(&plan, &proc, &err), 0);
	assert_int_equal(rt_lsm_apply(&plan, &err), 0);
	got = get("/proc/thread-self/attr/exec");
	assert_string_equal(got, "exec old-kernel");
	rt_lsm_plan_clear(&plan);
}

static void test_apparmor_disabled_keeps_nothing_to_apply(void **state)
{
	struct oci_process proc = {.apparmor_profile = "berth-test"};
	struct rt_lsm_plan plan;
	struct berth_err *err = NULL;

	put("/sys/module/apparmor/parameters/enabled", "N\n");
	put("/sys/kernel/security/apparmor/profiles", "");
	assert_false(rt_lsm_apparmor_enabled());
	assert_int_equal(rt_lsm_prepare(&plan, &proc, &err), 0);
	assert_null(plan.apparmor_exec);
	assert_int_equal(rt_lsm_apply(&plan, &err), 0);
	assert_null(get("/proc/thread-self/attr/apparmor/exec"));
}

static void test_apparmor_profile_with_a_newline_is_refused_naming_the_field(void **state)
{
	struct oci_process proc = {.apparmor_profile = "a\nchangeprofile b"};
	struct rt_lsm_plan plan;
	struct berth_err *err = NULL;

	apparmor_host();
	assert_int_equal(rt_lsm_prepare(&plan, &proc, &err), -1);
	assert_non_null(strstr(err->msg, "process.apparmorProfile"));
	berth_err_free(&err);
}

static void test_selinux_label_is_written_to_attr_exec(void **state)
{
	struct oci_process proc = {.selinux_label = "system_u:system_r:container_t:s0:c1,c2"};
	struct rt_lsm_plan plan;
	struct berth_err *err = NULL;
	cleanup_free char *got = NULL;

	put("/sys/fs/selinux/enforce", "1");
	put("/proc/thread-self/attr/exec", "");
	assert_true(rt_lsm_selinux_enabled());
	assert_int_equal(rt_lsm_prepare(&plan, &proc, &err), 0);
	assert_null(plan.apparmor_exec);
	assert_int_equal(rt_lsm_apply(&plan, &err), 0);
	got = get("/proc/thread-self/attr/exec");
	assert_string_equal(got, "system_u:system_r:container_t:s0:c1,c2");
	rt_lsm_plan_clear(&plan);
}

static void test_selinux_off_keeps_nothing_to_apply(void **state)
{
	struct oci_process proc = {.selinux_label = "system_u:system_r:container_t:s0"};
	struct rt_lsm_plan plan;
	struct berth_err *err = NULL;

	assert_false(rt_lsm_selinux_enabled());
	assert_int_equal(rt_lsm_prepare(&plan, &proc, &err), 0);
	assert_null(plan.selinux_exec);
}

static void test_a_missing_attr_file_is_an_error_naming_the_field(void **state)
{
	struct oci_process proc = {.selinux_label = "l"};
	struct rt_lsm_plan plan;
	struct berth_err *err = NULL;

	put("/sys/fs/selinux/enforce", "1");
	assert_int_equal(rt_lsm_prepare(&plan, &proc, &err), 0);
	assert_int_equal(rt_lsm_apply(&plan, &err), -1);
	assert_non_null(strstr(err->msg, "process.selinuxLabel"));
	assert_non_null(strstr(err->msg, "/proc/thread-self/attr/exec"));
	berth_err_free(&err);
	rt_lsm_plan_clear(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_apparmor_profile_is_written_as_exec_to_attr_apparmor_exec),
		T(test_apparmor_before_linux_5_8_uses_attr_exec),
		T(test_apparmor_disabled_keeps_nothing_to_apply),
		T(test_apparmor_profile_with_a_newline_is_refused_naming_the_field),
		T(test_selinux_label_is_written_to_attr_exec),
		T(test_selinux_off_keeps_nothing_to_apply),
		T(test_a_missing_attr_file_is_an_error_naming_the_field),
#undef T
	};

	return cmocka_run_group_tests_name("lsm", tests, NULL, NULL);
}
