/*
 * supervisor/diff/apply.c - the layer stream: media type -> decompression, the diff-id,
 * and the tar reader that feeds extract.c.
 *
 * Two libarchive readers in a pipe: the outer one ("raw" format with the media type's
 * filter) yields the uncompressed bytes; a read callback hashes each block (sha256, the
 * diff-id) and hands it to the inner tar reader. After the tar end marker the rest of
 * the uncompressed stream (padding) is read and hashed too, so the digest covers the
 * whole stream, as containerd computes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/xalloc.h"
#include "supervisor/diff/diff_internal.h"

enum compression { COMP_NONE, COMP_GZIP, COMP_ZSTD };

static const struct {
	const char *type;
	enum compression comp;
} media_types[] = {
	{"application/vnd.oci.image.layer.v1.tar", COMP_NONE},
	{"application/vnd.oci.image.layer.v1.tar+gzip", COMP_GZIP},
	{"application/vnd.oci.image.layer.v1.tar+zstd", COMP_ZSTD},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar", COMP_NONE},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", COMP_GZIP},
	{"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", COMP_ZSTD},
	{"application/vnd.docker.image.rootfs.diff.tar", COMP_NONE},
	{"application/vnd.docker.image.rootfs.diff.tar.gzip", COMP_GZIP},
	{"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", COMP_GZIP},
};

static int media_compression(const char *mt, enum compression *out)
{
	for (size_t i = 0; mt && i < sizeof(media_types) / sizeof(media_types[0]); i++) {
		if (strcmp(mt, media_types[i].type) == 0) {
			*out = media_types[i].comp;
			return 0;
		}
	}
	return -1;
}

static bool zstd_supported(void)
{
	struct archive *a = archive_read_new();
	int r = archive_read_support_filter_zstd(a);

	archive_read_free(a);
	return r == ARCHIVE_OK;
}

bool diff_media_type_supported(const char *media_type)
{
	enum compression c;

	if (media_compression(media_type, &c) < 0)
		return false;
	return c != COMP_ZSTD || zstd_supported();
}

void diff_result_fini(struct diff_result *r)
{
	if (!r)
		return;
	free(r->diff_id);
	r->diff_id = NULL;
}

struct pipe {
	struct archive *outer;
	struct digest *md;
	int64_t total;
	int64_t max; /* 0: no limit */
	bool over;   /* total passed max: the read stopped there */
};

/* Counts n more uncompressed bytes; false once they pass the limit. */
static bool pipe_count(struct pipe *p, size_t n)
{
	p->total += (int64_t)n;
	if (p->max > 0 && p->total > p->max)
		p->over = true;
	return !p->over;
}

/* Inner reader's callback: the next uncompressed block, hashed on the way. */
static la_ssize_t pipe_read(struct archive *inner, void *opaque, const void **buf)
{
	struct pipe *p = opaque;
	size_t len;
	la_int64_t off;
	int r = archive_read_data_block(p->outer, buf, &len, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK) {
		archive_set_error(inner, archive_errno(p->outer), "%s",
				  archive_error_string(p->outer));
		return -1;
	}
	digest_update(p->md, *buf, len);
	if (!pipe_count(p, len)) {
		archive_set_error(inner, EFBIG, "unpack limit");
		return -1;
	}
	return (la_ssize_t)len;
}

static int pipe_drain(struct pipe *p, struct berth_err **err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(p->outer, &buf, &len, &off)) == ARCHIVE_OK) {
		digest_update(p->md, buf, len);
		if (!pipe_count(p, len))
			return -1;
	}
	if (r != ARCHIVE_EOF)
		return berth_err_new(err, BERTH_E_INVALID, "decompress: %s",
				     archive_error_string(p->outer));
	return 0;
}

static int outer_open(struct archive *a, int fd, enum compression c, struct berth_err **err)
{
	struct archive_entry *e;
	int r = ARCHIVE_OK;

	if (c == COMP_GZIP)
		r = archive_read_support_filter_gzip(a);
	else if (c == COMP_ZSTD)
		r = archive_read_support_filter_zstd(a);
	if (r != ARCHIVE_OK)
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "decompression not supported by libarchive: %s",
				     archive_error_string(a));
	archive_read_support_format_raw(a);
	if (archive_read_open_fd(a, fd, 128 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) != ARCHIVE_OK)
		return berth_err_new(err, BERTH_E_INVALID, "read layer: %s",
				     archive_error_string(a) ? archive_error_string(a)
							     : "empty stream");
	return 0;
}

static int read_entries(struct extract *x, struct pipe *p, struct berth_err **err)
{
	struct archive *in = archive_read_new();
	struct archive_entry *e;
	int r, ret = 0;

	archive_read_support_format_tar(in);
	if (archive_read_open(in, p, NULL, pipe_read, NULL) != ARCHIVE_OK) {
		ret = berth_err_new(err, BERTH_E_INVALID, "not a tar archive: %s",
				    archive_error_string(in));
		archive_read_free(in);
		return ret;
	}
	while (ret == 0) {
		r = archive_read_next_header(in, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			ret = berth_err_new(err, BERTH_E_INVALID, "read tar: %s",
					    archive_error_string(in));
			break;
		}
		ret = extract_entry(x, in, e, err);
	}
	archive_read_free(in);
	return ret;
}

static int apply_stream(int fd, const char *target, const struct diff_apply_opts *o,
			enum compression c, struct diff_result *out, struct berth_err **err)
{
	struct pipe p = {.outer = archive_read_new(), .md = digest_new(), .max = o->max_size};
	struct extract x;
	cleanup_free char *id = NULL;
	int ret;

	ret = extract_init(&x, target, o, err);
	if (ret == 0)
		ret = outer_open(p.outer, fd, c, err);
	if (ret == 0)
		ret = read_entries(&x, &p, err);
	if (ret == 0)
		ret = pipe_drain(&p, err);
	if (ret < 0 && p.over) {
		/* whatever the reader made of the cut stream, the cause is the limit */
		berth_err_free(err);
		ret = berth_err_new(
			err, BERTH_E_RESOURCE,
			"uncompressed size passes the unpack limit of %lld bytes (berthd --unpack-limit, config key 'unpack_limit')",
			(long long)p.max);
	}
	if (ret == 0)
		ret = extract_finish(&x, err);
	extract_fini(&x);
	archive_read_free(p.outer);
	if (ret == 0)
		id = digest_sum(p.md);
	digest_free(p.md);
	if (ret < 0)
		return -1;
	if (o->expected_diff_id && *o->expected_diff_id && strcmp(id, o->expected_diff_id) != 0)
		return berth_err_new(err, BERTH_E_INVALID, "diff-id mismatch: expected %s, got %s",
				     o->expected_diff_id, id);
	out->diff_id = take_ptr(id);
	out->size = p.total;
	return 0;
}

int diff_apply(int fd, const char *target, const struct diff_apply_opts *o, struct diff_result *out,
	       struct berth_err **err)
{
	const char *layer = o->layer ? o->layer : "";
	enum compression c;

	if (media_compression(o->media_type, &c) < 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "layer%s%s: unsupported layer media type '%s'",
				     *layer ? " " : "", layer, o->media_type ? o->media_type : "");
	if (apply_stream(fd, target, o, c, out, err) < 0)
		return berth_err_wrap(err, "layer%s%s", *layer ? " " : "", layer);
	return 0;
}
