/*
 * tests/unit/test_meta.c - supervisor/meta: schema migrations, namespaces, content records,
 * images (field masks), leases, GC roots, label updates, integrity after reopen; and, per
 * table, the error class and exact message of a missing or duplicate row, lists sorted by
 * key with their labels, and that a failed write changes nothing (the services map these
 * classes to gRPC codes and clients match the messages, so they must not drift).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

struct fix {
	char dir[64];
	char *path;
	struct meta_db *db;
};

static int setup(void **state)
{
	struct fix *f = xnew(struct fix);
	struct berth_err *err = NULL;

	strcpy(f->dir, "/tmp/berth-test-meta-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = xasprintf("%s/meta.db", f->dir);
	f->db = meta_open(f->path, &err);
	assert_non_null(f->db);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	meta_close(f->db);
	fs_rm_rf(f->dir, NULL);
	free(f->path);
	free(f);
	return 0;
}

static void open_applies_every_migration_once(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;

	assert_true(meta_schema_version(f->db) >= 1);
	meta_close(f->db);
	f->db = meta_open(f->path, &err); /* reopening must not re-run migration 1 */
	assert_non_null(f->db);
	assert_true(meta_schema_version(f->db) >= 1);
	assert_int_equal(meta_check(f->db, &err), 0);
}

static void namespace_create_twice_is_exists(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *labels[] = {"a", "1", NULL};
	char **got = NULL;

	assert_int_equal(meta_ns_create(f->db, "ns1", labels, &err), 0);
	assert_int_equal(meta_ns_create(f->db, "ns1", NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_EXISTS);
	berth_err_free(&err);
	assert_int_equal(meta_ns_get(f->db, "ns1", &got, &err), 0);
	assert_string_equal(meta_labels_get(got, "a"), "1");
	strv_free(got);
	assert_int_equal(meta_ns_get(f->db, "nope", &got, &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
}

static void namespace_label_update_follows_the_mask(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *labels[] = {"a", "1", "b", "2", NULL};
	char *upd[] = {"b", "20", "c", "3", NULL};
	char *paths[] = {"labels.b", "labels.a", NULL};
	char **got = NULL;

	assert_int_equal(meta_ns_create(f->db, "ns1", labels, &err), 0);
	/* labels.b set from upd, labels.a absent from upd: deleted; c not in the mask */
	assert_int_equal(meta_ns_update_labels(f->db, "ns1", upd, paths, &got, &err), 0);
	assert_null(meta_labels_get(got, "a"));
	assert_string_equal(meta_labels_get(got, "b"), "20");
	assert_null(meta_labels_get(got, "c"));
	strv_free(got);
	/* no mask: replace all */
	assert_int_equal(meta_ns_update_labels(f->db, "ns1", upd, NULL, &got, &err), 0);
	assert_int_equal(strv_len(got), 4);
	assert_string_equal(got[0], "b");
	assert_string_equal(got[2], "c");
	strv_free(got);
}

static void namespace_with_content_cannot_be_deleted(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;

	assert_int_equal(meta_content_add(f->db, "ns1", D1, 5, NULL, &err), 0);
	assert_int_equal(meta_ns_delete(f->db, "ns1", &err), -1);
	assert_int_equal(err->code, BERTH_E_PRECONDITION);
	assert_non_null(strstr(err->msg, "content"));
	berth_err_free(&err);
	assert_int_equal(meta_content_delete(f->db, "ns1", D1, &err), 0);
	assert_int_equal(meta_ns_delete(f->db, "ns1", &err), 0);
}

static void content_records_are_per_namespace(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_content *c = NULL;
	char *labels[] = {"containerd.io/gc.root", "x", NULL};
	bool ref;

	assert_int_equal(meta_content_add(f->db, "a", D1, 10, labels, &err), 0);
	assert_int_equal(meta_content_add(f->db, "a", D1, 10, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_EXISTS);
	berth_err_free(&err);
	assert_int_equal(meta_content_get(f->db, "b", D1, &c, &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
	assert_int_equal(meta_content_add(f->db, "b", D1, 10, NULL, &err), 0);
	assert_int_equal(meta_content_delete(f->db, "a", D1, &err), 0);
	assert_int_equal(meta_content_is_referenced(f->db, D1, &ref, &err), 0);
	assert_true(ref); /* b still has it */
	assert_int_equal(meta_content_delete(f->db, "b", D1, &err), 0);
	assert_int_equal(meta_content_is_referenced(f->db, D1, &ref, &err), 0);
	assert_false(ref);
}

static void content_labels_deleted_with_the_record(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_content *c = NULL;
	char *labels[] = {"k", "v", NULL};

	assert_int_equal(meta_content_add(f->db, "a", D1, 1, labels, &err), 0);
	assert_int_equal(meta_content_delete(f->db, "a", D1, &err), 0);
	assert_int_equal(meta_content_add(f->db, "a", D1, 1, NULL, &err), 0);
	assert_int_equal(meta_content_get(f->db, "a", D1, &c, &err), 0);
	assert_null(c->labels); /* foreign key cascade removed the old label */
	meta_content_free(c);
}

static void image_update_with_target_mask_keeps_labels(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *labels[] = {"l", "1", NULL};
	struct meta_image im = {.name = "img", .media_type = "m1", .digest = D1, .size = 1};
	struct meta_image upd = {.name = "img", .media_type = "m2", .digest = D2, .size = 2};
	struct meta_image *got = NULL;
	char *paths[] = {"target", NULL};

	im.labels = strv_dup(labels);
	assert_int_equal(meta_image_create(f->db, "a", &im, &err), 0);
	assert_int_equal(meta_image_create(f->db, "a", &im, &err), -1);
	assert_int_equal(err->code, BERTH_E_EXISTS);
	berth_err_free(&err);
	assert_int_equal(meta_image_update(f->db, "a", &upd, paths, &got, &err), 0);
	assert_string_equal(got->digest, D2);
	assert_string_equal(got->media_type, "m2");
	assert_int_equal(got->size, 2);
	assert_string_equal(meta_labels_get(got->labels, "l"), "1");
	meta_image_free(got);
	strv_free(im.labels);
}

static void image_update_rejects_unknown_paths(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_image im = {.name = "img", .media_type = "m1", .digest = D1, .size = 1};
	char *paths[] = {"created_at", NULL};

	assert_int_equal(meta_image_create(f->db, "a", &im, &err), 0);
	assert_int_equal(meta_image_update(f->db, "a", &im, paths, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "created_at"));
	berth_err_free(&err);
	im.name = "missing";
	assert_int_equal(meta_image_update(f->db, "a", &im, NULL, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
}

static void lease_resources_need_the_lease(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_resource *r = NULL;
	size_t n = 0;

	assert_int_equal(meta_lease_add_resource(f->db, "a", "l1", "content", D1, &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
	assert_int_equal(meta_lease_create(f->db, "a", "l1", NULL, NULL, &err), 0);
	assert_int_equal(meta_lease_add_resource(f->db, "a", "l1", "content", D1, &err), 0);
	assert_int_equal(meta_lease_add_resource(f->db, "a", "l1", "content", D1, &err), 0);
	assert_int_equal(meta_lease_list_resources(f->db, "a", "l1", &r, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].id, D1);
	meta_resource_list_free(r, n);
	assert_int_equal(meta_lease_delete(f->db, "a", "l1", &err), 0);
	assert_int_equal(meta_lease_list_resources(f->db, "a", "l1", &r, &n, &err), -1);
	berth_err_free(&err);
}

static void gc_roots_skip_expired_leases(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *old[] = {"containerd.io/gc.expire", "2001-01-01T00:00:00Z", NULL};
	char *fresh[] = {"containerd.io/gc.expire", "2999-01-01T00:00:00.123456789Z", NULL};
	struct meta_image im = {.name = "img", .media_type = "m", .digest = D2, .size = 1};
	struct meta_gc_roots r;
	bool saw_d1 = false, saw_d2 = false, saw_fresh = false;

	assert_int_equal(meta_lease_create(f->db, "a", "old", old, NULL, &err), 0);
	assert_int_equal(meta_lease_create(f->db, "a", "fresh", fresh, NULL, &err), 0);
	assert_int_equal(meta_lease_add_resource(f->db, "a", "old", "content", D1, &err), 0);
	assert_int_equal(meta_lease_add_resource(f->db, "a", "fresh", "ingests", "ref1", &err), 0);
	assert_int_equal(meta_image_create(f->db, "a", &im, &err), 0);
	assert_int_equal(meta_gc_roots(f->db, meta_now(), &r, &err), 0);
	for (size_t i = 0; i < r.n; i++) {
		saw_d1 |= strcmp(r.refs[i].id, D1) == 0;
		saw_d2 |= strcmp(r.refs[i].id, D2) == 0;
		saw_fresh |= strcmp(r.refs[i].id, "ref1") == 0;
	}
	assert_false(saw_d1);
	assert_true(saw_d2);
	assert_true(saw_fresh);
	assert_int_equal(strv_len(r.expired_leases), 2);
	assert_string_equal(r.expired_leases[1], "old");
	meta_gc_roots_free(&r);
}

static struct meta_container *container_new(const char *id)
{
	struct meta_container *c = xnew(struct meta_container);

	c->id = xstrdup(id);
	c->image = xstrdup("img");
	c->runtime_name = xstrdup("io.containerd.runc.v2");
	c->snapshotter = xstrdup("overlayfs");
	c->snapshot_key = xstrdup(id);
	c->spec.type_url = xstrdup("types.containerd.io/opencontainers/runtime-spec/1/Spec");
	c->spec.data = (uint8_t *)xstrdup("{}");
	c->spec.len = 2;
	c->runtime_options.type_url = xstrdup("");
	strv_push(&c->ext_keys, "ext1");
	c->exts = xcalloc(2, sizeof(*c->exts));
	c->exts[0].type_url = xstrdup("t");
	c->exts[0].data = (uint8_t *)xstrdup("v1");
	c->exts[0].len = 2;
	return c;
}

static void container_round_trip_and_mask_update(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_container *c = container_new("c1"), *got = NULL;
	struct meta_container *upd = container_new("c1");
	char *paths[] = {"image", "extensions.ext1", NULL};

	assert_int_equal(meta_container_create(f->db, "a", c, &err), 0);
	assert_int_equal(meta_container_create(f->db, "a", c, &err), -1);
	assert_int_equal(err->code, BERTH_E_EXISTS);
	berth_err_free(&err);
	assert_int_equal(meta_container_get(f->db, "a", "c1", &got, &err), 0);
	assert_string_equal(got->snapshot_key, "c1");
	assert_int_equal(got->spec.len, 2);
	assert_memory_equal(got->spec.data, "{}", 2);
	assert_string_equal(got->ext_keys[0], "ext1");
	meta_container_free(got);

	free(upd->image);
	upd->image = xstrdup("img2");
	strv_free(upd->ext_keys);
	free(upd->exts[0].type_url);
	free(upd->exts[0].data);
	upd->ext_keys = NULL; /* extensions.ext1 absent from the update: deleted */
	assert_int_equal(meta_container_update(f->db, "a", upd, paths, &got, &err), 0);
	assert_string_equal(got->image, "img2");
	assert_int_equal(strv_len(got->ext_keys), 0);
	meta_container_free(got);
	assert_int_equal(meta_container_get(f->db, "a", "c1", &got, &err), 0);
	assert_int_equal(strv_len(got->ext_keys), 0);
	assert_string_equal(got->runtime_name, "io.containerd.runc.v2");
	meta_container_free(got);

	/* no mask: runtime and snapshotter are immutable */
	free(upd->runtime_name);
	upd->runtime_name = xstrdup("io.containerd.other.v1");
	assert_int_equal(meta_container_update(f->db, "a", upd, NULL, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "immutable"));
	berth_err_free(&err);
	{
		char *bad[] = {"runtime", NULL};

		assert_int_equal(meta_container_update(f->db, "a", upd, bad, NULL, &err), -1);
		assert_non_null(strstr(err->msg, "cannot update 'runtime'"));
		berth_err_free(&err);
	}
	assert_int_equal(meta_container_delete(f->db, "a", "c1", &err), 0);
	assert_int_equal(meta_container_delete(f->db, "a", "c1", &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
	upd->exts[0].type_url = NULL;
	upd->exts[0].data = NULL;
	meta_container_free(upd);
	meta_container_free(c);
}

static void labels_apply_replaces_sets_and_deletes(void **state)
{
	char *old[] = {"a", "1", "b", "2", NULL};
	char *upd[] = {"c", "3", NULL};
	char *p1[] = {"labels", NULL};
	char *p2[] = {"labels.a", "labels.c", "other", NULL};
	char **r;

	r = meta_labels_apply(old, upd, p1, "labels");
	assert_int_equal(strv_len(r), 2);
	assert_string_equal(r[0], "c");
	strv_free(r);
	r = meta_labels_apply(old, upd, p2, "labels");
	assert_null(meta_labels_get(r, "a"));
	assert_string_equal(meta_labels_get(r, "b"), "2");
	assert_string_equal(meta_labels_get(r, "c"), "3");
	strv_free(r);
}

/* A new k,v vector of one pair. */
static char **kv(const char *k, const char *v)
{
	char **r = NULL;

	strv_push(&r, k);
	strv_push(&r, v);
	return r;
}

/* Checks that a call failed with code and exactly msg, then frees the error. */
static void expect_err(int ret, struct berth_err **err, enum berth_err_code code, const char *msg)
{
	assert_int_equal(ret, -1);
	assert_non_null(*err);
	if ((*err)->code != code || strcmp((*err)->msg, msg) != 0)
		fail_msg("expected %s \"%s\", got %s \"%s\"", berth_err_code_name(code), msg,
			 berth_err_code_name((*err)->code), (*err)->msg);
	berth_err_free(err);
}

static void namespace_errors_name_the_namespace(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char **labels = NULL;

	expect_err(meta_ns_get(f->db, "ns1", &labels, &err), &err, BERTH_E_NOT_FOUND,
		   "namespace 'ns1': not found");
	expect_err(meta_ns_update_labels(f->db, "ns1", NULL, NULL, NULL, &err), &err,
		   BERTH_E_NOT_FOUND, "namespace 'ns1': not found");
	expect_err(meta_ns_delete(f->db, "ns1", &err), &err, BERTH_E_NOT_FOUND,
		   "namespace 'ns1': not found");
	assert_int_equal(meta_ns_create(f->db, "ns1", NULL, &err), 0);
	expect_err(meta_ns_create(f->db, "ns1", NULL, &err), &err, BERTH_E_EXISTS,
		   "namespace 'ns1': already exists");
	assert_int_equal(meta_lease_create(f->db, "ns1", "l1", NULL, NULL, &err), 0);
	expect_err(meta_ns_delete(f->db, "ns1", &err), &err, BERTH_E_PRECONDITION,
		   "namespace 'ns1' must be empty, but it still has leases");
	assert_int_equal(meta_lease_delete(f->db, "ns1", "l1", &err), 0);
	assert_int_equal(meta_ns_delete(f->db, "ns1", &err), 0);
	expect_err(meta_ns_get(f->db, "ns1", &labels, &err), &err, BERTH_E_NOT_FOUND,
		   "namespace 'ns1': not found");
}

static void namespaces_list_sorted_and_labels_survive_get(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *labels[] = {"z", "26", "a", "1", NULL};
	char **names = NULL, **got = NULL;

	assert_int_equal(meta_ns_create(f->db, "b", NULL, &err), 0);
	assert_int_equal(meta_ns_create(f->db, "a", labels, &err), 0);
	assert_int_equal(meta_ns_list(f->db, &names, &err), 0);
	assert_int_equal(strv_len(names), 2);
	assert_string_equal(names[0], "a");
	assert_string_equal(names[1], "b");
	strv_free(names);
	assert_int_equal(meta_ns_get(f->db, "a", &got, &err), 0);
	assert_int_equal(strv_len(got), 4);
	assert_string_equal(got[0], "a");
	assert_string_equal(got[2], "z");
	strv_free(got);
	assert_int_equal(meta_ns_get(f->db, "b", &got, &err), 0);
	assert_null(got);
}

static void content_errors_name_the_digest(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_content *c = NULL;

	expect_err(meta_content_get(f->db, "a", D1, &c, &err), &err, BERTH_E_NOT_FOUND,
		   "content " D1 ": not found");
	expect_err(meta_content_update_labels(f->db, "a", D1, NULL, NULL, NULL, &err), &err,
		   BERTH_E_NOT_FOUND, "content " D1 ": not found");
	expect_err(meta_content_delete(f->db, "a", D1, &err), &err, BERTH_E_NOT_FOUND,
		   "content " D1 ": not found");
	assert_int_equal(meta_content_add(f->db, "a", D1, 5, NULL, &err), 0);
	expect_err(meta_content_add(f->db, "a", D1, 5, NULL, &err), &err, BERTH_E_EXISTS,
		   "content " D1 ": already exists");
}

static void content_list_is_sorted_with_labels_and_update_follows_the_mask(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *l1[] = {"k", "v", "gone", "x", NULL};
	char *upd[] = {"k", "v2", "new", "n", NULL};
	char *paths[] = {"labels.k", "labels.gone", NULL};
	struct meta_content **v = NULL, *c = NULL;
	size_t n = 0;
	int64_t before;

	assert_int_equal(meta_content_add(f->db, "a", D2, 7, NULL, &err), 0);
	assert_int_equal(meta_content_add(f->db, "a", D1, 5, l1, &err), 0);
	assert_int_equal(meta_content_list(f->db, "a", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->digest, D1);
	assert_int_equal(v[0]->size, 5);
	assert_string_equal(meta_labels_get(v[0]->labels, "k"), "v");
	assert_string_equal(v[1]->digest, D2);
	assert_null(v[1]->labels);
	before = v[0]->updated;
	meta_content_list_free(v, n);

	assert_int_equal(meta_content_update_labels(f->db, "a", D1, upd, paths, &c, &err), 0);
	assert_int_equal(strv_len(c->labels), 2);
	assert_string_equal(meta_labels_get(c->labels, "k"), "v2");
	assert_true(c->updated >= before);
	meta_content_free(c);
	assert_int_equal(meta_content_get(f->db, "a", D1, &c, &err), 0);
	assert_int_equal(strv_len(c->labels), 2);
	assert_null(meta_labels_get(c->labels, "gone"));
	assert_null(meta_labels_get(c->labels, "new"));
	meta_content_free(c);
	assert_int_equal(meta_content_list(f->db, "other", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	meta_content_list_free(v, n);
}

static void image_errors_name_the_image(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_image im = {.name = "x:1", .media_type = "m", .digest = D1, .size = 1};
	struct meta_image *got = NULL;

	expect_err(meta_image_get(f->db, "a", "x:1", &got, &err), &err, BERTH_E_NOT_FOUND,
		   "image 'x:1': not found");
	expect_err(meta_image_update(f->db, "a", &im, NULL, NULL, &err), &err, BERTH_E_NOT_FOUND,
		   "image 'x:1': not found");
	expect_err(meta_image_delete(f->db, "a", "x:1", &err), &err, BERTH_E_NOT_FOUND,
		   "image 'x:1': not found");
	assert_int_equal(meta_image_create(f->db, "a", &im, &err), 0);
	expect_err(meta_image_create(f->db, "a", &im, &err), &err, BERTH_E_EXISTS,
		   "image 'x:1': already exists");
	assert_int_equal(meta_image_delete(f->db, "a", "x:1", &err), 0);
	expect_err(meta_image_get(f->db, "a", "x:1", &got, &err), &err, BERTH_E_NOT_FOUND,
		   "image 'x:1': not found");
}

static void images_list_sorted_with_labels_and_annotations(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_image b = {.name = "b:1", .media_type = "m", .digest = D2, .size = 2};
	struct meta_image a = {.name = "a:1", .media_type = "m", .digest = D1, .size = 1};
	struct meta_image **v = NULL;
	size_t n = 0;

	a.labels = kv("l", "1");
	a.annotations = kv("an", "2");
	assert_int_equal(meta_image_create(f->db, "a", &b, &err), 0);
	assert_int_equal(meta_image_create(f->db, "a", &a, &err), 0);
	assert_int_equal(meta_image_list(f->db, "a", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->name, "a:1");
	assert_string_equal(v[0]->digest, D1);
	assert_string_equal(meta_labels_get(v[0]->labels, "l"), "1");
	assert_string_equal(meta_labels_get(v[0]->annotations, "an"), "2");
	assert_string_equal(v[1]->name, "b:1");
	assert_int_equal(v[1]->size, 2);
	meta_image_list_free(v, n);
	strv_free(a.labels);
	strv_free(a.annotations);
}

static void container_errors_name_the_container(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_container c = {.id = "c1", .runtime_name = "r"};
	struct meta_container *got = NULL, **v = NULL;
	size_t n = 0;

	expect_err(meta_container_get(f->db, "a", "c1", &got, &err), &err, BERTH_E_NOT_FOUND,
		   "container 'c1': not found");
	expect_err(meta_container_update(f->db, "a", &c, NULL, NULL, &err), &err, BERTH_E_NOT_FOUND,
		   "container 'c1': not found");
	expect_err(meta_container_delete(f->db, "a", "c1", &err), &err, BERTH_E_NOT_FOUND,
		   "container 'c1': not found");
	assert_int_equal(meta_container_create(f->db, "a", &c, &err), 0);
	expect_err(meta_container_create(f->db, "a", &c, &err), &err, BERTH_E_EXISTS,
		   "container 'c1': already exists");
	c.id = "c0";
	c.labels = kv("k", "v");
	assert_int_equal(meta_container_create(f->db, "a", &c, &err), 0);
	assert_int_equal(meta_container_list(f->db, "a", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->id, "c0");
	assert_string_equal(meta_labels_get(v[0]->labels, "k"), "v");
	assert_string_equal(v[1]->id, "c1");
	assert_string_equal(v[1]->runtime_name, "r");
	assert_string_equal(v[1]->image, "");
	meta_container_list_free(v, n);
	strv_free(c.labels);
}

static void lease_errors_name_the_lease(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_resource *r = NULL;
	size_t n = 0;

	expect_err(meta_lease_delete(f->db, "a", "l1", &err), &err, BERTH_E_NOT_FOUND,
		   "lease 'l1': not found");
	expect_err(meta_lease_delete_resource(f->db, "a", "l1", "content", D1, &err), &err,
		   BERTH_E_NOT_FOUND, "lease 'l1': not found");
	expect_err(meta_lease_list_resources(f->db, "a", "l1", &r, &n, &err), &err,
		   BERTH_E_NOT_FOUND, "lease 'l1': not found");
	assert_int_equal(meta_lease_create(f->db, "a", "l1", NULL, NULL, &err), 0);
	expect_err(meta_lease_create(f->db, "a", "l1", NULL, NULL, &err), &err, BERTH_E_EXISTS,
		   "lease 'l1': already exists");
}

static void leases_list_sorted_with_labels_and_resources(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *labels[] = {"k", "v", NULL};
	struct meta_lease **v = NULL, *l = NULL;
	struct meta_resource *r = NULL;
	size_t n = 0;

	assert_int_equal(meta_lease_create(f->db, "a", "l2", NULL, NULL, &err), 0);
	assert_int_equal(meta_lease_create(f->db, "a", "l1", labels, &l, &err), 0);
	assert_string_equal(l->id, "l1");
	assert_string_equal(meta_labels_get(l->labels, "k"), "v");
	meta_lease_free(l);
	assert_int_equal(meta_lease_list(f->db, "a", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->id, "l1");
	assert_string_equal(meta_labels_get(v[0]->labels, "k"), "v");
	assert_string_equal(v[1]->id, "l2");
	assert_null(v[1]->labels);
	meta_lease_list_free(v, n);
	assert_int_equal(meta_lease_add_resource(f->db, "a", "l1", "snapshots/x", "k2", &err), 0);
	assert_int_equal(meta_lease_add_resource(f->db, "a", "l1", "content", D1, &err), 0);
	assert_int_equal(meta_lease_list_resources(f->db, "a", "l1", &r, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].type, "content");
	assert_string_equal(r[1].type, "snapshots/x");
	meta_resource_list_free(r, n);
	assert_int_equal(meta_lease_delete_resource(f->db, "a", "l1", "content", D1, &err), 0);
	assert_int_equal(meta_lease_list_resources(f->db, "a", "l1", &r, &n, &err), 0);
	assert_int_equal(n, 1);
	meta_resource_list_free(r, n);
}

static void a_failed_write_changes_nothing(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct meta_image im = {.name = "x:1", .media_type = "m", .digest = D1, .size = 1};
	char *bad[] = {"created_at", NULL};
	struct meta_image *got = NULL;

	im.labels = kv("k", "v");
	assert_int_equal(meta_image_create(f->db, "a", &im, &err), 0);
	strv_free(im.labels);
	im.labels = kv("k", "changed");
	im.digest = D2;
	expect_err(meta_image_update(f->db, "a", &im, bad, NULL, &err), &err, BERTH_E_INVALID,
		   "image 'x:1': update_mask: cannot update 'created_at'");
	assert_int_equal(meta_image_get(f->db, "a", "x:1", &got, &err), 0);
	assert_string_equal(got->digest, D1);
	assert_string_equal(meta_labels_get(got->labels, "k"), "v");
	meta_image_free(got);
	strv_free(im.labels);
	assert_int_equal(meta_check(f->db, &err), 0);
}

static char *next_value(void)
{
	static int calls;

	return xasprintf("value-%d", ++calls);
}

static void settings_are_initialised_once(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	char *v1 = NULL, *v2 = NULL;

	assert_int_equal(meta_setting_get_or_init(f->db, "uuid", next_value, &v1, &err), 0);
	assert_int_equal(meta_setting_get_or_init(f->db, "uuid", next_value, &v2, &err), 0);
	assert_string_equal(v1, v2);
	free(v1);
	free(v2);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(open_applies_every_migration_once),
		T(namespace_create_twice_is_exists),
		T(namespace_label_update_follows_the_mask),
		T(namespace_with_content_cannot_be_deleted),
		T(content_records_are_per_namespace),
		T(content_labels_deleted_with_the_record),
		T(image_update_with_target_mask_keeps_labels),
		T(image_update_rejects_unknown_paths),
		T(lease_resources_need_the_lease),
		T(gc_roots_skip_expired_leases),
		T(container_round_trip_and_mask_update),
		T(namespace_errors_name_the_namespace),
		T(namespaces_list_sorted_and_labels_survive_get),
		T(content_errors_name_the_digest),
		T(content_list_is_sorted_with_labels_and_update_follows_the_mask),
		T(image_errors_name_the_image),
		T(images_list_sorted_with_labels_and_annotations),
		T(container_errors_name_the_container),
		T(lease_errors_name_the_lease),
		T(leases_list_sorted_with_labels_and_resources),
		T(a_failed_write_changes_nothing),
		T(settings_are_initialised_once),
		cmocka_unit_test(labels_apply_replaces_sets_and_deletes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
