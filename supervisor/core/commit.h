/*
 * supervisor/core/commit.h - committing written content: the ingest becomes a blob of the
 * content store, the blob gets its record in the namespace (meta.db) and joins the lease,
 * all three under the collector's hold (core_gc_hold), so a collection never sees a blob
 * without its record. The Content service's Write and the Diff service both commit here.
 *
 * "Already exists" follows containerd 1.6's metadata store: when the namespace already
 * records the blob, the lease still gets it and the result is EXISTS; a blob that only
 * another namespace (or a concurrent writer) stored is not an error (the record is added).
 */
#ifndef BERTH_SUPERVISOR_CORE_COMMIT_H
#define BERTH_SUPERVISOR_CORE_COMMIT_H

#include <stdint.h>

#include "common/err.h"
#include "supervisor/core/components.h"

struct content_ingest;

struct core_commit_opts {
	const char *ns;
	const char *lease;    /* NULL or "": none */
	int64_t size;	      /* expected total size, 0: any */
	const char *expected; /* expected digest, NULL or "": any */
	char *const *labels;  /* k,v,...,NULL of the new record (not applied on EXISTS) */
};

/*
 * Commits ing (borrowed; close it afterwards either way). *digest (optional) gets the
 * blob's digest on success. PRECONDITION on a size or digest mismatch, EXISTS as above.
 */
int core_content_commit(struct berthd_components *c, struct content_ingest *ing,
			const struct core_commit_opts *o, char **digest, struct berth_err **err);

/*
 * Before writing: whether namespace ns already records blob digest. If it does, the blob
 * joins lease (NULL or "": none) as containerd's metadata Writer does, and the result is
 * EXISTS naming the digest; 0 when ns does not have it.
 */
int core_content_check_new(struct berthd_components *c, const char *ns, const char *lease,
			   const char *digest, struct berth_err **err);

#endif
