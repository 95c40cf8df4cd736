/*
 * supervisor/content/ingest.c - writing blobs: resumable ingests and commit.
 *
 * <dir>/ingest/<id>/ with id = sha256(namespace "/" ref) in hex (refs are free-form
 * strings; the hash keeps them out of path syntax) holds:
 *   data       the bytes written so far; flock(LOCK_EX) by the writer that has it open
 *   ref        "<namespace>\n<ref>"
 *   total      declared size (decimal), optional
 *   expected   declared digest, optional
 *   startedat  ns since the epoch
 * Commit fsyncs data, renames it to blobs/sha256/<hex>, fsyncs blobs/, then removes
 * the ingest directory: a crash before the rename leaves a resumable ingest, after
 * it a complete blob (and perhaps a leftover directory that abort or GC removes).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "common/fs.h"
#include "common/fs_walk.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store_internal.h"

struct content_ingest {
	struct content_store *cs;
	char *ns, *ref;
	char *path; /* the ingest directory */
	int dfd;    /* the ingest directory */
	int fd;	    /* data, locked */
	int64_t offset, total, started;
	char *expected;
	struct digest *md;
	bool committed;
};

static char *ingest_dir(struct content_store *cs, const char *ns, const char *ref)
{
	cleanup_free char *key = xasprintf("%s/%s", ns, ref);
	cleanup_free char *d = digest_buf(key, strlen(key));

	return xasprintf("%s/%s", cs->ingest, d + 7);
}

static int64_t read_i64(int dfd, const char *name)
{
	cleanup_free char *s = NULL;
	size_t len;

	if (fs_read_file(dfd, name, &s, &len, NULL) < 0)
		return 0;
	return strtoll(s, NULL, 10);
}

static char *read_str(int dfd, const char *name)
{
	char *s = NULL;
	size_t len;

	if (fs_read_file(dfd, name, &s, &len, NULL) < 0)
		return xstrdup("");
	return s;
}

static int write_str(int dfd, const char *name, const char *s, struct berth_err **err)
{
	return fs_write_atomic(dfd, name, s, strlen(s), 0600, err);
}

static int write_i64(int dfd, const char *name, int64_t v, struct berth_err **err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return write_str(dfd, name, buf, err);
}

/* Hashes the first `upto` bytes of the data file into a fresh context. */
static int rehash(struct content_ingest *ing, int64_t upto, struct berth_err **err)
{
	char buf[1 << 16];
	int64_t off = 0;

	digest_reset(ing->md);
	while (off < upto) {
		size_t want =
			(size_t)(upto - off) < sizeof(buf) ? (size_t)(upto - off) : sizeof(buf);
		ssize_t n = pread(ing->fd, buf, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_err_sys(err, errno, "ingest '%s': read data", ing->ref);
		if (n == 0)
			break;
		digest_update(ing->md, buf, (size_t)n);
		off += n;
	}
	ing->offset = off;
	return 0;
}

void content_ingest_close(struct content_ingest *ing)
{
	if (!ing)
		return;
	if (ing->fd >= 0)
		close(ing->fd); /* releases the flock */
	if (ing->dfd >= 0)
		close(ing->dfd);
	digest_free(ing->md);
	free(ing->ns);
	free(ing->ref);
	free(ing->path);
	free(ing->expected);
	free(ing);
}

static void ingest_closep(struct content_ingest **ing)
{
	content_ingest_close(*ing);
}

struct content_ingest *content_ingest_open(struct content_store *cs, const char *ns,
					   const char *ref, int64_t total, const char *expected,
					   struct berth_err **err)
{
	cleanup(ingest_closep) struct content_ingest *ing = NULL;
	cleanup_free char *refdata = NULL;
	struct stat st;
	bool fresh;

	if (!ref || !*ref) {
		berth_err_new(err, BERTH_E_INVALID, "ingest: empty ref");
		return NULL;
	}
	if (expected && *expected && content_digest_check(expected, err) < 0)
		return NULL;
	ing = xnew(struct content_ingest);
	ing->cs = cs;
	ing->ns = xstrdup(ns);
	ing->ref = xstrdup(ref);
	ing->fd = ing->dfd = -1;
	ing->path = ingest_dir(cs, ns, ref);
	ing->md = digest_new();
	if (mkdir(ing->path, 0700) < 0 && errno != EEXIST) {
		berth_err_sys(err, errno, "ingest '%s': create '%s'", ref, ing->path);
		return NULL;
	}
	ing->dfd = open(ing->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ing->dfd < 0) {
		berth_err_sys(err, errno, "ingest '%s': open '%s'", ref, ing->path);
		return NULL;
	}
	ing->fd = openat(ing->dfd, "data", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (ing->fd < 0) {
		berth_err_sys(err, errno, "ingest '%s': open data", ref);
		return NULL;
	}
	if (flock(ing->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			berth_err_new(err, BERTH_E_UNAVAILABLE, "ref %s locked: unavailable", ref);
		else
			berth_err_sys(err, errno, "ingest '%s': lock", ref);
		return NULL;
	}
	/* a concurrent commit may have renamed our data file away before we locked it */
	if (fstat(ing->fd, &st) < 0 || st.st_nlink == 0) {
		berth_err_new(err, BERTH_E_UNAVAILABLE, "ref %s: committed meanwhile, retry", ref);
		return NULL;
	}
	fresh = faccessat(ing->dfd, "ref", F_OK, 0) < 0;
	if (fresh) {
		refdata = xasprintf("%s\n%s", ns, ref);
		ing->started = st.st_mtim.tv_sec * INT64_C(1000000000) + st.st_mtim.tv_nsec;
		if (write_i64(ing->dfd, "startedat", ing->started, err) < 0 ||
		    write_str(ing->dfd, "ref", refdata, err) < 0)
			return NULL;
	} else {
		ing->started = read_i64(ing->dfd, "startedat");
	}
	ing->total = read_i64(ing->dfd, "total");
	ing->expected = read_str(ing->dfd, "expected");
	if (rehash(ing, st.st_size, err) < 0)
		return NULL;
	if (total > 0 || (expected && *expected)) {
		content_ingest_expect(ing, total, expected);
		if (write_i64(ing->dfd, "total", ing->total, err) < 0 ||
		    write_str(ing->dfd, "expected", ing->expected, err) < 0)
			return NULL;
	}
	return take_ptr(ing);
}

void content_ingest_expect(struct content_ingest *ing, int64_t total, const char *expected)
{
	if (total > 0)
		ing->total = total;
	if (expected && *expected) {
		free(ing->expected);
		ing->expected = xstrdup(expected);
	}
}

int64_t content_ingest_offset(const struct content_ingest *ing)
{
	return ing->offset;
}

char *content_ingest_digest(struct content_ingest *ing)
{
	return digest_sum(ing->md);
}

void content_ingest_stat(struct content_ingest *ing, struct content_status *st)
{
	struct stat sb;

	st->ref = xstrdup(ing->ref);
	st->expected = xstrdup(ing->expected);
	st->offset = ing->offset;
	st->total = ing->total;
	st->started = ing->started;
	st->updated = ing->started;
	if (fstat(ing->fd, &sb) == 0)
		st->updated = sb.st_mtim.tv_sec * INT64_C(1000000000) + sb.st_mtim.tv_nsec;
}

int content_ingest_write(struct content_ingest *ing, const void *buf, size_t len,
			 struct berth_err **err)
{
	const char *p = buf;
	size_t done = 0;

	if (ing->committed)
		return berth_err_new(err, BERTH_E_PRECONDITION, "ingest '%s': already committed",
				     ing->ref);
	while (done < len) {
		ssize_t n = pwrite(ing->fd, p + done, len - done, ing->offset + (int64_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			/* keep data and hash consistent: drop the partial write */
			if (ftruncate(ing->fd, ing->offset) < 0)
				return rehash(ing, ing->offset, err) < 0
					       ? -1
					       : berth_err_sys(err, e, "ingest '%s': write",
							       ing->ref);
			return berth_err_sys(err, e, "ingest '%s': write", ing->ref);
		}
		done += (size_t)n;
	}
	digest_update(ing->md, buf, len);
	ing->offset += (int64_t)len;
	return 0;
}

int content_ingest_truncate(struct content_ingest *ing, int64_t offset, struct berth_err **err)
{
	if (offset < 0 || offset > ing->offset)
		return berth_err_new(err, BERTH_E_INVALID,
				     "ingest '%s': cannot truncate to %" PRId64 " (have %" PRId64
				     ")",
				     ing->ref, offset, ing->offset);
	if (ftruncate(ing->fd, offset) < 0)
		return berth_err_sys(err, errno, "ingest '%s': truncate", ing->ref);
	return rehash(ing, offset, err);
}

int content_ingest_commit(struct content_ingest *ing, int64_t size, const char *expected,
			  char **digest_out, struct berth_err **err)
{
	cleanup_free char *digest = NULL;
	cleanup_free char *blob = NULL;
	cleanup_close int bfd = -1;

	if (ing->committed)
		return berth_err_new(err, BERTH_E_PRECONDITION, "ingest '%s': already committed",
				     ing->ref);
	if (expected && *expected && content_digest_check(expected, err) < 0)
		return -1;
	if (size > 0 && size != ing->offset)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "ref %s: unexpected commit size %" PRId64
				     ", expected %" PRId64,
				     ing->ref, ing->offset, size);
	digest = digest_sum(ing->md);
	if (expected && *expected && strcmp(expected, digest) != 0)
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "ref %s: unexpected commit digest %s, expected %s", ing->ref,
				     digest, expected);
	blob = xasprintf("%s/%s", ing->cs->blobs, digest + 7);
	if (access(blob, F_OK) == 0) {
		ing->committed = true;
		fs_rm_rf(ing->path, NULL);
		return berth_err_new(err, BERTH_E_EXISTS, "content %s: already exists", digest);
	}
	if (fsync(ing->fd) < 0)
		return berth_err_sys(err, errno, "ingest '%s': fsync", ing->ref);
	if (renameat(ing->dfd, "data", AT_FDCWD, blob) < 0)
		return berth_err_sys(err, errno, "ingest '%s': rename to '%s'", ing->ref, blob);
	fchmod(ing->fd, 0644);
	bfd = open(ing->cs->blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd >= 0)
		fsync(bfd);
	ing->committed = true;
	fs_rm_rf(ing->path, NULL);
	if (digest_out)
		*digest_out = take_ptr(digest);
	return 0;
}

static int status_read(int dfd, const char *path, struct content_status *st, char **ns_out)
{
	cleanup_free char *refdata = read_str(dfd, "ref");
	char *nl = strchr(refdata, '\n');
	struct stat sb;

	if (!nl)
		return -1;
	*nl = '\0';
	if (fstatat(dfd, "data", &sb, 0) < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->ref = xstrdup(nl + 1);
	st->expected = read_str(dfd, "expected");
	st->total = read_i64(dfd, "total");
	st->offset = sb.st_size;
	st->started = read_i64(dfd, "startedat");
	st->updated = sb.st_mtim.tv_sec * INT64_C(1000000000) + sb.st_mtim.tv_nsec;
	if (ns_out)
		*ns_out = xstrdup(refdata);
	return 0;
}

int content_ingest_status(struct content_store *cs, const char *ns, const char *ref,
			  struct content_status *st, struct berth_err **err)
{
	cleanup_free char *path = ingest_dir(cs, ns, ref);
	cleanup_close int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || status_read(dfd, path, st, NULL) < 0)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "ingest '%s': not found", ref);
	return 0;
}

int content_ingest_abort(struct content_store *cs, const char *ns, const char *ref,
			 struct berth_err **err)
{
	cleanup_free char *path = ingest_dir(cs, ns, ref);
	cleanup_close int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;

	if (dfd < 0)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "ingest '%s': not found", ref);
	fd = openat(dfd, "data", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "ref %s locked: unavailable", ref);
	return fs_rm_rf(path, err);
}

void content_status_clear(struct content_status *st)
{
	free(st->ref);
	free(st->expected);
	memset(st, 0, sizeof(*st));
}

void content_status_list_free(struct content_status *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		content_status_clear(&v[i]);
	free(v);
}

int content_ingest_list(struct content_store *cs, const char *ns, struct content_status **out,
			size_t *n, char ***ns_out, struct berth_err **err)
{
	cleanup_dir DIR *d = opendir(cs->ingest);
	struct content_status *v = NULL;
	char **nss = NULL;
	struct dirent *de;
	size_t cnt = 0;

	if (!d)
		return berth_err_sys(err, errno, "open '%s'", cs->ingest);
	while ((de = readdir(d))) {
		cleanup_close int dfd = -1;
		cleanup_free char *ins = NULL;
		struct content_status st;

		if (de->d_name[0] == '.')
			continue;
		dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || status_read(dfd, de->d_name, &st, &ins) < 0)
			continue; /* being created or removed */
		if (ns && strcmp(ns, ins) != 0) {
			content_status_clear(&st);
			continue;
		}
		v = xreallocarray(v, cnt + 1, sizeof(*v));
		v[cnt++] = st;
		if (ns_out)
			strv_push(&nss, ins);
	}
	*out = v;
	*n = cnt;
	if (ns_out)
		*ns_out = nss;
	return 0;
}

/* A .put-* temp file of content_blob_put in blobs/, or an ingest dir status_read refuses. */
static void recover_dir(const char *dir, bool ingests)
{
	cleanup_dir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		cleanup_err struct berth_err *err = NULL;
		cleanup_close int dfd = -1;
		struct content_status st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!ingests && strncmp(de->d_name, ".put-", 5) != 0)
			continue;
		if (ingests) {
			dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0 && status_read(dfd, de->d_name, &st, NULL) == 0) {
				content_status_clear(&st);
				continue;
			}
		}
		log_info("content: removing '%s/%s' left partial by a crash", dir, de->d_name);
		if (fs_rm_rf_at(dirfd(d), de->d_name, &err) < 0)
			log_warn("content: %s", err->msg);
	}
}

void content_recover(struct content_store *cs)
{
	recover_dir(cs->blobs, false);
	recover_dir(cs->ingest, true);
}
