/*
 * common/fs_walk.h - an iterative depth-first walk of a directory tree.
 *
 * Depth comes from input (a layer can hold a tree thousands of directories deep), so the
 * walk keeps its stack on the heap and holds at most two directory fds at any depth: the
 * current directory and, optionally, the same directory in a mirror tree walked in lockstep
 * (a copy's destination). Going up is openat(fd, "..") checked against the inode met on the
 * way down, so a directory moved during the walk fails it instead of walking elsewhere.
 * Each directory's names are read in full (and sorted when asked) before its entries are
 * visited: a visit may remove or create entries in the directory being walked.
 */
#ifndef BERTH_COMMON_FS_WALK_H
#define BERTH_COMMON_FS_WALK_H

#include <sys/stat.h>

#include "common/err.h"

enum fs_walk_action {
	FS_WALK_SKIP = 0,    /* go on with the next entry */
	FS_WALK_DESCEND = 1, /* walk into this directory entry (then leave() it) */
};

#define FS_WALK_SORTED 1u /* visit a directory's entries sorted by name (strcmp) */

struct fs_walk_entry {
	int dirfd;	  /* the directory holding the entry (borrowed) */
	int mirrorfd;	  /* the same directory of the mirror tree, -1 without one (borrowed) */
	const char *name; /* the entry's name in dirfd */
	const char *rel;  /* its path from the walk's root ("a/b/name") */
	size_t depth;	  /* 1 for the root's entries */
	struct stat st;	  /* lstat of the entry (for leave(): of the directory when entered) */
};

struct fs_walk_ops {
	/*
	 * Every entry of every directory walked into: returns FS_WALK_DESCEND (honoured for
	 * directories only; the mirror, if any, must then hold a directory of that name),
	 * FS_WALK_SKIP, or -1 with *err set, which ends the walk.
	 */
	int (*visit)(void *arg, const struct fs_walk_entry *e, struct berth_err **err);
	/* After the last entry of a directory the walk descended into (NULL: nothing to do). */
	int (*leave)(void *arg, const struct fs_walk_entry *e, struct berth_err **err);
};

/*
 * Walks the tree under rootfd (borrowed; the root itself is neither visited nor left),
 * with mirrorfd (borrowed, or -1) in lockstep. Entries that vanish between reading a
 * directory and visiting them are skipped. err: what a callback or the filesystem reported,
 * wrapped with the path.
 */
int fs_walk(int rootfd, int mirrorfd, unsigned flags, const struct fs_walk_ops *ops, void *arg,
	    struct berth_err **err);

/* rm -rf of dirfd/name (a file or a tree); ENOENT is success; never crosses a mount point. */
int fs_rm_rf_at(int dirfd, const char *name, struct berth_err **err);

#endif
