/*
 * supervisor/image/unpack.c - an image's layers as committed snapshots (image.h), through
 * a struct image_store.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/digest.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/image/image.h"

char **image_chain_ids(const char *config_json, size_t len, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *img = NULL;
	const struct bjson *ids;
	char **chain = NULL;

	if (bjson_parse(config_json, len, "image config", &img, err) < 0)
		return NULL;
	ids = bjson_get(bjson_get(img, "rootfs"), "diff_ids");
	if (!ids || !bjson_is_array(ids) || bjson_array_len(ids) == 0) {
		berth_err_new(err, BERTH_E_INVALID,
			      "image config: rootfs.diff_ids: missing or empty");
		return NULL;
	}
	for (size_t i = 0; i < bjson_array_len(ids); i++) {
		const char *d = bjson_str(bjson_array_get(ids, i));

		if (!d || !digest_is_valid(d)) {
			strv_free(chain);
			berth_err_new(err, BERTH_E_INVALID,
				      "image config: rootfs.diff_ids[%zu]: not a sha256 digest", i);
			return NULL;
		}
		if (i == 0) {
			strv_push(&chain, d);
		} else {
			cleanup_free char *s = xasprintf("%s %s", chain[i - 1], d);

			strv_push_take(&chain, digest_buf(s, strlen(s)));
		}
	}
	return chain;
}

/* Prepare "extract-...", apply the layer on it, commit it as chain. */
static int unpack_layer(const struct image_store *st, const struct image_desc *layer,
			const char *parent, const char *chain, struct berth_err **err)
{
	cleanup_free char *key = xasprintf("extract-%ld-%d %s", (long)time(NULL), rand(), chain);
	int r;

	r = st->ops->snap_apply(st->arg, key, parent, layer, err); /* names its step */
	if (r == 0) {
		r = st->ops->snap_commit(st->arg, chain, key, err);
		if (r < 0 && (*err)->code == BERTH_E_EXISTS) {
			berth_err_free(err); /* unpacked meanwhile by someone else */
			r = 0;
		} else if (r < 0) {
			berth_err_wrap(err, "commit snapshot '%s'", chain);
		}
	}
	if (r < 0)
		st->ops->snap_remove(st->arg, key);
	return r;
}

static int layers_of(const struct image_store *st, const char *manifest, struct image_desc **layers,
		     size_t *n, struct berth_err **err)
{
	cleanup_free char *json = NULL;
	struct image_desc *all = NULL;
	size_t len = 0, na = 0;

	if (st->ops->blob_read(st->arg, manifest, IMAGE_MAX_JSON, &json, &len, err) < 0)
		return berth_err_wrap(err, "read manifest '%s'", manifest);
	/* the media type only tells index from manifest; any manifest type lists layers */
	if (image_children(json, len, "application/vnd.oci.image.manifest.v1+json", &all, &na,
			   err) < 0)
		return -1;
	if (na < 1) {
		image_desc_list_free(all, na);
		return berth_err_new(err, BERTH_E_INVALID, "manifest '%s': no config", manifest);
	}
	/* children: the config first, then the layers */
	free(all[0].media_type);
	free(all[0].digest);
	memmove(all, all + 1, (na - 1) * sizeof(*all));
	*layers = all;
	*n = na - 1;
	return 0;
}

static int unpack_missing(const struct image_store *st, char *const *ids, size_t nids,
			  const char *manifest_digest, struct berth_err **err)
{
	struct image_desc *layers = NULL;
	bool exists = false;
	size_t n = 0;
	int r = 0;

	if (layers_of(st, manifest_digest, &layers, &n, err) < 0)
		return -1;
	if (n != nids) {
		image_desc_list_free(layers, n);
		return berth_err_new(
			err, BERTH_E_INVALID,
			"image: %zu layers in the manifest but %zu diff_ids in the config", n,
			nids);
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		r = st->ops->snap_exists(st->arg, ids[i], &exists, err);
		if (r == 0 && !exists)
			r = unpack_layer(st, &layers[i], i ? ids[i - 1] : NULL, ids[i], err);
	}
	image_desc_list_free(layers, n);
	return r;
}

int image_unpack(const struct image_store *st, const char *config_digest, const char *config_json,
		 size_t len, const char *manifest_digest, char **chain, struct berth_err **err)
{
	cleanup(strv_freep) char **ids = image_chain_ids(config_json, len, err);
	cleanup_free char *k = NULL;
	bool exists = false;
	size_t nids;

	if (!ids)
		return -1;
	nids = strv_len(ids);
	if (st->ops->snap_exists(st->arg, ids[nids - 1], &exists, err) < 0)
		return -1;
	if (!exists && unpack_missing(st, ids, nids, manifest_digest, err) < 0)
		return berth_err_wrap(err, "unpack image");
	k = xasprintf("containerd.io/gc.ref.snapshot.%s", st->snapshotter);
	{
		char *kv[] = {k, ids[nids - 1], NULL};

		if (st->ops->blob_label(st->arg, config_digest, kv, err) < 0)
			return berth_err_wrap(err, "label config '%s'", config_digest);
	}
	*chain = xstrdup(ids[nids - 1]);
	return 0;
}
