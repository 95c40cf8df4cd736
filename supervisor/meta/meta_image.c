/*
 * supervisor/meta/meta_image.c - images: name -> target descriptor, labels (see meta.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta_internal.h"

#define IMAGE_OWNER ((const char *const[]){"name", NULL})

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

#define IMAGE_COLS "name, media_type, digest, size, created, updated"

static struct meta_image *image_row(sqlite3_stmt *st)
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

static int image_load_kv(struct meta_db *db, const char *ns, struct meta_image *im,
			 struct berth_err **err)
{
	const char *const vals[] = {im->name, NULL};

	if (meta_labels_load(db, "image_labels", ns, IMAGE_OWNER, vals, &im->labels, err) < 0)
		return -1;
	return meta_labels_load(db, "image_annotations", ns, IMAGE_OWNER, vals, &im->annotations,
				err);
}

static int image_store_kv(struct meta_db *db, const char *ns, const struct meta_image *im,
			  struct berth_err **err)
{
	const char *const vals[] = {im->name, NULL};

	if (meta_labels_store(db, "image_labels", ns, IMAGE_OWNER, vals, im->labels, err) < 0)
		return -1;
	return meta_labels_store(db, "image_annotations", ns, IMAGE_OWNER, vals, im->annotations,
				 err);
}

static int image_read(struct meta_db *db, const char *ns, const char *name, struct meta_image **out,
		      struct berth_err **err)
{
	sqlite3_stmt *st = meta_prep(
		db, "SELECT " IMAGE_COLS " FROM images WHERE namespace = ? AND name = ?", err);
	struct meta_image *im = NULL;
	int rc;

	if (!st)
		return -1;
	meta_bind_strs(st, 2, ns, name);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		im = image_row(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return meta_sqlerr(db, err, "read image");
	if (!im)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "image '%s': not found", name);
	if (image_load_kv(db, ns, im, err) < 0) {
		meta_image_free(im);
		return -1;
	}
	*out = im;
	return 0;
}

struct image_q {
	const char *ns, *name;
	const struct meta_image *in;
	struct meta_image *im;
	char *const *paths;
	struct meta_image **list;
	size_t n;
};

static int get_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct image_q *q = arg;

	return image_read(db, q->ns, q->name, &q->im, err);
}

int meta_image_get(struct meta_db *db, const char *ns, const char *name, struct meta_image **out,
		   struct berth_err **err)
{
	struct image_q q = {.ns = ns, .name = name};

	if (meta_tx(db, false, get_tx, &q, err) < 0)
		return -1;
	*out = q.im;
	return 0;
}

static int list_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct image_q *q = arg;
	sqlite3_stmt *st = meta_prep(
		db, "SELECT " IMAGE_COLS " FROM images WHERE namespace = ? ORDER BY name", err);
	int rc;

	if (!st)
		return -1;
	meta_bind_strs(st, 1, q->ns);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		q->list = xreallocarray(q->list, q->n + 1, sizeof(*q->list));
		q->list[q->n++] = image_row(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return meta_sqlerr(db, err, "list images");
	for (size_t i = 0; i < q->n; i++)
		if (image_load_kv(db, q->ns, q->list[i], err) < 0)
			return -1;
	return 0;
}

int meta_image_list(struct meta_db *db, const char *ns, struct meta_image ***out, size_t *n,
		    struct berth_err **err)
{
	struct image_q q = {.ns = ns};

	if (meta_tx(db, false, list_tx, &q, err) < 0) {
		meta_image_list_free(q.list, q.n);
		return -1;
	}
	*out = q.list;
	*n = q.n;
	return 0;
}

static int image_write_row(struct meta_db *db, const char *ns, const struct meta_image *im,
			   bool insert, struct berth_err **err)
{
	char size[32], created[32], updated[32];

	snprintf(size, sizeof(size), "%lld", (long long)im->size);
	snprintf(created, sizeof(created), "%lld", (long long)im->created);
	snprintf(updated, sizeof(updated), "%lld", (long long)im->updated);
	if (insert)
		return meta_execf(db, err,
				  "INSERT INTO images(namespace, name, media_type, digest, size, "
				  "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
				  7, ns, im->name, im->media_type, im->digest, size, created,
				  updated);
	return meta_execf(db, err,
			  "UPDATE images SET media_type = ?, digest = ?, size = ?, updated = ? "
			  "WHERE namespace = ? AND name = ?",
			  6, im->media_type, im->digest, size, updated, ns, im->name);
}

static int create_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct image_q *q = arg;
	int64_t n;

	if (meta_count(db, &n, err, "SELECT count(*) FROM images WHERE namespace = ? AND name = ?",
		       2, q->ns, q->in->name) < 0)
		return -1;
	if (n > 0)
		return berth_err_new(err, BERTH_E_EXISTS, "image '%s': already exists",
				     q->in->name);
	if (meta_ns_ensure(db, q->ns, err) < 0 || image_write_row(db, q->ns, q->in, true, err) < 0)
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
	if (image_read(db, q->ns, in->name, &q->im, err) < 0)
		return -1;
	im = q->im;
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

	if (meta_tx(db, true, update_tx, &q, err) < 0) {
		meta_image_free(q.im);
		return -1;
	}
	if (out)
		*out = q.im;
	else
		meta_image_free(q.im);
	return 0;
}

static int delete_tx(struct meta_db *db, void *arg, struct berth_err **err)
{
	struct image_q *q = arg;
	int64_t n;

	if (meta_count(db, &n, err, "SELECT count(*) FROM images WHERE namespace = ? AND name = ?",
		       2, q->ns, q->name) < 0)
		return -1;
	if (n == 0)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "image '%s': not found", q->name);
	return meta_execf(db, err, "DELETE FROM images WHERE namespace = ? AND name = ?", 2, q->ns,
			  q->name);
}

int meta_image_delete(struct meta_db *db, const char *ns, const char *name, struct berth_err **err)
{
	struct image_q q = {.ns = ns, .name = name};

	return meta_tx(db, true, delete_tx, &q, err);
}
