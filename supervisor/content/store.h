/*
 * supervisor/content/store.h - local content-addressed blob store.
 *
 * Owns <dir>/blobs/sha256/<hex> and <dir>/ingest/<id>/ (dir is <root>/content).
 * Labels, namespaces, leases and GC roots live in meta/, not here: a blob on disk
 * may be shared by several namespaces' records.
 *
 * Invariants: a blob is visible only after its size and digest were verified;
 * commit is write, fsync, rename (+ fsync of the directory), so a crash leaves no
 * partial blob, only an ingest that can be resumed or aborted. An ingest is keyed
 * by (namespace, ref); while a writer has it open it is locked (flock), and a
 * second writer gets BERTH_E_UNAVAILABLE ("locked"), as containerd's does.
 * Only "sha256:<64 lower-case hex>" digests are accepted (BERTH_E_INVALID otherwise).
 * All functions are thread-safe (no shared mutable state but the files).
 */
#ifndef BERTH_SUPERVISOR_CONTENT_STORE_H
#define BERTH_SUPERVISOR_CONTENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct content_store;
struct content_ingest;

struct content_status {
	char *ref;
	char *expected;		  /* "" if not declared */
	int64_t offset;		  /* bytes written so far */
	int64_t total;		  /* declared size, 0 if unknown */
	int64_t started, updated; /* ns since the epoch */
};

/*
 * Creates dir/blobs/sha256 and dir/ingest if needed. Opening is recovery (berthd opens the
 * store once, at start, when no writer can be active): what a crash left half-made goes,
 * i.e. blobs/sha256/.put-* temp files and ingest dirs without a readable ref or data file
 * (never resumable). Complete ingests stay resumable across restarts, as containerd keeps
 * them; the GC removes one that no lease holds once it sat idle for an hour.
 */
struct content_store *content_store_open(const char *dir, struct berth_err **err);
void content_store_close(struct content_store *cs);

/* Checks "sha256:<64 hex>"; INVALID naming the digest otherwise. */
int content_digest_check(const char *digest, struct berth_err **err);
/* "sha256:<hex>" of a buffer; caller frees. */
char *content_digest_buf(const void *buf, size_t len);

/* Size of the blob; NOT_FOUND if absent. */
int content_blob_stat(struct content_store *cs, const char *digest, int64_t *size,
		      struct berth_err **err);
/* Opens the blob read-only (O_CLOEXEC); the caller closes the fd. */
int content_blob_open(struct content_store *cs, const char *digest, struct berth_err **err);
/* Path of the blob (whether or not it exists); caller frees. NULL + err for a bad digest. */
char *content_blob_path(struct content_store *cs, const char *digest, struct berth_err **err);
/* Removes the blob; NOT_FOUND if absent. */
int content_blob_delete(struct content_store *cs, const char *digest, struct berth_err **err);
/* Calls fn(digest, size, arg) for every blob on disk; stops at fn's first non-zero. */
int content_blob_walk(struct content_store *cs,
		      int (*fn)(const char *digest, int64_t size, void *arg), void *arg,
		      struct berth_err **err);
/* Stores buf as a blob (verifying expected if not NULL); EXISTS if it is already there. */
int content_blob_put(struct content_store *cs, const void *buf, size_t len, const char *expected,
		     char **digest_out, struct berth_err **err);

/*
 * Opens ingest (ns, ref), creating it or resuming it (its offset is what was written
 * before; the data is re-hashed). total/expected (0/NULL = unknown) are recorded when
 * given. UNAVAILABLE if another writer holds it.
 */
struct content_ingest *content_ingest_open(struct content_store *cs, const char *ns,
					   const char *ref, int64_t total, const char *expected,
					   struct berth_err **err);
/* Fills st (caller frees with content_status_clear). */
void content_ingest_stat(struct content_ingest *ing, struct content_status *st);
/* Digest of the bytes written so far; caller frees. */
char *content_ingest_digest(struct content_ingest *ing);
int64_t content_ingest_offset(const struct content_ingest *ing);
/* Sets expectations learnt later (commit message). */
void content_ingest_expect(struct content_ingest *ing, int64_t total, const char *expected);
/* Appends at the current offset. */
int content_ingest_write(struct content_ingest *ing, const void *buf, size_t len,
			 struct berth_err **err);
/* Cuts the data back to offset (<= current), re-hashing what is kept. */
int content_ingest_truncate(struct content_ingest *ing, int64_t offset, struct berth_err **err);
/*
 * Verifies size (if > 0) and expected digest (if not NULL/""), fsyncs, renames into
 * blobs/ and removes the ingest. PRECONDITION on a size or digest mismatch (the ingest
 * stays for a retry), EXISTS if the blob is already there (the ingest is removed).
 * *digest_out (optional) gets the digest. The ingest stays open either way: close it.
 */
int content_ingest_commit(struct content_ingest *ing, int64_t size, const char *expected,
			  char **digest_out, struct berth_err **err);
/* Unlocks and frees; the data stays on disk (resumable) unless committed. Accepts NULL. */
void content_ingest_close(struct content_ingest *ing);

/* Removes ingest (ns, ref); NOT_FOUND if absent, UNAVAILABLE if a writer holds it. */
int content_ingest_abort(struct content_store *cs, const char *ns, const char *ref,
			 struct berth_err **err);
/* Status of one ingest; NOT_FOUND if absent. */
int content_ingest_status(struct content_store *cs, const char *ns, const char *ref,
			  struct content_status *st, struct berth_err **err);
/* Every ingest of ns (all namespaces if ns is NULL); *ns_out (optional) gets each one's ns. */
int content_ingest_list(struct content_store *cs, const char *ns, struct content_status **out,
			size_t *n, char ***ns_out, struct berth_err **err);
void content_status_clear(struct content_status *st);
void content_status_list_free(struct content_status *v, size_t n);

#endif
