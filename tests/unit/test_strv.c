/* Unit tests for common/strv.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/strv.h"

static void push_join_split_round_trip(void **state)
{
	cleanup(strv_freep) char **v = NULL;
	cleanup(strv_freep) char **w = NULL;
	cleanup_free char *j = NULL;

	strv_push(&v, "a");
	strv_push(&v, "bb");
	strv_push(&v, "c");
	assert_int_equal(strv_len(v), 3);
	j = strv_join(v, ",");
	assert_string_equal(j, "a,bb,c");
	w = strv_split(",,a,bb,,c,", ",");
	assert_int_equal(strv_len(w), 3);
	assert_string_equal(w[1], "bb");
	assert_true(strv_contains(w, "c"));
	assert_false(strv_contains(w, "d"));
}

static void empty_vectors_behave(void **state)
{
	cleanup(strv_freep) char **v = strv_split("", ":");
	cleanup_free char *j = strv_join(NULL, ",");
	int n = 0;

	assert_int_equal(strv_len(v), 0);
	assert_string_equal(j, "");
	strv_foreach (s, v)
		n++;
	assert_int_equal(n, 0);
}

static void foreach_visits_in_order(void **state)
{
	cleanup(strv_freep) char **v = strv_split("x y z", " ");
	char seen[4] = {0};
	int i = 0;

	strv_foreach (s, v)
		seen[i++] = s[0];
	assert_string_equal(seen, "xyz");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_join_split_round_trip),
		cmocka_unit_test(empty_vectors_behave),
		cmocka_unit_test(foreach_visits_in_order),
	};
	return cmocka_run_group_tests_name("strv", tests, NULL, NULL);
}
