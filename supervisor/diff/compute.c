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

/*
 * The comparison walks both trees at once without recursion (issue #15: the depth is the
 * container's choice), holding the current directory of each tree: up is ".." checked
 * against the inode met going down. A directory's entry must precede its children, yet an
 * unchanged directory is written only if something below changed: such a directory is
 * pending until the first change below it, when flush() climbs to the topmost pending one
 * and writes the pending entries downwards.
 */
struct cframe {
	char **un, **ln; /* sorted names of the upper and lower dir (ln NULL: no lower) */
	size_t i, j;
	bool has_lower;
	bool written;	 /* its own entry is in the layer (the root: always) */
	int parked_lfd;	 /* the parent's lower fd, kept while this dir has no lower */
	size_t rel_len;	 /* its path's length in rel */
	char *name;	 /* its name in the parent (NULL for the root) */
	struct stat ust; /* its upper dir */
	struct stat lst; /* its lower dir (has_lower) */
};

struct cmp {
	struct layer_writer *w;
	struct cframe *v;
	size_t depth, cap;
	int ufd, lfd; /* the current dirs (lfd -1: no lower here) */
	char *rel;
	size_t rel_cap;
};

static void cframe_fini(struct cframe *f)
{
	strv_free(f->un);
	strv_free(f->ln);
	free(f->name);
	if (f->parked_lfd >= 0)
		close(f->parked_lfd);
}

static void rel_put(struct cmp *c, size_t base, const char *name)
{
	size_t need = base + strlen(name) + 2;

	if (need > c->rel_cap) {
		c->rel_cap = need * 2;
		c->rel = xrealloc(c->rel, c->rel_cap);
	}
	if (base)
		c->rel[base++] = '/';
	strcpy(c->rel + base, name);
}

/* openat(fd, name) as a directory, checked to be the inode want. */
static int open_same(int fd, const char *name, const struct stat *want, struct berth_err **err)
{
	struct stat st;
	int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (nfd < 0)
		return berth_err_sys(err, errno, "open directory '%s'", name);
	if (fstat(nfd, &st) < 0 || st.st_dev != want->st_dev || st.st_ino != want->st_ino) {
		close(nfd);
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "directory '%s' changed during the comparison", name);
	}
	return nfd;
}

/* Writes the entries of the pending dirs on the stack, topmost first. */
static int flush(struct cmp *c, struct berth_err **err)
{
	size_t first = c->depth;
	int fd;

	while (first > 1 && !c->v[first - 1].written)
		first--;
	if (first == c->depth)
		return 0;
	fd = dup(c->ufd);
	if (fd < 0)
		return berth_err_sys(err, errno, "dup");
	/* up to the parent of the topmost pending dir */
	for (size_t k = c->depth - 1; k >= first; k--) {
		int up = open_same(fd, "..", &c->v[k - 1].ust, err);

		close(fd);
		if (up < 0)
			return -1;
		fd = up;
	}
	for (size_t k = first; k < c->depth; k++) {
		struct cframe *f = &c->v[k];
		char saved = c->rel[f->rel_len];
		int down, r;

		c->rel[f->rel_len] = '\0';
		r = layer_writer_add(c->w, fd, f->name, c->rel, err);
		c->rel[f->rel_len] = saved;
		down = r < 0 ? -1 : open_same(fd, f->name, &f->ust, err);
		close(fd);
		if (down < 0)
			return -1;
		fd = down;
		f->written = true;
	}
	close(fd);
	return 0;
}

static int push(struct cmp *c, const char *name, bool written, bool lower, struct berth_err **err)
{
	struct cframe f = {.parked_lfd = -1, .written = written, .has_lower = lower};
	int nu, nl = -1;

	nu = openat(c->ufd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nu < 0)
		return berth_err_sys(err, errno, "open directory");
	if (lower)
		nl = openat(c->lfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if ((lower && nl < 0) || fstat(nu, &f.ust) < 0 || (lower && fstat(nl, &f.lst) < 0) ||
	    sorted_names(nu, &f.un, err) < 0 || (lower && sorted_names(nl, &f.ln, err) < 0)) {
		if (!*err)
			berth_err_sys(err, errno, "open directory");
		close(nu);
		if (nl >= 0)
			close(nl);
		cframe_fini(&f);
		return -1;
	}
	f.name = xstrdup(name);
	f.rel_len = strlen(c->rel);
	if (c->lfd >= 0 && !lower)
		f.parked_lfd = c->lfd;
	else if (c->lfd >= 0)
		close(c->lfd);
	close(c->ufd);
	c->ufd = nu;
	c->lfd = nl;
	if (c->depth == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->depth++] = f;
	return 0;
}

static int pop(struct cmp *c, struct berth_err **err)
{
	struct cframe *f = &c->v[c->depth - 1], *p = &c->v[c->depth - 2];
	int nu, nl = -1;

	nu = open_same(c->ufd, "..", &p->ust, err);
	if (nu < 0)
		return -1;
	if (f->has_lower) {
		nl = open_same(c->lfd, "..", &p->lst, err);
		if (nl < 0) {
			close(nu);
			return -1;
		}
	} else {
		nl = f->parked_lfd;
		f->parked_lfd = -1;
	}
	close(c->ufd);
	if (c->lfd >= 0)
		close(c->lfd);
	c->ufd = nu;
	c->lfd = nl;
	c->rel[p->rel_len] = '\0';
	cframe_fini(f);
	c->depth--;
	return 0;
}

/* One name of the current directory pair: in upper (u), lower (l) or both. */
static int compare_name(struct cmp *c, const char *name, bool in_u, bool in_l,
			struct berth_err **err)
{
	struct stat l, u;
	bool same;

	rel_put(c, c->v[c->depth - 1].rel_len, name);
	in_l = in_l && fstatat(c->lfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0;
	in_u = in_u && fstatat(c->ufd, name, &u, AT_SYMLINK_NOFOLLOW) == 0;
	if (!in_u) {
		if (!in_l)
			return 0;
		return flush(c, err) < 0 ? -1 : layer_writer_whiteout(c->w, c->rel, false, err);
	}
	if (S_ISDIR(u.st_mode)) {
		bool ldir = in_l && S_ISDIR(l.st_mode);

		same = ldir && same_entry(c->lfd, c->ufd, name, &l, &u) &&
		       l.st_mtim.tv_sec == u.st_mtim.tv_sec &&
		       l.st_mtim.tv_nsec == u.st_mtim.tv_nsec;
		if (!same &&
		    (flush(c, err) < 0 || layer_writer_add(c->w, c->ufd, name, c->rel, err) < 0))
			return -1;
		return push(c, name, !same, ldir, err);
	}
	if (in_l && same_entry(c->lfd, c->ufd, name, &l, &u))
		return 0;
	return flush(c, err) < 0 ? -1 : layer_writer_add(c->w, c->ufd, name, c->rel, err);
}

/* One step of the merge of the current directory pair; 1 when the walk is over. */
static int compare_step(struct cmp *c, struct berth_err **err)
{
	struct cframe *f = &c->v[c->depth - 1];
	size_t nu = strv_len(f->un), nl = strv_len(f->ln);
	const char *name;
	int cmp;

	if (f->i == nu && f->j == nl)
		return c->depth == 1 ? 1 : pop(c, err);
	cmp = f->i == nu ? 1 : f->j == nl ? -1 : strcmp(f->un[f->i], f->ln[f->j]);
	name = cmp <= 0 ? f->un[f->i] : f->ln[f->j];
	if (cmp <= 0)
		f->i++;
	if (cmp >= 0)
		f->j++;
	/* f may move (push reallocates): use nothing of it below */
	return compare_name(c, name, cmp <= 0, cmp >= 0, err);
}

/* Compares two full trees (native snapshots): their changes into w. */
static int compare_trees(struct layer_writer *w, int lfd, int ufd, struct berth_err **err)
{
	struct cmp c = {.w = w, .ufd = dup(ufd), .lfd = dup(lfd)};
	struct cframe root = {.parked_lfd = -1, .written = true, .has_lower = true};
	int ret = -1;

	c.rel = xstrdup("");
	c.rel_cap = 1;
	if (c.ufd < 0 || c.lfd < 0) {
		berth_err_sys(err, errno, "dup");
	} else if (fstat(c.ufd, &root.ust) == 0 && fstat(c.lfd, &root.lst) == 0 &&
		   sorted_names(c.ufd, &root.un, err) == 0 &&
		   sorted_names(c.lfd, &root.ln, err) == 0) {
		c.v = xmalloc(sizeof(*c.v));
		c.cap = 1;
		c.v[c.depth++] = root;
		root = (struct cframe){.parked_lfd = -1};
		while ((ret = compare_step(&c, err)) == 0)
			;
		ret = ret < 0 ? berth_err_wrap(err, "'%s'", *c.rel ? c.rel : "/") : 0;
	} else if (!*err) {
		berth_err_sys(err, errno, "stat the trees");
	}
	cframe_fini(&root);
	for (size_t k = 0; k < c.depth; k++)
		cframe_fini(&c.v[k]);
	free(c.v);
	free(c.rel);
	if (c.ufd >= 0)
		close(c.ufd);
	if (c.lfd >= 0)
		close(c.lfd);
	return ret;
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
	return compare_trees(w, lfd, ufd, err);
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
