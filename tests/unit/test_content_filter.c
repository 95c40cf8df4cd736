/*
 * tests/unit/test_content_filter.c - supervisor/services/filter: containerd's list filter
 * syntax as the content, images, leases, namespaces and events services evaluate it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/services/filter.h"

struct obj {
	const char *name;
	char **labels;
};

static const char *field(const void *o, char *const *path, size_t n)
{
	const struct obj *ob = o;

	if (n == 1 && strcmp(path[0], "name") == 0)
		return ob->name;
	if (n >= 2 && strcmp(path[0], "labels") == 0)
		return svc_filter_kv(ob->labels, path + 1, n - 1);
	return NULL;
}

static bool match(const char *filter, const struct obj *o)
{
	struct svc_filter *f = NULL;
	struct berth_err *err = NULL;
	char *v[] = {(char *)filter, NULL};
	bool r;

	assert_int_equal(svc_filter_parse(v, 1, &f, &err), 0);
	r = svc_filter_match(f, field, o);
	svc_filter_free(f);
	return r;
}

static char *labels[] = {"containerd.io/gc.root", "x", "env", "prod", NULL};
static const struct obj busybox = {"docker.io/library/busybox:latest", labels};
static const struct obj plain = {"localhost/plain:1", NULL};

static void equality_and_inequality(void **state)
{
	assert_true(match("name==docker.io/library/busybox:latest", &busybox));
	assert_false(match("name==docker.io/library/busybox:latest", &plain));
	assert_true(match("name!=localhost/plain:1", &busybox));
	assert_true(match("name==\"localhost/plain:1\"", &plain));
}

static void regex_match(void **state)
{
	assert_true(match("name~=^docker\\.io/", &busybox));
	assert_false(match("name~=^docker\\.io/", &plain));
}

static void quoted_label_keys_with_dots_and_presence(void **state)
{
	assert_true(match("labels.\"containerd.io/gc.root\"", &busybox));
	assert_false(match("labels.\"containerd.io/gc.root\"", &plain));
	assert_true(match("labels.env==prod", &busybox));
}

static void comma_is_and_separate_filters_are_or(void **state)
{
	struct svc_filter *f = NULL;
	struct berth_err *err = NULL;
	char *v[] = {"labels.env==prod,name~=busybox", "name==localhost/plain:1", NULL};

	assert_false(match("labels.env==prod,name~=plain", &busybox));
	assert_true(match("labels.env==prod,name~=busybox", &busybox));
	assert_int_equal(svc_filter_parse(v, 2, &f, &err), 0);
	assert_true(svc_filter_match(f, field, &busybox));
	assert_true(svc_filter_match(f, field, &plain));
	svc_filter_free(f);
}

static void syntax_errors_name_the_filter(void **state)
{
	const char *bad[] = {"name=", "name==", "labels.\"unterminated", "name~=(", ".x"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct svc_filter *f = NULL;
		struct berth_err *err = NULL;
		char *v[] = {(char *)bad[i], NULL};

		assert_int_equal(svc_filter_parse(v, 1, &f, &err), -1);
		assert_int_equal(err->code, BERTH_E_INVALID);
		assert_non_null(strstr(err->msg, bad[i]));
		berth_err_free(&err);
	}
}

static void no_filter_matches_all(void **state)
{
	struct svc_filter *f = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(svc_filter_parse(NULL, 0, &f, &err), 0);
	assert_null(f);
	assert_true(svc_filter_match(NULL, field, &plain));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(equality_and_inequality),
		cmocka_unit_test(regex_match),
		cmocka_unit_test(quoted_label_keys_with_dots_and_presence),
		cmocka_unit_test(comma_is_and_separate_filters_are_or),
		cmocka_unit_test(syntax_errors_name_the_filter),
		cmocka_unit_test(no_filter_matches_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
