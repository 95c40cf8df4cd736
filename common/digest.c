/*
 * common/digest.c - SHA-256 over libcrypto's EVP, and OCI digest strings. See digest.h.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/digest.h"
#include "common/xalloc.h"

struct digest {
	EVP_MD_CTX *md;
};

/* EVP fails only for lack of memory (or a broken libcrypto): abort, as xmalloc does. */
static void check(int ok)
{
	if (!ok)
		abort();
}

struct digest *digest_new(void)
{
	struct digest *d = xnew(struct digest);

	d->md = EVP_MD_CTX_new();
	check(d->md != NULL);
	digest_reset(d);
	return d;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->md);
	free(d);
}

void digest_freep(struct digest **d)
{
	digest_free(*d);
}

void digest_reset(struct digest *d)
{
	check(EVP_DigestInit_ex(d->md, EVP_sha256(), NULL));
}

void digest_update(struct digest *d, const void *buf, size_t len)
{
	check(EVP_DigestUpdate(d->md, buf, len));
}

char *digest_sum(const struct digest *d)
{
	static const char hexdig[] = "0123456789abcdef";
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *out = xmalloc(DIGEST_STR_LEN + 1), *o = out + DIGEST_PREFIX_LEN;
	EVP_MD_CTX *copy = EVP_MD_CTX_new();

	/* finalise a copy, so that d can go on hashing (content ingests report progress) */
	check(copy && EVP_MD_CTX_copy_ex(copy, d->md) && EVP_DigestFinal_ex(copy, h, &n));
	EVP_MD_CTX_free(copy);
	check(n * 2 == DIGEST_HEX_LEN);
	memcpy(out, DIGEST_PREFIX, DIGEST_PREFIX_LEN);
	for (unsigned int i = 0; i < n; i++) {
		*o++ = hexdig[h[i] >> 4];
		*o++ = hexdig[h[i] & 0xf];
	}
	*o = '\0';
	return out;
}

char *digest_buf(const void *buf, size_t len)
{
	struct digest *d = digest_new();
	char *s;

	digest_update(d, buf, len);
	s = digest_sum(d);
	digest_free(d);
	return s;
}

/* The image spec's grammar (descriptor.md, "Digests"):
 *   algorithm-component ::= [a-z0-9]+,  algorithm-separator ::= [+._-]
 *   encoded             ::= [a-zA-Z0-9=_-]+ */
static bool algorithm_ok(const char *s, size_t len)
{
	bool after_sep = true; /* no leading, trailing or doubled separator */

	for (size_t i = 0; i < len; i++) {
		bool sep = strchr("+._-", s[i]) != NULL;

		if (!sep && !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
		if (sep && after_sep)
			return false;
		after_sep = sep;
	}
	return len > 0 && !after_sep;
}

static const char encoded_chars[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=_-";

int digest_parse(const char *s, const char **hex, struct berth_err **err)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	const char *enc;
	size_t alen;

	if (!s || !*s)
		return berth_err_new(err, BERTH_E_INVALID, "digest: empty");
	if (!colon)
		return berth_err_new(err, BERTH_E_INVALID,
				     "digest '%s': want <algorithm>:<encoded> (no ':')", s);
	alen = (size_t)(colon - s);
	enc = colon + 1;
	if (!algorithm_ok(s, alen))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"digest '%s': algorithm '%.*s' must be lowercase letters and digits, joined by '+', '.', '_' or '-'",
			s, (int)alen, s);
	if (alen != DIGEST_PREFIX_LEN - 1 || strncmp(s, DIGEST_PREFIX, alen) != 0) {
		if (!*enc || strspn(enc, encoded_chars) != strlen(enc))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"digest '%s': encoded part must be letters, digits, '=', '_' or '-'",
				s);
		return berth_err_new(err, BERTH_E_INVALID,
				     "digest '%s': unsupported algorithm '%.*s' (only sha256)", s,
				     (int)alen, s);
	}
	if (strlen(enc) != DIGEST_HEX_LEN || strspn(enc, "0123456789abcdef") != DIGEST_HEX_LEN)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"digest '%s': encoded part must be 64 lowercase hex characters", s);
	if (hex)
		*hex = enc;
	return 0;
}

bool digest_is_valid(const char *s)
{
	struct berth_err *err = NULL;

	if (digest_parse(s, NULL, &err) == 0)
		return true;
	berth_err_free(&err);
	return false;
}
