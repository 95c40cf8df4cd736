/*
 * supervisor/diff/compute.c - the layer between two trees (diff_compute, see diff.h).
 *
 * Two shapes, both walked with *at() calls and sorted names so output is reproducible:
 *   export  - upper = [top] + lower: top is an overlay upper dir; every entry in it is a
 *             change, a 0/0 character device a deletion, trusted.overlay.opaque=y an
 *             opaque directory (containerd's overlay differ does the same).
 *   compare - upper = [U], lower = [L], two full trees (native snapshots): entries of U
 *             missing from L or different are written, entries of L missing from U
 *             become whiteouts; a directory is written when it or anything below changed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs_walk.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/diff/diff_internal.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in directory dfd (without . and ..) into *out (strv, or NULL when empty). */
static int sorted_names(int dfd, char ***out, struct berth_err **err)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	char **v = NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return berth_err_sys(err, errno, "read directory");
	}
	while ((errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(&v, de->d_name);
	if (errno) {
		strv_free(v);
		return berth_err_sys(err, errno, "read directory");
	}
	if (v)
		qsort(v, strv_len(v), sizeof(char *), cmp_str);
	*out = v;
	return 0;
}

static char *join(const char *rel, const char *name)
{
	return *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

static int open_dir(int dfd, const char *name, struct berth_err **err)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		berth_err_sys(err, errno, "open directory '%s'", name);
	return fd;
}

static bool is_opaque(int dfd, const char *name)
{
	char path[64 + NAME_MAX], v[2] = {0};

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	return lgetxattr(path, "trusted.overlay.opaque", v, 1) == 1 && v[0] == 'y';
}

/* --- export of an overlay upper dir --- */

/* fs_walk visit, sorted: every entry of the upper dir is a change (iterative: issue #15) */
static int export_visit(void *arg, const struct fs_walk_entry *e, struct berth_err **err)
{
	struct layer_writer *w = arg;

	if (S_ISCHR(e->st.st_mode) && e->st.st_rdev == makedev(0, 0))
		return layer_writer_whiteout(w, e->rel, false, err) < 0 ? -1 : FS_WALK_SKIP;
	if (layer_writer_add(w, e->dirfd, e->name, e->rel, err) < 0)
		return -1;
	if (!S_ISDIR(e->st.st_mode))
		return FS_WALK_SKIP;
	if (is_opaque(e->dirfd, e->name) && layer_writer_whiteout(w, e->rel, true, err) < 0)
		return -1;
	return FS_WALK_DESCEND;
}

/* --- comparison of two full trees --- */

static bool same_content(int ldfd, int udfd, const char *name)
{
	cleanup_close int a = openat(ldfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int b = openat(udfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char ba[65536], bb[65536];
	ssize_t na, nb;

	if (a < 0 || b < 0)
		return false;
	do {
		na = read(a, ba, sizeof(ba));
		nb = read(b, bb, sizeof(bb));
		if (na != nb || na < 0 || memcmp(ba, bb, (size_t)na) != 0)
			return false;
	} while (na > 0);
	return true;
}

static bool same_link(int ldfd, int udfd, const char *name)
{
	char a[PATH_MAX + 1], b[PATH_MAX + 1];
	ssize_t na = readlinkat(ldfd, name, a, PATH_MAX), nb = readlinkat(udfd, name, b, PATH_MAX);

	return na >= 0 && na == nb && memcmp(a, b, (size_t)na) == 0;
}

static bool same_entry(int ldfd, int udfd, const char *name, const struct stat *l,
		       const struct stat *u)
{
	if (l->st_mode != u->st_mode || l->st_uid != u->st_uid || l->st_gid != u->st_gid)
		return false;
	if (S_ISDIR(u->st_mode))
		return true; /* written anyway if something below changed */
	if (S_ISLNK(u->st_mode))
		return same_link(ldfd, udfd, name);
	if (S_ISCHR(u->st_mode) || S_ISBLK(u->st_mode))
		return l->st_rdev == u->st_rdev;
	if (!S_ISREG(u->st_mode))
		return true;
	if (l->st_size != u->st_size || l->st_mtim.tv_sec != u->st_mtim.tv_sec ||
	    l->st_mtim.tv_nsec != u->st_mtim.tv_nsec)
		return false;
	/* times from tar archives have no nanoseconds: a rewrite within the second looks
	 * unchanged, so compare the bytes */
	return u->st_mtim.tv_nsec != 0 || same_content(ldfd, udfd, name);
}

static int compare_dir(struct layer_writer *w, int ldfd, int udfd, const char *rel, bool *changed,
		       struct berth_err **err);

/* u is a directory at udfd/name: write it (and, with ldfd < 0, everything below). */
static int compare_subdir(struct layer_writer *w, int ldfd, int udfd, const char *name,
			  const char *sub, bool force, bool *changed, struct berth_err **err)
{
	cleanup_close int lfd = ldfd >= 0 ? open_dir(ldfd, name, err) : -1;
	cleanup_close int ufd = open_dir(udfd, name, err);
	bool below = false;

	if (ufd < 0 || (ldfd >= 0 && lfd < 0))
		return -1;
	/* the directory entry must precede its children: write it first when forced, else
	 * find out whether anything below changed with a dry pass */
	if (force) {
		*changed = true;
		if (layer_writer_add(w, udfd, name, sub, err) < 0)
			return -1;
		return compare_dir(w, lfd, ufd, sub, &below, err);
	}
	if (compare_dir(NULL, lfd, ufd, sub, &below, err) < 0)
		return -1;
	if (!below)
		return 0;
	*changed = true;
	if (!w)
		return 0; /* a dry pass itself: knowing is enough */
	if (layer_writer_add(w, udfd, name, sub, err) < 0)
		return -1;
	return compare_dir(w, lfd, ufd, sub, &below, err);
}

static int compare_one(struct layer_writer *w, int ldfd, int udfd, const char *name,
		       const char *rel, bool *changed, struct berth_err **err)
{
	cleanup_free char *sub = join(rel, name);
	struct stat l, u;
	bool in_lower = ldfd >= 0 && fstatat(ldfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0;
	bool in_upper = fstatat(udfd, name, &u, AT_SYMLINK_NOFOLLOW) == 0;

	if (!in_upper) {
		*changed = true;
		return w ? layer_writer_whiteout(w, sub, false, err) : 0;
	}
	if (S_ISDIR(u.st_mode)) {
		bool same = in_lower && S_ISDIR(l.st_mode) &&
			    same_entry(ldfd, udfd, name, &l, &u) &&
			    l.st_mtim.tv_sec == u.st_mtim.tv_sec &&
			    l.st_mtim.tv_nsec == u.st_mtim.tv_nsec;

		if (!w && !same) {
			*changed = true;
			return 0;
		}
		return compare_subdir(w, in_lower && S_ISDIR(l.st_mode) ? ldfd : -1, udfd, name,
				      sub, !same, changed, err);
	}
	if (in_lower && same_entry(ldfd, udfd, name, &l, &u))
		return 0;
	*changed = true;
	return w ? layer_writer_add(w, udfd, name, sub, err) : 0;
}

/*
 * Compares directory ldfd (-1: absent, everything is new) with udfd. With w == NULL only
 * sets *changed (the dry pass of compare_subdir); else writes the changes.
 */
static int compare_dir(struct layer_writer *w, int ldfd, int udfd, const char *rel, bool *changed,
		       struct berth_err **err)
{
	cleanup(strv_freep) char **un = NULL;
	cleanup(strv_freep) char **ln = NULL;
	size_t i = 0, j = 0, nu, nl;

	if (sorted_names(udfd, &un, err) < 0)
		return berth_err_wrap(err, "'%s'", *rel ? rel : "/");
	if (ldfd >= 0 && sorted_names(ldfd, &ln, err) < 0)
		return berth_err_wrap(err, "lower '%s'", *rel ? rel : "/");
	nu = strv_len(un);
	nl = strv_len(ln);
	/* merge the two sorted lists: names only in lower are deletions */
	while (i < nu || j < nl) {
		int c = i == nu ? 1 : j == nl ? -1 : strcmp(un[i], ln[j]);
		const char *name = c <= 0 ? un[i] : ln[j];

		if (compare_one(w, ldfd, udfd, name, rel, changed, err) < 0)
			return -1;
		if (!w && *changed)
			return 0;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return 0;
}

/* --- entry point --- */

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Is upper exactly [top] + lower? */
static bool one_layer_on_top(char *const *lower, char *const *upper)
{
	size_t nl = strv_len(lower), nu = strv_len(upper);

	if (nu != nl + 1)
		return false;
	for (size_t i = 0; i < nl; i++)
		if (!same_dir(lower[i], upper[i + 1]))
			return false;
	return true;
}

void diff_compute_result_fini(struct diff_compute_result *r)
{
	if (!r)
		return;
	free(r->diff_id);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

static int compute(struct layer_writer *w, char *const *lower, char *const *upper,
		   struct berth_err **err)
{
	cleanup_close int ufd = -1, lfd = -1;
	bool changed = false;

	if (one_layer_on_top(lower, upper)) {
		ufd = open(upper[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (ufd < 0)
			return berth_err_sys(err, errno, "open '%s'", upper[0]);
		return fs_walk(ufd, -1, FS_WALK_SORTED,
			       &(const struct fs_walk_ops){export_visit, NULL}, w, err);
	}
	if (strv_len(lower) != 1 || strv_len(upper) != 1)
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			"cannot compare %zu layer dirs with %zu: neither one layer on top of the other nor two full trees",
			strv_len(upper), strv_len(lower));
	ufd = open(upper[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	lfd = open(lower[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0 || lfd < 0)
		return berth_err_sys(err, errno, "open '%s' or '%s'", upper[0], lower[0]);
	return compare_dir(w, lfd, ufd, "", &changed, err);
}

int diff_compute(char *const *lower, char *const *upper, const char *media_type,
		 diff_write_fn write, void *arg, struct diff_compute_result *out,
		 struct berth_err **err)
{
	struct layer_writer *w;
	bool gzip;
	int ret;

	if (!media_type || !*media_type || strcmp(media_type, DIFF_MEDIA_TAR "+gzip") == 0)
		gzip = true;
	else if (strcmp(media_type, DIFF_MEDIA_TAR) == 0)
		gzip = false;
	else
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "cannot write layers of media type '%s'", media_type);
	w = layer_writer_new(gzip, write, arg);
	ret = compute(w, lower, upper, err);
	if (ret == 0)
		ret = layer_writer_finish(w, out, err);
	layer_writer_free(w);
	if (ret < 0)
		return berth_err_wrap(err, "compute layer");
	return 0;
}
