/*
 * supervisor/meta/meta.h - berthd's metadata store (SQLite, <root>/meta.db).
 *
 * Owns the schema (schema.sql, numbered migrations applied at open) and every
 * row: namespaces, content records (which namespace sees which blob, with
 * labels; not the blobs: content/store.h), images, leases, containers, snapshot
 * records, settings. Does not own files on disk other than meta.db.
 *
 * Invariants: every change is one transaction (a crash leaves the old or the new
 * state); foreign keys are on, so labels go with their owner; writing an object in
 * a namespace creates the namespace. One connection behind a mutex: every
 * function is thread-safe and may block briefly on that mutex (never on I/O of
 * another process: busy_timeout covers the sqlite3 CLI reading the file).
 *
 * Labels and annotations are string vectors k,v,k,v,...,NULL (common/strv.h),
 * sorted by key. Times are nanoseconds since the epoch. Errors: NOT_FOUND,
 * EXISTS, PRECONDITION (namespace not empty), INVALID, INTERNAL (SQLite).
 */
#ifndef BERTH_SUPERVISOR_META_META_H
#define BERTH_SUPERVISOR_META_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct meta_db;

/* Opens (creating) path, applies pending migrations. */
struct meta_db *meta_open(const char *path, struct berth_err **err);
void meta_close(struct meta_db *db);
/* PRAGMA user_version after open (the last applied migration). */
int meta_schema_version(struct meta_db *db);
/* PRAGMA integrity_check == "ok" (tests, crash checks). */
int meta_check(struct meta_db *db, struct berth_err **err);
/* Current time in ns since the epoch (CLOCK_REALTIME). */
int64_t meta_now(void);

/*
 * Label updates as containerd's field masks do them: paths NULL or empty means replace
 * every label with upd; "labels" replaces all; "labels.<key>" sets key from upd, or
 * deletes it when upd has no such key. Paths not starting with "labels" are ignored.
 * prefix: "labels" (or "annotations"). Returns a new sorted vector.
 */
char **meta_labels_apply(char *const *old, char *const *upd, char *const *paths,
			 const char *prefix);
/* Value of key in a k,v vector, or NULL. */
const char *meta_labels_get(char *const *kv, const char *key);
/* Sorts a k,v vector by key in place (later duplicates win) and returns it. */
char **meta_labels_sort(char **kv);

/* ---- settings ---- */
/* Returns the value of key, creating it with init() when absent. */
int meta_setting_get_or_init(struct meta_db *db, const char *key, char *(*init)(void), char **out,
			     struct berth_err **err);

/* ---- namespaces ---- */
int meta_ns_create(struct meta_db *db, const char *name, char *const *labels,
		   struct berth_err **err);
/* NOT_FOUND if absent; *labels may be NULL when the namespace has none. */
int meta_ns_get(struct meta_db *db, const char *name, char ***labels, struct berth_err **err);
int meta_ns_list(struct meta_db *db, char ***names, struct berth_err **err);
/* Applies meta_labels_apply in one transaction; *out (optional) gets the new labels. */
int meta_ns_update_labels(struct meta_db *db, const char *name, char *const *labels,
			  char *const *paths, char ***out, struct berth_err **err);
/* PRECONDITION naming what is left if the namespace holds images, content, leases,
 * containers or snapshots. */
int meta_ns_delete(struct meta_db *db, const char *name, struct berth_err **err);

/* ---- content records ---- */
struct meta_content {
	char *digest;
	int64_t size;
	int64_t created, updated;
	char **labels;
};
void meta_content_free(struct meta_content *c);
void meta_content_freep(struct meta_content **c);
void meta_content_list_free(struct meta_content **v, size_t n);

int meta_content_get(struct meta_db *db, const char *ns, const char *digest,
		     struct meta_content **out, struct berth_err **err);
/* Every record of ns, sorted by digest. */
int meta_content_list(struct meta_db *db, const char *ns, struct meta_content ***out, size_t *n,
		      struct berth_err **err);
/* EXISTS if ns already has digest. */
int meta_content_add(struct meta_db *db, const char *ns, const char *digest, int64_t size,
		     char *const *labels, struct berth_err **err);
int meta_content_update_labels(struct meta_db *db, const char *ns, const char *digest,
			       char *const *labels, char *const *paths, struct meta_content **out,
			       struct berth_err **err);
int meta_content_delete(struct meta_db *db, const char *ns, const char *digest,
			struct berth_err **err);
/* Whether any namespace has a record for digest. */
int meta_content_is_referenced(struct meta_db *db, const char *digest, bool *out,
			       struct berth_err **err);
/* Every digest with a record in some namespace. */
int meta_content_all_digests(struct meta_db *db, char ***out, struct berth_err **err);

/* ---- images ---- */
struct meta_image {
	char *name;
	char *media_type, *digest;
	int64_t size;
	char **annotations; /* of the target descriptor */
	char **labels;
	int64_t created, updated;
};
void meta_image_free(struct meta_image *im);
void meta_image_freep(struct meta_image **im);
void meta_image_list_free(struct meta_image **v, size_t n);

int meta_image_get(struct meta_db *db, const char *ns, const char *name, struct meta_image **out,
		   struct berth_err **err);
int meta_image_list(struct meta_db *db, const char *ns, struct meta_image ***out, size_t *n,
		    struct berth_err **err);
/* EXISTS if the name is taken. Sets created/updated in im. */
int meta_image_create(struct meta_db *db, const char *ns, struct meta_image *im,
		      struct berth_err **err);
/*
 * Updates image im->name with containerd's mask rules: paths NULL/empty replaces target,
 * labels and annotations; otherwise "target" (media_type/digest/size/annotations),
 * "labels", "labels.<k>", "annotations", "annotations.<k>". INVALID for other paths.
 * *out gets the stored image.
 */
int meta_image_update(struct meta_db *db, const char *ns, const struct meta_image *im,
		      char *const *paths, struct meta_image **out, struct berth_err **err);
int meta_image_delete(struct meta_db *db, const char *ns, const char *name, struct berth_err **err);

/* ---- leases ---- */
struct meta_lease {
	char *id;
	int64_t created;
	char **labels;
};
struct meta_resource {
	char *type; /* "content", "ingests", "snapshots/<snapshotter>" */
	char *id;
};
void meta_lease_free(struct meta_lease *l);
void meta_lease_list_free(struct meta_lease **v, size_t n);
void meta_resource_list_free(struct meta_resource *v, size_t n);

int meta_lease_create(struct meta_db *db, const char *ns, const char *id, char *const *labels,
		      struct meta_lease **out, struct berth_err **err);
int meta_lease_delete(struct meta_db *db, const char *ns, const char *id, struct berth_err **err);
int meta_lease_list(struct meta_db *db, const char *ns, struct meta_lease ***out, size_t *n,
		    struct berth_err **err);
/* NOT_FOUND if the lease does not exist; adding twice is fine. */
int meta_lease_add_resource(struct meta_db *db, const char *ns, const char *id, const char *type,
			    const char *rid, struct berth_err **err);
int meta_lease_delete_resource(struct meta_db *db, const char *ns, const char *id, const char *type,
			       const char *rid, struct berth_err **err);
int meta_lease_list_resources(struct meta_db *db, const char *ns, const char *id,
			      struct meta_resource **out, size_t *n, struct berth_err **err);

/* ---- containers ---- */
struct meta_any {
	char *type_url; /* "" when unset */
	uint8_t *data;
	size_t len;
};
struct meta_container {
	char *id, *image, *runtime_name, *snapshotter, *snapshot_key;
	struct meta_any runtime_options, spec;
	char **labels;
	char **ext_keys; /* NULL-terminated, parallel to exts */
	struct meta_any *exts;
	int64_t created, updated;
};
void meta_container_free(struct meta_container *c);
void meta_container_freep(struct meta_container **c);
void meta_container_list_free(struct meta_container **v, size_t n);

int meta_container_get(struct meta_db *db, const char *ns, const char *id,
		       struct meta_container **out, struct berth_err **err);
int meta_container_list(struct meta_db *db, const char *ns, struct meta_container ***out, size_t *n,
			struct berth_err **err);
/* EXISTS if the id is taken. Sets created/updated. */
int meta_container_create(struct meta_db *db, const char *ns, struct meta_container *c,
			  struct berth_err **err);
/*
 * containerd's rules: paths NULL/empty replace everything but id, runtime and snapshotter
 * (which must not change: INVALID "...is immutable"); otherwise "labels", "labels.<k>",
 * "spec", "extensions", "extensions.<k>", "image", "snapshotkey"; other paths are INVALID.
 */
int meta_container_update(struct meta_db *db, const char *ns, const struct meta_container *c,
			  char *const *paths, struct meta_container **out, struct berth_err **err);
int meta_container_delete(struct meta_db *db, const char *ns, const char *id,
			  struct berth_err **err);

/* ---- garbage-collection roots (read in one transaction) ---- */
struct meta_gc_ref {
	char *ns;
	char *type; /* "content", "ingests", "snapshots/<name>" */
	char *id;
};
struct meta_gc_roots {
	struct meta_gc_ref *refs; /* images' targets, leases' resources, containers' snapshots */
	size_t n;
	char **expired_leases; /* ns,id,ns,id,...,NULL: leases whose gc.expire passed */
};
void meta_gc_roots_free(struct meta_gc_roots *r);
int meta_gc_roots(struct meta_db *db, int64_t now, struct meta_gc_roots *out,
		  struct berth_err **err);

#endif
