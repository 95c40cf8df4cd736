/*
 * supervisor/content/store.c - blobs: digests, paths, stat/open/delete/walk/put.
 * Ingests (the write side) are in ingest.c. See store.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/content/store_internal.h"

int content_digest_check(const char *digest, struct berth_err **err)
{
	return digest_parse(digest, NULL, err);
}

char *content_digest_buf(const void *buf, size_t len)
{
	return digest_buf(buf, len);
}

struct content_store *content_store_open(const char *dir, struct berth_err **err)
{
	struct content_store *cs;
	cleanup_free char *blobs = xasprintf("%s/blobs/sha256", dir);
	cleanup_free char *ingest = xasprintf("%s/ingest", dir);

	if (fs_mkdir_p(blobs, 0700, err) < 0 || fs_mkdir_p(ingest, 0700, err) < 0)
		return NULL;
	cs = xnew(struct content_store);
	cs->dir = xstrdup(dir);
	cs->blobs = take_ptr(blobs);
	cs->ingest = take_ptr(ingest);
	content_recover(cs);
	return cs;
}

void content_store_close(struct content_store *cs)
{
	if (!cs)
		return;
	free(cs->dir);
	free(cs->blobs);
	free(cs->ingest);
	free(cs);
}

char *content_blob_path(struct content_store *cs, const char *digest, struct berth_err **err)
{
	if (content_digest_check(digest, err) < 0)
		return NULL;
	return xasprintf("%s/%s", cs->blobs, digest + 7);
}

int content_blob_stat(struct content_store *cs, const char *digest, int64_t *size,
		      struct berth_err **err)
{
	cleanup_free char *path = content_blob_path(cs, digest, err);
	struct stat st;

	if (!path)
		return -1;
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return berth_err_new(err, BERTH_E_NOT_FOUND, "content %s: not found",
					     digest);
		return berth_err_sys(err, errno, "stat blob %s", digest);
	}
	*size = st.st_size;
	return 0;
}

int content_blob_open(struct content_store *cs, const char *digest, struct berth_err **err)
{
	cleanup_free char *path = content_blob_path(cs, digest, err);
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return berth_err_new(err, BERTH_E_NOT_FOUND, "content %s: not found",
					     digest);
		return berth_err_sys(err, errno, "open blob %s", digest);
	}
	return fd;
}

int content_blob_delete(struct content_store *cs, const char *digest, struct berth_err **err)
{
	cleanup_free char *path = content_blob_path(cs, digest, err);

	if (!path)
		return -1;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return berth_err_new(err, BERTH_E_NOT_FOUND, "content %s: not found",
					     digest);
		return berth_err_sys(err, errno, "remove blob %s", digest);
	}
	return 0;
}

int content_blob_walk(struct content_store *cs,
		      int (*fn)(const char *digest, int64_t size, void *arg), void *arg,
		      struct berth_err **err)
{
	cleanup_dir DIR *d = opendir(cs->blobs);
	struct dirent *de;

	if (!d)
		return berth_err_sys(err, errno, "open '%s'", cs->blobs);
	while ((de = readdir(d))) {
		char digest[7 + 65];
		struct stat st;
		int r;

		if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
			continue; /* not a blob (temporary files never live here) */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* removed meanwhile */
		snprintf(digest, sizeof(digest), "sha256:%s", de->d_name);
		r = fn(digest, st.st_size, arg);
		if (r != 0)
			return r;
	}
	return 0;
}

int content_blob_put(struct content_store *cs, const void *buf, size_t len, const char *expected,
		     char **digest_out, struct berth_err **err)
{
	cleanup_free char *digest = content_digest_buf(buf, len);
	cleanup_free char *tmp = NULL;
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	cleanup_close int dfd = -1;

	if (expected && *expected && strcmp(expected, digest) != 0)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "unexpected commit digest %s, expected %s", digest, expected);
	path = xasprintf("%s/%s", cs->blobs, digest + 7);
	if (access(path, F_OK) == 0)
		return berth_err_new(err, BERTH_E_EXISTS, "content %s: already exists", digest);
	/* the temporary name is not a digest, so blob walks skip it */
	tmp = xasprintf("%s/.put-%s-%ld", cs->blobs, digest + 7, (long)gettid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_err_sys(err, errno, "create '%s'", tmp);
	if (fs_write_all(fd, buf, len) < 0 || fsync(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		return berth_err_sys(err, e, "store blob %s", digest);
	}
	dfd = open(cs->blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	if (digest_out)
		*digest_out = take_ptr(digest);
	return 0;
}
