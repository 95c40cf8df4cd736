/*
 * tests/unit/test_content.c - supervisor/content: digests, blobs, resumable ingests,
 * verified commits, locking, abort, and that nothing partial is ever a blob.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"

/* sha256("hello world") */
#define HELLO "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
#define ZERO "sha256:0000000000000000000000000000000000000000000000000000000000000000"

struct fix {
	char dir[64];
	struct content_store *cs;
};

static int setup(void **state)
{
	struct fix *f = xnew(struct fix);
	struct berth_err *err = NULL;

	strcpy(f->dir, "/tmp/berth-test-content-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->cs = content_store_open(f->dir, &err);
	assert_non_null(f->cs);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	content_store_close(f->cs);
	fs_rm_rf(f->dir, NULL);
	free(f);
	return 0;
}

static int count_blobs(const char *d, int64_t size, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int nblobs(struct fix *f)
{
	int n = 0;

	assert_int_equal(content_blob_walk(f->cs, count_blobs, &n, NULL), 0);
	return n;
}

static void digest_check_names_the_bad_digest(void **state)
{
	struct berth_err *err = NULL;

	assert_int_equal(content_digest_check(HELLO, &err), 0);
	assert_int_equal(content_digest_check("sha256:abc", &err), -1);
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_non_null(strstr(err->msg, "sha256:abc"));
	berth_err_free(&err);
	assert_int_equal(content_digest_check("md5:d41d8cd98f00b204e9800998ecf8427e", &err), -1);
	assert_non_null(strstr(err->msg, "unsupported algorithm"));
	berth_err_free(&err);
	assert_int_equal(content_digest_check("nocolon", &err), -1);
	berth_err_free(&err);
	/* upper-case hex is not the canonical form */
	assert_int_equal(
		content_digest_check(
			"sha256:B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9",
			&err),
		-1);
	berth_err_free(&err);
}

static void digest_buf_is_sha256(void **state)
{
	char *d = content_digest_buf("hello world", 11);

	assert_string_equal(d, HELLO);
	free(d);
}

static void ingest_commit_verifies_and_publishes_the_blob(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct content_ingest *ing = content_ingest_open(f->cs, "ns", "ref1", 11, HELLO, &err);
	char *digest = NULL, buf[32] = {0};
	int64_t size;
	int fd;

	assert_non_null(ing);
	assert_int_equal(content_ingest_write(ing, "hello ", 6, &err), 0);
	assert_int_equal(nblobs(f), 0);
	assert_int_equal(content_ingest_write(ing, "world", 5, &err), 0);
	assert_int_equal(content_ingest_commit(ing, 11, HELLO, &digest, &err), 0);
	content_ingest_close(ing);
	assert_string_equal(digest, HELLO);
	free(digest);
	assert_int_equal(content_blob_stat(f->cs, HELLO, &size, &err), 0);
	assert_int_equal(size, 11);
	fd = content_blob_open(f->cs, HELLO, &err);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 11);
	close(fd);
	assert_string_equal(buf, "hello world");
	/* the ingest is gone once committed */
	struct content_status st;
	assert_int_equal(content_ingest_status(f->cs, "ns", "ref1", &st, &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
}

static void wrong_digest_leaves_no_blob_and_keeps_the_ingest(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct content_ingest *ing = content_ingest_open(f->cs, "ns", "ref1", 0, NULL, &err);
	struct content_status st;

	assert_int_equal(content_ingest_write(ing, "hello world", 11, &err), 0);
	assert_int_equal(content_ingest_commit(ing, 11, ZERO, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_PRECONDITION);
	assert_non_null(strstr(err->msg, "unexpected commit digest"));
	berth_err_free(&err);
	assert_int_equal(content_ingest_commit(ing, 12, NULL, NULL, &err), -1);
	assert_non_null(strstr(err->msg, "unexpected commit size"));
	berth_err_free(&err);
	content_ingest_close(ing);
	assert_int_equal(nblobs(f), 0);
	assert_int_equal(content_ingest_status(f->cs, "ns", "ref1", &st, &err), 0);
	assert_int_equal(st.offset, 11);
	content_status_clear(&st);
}

static void ingest_resumes_where_it_stopped(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct content_ingest *ing = content_ingest_open(f->cs, "ns", "ref1", 11, HELLO, &err);
	char *digest = NULL;

	assert_int_equal(content_ingest_write(ing, "hello ", 6, &err), 0);
	content_ingest_close(ing); /* e.g. the client went away */
	ing = content_ingest_open(f->cs, "ns", "ref1", 0, NULL, &err);
	assert_non_null(ing);
	assert_int_equal(content_ingest_offset(ing), 6);
	{
		struct content_status st;

		content_ingest_stat(ing, &st);
		assert_int_equal(st.total, 11); /* remembered from the first open */
		assert_string_equal(st.expected, HELLO);
		content_status_clear(&st);
	}
	assert_int_equal(content_ingest_write(ing, "world", 5, &err), 0);
	assert_int_equal(content_ingest_commit(ing, 0, NULL, &digest, &err), 0);
	assert_string_equal(digest, HELLO); /* the hash covered the bytes of both sessions */
	free(digest);
	content_ingest_close(ing);
}

static void a_second_writer_of_a_ref_is_unavailable(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct content_ingest *a = content_ingest_open(f->cs, "ns", "ref1", 0, NULL, &err);
	struct content_ingest *b = content_ingest_open(f->cs, "ns", "ref1", 0, NULL, &err);
	struct content_ingest *c;

	assert_non_null(a);
	assert_null(b);
	assert_int_equal(err->code, BERTH_E_UNAVAILABLE);
	assert_non_null(strstr(err->msg, "locked"));
	berth_err_free(&err);
	assert_int_equal(content_ingest_abort(f->cs, "ns", "ref1", &err), -1);
	assert_int_equal(err->code, BERTH_E_UNAVAILABLE);
	berth_err_free(&err);
	/* the same ref in another namespace is another ingest */
	c = content_ingest_open(f->cs, "other", "ref1", 0, NULL, &err);
	assert_non_null(c);
	content_ingest_close(c);
	content_ingest_close(a);
}

static void abort_removes_the_ingest(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct content_ingest *ing = content_ingest_open(f->cs, "ns", "ref1", 0, NULL, &err);
	struct content_status *v = NULL;
	size_t n = 0;

	assert_int_equal(content_ingest_write(ing, "x", 1, &err), 0);
	content_ingest_close(ing);
	assert_int_equal(content_ingest_list(f->cs, "ns", &v, &n, NULL, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].ref, "ref1");
	content_status_list_free(v, n);
	assert_int_equal(content_ingest_list(f->cs, "other", &v, &n, NULL, &err), 0);
	assert_int_equal(n, 0);
	content_status_list_free(v, n);
	assert_int_equal(content_ingest_abort(f->cs, "ns", "ref1", &err), 0);
	assert_int_equal(content_ingest_abort(f->cs, "ns", "ref1", &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
}

static void truncate_rehashes_what_is_kept(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct content_ingest *ing = content_ingest_open(f->cs, "ns", "ref1", 0, NULL, &err);
	char *digest = NULL;

	assert_int_equal(content_ingest_write(ing, "garbage", 7, &err), 0);
	assert_int_equal(content_ingest_truncate(ing, 0, &err), 0);
	assert_int_equal(content_ingest_truncate(ing, 5, &err), -1);
	berth_err_free(&err);
	assert_int_equal(content_ingest_write(ing, "hello world", 11, &err), 0);
	assert_int_equal(content_ingest_commit(ing, 11, HELLO, &digest, &err), 0);
	free(digest);
	content_ingest_close(ing);
}

static void committing_an_existing_blob_is_exists(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;
	struct content_ingest *ing;

	assert_int_equal(content_blob_put(f->cs, "hello world", 11, HELLO, NULL, &err), 0);
	assert_int_equal(content_blob_put(f->cs, "hello world", 11, NULL, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_EXISTS);
	berth_err_free(&err);
	ing = content_ingest_open(f->cs, "ns", "ref2", 0, NULL, &err);
	assert_int_equal(content_ingest_write(ing, "hello world", 11, &err), 0);
	assert_int_equal(content_ingest_commit(ing, 11, HELLO, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_EXISTS);
	berth_err_free(&err);
	content_ingest_close(ing);
	assert_int_equal(nblobs(f), 1);
}

static void put_with_wrong_expected_digest_stores_nothing(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;

	assert_int_equal(content_blob_put(f->cs, "hello world", 11, ZERO, NULL, &err), -1);
	assert_int_equal(err->code, BERTH_E_PRECONDITION);
	berth_err_free(&err);
	assert_int_equal(nblobs(f), 0);
}

static void blob_delete_of_missing_blob_is_not_found(void **state)
{
	struct fix *f = *state;
	struct berth_err *err = NULL;

	assert_int_equal(content_blob_delete(f->cs, HELLO, &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(digest_check_names_the_bad_digest),
		cmocka_unit_test(digest_buf_is_sha256),
		T(ingest_commit_verifies_and_publishes_the_blob),
		T(wrong_digest_leaves_no_blob_and_keeps_the_ingest),
		T(ingest_resumes_where_it_stopped),
		T(a_second_writer_of_a_ref_is_unavailable),
		T(abort_removes_the_ingest),
		T(truncate_rehashes_what_is_kept),
		T(committing_an_existing_blob_is_exists),
		T(put_with_wrong_expected_digest_stores_nothing),
		T(blob_delete_of_missing_blob_is_not_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
