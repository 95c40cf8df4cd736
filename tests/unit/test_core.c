/*
 * tests/unit/test_core.c - supervisor/core without any gRPC server: content commit (record,
 * lease, "already exists" as containerd 1.6), lease resources, leased snapshot create and
 * commit, garbage collection of content and snapshots, and the events fan-out. Each case opens its own components
 * (meta.db, content store, a native snapshotter, the collector) in a temp dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/core/commit.h"
#include "supervisor/core/components.h"
#include "supervisor/core/events.h"
#include "supervisor/core/filter.h"
#include "supervisor/core/gc.h"
#include "supervisor/core/leases.h"
#include "supervisor/core/snapshots.h"
#include "supervisor/meta/meta.h"
#include "supervisor/snapshot/snapshot.h"

#define NS "ns1"

struct fx {
	char tmp[64];
	char *root;
	struct berthd_components c;
};

#define ok(call)                                                                \
	do {                                                                    \
		struct berth_err *e_ = NULL;                                    \
		struct berth_err **err_ = &e_;                                  \
		(void)err_;                                                     \
		if ((call) < 0)                                                 \
			fail_msg("%s: %s", #call, e_ ? e_->msg : "(no error)"); \
	} while (0)

/* call must fail with code; frees the error */
#define fails(call, want)                                                                     \
	do {                                                                                  \
		struct berth_err *e_ = NULL;                                                  \
		struct berth_err **err_ = &e_;                                                \
		(void)err_;                                                                   \
		if ((call) >= 0)                                                              \
			fail_msg("%s: succeeded", #call);                                     \
		assert_non_null(e_);                                                          \
		if (e_->code != (want))                                                       \
			fail_msg("%s: code %d, want %d: %s", #call, e_->code, want, e_->msg); \
		berth_err_free(&e_);                                                          \
	} while (0)

static int setup(void **state)
{
	struct fx *f = xnew(struct fx);
	struct berth_err *err = NULL;
	char *p;

	strcpy(f->tmp, "/tmp/berth-test-core-XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	f->c.root = f->root = xstrdup(f->tmp);
	p = xasprintf("%s/meta.db", f->tmp);
	f->c.db = meta_open(p, &err);
	free(p);
	p = xasprintf("%s/content", f->tmp);
	f->c.content = f->c.db ? content_store_open(p, &err) : NULL;
	free(p);
	p = xasprintf("%s/snapshots/native", f->tmp);
	f->c.snaps[0].name = "native";
	f->c.snaps[0].s = f->c.content ? snap_open("native", p, &err) : NULL;
	free(p);
	if (!f->c.snaps[0].s) {
		fprintf(stderr, "setup: %s\n", err ? err->msg : "?");
		berth_err_free(&err);
		return -1;
	}
	f->c.events = core_events_new();
	f->c.gc = core_gc_new(&f->c, 0);
	core_gc_add_snapshotter(f->c.gc, "native", f->c.snaps[0].s);
	ok(meta_ns_create(f->c.db, NS, NULL, err_));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct berth_err *err = NULL;
	int r;

	core_gc_free(f->c.gc);
	snap_close(f->c.snaps[0].s);
	core_events_free(f->c.events);
	content_store_close(f->c.content);
	meta_close(f->c.db);
	r = fs_rm_rf(f->tmp, &err);
	berth_err_free(&err);
	free(f->root);
	free(f);
	return r;
}

/* writes data into a new ingest of ns under ref */
static struct content_ingest *ingest(struct fx *f, const char *ns, const char *ref,
				     const char *data)
{
	struct berth_err *err = NULL;
	struct content_ingest *ing = content_ingest_open(f->c.content, ns, ref, 0, NULL, &err);

	if (!ing)
		fail_msg("ingest open: %s", err->msg);
	ok(content_ingest_write(ing, data, strlen(data), err_));
	return ing;
}

static bool lease_holds(struct fx *f, const char *lease, const char *type, const char *id)
{
	struct meta_resource *v = NULL;
	size_t n = 0;
	bool found = false;

	ok(meta_lease_list_resources(f->c.db, NS, lease, &v, &n, err_));
	for (size_t i = 0; i < n; i++)
		found |= strcmp(v[i].type, type) == 0 && strcmp(v[i].id, id) == 0;
	meta_resource_list_free(v, n);
	return found;
}

static bool has_record(struct fx *f, const char *ns, const char *digest)
{
	struct meta_content *rec = NULL;
	struct berth_err *err = NULL;
	int r = meta_content_get(f->c.db, ns, digest, &rec, &err);

	meta_content_free(rec);
	berth_err_free(&err);
	return r == 0;
}

static bool has_blob(struct fx *f, const char *digest)
{
	struct berth_err *err = NULL;
	int64_t size;
	int r = content_blob_stat(f->c.content, digest, &size, &err);

	berth_err_free(&err);
	return r == 0;
}

static void commit_records_leases_and_says_exists_as_containerd(void **state)
{
	struct fx *f = *state;
	const char *data = "layer bytes\n";
	char *want = content_digest_buf(data, strlen(data));
	char *labels[] = {"k", "v", NULL};
	struct core_commit_opts o = {.ns = NS, .labels = labels};
	struct content_ingest *ing;
	char *digest = NULL;

	ok(meta_lease_create(f->c.db, NS, "l1", NULL, NULL, err_));
	ok(meta_ns_create(f->c.db, "ns2", NULL, err_));

	/* first commit: blob, record with labels; no lease named: none touched */
	ing = ingest(f, NS, "ref-1", data);
	ok(core_content_commit(&f->c, ing, &o, &digest, err_));
	content_ingest_close(ing);
	assert_string_equal(digest, want);
	assert_true(has_blob(f, want));
	assert_true(has_record(f, NS, want));
	assert_false(lease_holds(f, "l1", "content", want));

	/* again in the same namespace, under lease l1: EXISTS, and l1 holds the blob */
	o.lease = "l1";
	ing = ingest(f, NS, "ref-2", data);
	fails(core_content_commit(&f->c, ing, &o, NULL, err_), BERTH_E_EXISTS);
	content_ingest_close(ing);
	assert_true(lease_holds(f, "l1", "content", want));

	/* the same bytes in another namespace: a new record, no error */
	o.ns = "ns2";
	o.lease = NULL;
	ing = ingest(f, "ns2", "ref-3", data);
	ok(core_content_commit(&f->c, ing, &o, NULL, err_));
	content_ingest_close(ing);
	assert_true(has_record(f, "ns2", want));

	/* a wrong expected digest: FAILED_PRECONDITION (as containerd), nothing recorded */
	o.ns = NS;
	o.expected = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
	ing = ingest(f, NS, "ref-4", "other bytes");
	fails(core_content_commit(&f->c, ing, &o, NULL, err_), BERTH_E_PRECONDITION);
	content_ingest_close(ing);

	/* opening with an expected digest ns has: EXISTS, and the lease holds it */
	ok(meta_lease_create(f->c.db, NS, "l2", NULL, NULL, err_));
	fails(core_content_check_new(&f->c, NS, "l2", want, err_), BERTH_E_EXISTS);
	assert_true(lease_holds(f, "l2", "content", want));
	ok(core_content_check_new(&f->c, "ns2", "", o.expected, err_));
	free(digest);
	free(want);
}

static void lease_resources_need_an_existing_lease(void **state)
{
	struct fx *f = *state;
	char *type = core_lease_snapshot_type("native");

	assert_string_equal(type, "snapshots/native");
	free(type);
	type = core_lease_snapshot_type(NULL);
	assert_string_equal(type, "snapshots/overlayfs");
	free(type);
	/* no lease named: nothing to do */
	ok(core_lease_add_resource(&f->c, NS, NULL, "content", "sha256:x", err_));
	ok(core_lease_add_resource(&f->c, NS, "", "content", "sha256:x", err_));
	fails(core_lease_add_resource(&f->c, NS, "ghost", "content", "sha256:x", err_),
	      BERTH_E_NOT_FOUND);
	ok(meta_lease_create(f->c.db, NS, "l", NULL, NULL, err_));
	ok(core_lease_add_resource(&f->c, NS, "l", "snapshots/native", "k1", err_));
	ok(core_lease_add_resource(&f->c, NS, "l", "snapshots/native", "k1", err_)); /* twice */
	assert_true(lease_holds(f, "l", "snapshots/native", "k1"));
}

static void gc_sweeps_what_nothing_references_and_keeps_leased_and_rooted(void **state)
{
	struct fx *f = *state;
	char *root_label[] = {"containerd.io/gc.root", "1", NULL};
	struct snap_mounts m = {0};
	struct core_commit_opts o = {.ns = NS};
	struct content_ingest *ing;
	char *loose = NULL, *leased = NULL;
	bool any;

	ing = ingest(f, NS, "r1", "loose blob");
	ok(core_content_commit(&f->c, ing, &o, &loose, err_));
	content_ingest_close(ing);
	ok(meta_lease_create(f->c.db, NS, "keep", NULL, NULL, err_));
	o.lease = "keep";
	ing = ingest(f, NS, "r2", "leased blob");
	ok(core_content_commit(&f->c, ing, &o, &leased, err_));
	content_ingest_close(ing);

	ok(snap_prepare(f->c.snaps[0].s, NS, "orphan", NULL, NULL, &m, err_));
	snap_mounts_free(&m);
	ok(snap_prepare(f->c.snaps[0].s, NS, "rooted", NULL, root_label, &m, err_));
	snap_mounts_free(&m);
	ok(snap_prepare(f->c.snaps[0].s, NS, "held", NULL, NULL, &m, err_));
	snap_mounts_free(&m);
	ok(core_lease_add_resource(&f->c, NS, "keep", "snapshots/native", "held", err_));

	ok(core_gc_run(&f->c, err_));
	assert_false(has_record(f, NS, loose));
	assert_false(has_blob(f, loose));
	assert_true(has_record(f, NS, leased));
	assert_true(has_blob(f, leased));
	{
		struct snap_info *v = NULL;
		size_t n = 0;

		ok(snap_list(f->c.snaps[0].s, NS, &v, &n, err_));
		assert_int_equal(n, 2);
		assert_string_equal(v[0].name, "held");
		assert_string_equal(v[1].name, "rooted");
		snap_infos_free(v, n);
	}

	/* the lease gone, what it held goes at the next collection */
	ok(meta_lease_delete(f->c.db, NS, "keep", err_));
	ok(core_gc_run(&f->c, err_));
	assert_false(has_blob(f, leased));
	ok(core_gc_ns_has_snapshots(&f->c, NS, &any, NULL, err_));
	assert_true(any); /* "rooted" stays */
	free(loose);
	free(leased);
}

static size_t snap_count(struct fx *f)
{
	struct snap_info *v = NULL;
	size_t n = 0;

	ok(snap_list(f->c.snaps[0].s, NS, &v, &n, err_));
	snap_infos_free(v, n);
	return n;
}

static void snapshots_join_the_lease_and_a_refused_lease_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct snapshotter *s = f->c.snaps[0].s;
	struct snap_mounts m = {0};

	ok(meta_lease_create(f->c.db, NS, "l", NULL, NULL, err_));
	ok(core_snapshots_create(&f->c, s, NS, "l", "k1", NULL, NULL, false, &m, err_));
	snap_mounts_free(&m);
	assert_true(lease_holds(f, "l", "snapshots/native", "k1"));
	ok(core_snapshots_commit(&f->c, s, NS, "l", "layer1", "k1", NULL, err_));
	assert_true(lease_holds(f, "l", "snapshots/native", "layer1"));
	ok(core_snapshots_create(&f->c, s, NS, "l", "v1", "layer1", NULL, true, &m, err_));
	snap_mounts_free(&m);
	assert_true(lease_holds(f, "l", "snapshots/native", "v1"));
	assert_int_equal(snap_count(f), 2);

	/* a lease that does not exist: NOT_FOUND and no snapshot left behind */
	fails(core_snapshots_create(&f->c, s, NS, "ghost", "k2", NULL, NULL, false, &m, err_),
	      BERTH_E_NOT_FOUND);
	assert_int_equal(snap_count(f), 2);
	/* commit: the lease first, so a refused lease commits nothing */
	ok(core_snapshots_create(&f->c, s, NS, NULL, "k3", NULL, NULL, false, &m, err_));
	snap_mounts_free(&m);
	fails(core_snapshots_commit(&f->c, s, NS, "ghost", "layer3", "k3", NULL, err_),
	      BERTH_E_NOT_FOUND);
	assert_int_equal(snap_count(f), 3); /* layer1, v1, k3 still active */
}

struct rec {
	int delivered, ended;
	bool refuse; /* deliver returns -1: the subscriber is gone */
	bool gone;
	char topic[64];
};

static int rec_deliver(void *arg, const struct core_event *ev)
{
	struct rec *r = arg;

	if (r->refuse)
		return -1;
	r->delivered++;
	snprintf(r->topic, sizeof(r->topic), "%s", ev->topic);
	assert_true(ev->ts_ns > 0);
	return 0;
}

static void rec_end(void *arg)
{
	((struct rec *)arg)->ended++;
}

static bool rec_gone(void *arg)
{
	return ((struct rec *)arg)->gone;
}

static void events_reach_matching_subscribers_and_gone_ones_end_once(void **state)
{
	struct fx *f = *state;
	struct rec all = {0}, images = {0}, broken = {0}, late = {.gone = true};
	char *fimg[] = {"topic~=^/images/"};
	struct core_filter *flt = NULL;
	struct core_event ev = {.ns = NS, .topic = "/images/create", .type_url = "t"};

	ok(core_filter_parse(fimg, 1, &flt, err_));
	ok(core_events_subscribe(f->c.events, NULL, rec_deliver, rec_end, &all, rec_gone));
	ok(core_events_subscribe(f->c.events, flt, rec_deliver, rec_end, &images, rec_gone));
	broken.refuse = true;
	ok(core_events_subscribe(f->c.events, NULL, rec_deliver, rec_end, &broken, NULL));
	assert_int_equal(
		core_events_subscribe(f->c.events, NULL, rec_deliver, rec_end, &late, rec_gone),
		-1);

	core_events_publish(f->c.events, &ev);
	ev.topic = "/tasks/exit";
	core_events_publish(f->c.events, &ev);
	assert_int_equal(all.delivered, 2);
	assert_string_equal(all.topic, "/tasks/exit");
	assert_int_equal(images.delivered, 1);
	assert_string_equal(images.topic, "/images/create");
	assert_int_equal(broken.ended, 1); /* ended by the bus, once */
	assert_false(core_events_unsubscribe(f->c.events, &broken));
	assert_int_equal(late.ended, 0); /* never listed: its owner ends it */

	assert_true(core_events_unsubscribe(f->c.events, &all));
	assert_false(core_events_unsubscribe(f->c.events, &all));
	assert_true(core_events_unsubscribe(f->c.events, &images));
	core_events_publish(f->c.events, &ev);
	assert_int_equal(all.delivered, 2);
	assert_int_equal(all.ended + images.ended, 0); /* unsubscribing ends nothing itself */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(commit_records_leases_and_says_exists_as_containerd,
						setup, teardown),
		cmocka_unit_test_setup_teardown(lease_resources_need_an_existing_lease, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			gc_sweeps_what_nothing_references_and_keeps_leased_and_rooted, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			snapshots_join_the_lease_and_a_refused_lease_leaves_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			events_reach_matching_subscribers_and_gone_ones_end_once, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
