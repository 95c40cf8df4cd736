/*
 * Unit tests for the pure parts of runtime/lib/events.c and update.c: Go
 * durations (--interval), runc's memory sizes (--memory 64m), which members of
 * a LinuxResources object `update` applies, and how they merge into the
 * stored config.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/events.h"
#include "runtime/lib/update.h"
#include "spec/config.h"

static uint64_t dur(const char *s)
{
	uint64_t ns = 12345;

	assert_int_equal(rt_duration_parse(s, &ns), 0);
	return ns;
}

static void duration_accepts_go_syntax(void **state)
{
	assert_true(dur("5s") == 5000000000ULL);
	assert_true(dur("250ms") == 250000000ULL);
	assert_true(dur("1m30s") == 90000000000ULL);
	assert_true(dur("1.5h") == 5400000000000ULL);
	assert_true(dur("10us") == 10000ULL);
	assert_true(dur("10\xc2\xb5s") == 10000ULL);
	assert_true(dur("7ns") == 7ULL);
	assert_true(dur("0") == 0);
	assert_true(dur("0s") == 0);
}

static void duration_rejects_what_go_rejects(void **state)
{
	static const char *const bad[] = {"", "5", "s", "5x", "-1s", "5 s", "1s2", "abc", NULL};
	uint64_t ns = 7;

	for (size_t i = 0; bad[i]; i++) {
		assert_int_equal(rt_duration_parse(bad[i], &ns), -1);
		assert_true(ns == 7);
	}
}

static int64_t size(const char *s)
{
	int64_t v = -12345;

	assert_int_equal(rt_size_parse(s, &v), 0);
	return v;
}

static void size_takes_binary_units_like_runc(void **state)
{
	assert_true(size("512") == 512);
	assert_true(size("64m") == 64LL << 20);
	assert_true(size("64M") == 64LL << 20);
	assert_true(size("1g") == 1LL << 30);
	assert_true(size("1.5GiB") == 3LL << 29);
	assert_true(size("10 kb") == 10240);
	assert_true(size("2t") == 2LL << 40);
	assert_true(size("100b") == 100);
}

static void size_rejects_junk_and_overflow(void **state)
{
	static const char *const bad[] = {"",	  "m",	      "-1", "12q", "1..",
					  "64mm", "9999999p", " 5", NULL};
	int64_t v = 3;

	for (size_t i = 0; bad[i]; i++) {
		assert_int_equal(rt_size_parse(bad[i], &v), -1);
		assert_true(v == 3);
	}
}

/* A LinuxResources object parsed from JSON, as `update --resources -` gets it. */
static struct oci_resources *res(const char *json)
{
	struct oci_resources *r = NULL;
	struct berth_err *err = NULL;

	if (oci_resources_parse(json, strlen(json), "resources", &r, &err) < 0)
		fail_msg("parse: %s", err->msg);
	return r;
}

static void select_drops_zeros_like_runc(void **state)
{
	cleanup(oci_resources_freep) struct oci_resources *in =
		res("{\"memory\":{\"limit\":0,\"reservation\":0,\"swap\":0},"
		    "\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0,\"cpus\":\"\",\"mems\":\"\"},"
		    "\"blockIO\":{\"weight\":0},\"pids\":{\"limit\":0}}");
	cleanup(oci_resources_freep) struct oci_resources *sel = rt_update_select(in, NULL);

	assert_null(sel->memory);
	assert_null(sel->cpu);
	assert_null(sel->block_io);
	assert_false(sel->has_pids_limit);
}

static void select_keeps_what_runc_updates(void **state)
{
	cleanup(oci_resources_freep) struct oci_resources *in =
		res("{\"memory\":{\"limit\":67108864,\"swap\":-1,\"checkBeforeUpdate\":true},"
		    "\"cpu\":{\"quota\":5000,\"cpus\":\"0-1\"},\"blockIO\":{\"weight\":300},"
		    "\"pids\":{\"limit\":-1},\"unified\":{\"memory.high\":\"max\"}}");
	cleanup(oci_resources_freep) struct oci_resources *sel = rt_update_select(in, NULL);

	assert_non_null(sel->memory);
	assert_true(sel->memory->has_limit && sel->memory->limit == 67108864);
	assert_true(sel->memory->has_swap && sel->memory->swap == -1);
	assert_false(sel->memory->has_reservation);
	assert_true(sel->memory->has_check_before_update && sel->memory->check_before_update);
	assert_true(sel->cpu->has_quota && sel->cpu->quota == 5000);
	assert_false(sel->cpu->has_period);
	assert_string_equal(sel->cpu->cpus, "0-1");
	assert_null(sel->cpu->mems);
	assert_true(sel->block_io->has_weight && sel->block_io->weight == 300);
	assert_true(sel->has_pids_limit && sel->pids_limit == -1);
	assert_int_equal(sel->n_unified, 1);
	assert_string_equal(sel->unified[0].value, "max");
}

static void select_names_what_it_ignores(void **state)
{
	cleanup(oci_resources_freep) struct oci_resources *in =
		res("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
		    "\"memory\":{\"swappiness\":10,\"kernel\":1048576},"
		    "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]}");
	cleanup(strv_freep) char **ignored = NULL;
	cleanup(oci_resources_freep) struct oci_resources *sel = rt_update_select(in, &ignored);

	assert_null(sel->memory);
	assert_int_equal(sel->n_devices, 0);
	assert_int_equal(sel->n_hugepage_limits, 0);
	assert_true(strv_contains(ignored, "devices"));
	assert_true(strv_contains(ignored, "memory.swappiness"));
	assert_true(strv_contains(ignored, "hugepageLimits"));
}

static void merge_overwrites_set_fields_only(void **state)
{
	cleanup(oci_resources_freep) struct oci_resources *dst =
		res("{\"memory\":{\"limit\":1000000,\"reservation\":500000},"
		    "\"cpu\":{\"shares\":1024,\"cpus\":\"0\"},\"pids\":{\"limit\":10},"
		    "\"unified\":{\"a.b\":\"1\"}}");
	cleanup(oci_resources_freep) struct oci_resources *src =
		res("{\"memory\":{\"limit\":2000000},\"cpu\":{\"cpus\":\"1\",\"quota\":100},"
		    "\"blockIO\":{\"weight\":500},\"unified\":{\"a.b\":\"2\",\"c.d\":\"3\"}}");

	rt_resources_merge(dst, src);
	assert_true(dst->memory->limit == 2000000);
	assert_true(dst->memory->has_reservation && dst->memory->reservation == 500000);
	assert_true(dst->cpu->shares == 1024);
	assert_true(dst->cpu->has_quota && dst->cpu->quota == 100);
	assert_string_equal(dst->cpu->cpus, "1");
	assert_true(dst->has_pids_limit && dst->pids_limit == 10);
	assert_true(dst->block_io->has_weight && dst->block_io->weight == 500);
	assert_int_equal(dst->n_unified, 2);
	assert_string_equal(dst->unified[0].value, "2");
	assert_string_equal(dst->unified[1].key, "c.d");
}

static void merge_into_empty_resources_round_trips(void **state)
{
	cleanup(oci_resources_freep) struct oci_resources *dst = xnew(struct oci_resources);
	cleanup(oci_resources_freep) struct oci_resources *src =
		res("{\"memory\":{\"limit\":4194304},\"pids\":{\"limit\":5}}");
	cleanup(oci_resources_freep) struct oci_resources *back = NULL;
	cleanup_free char *json = NULL;

	rt_resources_merge(dst, src);
	json = oci_resources_to_json(dst);
	back = res(json);
	assert_true(back->memory->has_limit && back->memory->limit == 4194304);
	assert_true(back->has_pids_limit && back->pids_limit == 5);
}

static void oom_record_is_runc_shaped(void **state)
{
	cleanup_free char *s = rt_events_oom_json("c1");

	assert_string_equal(s, "{\"type\":\"oom\",\"id\":\"c1\"}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(duration_accepts_go_syntax),
		cmocka_unit_test(duration_rejects_what_go_rejects),
		cmocka_unit_test(size_takes_binary_units_like_runc),
		cmocka_unit_test(size_rejects_junk_and_overflow),
		cmocka_unit_test(select_drops_zeros_like_runc),
		cmocka_unit_test(select_keeps_what_runc_updates),
		cmocka_unit_test(select_names_what_it_ignores),
		cmocka_unit_test(merge_overwrites_set_fields_only),
		cmocka_unit_test(merge_into_empty_resources_round_trips),
		cmocka_unit_test(oom_record_is_runc_shaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
