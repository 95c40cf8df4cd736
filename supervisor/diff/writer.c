/*
 * supervisor/diff/writer.c - writing a layer: a pax tar (libarchive) whose bytes are hashed
 * (the diff-id), optionally gzip-compressed (zlib) and hashed again (the blob digest), then
 * handed to the caller's sink. No end-of-archive padding beyond the two zero blocks, no
 * atime/ctime, only the xattrs a layer may carry (diff_xattr_allowed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "supervisor/diff/diff_internal.h"

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *rel;
};

struct layer_writer {
	struct archive *a;
	struct digest *tar_md, *blob_md;
	bool gzip;
	z_stream z;
	diff_write_fn write;
	void *arg;
	int64_t size, blob_size;
	struct berth_err *err; /* the sink's error, reported after libarchive gives up */
	struct link_seen *links;
	size_t nlinks;
};

static int sink(struct layer_writer *w, const void *buf, size_t len)
{
	digest_update(w->blob_md, buf, len);
	w->blob_size += (int64_t)len;
	return w->write(w->arg, buf, len, &w->err);
}

static int deflate_out(struct layer_writer *w, int flush)
{
	unsigned char out[65536];
	int r;

	do {
		w->z.next_out = out;
		w->z.avail_out = sizeof(out);
		r = deflate(&w->z, flush);
		if (r == Z_STREAM_ERROR)
			return berth_err_new(&w->err, BERTH_E_INTERNAL, "gzip: deflate failed");
		if (sizeof(out) - w->z.avail_out > 0 &&
		    sink(w, out, sizeof(out) - w->z.avail_out) < 0)
			return -1;
	} while (w->z.avail_out == 0);
	return 0;
}

static la_ssize_t tar_out(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct layer_writer *w = arg;

	digest_update(w->tar_md, buf, len);
	w->size += (int64_t)len;
	if (!w->gzip)
		return sink(w, buf, len) < 0 ? -1 : (la_ssize_t)len;
	w->z.next_in = (unsigned char *)buf;
	w->z.avail_in = (uInt)len;
	return deflate_out(w, Z_NO_FLUSH) < 0 ? -1 : (la_ssize_t)len;
}

struct layer_writer *layer_writer_new(bool gzip, diff_write_fn write, void *arg)
{
	struct layer_writer *w = xnew(struct layer_writer);

	w->gzip = gzip;
	w->write = write;
	w->arg = arg;
	w->tar_md = digest_new();
	w->blob_md = digest_new();
	/* windowBits 15 + 16: a gzip header and trailer, as every layer tool writes */
	if (gzip && deflateInit2(&w->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
		abort(); /* only fails on bad parameters or out of memory */
	w->a = archive_write_new();
	archive_write_set_format_pax_restricted(w->a);
	archive_write_set_bytes_per_block(w->a, 10240);
	archive_write_set_bytes_in_last_block(w->a, 1);
	archive_write_open2(w->a, w, NULL, tar_out, NULL, NULL);
	return w;
}

void layer_writer_free(struct layer_writer *w)
{
	if (!w)
		return;
	archive_write_free(w->a);
	if (w->gzip)
		deflateEnd(&w->z);
	digest_free(w->tar_md);
	digest_free(w->blob_md);
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i].rel);
	free(w->links);
	berth_err_free(&w->err);
	free(w);
}

/* libarchive failed: the sink's own error if it was the cause. */
static int archive_fail(struct layer_writer *w, const char *what, const char *rel,
			struct berth_err **err)
{
	if (w->err) {
		*err = take_ptr(w->err);
		return berth_err_wrap(err, "%s '%s'", what, rel);
	}
	return berth_err_new(err, BERTH_E_INTERNAL, "%s '%s': %s", what, rel,
			     archive_error_string(w->a));
}

static void add_xattrs(struct archive_entry *e, int dfd, const char *name)
{
	char path[64 + NAME_MAX], list[4096], val[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dfd, name);
	n = llistxattr(path, list, sizeof(list));
	for (char *k = list; n > 0 && k < list + n; k += strlen(k) + 1) {
		ssize_t vl;

		if (!diff_xattr_allowed(k))
			continue;
		vl = lgetxattr(path, k, val, sizeof(val));
		if (vl >= 0)
			archive_entry_xattr_add_entry(e, k, val, (size_t)vl);
	}
}

static int write_data(struct layer_writer *w, int dfd, const char *name, const char *rel,
		      struct berth_err **err)
{
	cleanup_close int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", rel);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (archive_write_data(w->a, buf, (size_t)n) != n)
			return archive_fail(w, "write", rel, err);
	if (n < 0)
		return berth_err_sys(err, errno, "read '%s'", rel);
	return 0;
}

/* Hardlinks: the first path of an inode with several links, or NULL (and remember rel). */
static const char *link_target(struct layer_writer *w, const struct stat *st, const char *rel)
{
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].rel;
	w->links = xreallocarray(w->links, w->nlinks + 1, sizeof(*w->links));
	w->links[w->nlinks++] = (struct link_seen){st->st_dev, st->st_ino, xstrdup(rel)};
	return NULL;
}

int layer_writer_add(struct layer_writer *w, int dfd, const char *name, const char *rel,
		     struct berth_err **err)
{
	struct archive_entry *e;
	const char *hl = NULL;
	struct stat st;
	char target[PATH_MAX + 1];
	int ret = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_sys(err, errno, "stat '%s'", rel);
	if (S_ISSOCK(st.st_mode))
		return 0; /* a socket belongs to a process, not to an image */
	e = archive_entry_new();
	archive_entry_copy_stat(e, &st);
	archive_entry_unset_atime(e);
	archive_entry_unset_ctime(e);
	archive_entry_unset_birthtime(e);
	archive_entry_set_pathname(e, rel);
	if (!S_ISREG(st.st_mode))
		archive_entry_set_size(e, 0);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && (hl = link_target(w, &st, rel))) {
		archive_entry_set_hardlink(e, hl);
		archive_entry_set_size(e, 0);
	}
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dfd, name, target, PATH_MAX);

		if (n < 0) {
			archive_entry_free(e);
			return berth_err_sys(err, errno, "readlink '%s'", rel);
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	}
	add_xattrs(e, dfd, name);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		ret = archive_fail(w, "write header of", rel, err);
	archive_entry_free(e);
	if (ret == 0 && S_ISREG(st.st_mode) && !hl)
		ret = write_data(w, dfd, name, rel, err);
	return ret;
}

int layer_writer_whiteout(struct layer_writer *w, const char *rel, bool opaque,
			  struct berth_err **err)
{
	const char *slash = strrchr(rel, '/');
	cleanup_free char *path = NULL;
	struct archive_entry *e = archive_entry_new();
	int ret = 0;

	if (opaque)
		path = *rel ? xasprintf("%s/.wh..wh..opq", rel) : xstrdup(".wh..wh..opq");
	else if (slash)
		path = xasprintf("%.*s/.wh.%s", (int)(slash - rel), rel, slash + 1);
	else
		path = xasprintf(".wh.%s", rel);
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0);
	archive_entry_set_size(e, 0);
	if (archive_write_header(w->a, e) != ARCHIVE_OK)
		ret = archive_fail(w, "write whiteout", path, err);
	archive_entry_free(e);
	return ret;
}

int layer_writer_finish(struct layer_writer *w, struct diff_compute_result *out,
			struct berth_err **err)
{
	if (archive_write_close(w->a) != ARCHIVE_OK)
		return archive_fail(w, "finish", "layer", err);
	if (w->gzip) {
		w->z.next_in = NULL;
		w->z.avail_in = 0;
		if (deflate_out(w, Z_FINISH) < 0) {
			*err = take_ptr(w->err);
			return berth_err_wrap(err, "finish layer");
		}
	}
	out->diff_id = digest_sum(w->tar_md);
	out->size = w->size;
	out->digest = digest_sum(w->blob_md);
	out->blob_size = w->blob_size;
	return 0;
}
