/*
 * Unit tests for common/digest.c: SHA-256 against known vectors (FIPS 180-4 examples,
 * and a 1 MiB pattern whose sum coreutils' sha256sum gave), streaming in odd-sized
 * chunks, and the OCI digest grammar with the errors that name the bad part. Also
 * checks the shim's own SHA-256 (shim/sha256.c, kept because the static shim must not
 * link libcrypto) against this one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/digest.h"
#include "shim/shim.h"

#define EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/* FIPS 180-4 example: one million 'a' */
#define MILLION_A "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
/* 1 MiB of byte i = (i * 7 + (i >> 11)) & 0xff, through sha256sum */
#define PATTERN_1M "sha256:4e08f71137d5420af99b99419ef116fed281f1eb0f1f6c49777f0b4a99e92c17"

static void buf_gives_the_known_sums(void **state)
{
	cleanup_free char *empty = digest_buf("", 0);
	cleanup_free char *abc = digest_buf("abc", 3);

	assert_string_equal(empty, EMPTY);
	assert_string_equal(abc, ABC);
	assert_int_equal(strlen(abc), DIGEST_STR_LEN);
}

static void fresh_context_sums_the_empty_string(void **state)
{
	cleanup(digest_freep) struct digest *d = digest_new();
	cleanup_free char *s = digest_sum(d);

	assert_string_equal(s, EMPTY);
}

/* Feeds len bytes of buf in chunks of 1, 2, 3, ... 4099 bytes, then again from 1. */
static void feed_odd_chunks(struct digest *d, const unsigned char *buf, size_t len)
{
	size_t off = 0, chunk = 1;

	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;

		digest_update(d, buf + off, n);
		off += n;
		chunk = chunk >= 4099 ? 1 : chunk + 2;
	}
}

static void a_million_a_in_odd_chunks_matches_fips_180_4(void **state)
{
	cleanup(digest_freep) struct digest *d = digest_new();
	cleanup_free unsigned char *a = malloc(1000000);
	cleanup_free char *s = NULL;

	assert_non_null(a);
	memset(a, 'a', 1000000);
	feed_odd_chunks(d, a, 1000000);
	s = digest_sum(d);
	assert_string_equal(s, MILLION_A);
}

static void one_mib_stream_in_odd_chunks_matches_its_known_sum(void **state)
{
	const size_t len = 1 << 20;
	cleanup(digest_freep) struct digest *d = digest_new();
	cleanup_free unsigned char *buf = malloc(len);
	cleanup_free char *streamed = NULL;
	cleanup_free char *whole = NULL;

	assert_non_null(buf);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)((i * 7 + (i >> 11)) & 0xff);
	feed_odd_chunks(d, buf, len);
	streamed = digest_sum(d);
	whole = digest_buf(buf, len);
	assert_string_equal(streamed, PATTERN_1M);
	assert_string_equal(whole, PATTERN_1M);
}

static void sum_leaves_the_context_hashing_on(void **state)
{
	cleanup(digest_freep) struct digest *d = digest_new();
	cleanup_free char *ab = NULL;
	cleanup_free char *abc = NULL;
	cleanup_free char *again = NULL;

	digest_update(d, "ab", 2);
	ab = digest_sum(d);
	digest_update(d, "c", 1);
	abc = digest_sum(d);
	again = digest_sum(d);
	assert_string_not_equal(ab, ABC);
	assert_string_equal(abc, ABC);
	assert_string_equal(again, ABC);
}

static void reset_starts_over(void **state)
{
	cleanup(digest_freep) struct digest *d = digest_new();
	cleanup_free char *s = NULL;

	digest_update(d, "something else", 14);
	digest_reset(d);
	digest_update(d, "abc", 3);
	s = digest_sum(d);
	assert_string_equal(s, ABC);
}

/* Every length from 0 to 300 bytes crosses the padding edges (55, 56, 64, 119, 120...). */
static void shim_sha256_agrees_with_libcrypto_at_every_padding_edge(void **state)
{
	unsigned char buf[300];
	char hex[65];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 13 + 5);
	for (size_t len = 0; len <= sizeof(buf); len++) {
		cleanup_free char *want = digest_buf(buf, len);

		shim_sha256_hex(buf, len, hex);
		if (strcmp(hex, want + DIGEST_PREFIX_LEN) != 0)
			fail_msg("%zu bytes: shim_sha256_hex gave %s, libcrypto %s", len, hex,
				 want);
	}
	shim_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, ABC + DIGEST_PREFIX_LEN);
}

static void parse_accepts_sha256_and_points_at_the_hex(void **state)
{
	struct berth_err *err = NULL;
	const char *hex = NULL;

	assert_int_equal(digest_parse(ABC, &hex, &err), 0);
	assert_null(err);
	assert_ptr_equal(hex, ABC + DIGEST_PREFIX_LEN);
	assert_true(digest_is_valid(EMPTY));
	assert_int_equal(digest_parse(ABC, NULL, &err), 0);
}

/* digest_parse(s) fails as INVALID with a message holding want (and s itself). */
static void expect_bad(const char *s, const char *want)
{
	struct berth_err *err = NULL;
	const char *hex = "untouched";

	assert_int_equal(digest_parse(s, &hex, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->code, BERTH_E_INVALID);
	if (!strstr(err->msg, want))
		fail_msg("digest '%s': expected an error with \"%s\", got \"%s\"", s ? s : "(null)",
			 want, err->msg);
	if (s && *s && !strstr(err->msg, s))
		fail_msg("digest '%s': the error does not name it: \"%s\"", s, err->msg);
	assert_string_equal(hex, "untouched");
	assert_false(digest_is_valid(s));
	berth_err_free(&err);
}

static void parse_names_the_bad_part(void **state)
{
	struct berth_err *err = NULL;

	assert_int_equal(digest_parse("sha256:xyz", NULL, &err), -1);
	assert_string_equal(
		err->msg, "digest 'sha256:xyz': encoded part must be 64 lowercase hex characters");
	berth_err_free(&err);

	expect_bad(NULL, "digest: empty");
	expect_bad("", "digest: empty");
	expect_bad("nocolon", "no ':'");
	expect_bad("sha256:", "encoded part must be 64 lowercase hex characters");
	/* 63 and 65 digits */
	expect_bad("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
		   "64 lowercase hex");
	expect_bad("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
		   "64 lowercase hex");
	/* upper case is not the canonical form */
	expect_bad("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		   "64 lowercase hex");
	expect_bad("SHA256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		   "algorithm 'SHA256' must be lowercase");
	expect_bad(":abc", "algorithm '' must be");
	expect_bad("sha..256:abc", "algorithm 'sha..256' must be");
	expect_bad("-sha256:abc", "algorithm '-sha256' must be");
	expect_bad("md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm 'md5'");
	/* well-formed per the spec's grammar, but not sha256 */
	expect_bad("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
		   "unsupported algorithm 'sha256+b64u'");
	expect_bad("sha512:a b", "encoded part must be letters, digits");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_gives_the_known_sums),
		cmocka_unit_test(fresh_context_sums_the_empty_string),
		cmocka_unit_test(a_million_a_in_odd_chunks_matches_fips_180_4),
		cmocka_unit_test(one_mib_stream_in_odd_chunks_matches_its_known_sum),
		cmocka_unit_test(sum_leaves_the_context_hashing_on),
		cmocka_unit_test(reset_starts_over),
		cmocka_unit_test(shim_sha256_agrees_with_libcrypto_at_every_padding_edge),
		cmocka_unit_test(parse_accepts_sha256_and_points_at_the_hex),
		cmocka_unit_test(parse_names_the_bad_part),
	};
	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
