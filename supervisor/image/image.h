/*
 * supervisor/image/image.h - image logic shared by berthctl and berthd: OCI and docker
 * manifests and indexes (media types, children), resolving an image to its platform's
 * manifest and config, and unpacking its layers into a chain of committed snapshots.
 *
 * The logic does not know where blobs and snapshots live: it works through a struct
 * image_store (a struct of function pointers). berthctl implements it over berthd's gRPC
 * API (supervisor/ctl/store.c); berthd can implement it in-process over core/. One
 * implementation of the rules, two ways to reach the stores.
 *
 * Unpacking follows containerd's unpacker: snapshot names are chain IDs
 * (ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))); a
 * missing layer is applied on an active "extract-..." snapshot prepared on its parent,
 * then committed under its chain ID; the config blob gets the label
 * containerd.io/gc.ref.snapshot.<snapshotter> = top chain ID so the image keeps them.
 * Callers run it under a lease, so nothing is collected midway.
 */
#ifndef BERTH_SUPERVISOR_IMAGE_IMAGE_H
#define BERTH_SUPERVISOR_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define IMAGE_MAX_JSON (16 << 20) /* manifests, indexes and configs are read up to this */

/* A descriptor of a manifest or index: digest, media type, size. */
struct image_desc {
	char *media_type, *digest;
	int64_t size;
};
void image_desc_list_free(struct image_desc *v, size_t n);

bool image_is_index(const char *media_type);
bool image_is_manifest(const char *media_type);
/* Children descriptors of a manifest (config first, then layers) or index (manifests). */
int image_children(const char *json, size_t len, const char *media_type, struct image_desc **out,
		   size_t *n, struct berth_err **err);

/* Where blobs and snapshots are (all calls on the one snapshotter of the store). */
struct image_store_ops {
	/* The blob digest, up to max bytes; *out (caller frees) NUL-terminated. */
	int (*blob_read)(void *arg, const char *digest, size_t max, char **out, size_t *len,
			 struct berth_err **err);
	/* Sets labels kv (k,v,...,NULL) on blob digest (others kept). */
	int (*blob_label)(void *arg, const char *digest, char *const *kv, struct berth_err **err);
	int (*snap_exists)(void *arg, const char *name, bool *exists, struct berth_err **err);
	/* Prepares active snapshot key on parent (NULL: none) and applies layer into it. */
	int (*snap_apply)(void *arg, const char *key, const char *parent,
			  const struct image_desc *layer, struct berth_err **err);
	/* Commits key as name; EXISTS if name is there already. */
	int (*snap_commit)(void *arg, const char *name, const char *key, struct berth_err **err);
	/* Best effort (cleanup after a failure). */
	void (*snap_remove)(void *arg, const char *key);
};

struct image_store {
	const struct image_store_ops *ops;
	void *arg;
	const char *snapshotter; /* for the gc.ref.snapshot.<snapshotter> label */
};

/*
 * Reads the descriptor's blob: for an index, the manifest for this platform (linux and
 * the machine's architecture, else the first). Gives the manifest's config digest and
 * the sum of config + layer sizes; *manifest (optional) the chosen manifest digest.
 */
int image_resolve(const struct image_store *st, const char *media_type, const char *digest,
		  char **config, int64_t *size, char **manifest, struct berth_err **err);

/* The chain IDs of an image config's rootfs.diff_ids (strv); INVALID naming the field. */
char **image_chain_ids(const char *config_json, size_t len, struct berth_err **err);

/*
 * Unpacks the image (config blob config_digest with JSON config_json, manifest
 * manifest_digest) into committed snapshots, skipping those that exist; labels the config.
 * *chain (caller frees) gets the top chain ID: the parent for a container's snapshot.
 */
int image_unpack(const struct image_store *st, const char *config_digest, const char *config_json,
		 size_t len, const char *manifest_digest, char **chain, struct berth_err **err);

#endif
