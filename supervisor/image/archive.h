/*
 * supervisor/image/archive.h - image archives as berthctl reads and writes them:
 * OCI image layout tarballs (oci-layout, index.json, blobs/sha256/<hex>) and docker-save
 * tarballs (manifest.json, <config>.json, <layer>.tar or <id>/layer.tar).
 *
 * Reading is one streaming pass (archives may be pipes, and blobs may be large): the
 * caller's callback sees every regular file with a reader for its bytes; this module
 * hashes what passes through, so the callback learns each file's sha256 and size at
 * the end. The only user of <archive.h> besides diff/ (layer extraction there).
 * Writing produces a POSIX (pax) tar whose entries are added one by one.
 */
#ifndef BERTH_SUPERVISOR_IMAGE_ARCHIVE_H
#define BERTH_SUPERVISOR_IMAGE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct image_entry;

/*
 * Called for each regular file: name (leading "./" removed), its size. The callback may
 * read the data with image_entry_read until it returns 0; unread data is skipped (and
 * still hashed). Return 0 to go on, -1 with *err to stop.
 */
typedef int (*image_entry_fn)(struct image_entry *e, const char *name, int64_t size, void *arg,
			      struct berth_err **err);
/* After all of an entry's bytes went by: its "sha256:<hex>" (borrowed, valid in done). */
typedef int (*image_entry_done_fn)(const char *name, const char *digest, int64_t size, void *arg,
				   struct berth_err **err);

/* Reads path ("-" = stdin). INVALID naming the file if it is not a tar archive. */
int image_archive_read(const char *path, image_entry_fn fn, image_entry_done_fn done, void *arg,
		       struct berth_err **err);
/* Reads up to len bytes of the current entry; returns bytes, 0 at its end, -1 + err. */
ssize_t image_entry_read(struct image_entry *e, void *buf, size_t len, struct berth_err **err);
/* Reads the whole (small) entry into a NUL-terminated buffer; at most max bytes. */
int image_entry_slurp(struct image_entry *e, size_t max, char **out, size_t *len,
		      struct berth_err **err);

struct image_writer;
/*
 * Creates path (mode 0644, replaced atomically at close) as a pax tar. "-" is stdout; an
 * existing path that is not a regular file (a symlink such as /dev/stdout, a device, a
 * FIFO) is opened and written through, never replaced.
 */
struct image_writer *image_writer_open(const char *path, struct berth_err **err);
/* Whether image_writer_open writes path through (stdout, or not a regular file). */
bool image_writer_is_through(const char *path);
/* Adds a directory entry. */
int image_writer_dir(struct image_writer *w, const char *name, struct berth_err **err);
/* Adds a file of size bytes; data comes from read_fn until size bytes were given. */
int image_writer_file(struct image_writer *w, const char *name, int64_t size,
		      ssize_t (*read_fn)(void *arg, void *buf, size_t len, struct berth_err **err),
		      void *arg, struct berth_err **err);
/* Adds a file from memory. */
int image_writer_buf(struct image_writer *w, const char *name, const void *buf, size_t len,
		     struct berth_err **err);
/* Finishes the archive and renames it into place; on error (or abort) removes it. */
int image_writer_close(struct image_writer *w, struct berth_err **err);
void image_writer_abort(struct image_writer *w);

/* "sha256:<hex>" of a buffer; caller frees. */
char *image_digest_buf(const void *buf, size_t len);

#endif
