/*
 * supervisor/diff/diff.h - applying an OCI/Docker image layer onto a directory.
 *
 * Owns decompression (gzip, zstd, none: by media type), the diff-id (sha256 of the
 * uncompressed tar stream, verified when the caller expects one) and extraction:
 * modes, owners, times, xattrs (user.* and security.capability only), symlinks,
 * hardlinks, fifos, devices (when allowed), and OCI whiteouts, translated for the
 * target: removal of the whited-out paths when the target is a full tree (native
 * snapshots), or overlayfs' own markers when the target is an overlay upper dir
 * (a 0/0 character device per whiteout, xattr trusted.overlay.opaque=y per opaque dir).
 *
 * Security invariant: nothing outside target is ever written. Entry names with '..'
 * components or absolute names are refused, as are hardlinks to such names; symlinks
 * met while resolving an entry's parent are followed as if target were '/' (contained,
 * never leaving target), so a symlinked parent can never redirect a write outside.
 * Errors name the layer and the entry:
 *   "layer sha256:ab..: entry '../etc/passwd': path escapes the snapshot".
 * A failed apply may leave the entries before the bad one in target: callers apply to
 * a fresh active snapshot and remove it on failure (as containerd does).
 * diff_compute() is the reverse: it writes the layer between two trees.
 * Not here: mounting, snapshots, the content store.
 */
#ifndef BERTH_SUPERVISOR_DIFF_H
#define BERTH_SUPERVISOR_DIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define DIFF_MEDIA_TAR "application/vnd.oci.image.layer.v1.tar"

enum diff_whiteouts {
	DIFF_WHITEOUT_REMOVE = 0, /* target is a full tree: delete the whited-out paths */
	DIFF_WHITEOUT_OVERLAY,	  /* target is an overlay upper dir: write overlay markers */
};

struct diff_apply_opts {
	const char *media_type;	      /* required: layer media type (tar, tar+gzip, tar+zstd) */
	const char *expected_diff_id; /* "sha256:<hex>" or NULL; a mismatch fails the apply */
	const char *layer;	      /* name in error messages (blob digest); NULL: "layer" */
	enum diff_whiteouts whiteouts;
	char *const *lowers; /* overlay: lower dirs nearest first (parent dirs'
					 attributes, symlinks, hardlink targets); may be NULL */
	bool allow_devices;  /* char/block device entries; refused (PERMISSION) if false */
	int64_t max_size;    /* uncompressed bytes the layer may have; 0: no limit */
};

struct diff_result {
	char *diff_id; /* "sha256:<hex>" of the uncompressed stream; caller frees */
	int64_t size;  /* bytes of the uncompressed stream */
};

/*
 * Reads the layer blob from fd (borrowed; read to its end) and applies it onto the
 * existing directory target. err: INVALID for an unknown media type (named), a corrupt
 * stream, a hostile entry or a diff-id mismatch; PERMISSION for a refused device node;
 * RESOURCE when the uncompressed stream passes o->max_size (a gzip bomb), naming the limit.
 */
int diff_apply(int fd, const char *target, const struct diff_apply_opts *o, struct diff_result *out,
	       struct berth_err **err);

/* diff_compute's output sink: 0, or -1 with *err set (the computation stops). */
typedef int (*diff_write_fn)(void *arg, const void *buf, size_t len, struct berth_err **err);

struct diff_compute_result {
	char *diff_id;	   /* "sha256:<hex>" of the tar; caller frees */
	int64_t size;	   /* bytes of the tar */
	char *digest;	   /* "sha256:<hex>" of what was written (the tar itself, or its gzip) */
	int64_t blob_size; /* bytes written */
};

/*
 * Writes, through write(arg, ...), the layer (media type tar or tar+gzip) that turns the
 * tree `lower` into the tree `upper`. Each side is its layer dirs, topmost first: an
 * overlay mount's upperdir then lowerdirs, or a bind mount's source. When upper is lower
 * plus one dir on top (overlay snapshots), that dir is exported, its overlay whiteouts
 * (0/0 devices, trusted.overlay.opaque) written as OCI ones; when each side is one full
 * tree (native snapshots) the two are compared file by file (type, owner, mode, size,
 * mtime; content when mtimes lack nanoseconds), deletions written as whiteouts.
 * Entries are sorted by name; hardlinks within the layer are kept. err: UNIMPLEMENTED
 * for other shapes or media types, or what write() or the filesystem reported.
 */
int diff_compute(char *const *lower, char *const *upper, const char *media_type,
		 diff_write_fn write, void *arg, struct diff_compute_result *out,
		 struct berth_err **err);
void diff_compute_result_fini(struct diff_compute_result *r);

/* Is media_type a layer type diff_apply reads (with this libarchive)? */
bool diff_media_type_supported(const char *media_type);

void diff_result_fini(struct diff_result *r);

#endif
