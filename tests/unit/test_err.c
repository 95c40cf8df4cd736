/* Unit tests for common/err.c: messages, wrapping, classes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "common/err.h"

static int fail_open(struct berth_err **err)
{
	return berth_err_sys(err, ENOENT, "open '%s'", "state.json");
}

static void wrap_reads_outermost_first_and_keeps_errno(void **state)
{
	struct berth_err *err = NULL;

	assert_int_equal(fail_open(&err), -1);
	assert_int_equal(berth_err_wrap(&err, "load container '%s'", "abc"), -1);
	assert_string_equal(err->msg,
			    "load container 'abc': open 'state.json': No such file or directory");
	assert_true(berth_err_is(err, ENOENT));
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
	assert_null(err);
}

static void new_sets_class_without_errno(void **state)
{
	struct berth_err *err = NULL;

	berth_err_new(&err, BERTH_E_PRECONDITION, "container '%s' is running", "x");
	assert_int_equal(err->errnum, 0);
	assert_int_equal(err->code, BERTH_E_PRECONDITION);
	assert_string_equal(err->msg, "container 'x' is running");
	berth_err_free(&err);
}

static void first_error_wins(void **state)
{
	struct berth_err *err = NULL;

	berth_err_new(&err, BERTH_E_INVALID, "root cause");
	berth_err_new(&err, BERTH_E_INTERNAL, "second");
	assert_string_equal(err->msg, "root cause");
	berth_err_free(&err);
}

static void null_err_pointer_is_allowed(void **state)
{
	assert_int_equal(berth_err_new(NULL, BERTH_E_INVALID, "x"), -1);
	assert_int_equal(berth_err_wrap(NULL, "y"), -1);
	berth_err_free(NULL);
}

static void errno_maps_to_classes(void **state)
{
	assert_int_equal(berth_err_code_from_errno(EEXIST), BERTH_E_EXISTS);
	assert_int_equal(berth_err_code_from_errno(EINVAL), BERTH_E_INVALID);
	assert_int_equal(berth_err_code_from_errno(EPERM), BERTH_E_PERMISSION);
	assert_int_equal(berth_err_code_from_errno(EACCES), BERTH_E_PERMISSION);
	assert_int_equal(berth_err_code_from_errno(ENOSYS), BERTH_E_UNIMPLEMENTED);
	assert_int_equal(berth_err_code_from_errno(EOPNOTSUPP), BERTH_E_UNIMPLEMENTED);
	assert_int_equal(berth_err_code_from_errno(EIO), BERTH_E_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wrap_reads_outermost_first_and_keeps_errno),
		cmocka_unit_test(new_sets_class_without_errno),
		cmocka_unit_test(first_error_wins),
		cmocka_unit_test(null_err_pointer_is_allowed),
		cmocka_unit_test(errno_maps_to_classes),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
