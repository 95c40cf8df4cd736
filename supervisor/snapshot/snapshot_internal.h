/*
 * supervisor/snapshot/snapshot_internal.h - what the snapshotter's pieces share:
 * the metadata store (store.c), the driver interface (overlay.c, native.c), the tree
 * helpers (tree.c). Not for use outside snapshot/.
 */
#ifndef BERTH_SUPERVISOR_SNAPSHOT_INTERNAL_H
#define BERTH_SUPERVISOR_SNAPSHOT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "supervisor/snapshot/snapshot.h"

/* One snapshot as stored in <root>/metadata. */
struct snap_rec {
	uint64_t id; /* directory <root>/snapshots/<id> */
	enum snap_kind kind;
	char *ns;
	char *name;   /* key (active, view) or name (committed) */
	char *parent; /* committed parent's name in ns, NULL if none */
	struct timespec created, updated;
	int64_t size, inodes; /* usage, measured at commit */
	char **labels;	      /* strv key, value pairs */
};

struct snap_store {
	struct snap_rec *v;
	size_t n;
	uint64_t next_id;
	size_t nlog; /* changes in metadata.log since the last full save */
	bool dirty;  /* the journal may end in a torn line: save in full next */
};

/* store.c */
/* Loads metadata, then replays metadata.log over it. */
int snap_store_load(int rootfd, struct snap_store *st, struct berth_err **err);
/* Full rewrite of metadata (atomic), then an empty metadata.log. */
int snap_store_save(int rootfd, struct snap_store *st, struct berth_err **err);
/*
 * Journals one change (an append and fdatasync to metadata.log, O(1) whatever the number
 * of snapshots): the record as it now is, or the removal of id. Every so often (when the
 * journal outgrows the store) this is a full save instead.
 */
int snap_store_log_put(int rootfd, struct snap_store *st, const struct snap_rec *r,
		       struct berth_err **err);
int snap_store_log_del(int rootfd, struct snap_store *st, uint64_t id, struct berth_err **err);
void snap_store_clear(struct snap_store *st);
struct snap_rec *snap_store_find(struct snap_store *st, const char *ns, const char *name);
bool snap_store_has_children(const struct snap_store *st, const struct snap_rec *r);
struct snap_rec *snap_store_add(struct snap_store *st);
void snap_store_del(struct snap_store *st, struct snap_rec *r);
void snap_rec_fini(struct snap_rec *r);

/* Everything a driver needs to create a snapshot directory or describe its mounts. */
struct snap_ctx {
	const char *root;    /* snapshotter root */
	const char *dir;     /* <root>/snapshots/<id> (or the temp dir being created) */
	enum snap_kind kind; /* ACTIVE or VIEW */
	char **parents;	     /* parents' fs dirs, nearest first; NULL when none */
};

/*
 * The driver interface. create populates ctx->dir (which exists and is empty) with
 * fs/ (and what else the driver needs) for a new snapshot; mounts describes it.
 */
struct snap_ops {
	const char *name;
	int (*check)(const char *root, struct berth_err **err);
	int (*create)(const struct snap_ctx *ctx, struct berth_err **err);
	int (*mounts)(const struct snap_ctx *ctx, struct snap_mounts *out, struct berth_err **err);
};

extern const struct snap_ops snap_overlay_ops;
extern const struct snap_ops snap_native_ops;

struct snapshotter {
	const struct snap_ops *ops;
	char *root;
	int rootfd;
	int lockfd;
	pthread_mutex_t lock;
	struct snap_store st;
};

/* Adds a mount to out (options: strv taken over). */
void snap_mounts_add(struct snap_mounts *out, const char *type, const char *source, char **options);

/* tree.c */
/* Copies the tree src into the existing empty directory dst: modes, owners, xattrs, times,
 * symlinks, hardlinks (within the tree), devices, fifos. Does not cross mount points. */
int snap_tree_copy(const char *src, const char *dst, struct berth_err **err);
/* du: st_blocks * 512 of every inode once, and the inode count. */
int snap_tree_usage(const char *path, struct snap_usage *out, struct berth_err **err);

#endif
