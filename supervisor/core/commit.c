/*
 * supervisor/core/commit.c - ingest commit + record + lease under the GC hold (commit.h).
 */
#include <stdlib.h>

#include "common/cleanup.h"
#include "supervisor/content/store.h"
#include "supervisor/core/commit.h"
#include "supervisor/core/gc.h"
#include "supervisor/core/leases.h"
#include "supervisor/meta/meta.h"

/* the three steps; the caller holds the collector off */
static int commit_held(struct berthd_components *c, struct content_ingest *ing,
		       const struct core_commit_opts *o, char **digest, struct berth_err **err)
{
	cleanup_free char *d = NULL;
	struct berth_err *exists = NULL;
	int64_t size = content_ingest_offset(ing);

	if (content_ingest_commit(ing, o->size, o->expected, &d, err) < 0) {
		if ((*err)->code != BERTH_E_EXISTS)
			return -1;
		/* another namespace (or writer) stored the same bytes: just add our record */
		berth_err_free(err);
		d = content_ingest_digest(ing);
	}
	if (meta_content_add(c->db, o->ns, d, size, o->labels, &exists) < 0 &&
	    exists->code != BERTH_E_EXISTS) {
		*err = exists;
		return -1;
	}
	/* containerd adds the content to the lease even when the namespace had it */
	if (core_lease_add_resource(c, o->ns, o->lease, "content", d, err) < 0) {
		berth_err_free(&exists);
		return -1;
	}
	if (exists) {
		*err = exists;
		return -1;
	}
	if (digest)
		*digest = take_ptr(d);
	return 0;
}

int core_content_commit(struct berthd_components *c, struct content_ingest *ing,
			const struct core_commit_opts *o, char **digest, struct berth_err **err)
{
	int ret;

	core_gc_hold(c);
	ret = commit_held(c, ing, o, digest, err);
	core_gc_release(c);
	return ret;
}

int core_content_check_new(struct berthd_components *c, const char *ns, const char *lease,
			   const char *digest, struct berth_err **err)
{
	cleanup(meta_content_freep) struct meta_content *have = NULL;

	if (meta_content_get(c->db, ns, digest, &have, NULL) < 0)
		return 0;
	if (core_lease_add_resource(c, ns, lease, "content", digest, err) < 0)
		return -1;
	return berth_err_new(err, BERTH_E_EXISTS, "blob with expected digest %s exists", digest);
}
