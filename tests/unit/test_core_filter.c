/*
 * tests/unit/test_core_filter.c - supervisor/core/filter: containerd's list filter syntax,
 * the one evaluator behind every List (content, images, leases, namespaces, events,
 * snapshots: core_snapshots_list over a native snapshotter in a temp dir).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/snapshots.h"
#include "supervisor/snapshot/snapshot.h"

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
		return core_filter_kv(ob->labels, path + 1, n - 1);
	return NULL;
}

static bool match(const char *filter, const struct obj *o)
{
	struct core_filter *f = NULL;
	struct berth_err *err = NULL;
	char *v[] = {(char *)filter, NULL};
	bool r;

	assert_int_equal(core_filter_parse(v, 1, &f, &err), 0);
	r = core_filter_match(f, field, o);
	core_filter_free(f);
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
	struct core_filter *f = NULL;
	struct berth_err *err = NULL;
	char *v[] = {"labels.env==prod,name~=busybox", "name==localhost/plain:1", NULL};

	assert_false(match("labels.env==prod,name~=plain", &busybox));
	assert_true(match("labels.env==prod,name~=busybox", &busybox));
	assert_int_equal(core_filter_parse(v, 2, &f, &err), 0);
	assert_true(core_filter_match(f, field, &busybox));
	assert_true(core_filter_match(f, field, &plain));
	core_filter_free(f);
}

static void syntax_errors_name_the_filter(void **state)
{
	const char *bad[] = {"name=", "name==", "labels.\"unterminated", "name~=(", ".x"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct core_filter *f = NULL;
		struct berth_err *err = NULL;
		char *v[] = {(char *)bad[i], NULL};

		assert_int_equal(core_filter_parse(v, 1, &f, &err), -1);
		assert_int_equal(err->code, BERTH_E_INVALID);
		assert_non_null(strstr(err->msg, bad[i]));
		berth_err_free(&err);
	}
}

static void no_filter_matches_all(void **state)
{
	struct core_filter *f = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(core_filter_parse(NULL, 0, &f, &err), 0);
	assert_null(f);
	assert_true(core_filter_match(NULL, field, &plain));
}

#define NS "testns"
#define ok(call)                                                                \
	do {                                                                    \
		struct berth_err *e_ = NULL;                                    \
		if ((call) < 0)                                                 \
			fail_msg("%s: %s", #call, e_ ? e_->msg : "(no error)"); \
	} while (0)
#define err_ (&e_)

/* the names core_snapshots_list returns for one filter, joined with "," */
static char *snap_names(struct snapshotter *s, char *const *filters, size_t nf)
{
	struct snap_info *v = NULL;
	size_t n = 0;
	char *out = xstrdup("");

	ok(core_snapshots_list(s, NS, filters, nf, &v, &n, err_));
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%s", out, i ? "," : "", v[i].name);

		free(out);
		out = t;
	}
	snap_infos_free(v, n);
	return out;
}

static void snapshot_lists_filter_on_name_parent_kind_and_labels(void **state)
{
	char tmpl[] = "/tmp/berth-test-core-filter-XXXXXX";
	struct berth_err *err = NULL;
	struct snap_mounts m = {0};
	char *root_label[] = {"containerd.io/gc.root", "yes", NULL};
	char *f_committed[] = {"kind==committed"};
	char *f_label[] = {"labels.\"containerd.io/gc.root\"==yes"};
	char *f_parent[] = {"parent==layer1,kind==active"};
	char *f_any[] = {"name==layer1", "name~=^k[23]$"};
	char *f_bad[] = {"name=>x"};
	struct snap_info *v = NULL;
	size_t n = 0;
	struct snapshotter *s;
	char *root, *got;

	assert_non_null(mkdtemp(tmpl));
	root = xasprintf("%s/native", tmpl);
	s = snap_open("native", root, &err);
	assert_non_null(s);
	ok(snap_prepare(s, NS, "k1", NULL, NULL, &m, err_));
	snap_mounts_free(&m);
	ok(snap_commit(s, NS, "layer1", "k1", NULL, err_));
	ok(snap_prepare(s, NS, "k2", "layer1", root_label, &m, err_));
	snap_mounts_free(&m);
	ok(snap_prepare(s, NS, "k3", NULL, NULL, &m, err_));
	snap_mounts_free(&m);

	got = snap_names(s, NULL, 0);
	assert_string_equal(got, "k2,k3,layer1");
	free(got);
	got = snap_names(s, f_committed, 1);
	assert_string_equal(got, "layer1");
	free(got);
	got = snap_names(s, f_label, 1);
	assert_string_equal(got, "k2");
	free(got);
	got = snap_names(s, f_parent, 1);
	assert_string_equal(got, "k2");
	free(got);
	got = snap_names(s, f_any, 2);
	assert_string_equal(got, "k2,k3,layer1");
	free(got);
	assert_int_equal(core_snapshots_list(s, NS, f_bad, 1, &v, &n, &err), -1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "name=>x"));
	berth_err_free(&err);

	snap_close(s);
	assert_int_equal(fs_rm_rf(tmpl, &err), 0);
	free(root);
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
		cmocka_unit_test(snapshot_lists_filter_on_name_parent_kind_and_labels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
