/*
 * supervisor/meta/meta_image.c - images: name -> target descriptor, labels (see meta.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

void meta_image_free(struct meta_image *im)
{
	if (!im)
		return;
	free(im->name);
	free(im->media_type);
	free(im->digest);
	strv_free(im->annotations);
	strv_free(im->labels);
	free(im);
}

void meta_image_freep(struct meta_image **im)
{
	meta_image_free(*im);
}

void meta_image_list_free(struct meta_image **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		meta_image_free(v[i]);
	free(v);
}

static void *image_row(sqlite3_stmt *st)
{
	struct meta_image *im = xnew(struct meta_image);

	im->name = meta_col_str(st, 0);
	im->media_type = meta_col_str(st, 1);
	im->digest = meta_col_str(st, 2);
	im->size = sqlite3_column_int64(st, 3);
	im->created = sqlite3_column_int64(st, 4);
	im->updated = sqlite3_column_int64(st, 5);
	return im;
}

static int image_load(struct meta_db *db, const char *ns, void *obj, struct berth_err **err);

static void image_free(void *im)
{
	meta_image_free(im);
}

static const struct meta_table image_table = {
	.name = "images",
	.key = "name",
	.noun = "image",
	.labels = "image_labels",
	.key_at = offsetof(struct meta_image, name),
	.labels_at = offsetof(struct meta_image, labels),
	.cols = "name, media_type, digest, size, created, updated",
	.row = image_row,
	.load = image_load,
	.free = image_free,
};

/* the target descriptor's annotations: the labels are meta_table.c's */
static int image_load(struct meta_db *db, const char *ns, void *obj, struct berth_err **err)
{
	struct meta_image *im = obj;

	return meta_kv_load(db, &image_table, "image_annotations", ns, im->name, &im->annotations,
			    err);
}

static int image_store_kv(struct meta_db *db, const char *ns, const struct meta_image *im,
			  struct berth_err **err)
{
	if (meta_kv_store(db, &image_table, image_table.labels, ns, im->name, im->labels, err) < 0)
		return -1;
	return meta_kv_store(db, &image_table, "image_annotations", ns, im->name, im->annotations,
			     err);
}

struct image_q {
	const char *ns;
	const struct meta_image *in;
	void *obj; /* the updated image */
	char *const *paths;
};

int meta_image_get(struct meta_db *db, const char *ns, const char *name, struct meta_image **out,
		   struct berth_err **err)
{
	return meta_table_get(db, &image_table, ns, name, out, err);
}

int meta_image_list(struct meta_db *db, const char *ns, struct meta_image ***out, size_t *n,
		    struct berth_err **err)
{
	return meta_table_list(db, &image_table, ns, out, n, err);
}

static int image_write_row(struct meta_db *db, const char *ns, const struct meta_image *im,
			   bool insert, struct berth_err **err)
{
	const char *size = META_I64(im->size), *updated = META_I64(im->updated);

	if (insert)
		return meta_execf(db, err,
				  "INSERT INTO images(namespace, name, media_type, digest, size, "
				  "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
				  7, ns, im->name, im->media_type, im->digest, size,
				  META_I64(im->created), updated);
	return meta_execf(db, err,
			  "UPDATE images SET media_type = ?, digest = ?, size = ?, updated = ? "
			  "WHERE namespace = ? AND name = ?",
			  6, im->media_type, im->digest, size, updated, ns, im->name);
}

static int create_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct image_q *q = arg;

	if (meta_row_claim(db, &image_table, q->ns, q->in->name, err) < 0 ||
	    image_write_row(db, q->ns, q->in, true, err) < 0)
		return -1;
	return image_store_kv(db, q->ns, q->in, err);
}

int meta_image_create(struct meta_db *db, const char *ns, struct meta_image *im,
		      struct berth_err **err)
{
	struct image_q q = {.ns = ns, .in = im};

	im->created = im->updated = meta_now();
	im->labels = meta_labels_sort(im->labels);
	im->annotations = meta_labels_sort(im->annotations);
	return meta_tx(db, true, create_tx, &q, err);
}

static bool path_valid(const char *p)
{
	return strcmp(p, "target") == 0 || strcmp(p, "labels") == 0 ||
	       strncmp(p, "labels.", 7) == 0 || strcmp(p, "annotations") == 0 ||
	       strncmp(p, "annotations.", 12) == 0;
}

static int update_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct image_q *q = arg;
	const struct meta_image *in = q->in;
	struct meta_image *im;
	bool all = !q->paths || !q->paths[0], target = all;
	char **kv;

	strv_foreach (p, q->paths) {
		if (!path_valid(p))
			return berth_err_new(err, BERTH_E_INVALID,
					     "image '%s': update_mask: cannot update '%s'",
					     in->name, p);
		if (strcmp(p, "target") == 0)
			target = true;
	}
	im = q->obj = meta_row_read(db, &image_table, q->ns, in->name, err);
	if (!im)
		return -1;
	if (target) {
		free(im->media_type);
		free(im->digest);
		im->media_type = xstrdup(in->media_type);
		im->digest = xstrdup(in->digest);
		im->size = in->size;
	}
	kv = meta_labels_apply(im->labels, in->labels, q->paths, "labels");
	strv_free(im->labels);
	im->labels = kv;
	if (target) {
		strv_free(im->annotations);
		im->annotations = meta_labels_sort(strv_dup(in->annotations));
	}
	if (!all) {
		kv = meta_labels_apply(im->annotations, in->annotations, q->paths, "annotations");
		strv_free(im->annotations);
		im->annotations = kv;
	}
	im->updated = meta_now();
	if (image_write_row(db, q->ns, im, false, err) < 0)
		return -1;
	return image_store_kv(db, q->ns, im, err);
}

int meta_image_update(struct meta_db *db, const char *ns, const struct meta_image *im,
		      char *const *paths, struct meta_image **out, struct berth_err **err)
{
	struct image_q q = {.ns = ns, .in = im, .paths = paths};

	return meta_table_write(db, &image_table, update_tx, &q, &q.obj, out, err);
}

int meta_image_delete(struct meta_db *db, const char *ns, const char *name, struct berth_err **err)
{
	return meta_table_delete(db, &image_table, ns, name, err);
}
