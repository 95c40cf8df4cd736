/*
 * supervisor/snapshot/snapshot.h - containerd-style snapshotters (overlayfs, native).
 *
 * Owns one snapshotter root (e.g. /var/lib/berth/snapshots/overlayfs):
 *   <root>/lock                 flock'd for the lifetime of a struct snapshotter
 *   <root>/metadata             every snapshot of every namespace (format in store.c)
 *   <root>/metadata.log         changes since metadata was last written in full
 *   <root>/snapshots/<id>/fs    the snapshot's tree (overlay: its upper dir)
 *   <root>/snapshots/<id>/work  overlay workdir (active overlay snapshots only)
 * Semantics are containerd's: keys and committed names share one name space per
 * containerd namespace; Prepare/View take a committed parent; Commit turns an active
 * snapshot into a committed one under a new name; a snapshot with children cannot be
 * removed. The snapshotter never mounts anything: it returns the mounts a caller makes.
 *
 * Invariants: a change is journalled durably (store.c) after the directory of a new
 * snapshot is in place and before the directory of a removed one is deleted, so a crash leaves at worst an unreferenced directory, which snap_cleanup()
 * and the next snap_open() remove. All calls are serialised by a mutex: safe from several
 * threads.
 * Not here: leases and GC roots (meta/), layer application (diff/).
 */
#ifndef BERTH_SUPERVISOR_SNAPSHOT_H
#define BERTH_SUPERVISOR_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"

/* Values are containerd's snapshots.v1.Kind. */
enum snap_kind {
	SNAP_KIND_UNKNOWN = 0,
	SNAP_KIND_VIEW = 1,
	SNAP_KIND_ACTIVE = 2,
	SNAP_KIND_COMMITTED = 3,
};

struct snap_info {
	char *name;
	char *parent; /* NULL when the snapshot has no parent */
	enum snap_kind kind;
	char **labels; /* strv of key, value, key, value...; NULL when none */
	struct timespec created;
	struct timespec updated;
};

struct snap_mount {
	char *type;
	char *source;
	char **options; /* strv */
};

struct snap_mounts {
	struct snap_mount *v;
	size_t n;
};

struct snap_usage {
	int64_t size; /* bytes of the snapshot's own tree (du), hardlinks counted once */
	int64_t inodes;
};

struct snapshotter;

/*
 * Opens (creating it if needed) the snapshotter root for driver "overlayfs" or "native".
 * Fails with UNAVAILABLE if another process holds the root, or if the kernel lacks overlay.
 */
struct snapshotter *snap_open(const char *driver, const char *root, struct berth_err **err);
void snap_close(struct snapshotter *s);
const char *snap_driver(const struct snapshotter *s);
const char *snap_root(const struct snapshotter *s);

/* labels: strv of key, value pairs (may be NULL). parent may be NULL or "". */
int snap_prepare(struct snapshotter *s, const char *ns, const char *key, const char *parent,
		 char *const *labels, struct snap_mounts *out, struct berth_err **err);
int snap_view(struct snapshotter *s, const char *ns, const char *key, const char *parent,
	      char *const *labels, struct snap_mounts *out, struct berth_err **err);
/* Mounts of an active or view snapshot; PRECONDITION for a committed one. */
int snap_mounts(struct snapshotter *s, const char *ns, const char *key, struct snap_mounts *out,
		struct berth_err **err);
/* key must be active; name must be free. labels replace the active snapshot's labels if given. */
int snap_commit(struct snapshotter *s, const char *ns, const char *name, const char *key,
		char *const *labels, struct berth_err **err);
/* PRECONDITION when another snapshot has it as parent. */
int snap_remove(struct snapshotter *s, const char *ns, const char *key, struct berth_err **err);
int snap_stat(struct snapshotter *s, const char *ns, const char *key, struct snap_info *out,
	      struct berth_err **err);
/*
 * Updates in->name's labels. fieldpaths NULL/empty or "labels": replace all labels;
 * "labels.<k>": set (or delete when in has no <k>) that one label. Other paths: INVALID.
 */
int snap_update(struct snapshotter *s, const char *ns, const struct snap_info *in,
		char *const *fieldpaths, struct snap_info *out, struct berth_err **err);
/*
 * All snapshots of ns, sorted by name. *out is an array of *n infos; free with
 * snap_infos_free. (containerd's list filters are applied above, supervisor/core/snapshots.c.)
 */
int snap_list(struct snapshotter *s, const char *ns, struct snap_info **out, size_t *n,
	      struct berth_err **err);
/* Active/view: measured now; committed: measured at commit. */
int snap_usage(struct snapshotter *s, const char *ns, const char *key, struct snap_usage *out,
	       struct berth_err **err);
/* Removes snapshot directories no snapshot references (left by crashes or removals). */
int snap_cleanup(struct snapshotter *s, struct berth_err **err);

/*
 * Where a diff must be applied for the active snapshot key: *upper is its fs dir,
 * *lowers the parents' fs dirs nearest first (strv, NULL when none). The caller frees.
 */
int snap_apply_target(struct snapshotter *s, const char *ns, const char *key, char **upper,
		      char ***lowers, struct berth_err **err);

/*
 * Checks that path is the fs dir of an active snapshot of s (any namespace): where a layer
 * may be applied. err: NOT_FOUND if path is not in s at all, PRECONDITION if the snapshot
 * is committed or a view (committed snapshots are immutable).
 */
int snap_check_active_dir(struct snapshotter *s, const char *path, struct berth_err **err);

void snap_info_free(struct snap_info *i);
void snap_infos_free(struct snap_info *v, size_t n);
void snap_mounts_free(struct snap_mounts *m);
const char *snap_kind_name(enum snap_kind k);
/* "active", "view", "committed" (case-insensitive); UNKNOWN otherwise. */
enum snap_kind snap_kind_parse(const char *s);

#endif
