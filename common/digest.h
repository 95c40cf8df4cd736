/*
 * common/digest.h - SHA-256 content digests, "sha256:<64 lowercase hex>".
 *
 * Owns the one streaming SHA-256 of berthd and berthctl (libcrypto's EVP) and the
 * validation of OCI digest strings (algorithm ":" encoded, as in the image spec's
 * descriptor.md). Only sha256 is supported: any other well-formed algorithm is
 * BERTH_E_INVALID "unsupported algorithm".
 *
 * Not in libberthcommon.a: digest.o is built into $(LIBDIGEST) (common/module.mk),
 * which only the supervisor links, because it needs libcrypto. The shim, a static
 * binary that must not pull libcrypto in, keeps its own small SHA-256 (shim/sha256.c).
 *
 * Out of memory aborts (as xmalloc does); hashing itself cannot fail.
 */
#ifndef BERTH_COMMON_DIGEST_H
#define BERTH_COMMON_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* "sha256:" + 64 hex digits */
#define DIGEST_PREFIX "sha256:"
#define DIGEST_PREFIX_LEN 7
#define DIGEST_HEX_LEN 64
#define DIGEST_STR_LEN (DIGEST_PREFIX_LEN + DIGEST_HEX_LEN)

/* A running SHA-256. */
struct digest;

struct digest *digest_new(void);
void digest_free(struct digest *d);
void digest_freep(struct digest **d);
/* Starts over, as if fresh from digest_new(). */
void digest_reset(struct digest *d);
void digest_update(struct digest *d, const void *buf, size_t len);
/*
 * "sha256:<hex>" of everything hashed since the last reset; the caller frees it.
 * d is left as it was: more data may follow, and a later digest_sum covers it too.
 */
char *digest_sum(const struct digest *d);

/* "sha256:<hex>" of a buffer; the caller frees it. */
char *digest_buf(const void *buf, size_t len);

/*
 * Checks that s is a digest berth can use, "sha256:<64 lowercase hex>", and sets
 * *hex (may be NULL) to its encoded part, borrowed from s. On failure BERTH_E_INVALID
 * naming s and its bad part:
 *   "digest 'sha256:xyz': encoded part must be 64 lowercase hex characters"
 *   "digest 'md5:...': unsupported algorithm 'md5' (only sha256)"
 *   "digest 'nocolon': want <algorithm>:<encoded> (no ':')"
 */
int digest_parse(const char *s, const char **hex, struct berth_err **err);
/* digest_parse without the error. */
bool digest_is_valid(const char *s);

#endif
