/*
 * supervisor/image/manifest.c - OCI and docker manifests and indexes: media types,
 * children, and resolving an image to its platform's manifest and config (image.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/image/image.h"

bool image_is_index(const char *mt)
{
	return strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
	       strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0;
}

bool image_is_manifest(const char *mt)
{
	return strcmp(mt, "application/vnd.oci.image.manifest.v1+json") == 0 ||
	       strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") == 0;
}

void image_desc_list_free(struct image_desc *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].media_type);
		free(v[i].digest);
	}
	free(v);
}

static void desc_push(struct image_desc **v, size_t *n, const struct bjson *d)
{
	const char *mt = bjson_get_str(d, "mediaType"), *dg = bjson_get_str(d, "digest");
	int64_t size = 0;

	if (!dg)
		return;
	bjson_get_int(d, "size", &size);
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n].media_type = xstrdup(mt ? mt : "");
	(*v)[*n].digest = xstrdup(dg);
	(*v)[*n].size = size;
	(*n)++;
}

int image_children(const char *json, size_t len, const char *media_type, struct image_desc **out,
		   size_t *n, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;
	const struct bjson *arr;

	*out = NULL;
	*n = 0;
	if (bjson_parse(json, len, media_type, &doc, err) < 0)
		return -1;
	if (image_is_index(media_type)) {
		arr = bjson_get(doc, "manifests");
		for (size_t i = 0; arr && i < bjson_array_len(arr); i++)
			desc_push(out, n, bjson_array_get(arr, i));
		return 0;
	}
	if (bjson_get(doc, "config"))
		desc_push(out, n, bjson_get(doc, "config"));
	arr = bjson_get(doc, "layers");
	for (size_t i = 0; arr && i < bjson_array_len(arr); i++)
		desc_push(out, n, bjson_array_get(arr, i));
	return 0;
}

static const char *host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#else
	return "unknown";
#endif
}

/* The index entry for linux/<host arch>, else the first one. Borrowed from doc. */
static const struct bjson *pick_platform(const struct bjson *doc)
{
	const struct bjson *arr = bjson_get(doc, "manifests");

	for (size_t i = 0; arr && i < bjson_array_len(arr); i++) {
		const struct bjson *p = bjson_get(bjson_array_get(arr, i), "platform");
		const char *os = bjson_get_str(p, "os"), *arch = bjson_get_str(p, "architecture");

		if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, host_arch()) == 0)
			return bjson_array_get(arr, i);
	}
	return arr && bjson_array_len(arr) > 0 ? bjson_array_get(arr, 0) : NULL;
}

int image_resolve(const struct image_store *st, const char *media_type, const char *digest,
		  char **config, int64_t *size, char **manifest, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	cleanup(bjson_freep) struct bjson *doc = NULL;
	cleanup_free char *mt = xstrdup(media_type);
	cleanup_free char *dg = xstrdup(digest);
	const struct bjson *cfg, *layers;
	size_t len;
	int64_t total = 0, v;

	for (int depth = 0;; depth++) {
		if (depth > 4)
			return berth_err_new(err, BERTH_E_INVALID, "%s: indexes nested too deep",
					     digest);
		free(buf);
		buf = NULL;
		bjson_freep(&doc);
		if (st->ops->blob_read(st->arg, dg, IMAGE_MAX_JSON, &buf, &len, err) < 0 ||
		    bjson_parse(buf, len, dg, &doc, err) < 0)
			return -1;
		if (!image_is_index(mt))
			break;
		{
			const struct bjson *m = pick_platform(doc);
			const char *nd = m ? bjson_get_str(m, "digest") : NULL;
			const char *nmt = m ? bjson_get_str(m, "mediaType") : NULL;

			if (!nd)
				return berth_err_new(err, BERTH_E_NOT_FOUND,
						     "%s: index without manifests", digest);
			free(dg);
			dg = xstrdup(nd);
			free(mt);
			mt = xstrdup(nmt ? nmt : "application/vnd.oci.image.manifest.v1+json");
		}
	}
	if (!image_is_manifest(mt))
		return berth_err_new(err, BERTH_E_INVALID, "%s: unsupported media type '%s'", dg,
				     mt);
	cfg = bjson_get(doc, "config");
	if (!cfg || !bjson_get_str(cfg, "digest"))
		return berth_err_new(err, BERTH_E_INVALID, "%s: manifest without config", dg);
	if (bjson_get_int(cfg, "size", &v))
		total += v;
	layers = bjson_get(doc, "layers");
	for (size_t i = 0; layers && i < bjson_array_len(layers); i++)
		if (bjson_get_int(bjson_array_get(layers, i), "size", &v))
			total += v;
	*config = xstrdup(bjson_get_str(cfg, "digest"));
	*size = total;
	if (manifest)
		*manifest = take_ptr(dg);
	return 0;
}
