/*
 * supervisor/diff/diff_internal.h - shared by apply.c (stream, digest), extract.c (entries)
 * and resolve.c (in-root path resolution). Not for use outside diff/.
 */
#ifndef BERTH_SUPERVISOR_DIFF_INTERNAL_H
#define BERTH_SUPERVISOR_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "supervisor/diff/diff.h"

struct archive;
struct archive_entry;

/* A set of strings (paths created by the layer being applied). */
struct strset {
	char **slots;
	size_t cap, n;
};
void strset_add(struct strset *s, const char *str);
bool strset_has(const struct strset *s, const char *str);
void strset_fini(struct strset *s);

struct dir_time {
	char *path;
	struct timespec atime, mtime;
};

struct extract {
	int rootfd;
	int *lowerfds; /* O_PATH fds of o->lowers */
	size_t nlowers;
	const struct diff_apply_opts *o;
	struct strset created; /* entries of this layer (whiteouts never hide them) */
	struct dir_time *dirs; /* directory times, set once every entry is in */
	bool root_opaque;      /* overlay target: an opaque whiteout at the layer's root */
	size_t ndirs;
};

int extract_init(struct extract *x, const char *target, const struct diff_apply_opts *o,
		 struct berth_err **err);
/* Applies the current entry of a (its data is read from a). */
int extract_entry(struct extract *x, struct archive *a, struct archive_entry *e,
		  struct berth_err **err);
/* Sets the recorded directory times. */
int extract_finish(struct extract *x, struct berth_err **err);
void extract_fini(struct extract *x);

/*
 * resolve.c: an entry name made relative and clean ("a/b/c"; "" for the root).
 * Refuses absolute names and '..' components (INVALID, "path escapes the snapshot").
 */
int resolve_clean(const char *name, char **out, struct berth_err **err);
/*
 * Opens (O_PATH) the directory rel inside rootfd, following symlinks as if rootfd were
 * '/', creating missing directories when create (for an overlay upper dir, a directory
 * that exists in a lower gets the lower's owner and mode, and a lower's symlink is
 * followed). Never leaves rootfd.
 */
int resolve_dir(struct extract *x, const char *rel, bool create, struct berth_err **err);
/* openat2(rootfd, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); -1 with errno. */
int resolve_in_root(int rootfd, const char *rel, int flags);

/*
 * writer.c: a tar stream (pax) into a diff_write_fn, hashed before and after the optional
 * gzip. Entries are added from files (by parent dir fd and name) or as whiteouts.
 */
struct layer_writer;
struct layer_writer *layer_writer_new(bool gzip, diff_write_fn write, void *arg);
/* rel: the entry's path in the layer; dfd/name: the file to describe (never followed). */
int layer_writer_add(struct layer_writer *w, int dfd, const char *name, const char *rel,
		     struct berth_err **err);
/* A whiteout of rel (".wh.<base>"), or with opaque the opaque marker of directory rel. */
int layer_writer_whiteout(struct layer_writer *w, const char *rel, bool opaque,
			  struct berth_err **err);
/* Ends the stream and fills out. */
int layer_writer_finish(struct layer_writer *w, struct diff_compute_result *out,
			struct berth_err **err);
void layer_writer_free(struct layer_writer *w);

/* extract.c: may xattr name be carried by a layer (user.*, security.capability)? */
bool diff_xattr_allowed(const char *name);

#endif
