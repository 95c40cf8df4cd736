/*
 * tests/unit/test_image.c - supervisor/image: chain IDs, unpacking layers into a snapshot
 * chain with the config's gc.ref label, and resolving an index to its platform's
 * manifest, all through an in-memory struct image_store (no daemon, no gRPC).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/digest.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/image/image.h"

#define DIFF1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define DIFF2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define LAYER1 "sha256:aaaa111111111111111111111111111111111111111111111111111111111111"
#define LAYER2 "sha256:aaaa222222222222222222222222222222222222222222222222222222222222"
#define CONFIG "sha256:cccc000000000000000000000000000000000000000000000000000000000000"

static const char config_json[] =
	"{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DIFF1 "\",\"" DIFF2 "\"]}}";
static const char manifest_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" CONFIG
	"\",\"size\":100},\"layers\":["
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" LAYER1
	"\",\"size\":10},"
	"{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" LAYER2
	"\",\"size\":20}]}";

/* the in-memory store: blobs by digest, committed snapshot names, what was done */
struct fake {
	char **blobs;  /* digest, json, ... */
	char **snaps;  /* committed names */
	char **active; /* key, parent ("" none), layer digest, ... */
	char **labels; /* digest, key, value, ... */
	char **removed;
	bool fail_apply;
};

static int f_blob_read(void *arg, const char *digest, size_t max, char **out, size_t *len,
		       struct berth_err **err)
{
	struct fake *f = arg;

	for (size_t i = 0; f->blobs && f->blobs[i]; i += 2)
		if (strcmp(f->blobs[i], digest) == 0) {
			*out = xstrdup(f->blobs[i + 1]);
			*len = strlen(*out);
			return 0;
		}
	return berth_err_new(err, BERTH_E_NOT_FOUND, "blob %s: not found", digest);
}

static int f_blob_label(void *arg, const char *digest, char *const *kv, struct berth_err **err)
{
	struct fake *f = arg;

	for (size_t i = 0; kv[i] && kv[i + 1]; i += 2) {
		strv_push(&f->labels, digest);
		strv_push(&f->labels, kv[i]);
		strv_push(&f->labels, kv[i + 1]);
	}
	return 0;
}

static int f_snap_exists(void *arg, const char *name, bool *exists, struct berth_err **err)
{
	struct fake *f = arg;

	*exists = strv_contains(f->snaps, name);
	return 0;
}

static int f_snap_apply(void *arg, const char *key, const char *parent,
			const struct image_desc *layer, struct berth_err **err)
{
	struct fake *f = arg;

	if (parent && !strv_contains(f->snaps, parent))
		return berth_err_new(err, BERTH_E_NOT_FOUND, "parent '%s' not committed", parent);
	strv_push(&f->active, key);
	strv_push(&f->active, parent ? parent : "");
	strv_push(&f->active, layer->digest);
	if (f->fail_apply)
		return berth_err_new(err, BERTH_E_INVALID, "apply layer '%s': broken",
				     layer->digest);
	return 0;
}

static int f_snap_commit(void *arg, const char *name, const char *key, struct berth_err **err)
{
	struct fake *f = arg;

	if (strv_contains(f->snaps, name))
		return berth_err_new(err, BERTH_E_EXISTS, "snapshot '%s': already exists", name);
	strv_push(&f->snaps, name);
	return 0;
}

static void f_snap_remove(void *arg, const char *key)
{
	strv_push(&((struct fake *)arg)->removed, key);
}

static const struct image_store_ops fake_ops = {
	f_blob_read, f_blob_label, f_snap_exists, f_snap_apply, f_snap_commit, f_snap_remove,
};

static struct fake *fake_new(void)
{
	struct fake *f = xnew(struct fake);

	strv_push(&f->blobs, "sha256:manifest");
	strv_push(&f->blobs, manifest_json);
	return f;
}

static void fake_free(struct fake *f)
{
	strv_free(f->blobs);
	strv_free(f->snaps);
	strv_free(f->active);
	strv_free(f->labels);
	strv_free(f->removed);
	free(f);
}

static char *chain2(void)
{
	char *s = xasprintf("%s %s", DIFF1, DIFF2);
	char *d = digest_buf(s, strlen(s));

	free(s);
	return d;
}

static void chain_ids_follow_containerd(void **state)
{
	struct berth_err *err = NULL;
	char **ids = image_chain_ids(config_json, strlen(config_json), &err);
	char *top = chain2();
	const char *bad = "{\"rootfs\":{\"diff_ids\":[\"sha256:short\"]}}";

	assert_non_null(ids);
	assert_int_equal(strv_len(ids), 2);
	assert_string_equal(ids[0], DIFF1);
	assert_string_equal(ids[1], top);
	strv_free(ids);
	free(top);
	assert_null(image_chain_ids(bad, strlen(bad), &err));
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "rootfs.diff_ids[0]"));
	berth_err_free(&err);
	assert_null(image_chain_ids("{}", 2, &err));
	assert_non_null(strstr(err->msg, "rootfs.diff_ids: missing"));
	berth_err_free(&err);
}

static void unpack_applies_each_missing_layer_on_its_parent_and_labels_the_config(void **state)
{
	struct fake *f = fake_new();
	struct image_store st = {&fake_ops, f, "overlayfs"};
	struct berth_err *err = NULL;
	char *top = chain2(), *chain = NULL;

	assert_int_equal(image_unpack(&st, CONFIG, config_json, strlen(config_json),
				      "sha256:manifest", &chain, &err),
			 0);
	assert_string_equal(chain, top);
	/* two layers applied: the first on nothing, the second on the first's chain ID */
	assert_int_equal(strv_len(f->active), 6);
	assert_string_equal(f->active[1], "");
	assert_string_equal(f->active[2], LAYER1);
	assert_string_equal(f->active[4], DIFF1);
	assert_string_equal(f->active[5], LAYER2);
	assert_true(strv_contains(f->snaps, DIFF1));
	assert_true(strv_contains(f->snaps, top));
	assert_int_equal(strv_len(f->labels), 3);
	assert_string_equal(f->labels[0], CONFIG);
	assert_string_equal(f->labels[1], "containerd.io/gc.ref.snapshot.overlayfs");
	assert_string_equal(f->labels[2], top);
	free(chain);

	/* again: everything there, nothing applied, the label set again */
	assert_int_equal(image_unpack(&st, CONFIG, config_json, strlen(config_json),
				      "sha256:manifest", &chain, &err),
			 0);
	assert_int_equal(strv_len(f->active), 6);
	assert_int_equal(strv_len(f->labels), 6);
	free(chain);
	free(top);
	fake_free(f);
}

static void unpack_skips_layers_that_exist(void **state)
{
	struct fake *f = fake_new();
	struct image_store st = {&fake_ops, f, "native"};
	struct berth_err *err = NULL;
	char *chain = NULL;

	strv_push(&f->snaps, DIFF1);
	assert_int_equal(image_unpack(&st, CONFIG, config_json, strlen(config_json),
				      "sha256:manifest", &chain, &err),
			 0);
	assert_int_equal(strv_len(f->active), 3); /* only the second layer */
	assert_string_equal(f->active[1], DIFF1);
	assert_string_equal(f->active[2], LAYER2);
	assert_string_equal(f->labels[1], "containerd.io/gc.ref.snapshot.native");
	free(chain);
	fake_free(f);
}

static void unpack_failures_name_the_cause_and_remove_the_extract_snapshot(void **state)
{
	struct fake *f = fake_new();
	struct image_store st = {&fake_ops, f, "overlayfs"};
	struct berth_err *err = NULL;
	char *chain = NULL;
	const char *one = "{\"rootfs\":{\"diff_ids\":[\"" DIFF1 "\"]}}";

	f->fail_apply = true;
	assert_int_equal(image_unpack(&st, CONFIG, config_json, strlen(config_json),
				      "sha256:manifest", &chain, &err),
			 -1);
	assert_non_null(strstr(err->msg, "unpack image"));
	assert_non_null(strstr(err->msg, LAYER1));
	berth_err_free(&err);
	assert_int_equal(strv_len(f->removed), 1);
	assert_string_equal(f->removed[0], f->active[0]);
	assert_non_null(strstr(f->removed[0], "extract-"));
	assert_null(f->labels);

	/* the config's diff_ids and the manifest's layers disagree */
	f->fail_apply = false;
	assert_int_equal(
		image_unpack(&st, CONFIG, one, strlen(one), "sha256:manifest", &chain, &err), -1);
	assert_non_null(strstr(err->msg, "2 layers in the manifest but 1 diff_ids"));
	berth_err_free(&err);
	fake_free(f);
}

static void resolve_picks_this_platform_from_an_index(void **state)
{
	struct fake *f = fake_new();
	struct image_store st = {&fake_ops, f, "overlayfs"};
	struct berth_err *err = NULL;
	char *config = NULL, *manifest = NULL;
	int64_t size = 0;
#if defined(__aarch64__)
	const char *arch = "arm64", *other = "amd64";
#else
	const char *arch = "amd64", *other = "arm64";
#endif
	char *index = xasprintf(
		"{\"schemaVersion\":2,\"manifests\":["
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
		"\"sha256:other\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":"
		"\"sha256:manifest\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}}]}",
		other, arch);

	strv_push(&f->blobs, "sha256:index");
	strv_push(&f->blobs, index);
	assert_int_equal(image_resolve(&st, "application/vnd.oci.image.index.v1+json",
				       "sha256:index", &config, &size, &manifest, &err),
			 0);
	assert_string_equal(config, CONFIG);
	assert_string_equal(manifest, "sha256:manifest");
	assert_int_equal(size, 130); /* config + layers */
	free(config);
	free(manifest);
	assert_int_equal(image_resolve(&st, "application/x-unknown", "sha256:manifest", &config,
				       &size, NULL, &err),
			 -1);
	assert_non_null(strstr(err->msg, "unsupported media type"));
	berth_err_free(&err);
	free(index);
	fake_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_ids_follow_containerd),
		cmocka_unit_test(
			unpack_applies_each_missing_layer_on_its_parent_and_labels_the_config),
		cmocka_unit_test(unpack_skips_layers_that_exist),
		cmocka_unit_test(unpack_failures_name_the_cause_and_remove_the_extract_snapshot),
		cmocka_unit_test(resolve_picks_this_platform_from_an_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
