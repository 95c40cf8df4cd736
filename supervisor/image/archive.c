/*
 * supervisor/image/archive.c - streaming tar read and write with libarchive (archive.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "supervisor/image/archive.h"

struct image_entry {
	struct archive *a;
	struct digest *md;
	int64_t seen;
	bool eof;
};

char *image_digest_buf(const void *buf, size_t len)
{
	return digest_buf(buf, len);
}

ssize_t image_entry_read(struct image_entry *e, void *buf, size_t len, struct berth_err **err)
{
	la_ssize_t n;

	if (e->eof)
		return 0;
	n = archive_read_data(e->a, buf, len);
	if (n < 0)
		return berth_err_new(err, BERTH_E_INVALID, "read archive: %s",
				     archive_error_string(e->a));
	if (n == 0) {
		e->eof = true;
		return 0;
	}
	digest_update(e->md, buf, (size_t)n);
	e->seen += n;
	return n;
}

int image_entry_slurp(struct image_entry *e, size_t max, char **out, size_t *len,
		      struct berth_err **err)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap + 1);

	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= max) {
				free(buf);
				return berth_err_new(err, BERTH_E_INVALID,
						     "archive entry larger than %zu bytes", max);
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = image_entry_read(e, buf + n, cap - n, err);
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

int image_archive_read(const char *path, image_entry_fn fn, image_entry_done_fn done, void *arg,
		       struct berth_err **err)
{
	cleanup(archive_freep) struct archive *a = archive_read_new();
	struct archive_entry *ae;
	struct image_entry e = {0};
	int r, ret = 0;

	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_none(a);
	if (strcmp(path, "-") == 0)
		r = archive_read_open_fd(a, STDIN_FILENO, 1 << 16);
	else
		r = archive_read_open_filename(a, path, 1 << 16);
	if (r != ARCHIVE_OK)
		return berth_err_new(err, BERTH_E_INVALID, "'%s': %s", path,
				     archive_error_string(a));
	e.a = a;
	e.md = digest_new();
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *name = archive_entry_pathname(ae);
		cleanup_free char *digest = NULL;
		char buf[1 << 16];

		if (archive_entry_filetype(ae) != AE_IFREG || !name)
			continue;
		while (name[0] == '.' && name[1] == '/')
			name += 2;
		digest_reset(e.md);
		e.seen = 0;
		e.eof = false;
		if (fn(&e, name, archive_entry_size(ae), arg, err) < 0) {
			ret = -1;
			break;
		}
		/* hash what the callback did not read, so done() always gets the digest */
		while (!e.eof) {
			if (image_entry_read(&e, buf, sizeof(buf), err) < 0) {
				ret = -1;
				break;
			}
		}
		if (ret < 0)
			break;
		digest = digest_sum(e.md);
		if (done && done(name, digest, e.seen, arg, err) < 0) {
			ret = -1;
			break;
		}
	}
	if (ret == 0 && r != ARCHIVE_EOF)
		ret = berth_err_new(err, BERTH_E_INVALID, "'%s': not a valid tar archive: %s", path,
				    archive_error_string(a));
	digest_free(e.md);
	return ret;
}

/* ---------------------------------------------------------------- writing */

struct image_writer {
	struct archive *a;
	char *path, *tmp;
	int fd; /* owned: a write-through target (not a regular file), else -1 */
};

static int werr(struct image_writer *w, struct berth_err **err, const char *what)
{
	return berth_err_new(err, BERTH_E_INTERNAL, "write '%s': %s: %s", w->path, what,
			     archive_error_string(w->a));
}

bool image_writer_is_through(const char *path)
{
	struct stat st;

	return strcmp(path, "-") == 0 || (lstat(path, &st) == 0 && !S_ISREG(st.st_mode));
}

struct image_writer *image_writer_open(const char *path, struct berth_err **err)
{
	struct image_writer *w = xnew(struct image_writer);

	int r;

	w->path = xstrdup(path);
	w->fd = -1;
	w->a = archive_write_new();
	archive_write_set_format_pax_restricted(w->a);
	/* "-" is stdout (no temp file: nothing to rename); a file is written
	 * to a temp name and renamed on success, so a failed export leaves nothing;
	 * an existing target that is not a regular file (/dev/stdout, a symlink, a
	 * device, a FIFO) is written through: a rename would replace it with a file */
	if (!strcmp(path, "-")) {
		r = archive_write_open_fd(w->a, STDOUT_FILENO);
	} else if (image_writer_is_through(path)) {
		w->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (w->fd < 0) {
			berth_err_sys(err, errno, "open '%s'", path);
			archive_write_free(w->a);
			free(w->path);
			free(w);
			return NULL;
		}
		r = archive_write_open_fd(w->a, w->fd);
	} else {
		w->tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
		r = archive_write_open_filename(w->a, w->tmp);
	}
	if (r != ARCHIVE_OK) {
		berth_err_new(err, BERTH_E_INVALID, "create '%s': %s", w->tmp ? w->tmp : "stdout",
			      archive_error_string(w->a));
		archive_write_free(w->a);
		if (w->fd >= 0)
			close(w->fd);
		free(w->path);
		free(w->tmp);
		free(w);
		return NULL;
	}
	return w;
}

static struct archive_entry *entry_new(const char *name, int64_t size, mode_t type, mode_t perm)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, size);
	archive_entry_set_mtime(e, 0, 0); /* reproducible: same content, same tar */
	return e;
}

int image_writer_dir(struct image_writer *w, const char *name, struct berth_err **err)
{
	struct archive_entry *e = entry_new(name, 0, AE_IFDIR, 0755);
	int r = archive_write_header(w->a, e);

	archive_entry_free(e);
	return r == ARCHIVE_OK ? 0 : werr(w, err, name);
}

int image_writer_file(struct image_writer *w, const char *name, int64_t size,
		      ssize_t (*read_fn)(void *arg, void *buf, size_t len, struct berth_err **err),
		      void *arg, struct berth_err **err)
{
	struct archive_entry *e = entry_new(name, size, AE_IFREG, 0644);
	cleanup_free char *buf = xmalloc(1 << 20);
	int64_t left = size;
	int r = archive_write_header(w->a, e);

	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return werr(w, err, name);
	while (left > 0) {
		size_t want = left < (1 << 20) ? (size_t)left : (1 << 20);
		ssize_t n = read_fn(arg, buf, want, err);

		if (n < 0)
			return -1;
		if (n == 0)
			return berth_err_new(err, BERTH_E_INTERNAL, "'%s': source ended early",
					     name);
		if (archive_write_data(w->a, buf, (size_t)n) != n)
			return werr(w, err, name);
		left -= n;
	}
	return 0;
}

struct mem_src {
	const char *p;
	size_t left;
};

static ssize_t buf_read(void *arg, void *buf, size_t len, struct berth_err **err)
{
	struct mem_src *s = arg;
	size_t n = len < s->left ? len : s->left;

	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return (ssize_t)n;
}

int image_writer_buf(struct image_writer *w, const char *name, const void *buf, size_t len,
		     struct berth_err **err)
{
	struct mem_src s = {buf, len};

	return image_writer_file(w, name, (int64_t)len, buf_read, &s, err);
}

int image_writer_close(struct image_writer *w, struct berth_err **err)
{
	int r = 0;

	if (archive_write_close(w->a) != ARCHIVE_OK)
		r = werr(w, err, "close");
	archive_write_free(w->a);
	if (w->fd >= 0 && close(w->fd) < 0 && r == 0)
		r = berth_err_sys(err, errno, "close '%s'", w->path);
	if (w->tmp && r == 0 && rename(w->tmp, w->path) < 0)
		r = berth_err_sys(err, errno, "rename '%s' to '%s'", w->tmp, w->path);
	if (w->tmp && r < 0)
		unlink(w->tmp);
	free(w->path);
	free(w->tmp);
	free(w);
	return r;
}

void image_writer_abort(struct image_writer *w)
{
	if (!w)
		return;
	archive_write_free(w->a);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	free(w->path);
	free(w->tmp);
	free(w);
}
