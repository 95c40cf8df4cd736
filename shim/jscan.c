/*
 * shim/jscan.c - the little JSON the shim reads: a validator (exec specs are
 * checked before they reach the runtime), string members of runtime log
 * records, and `ps --format json` pid arrays. A strict RFC 8259 recursive
 * descent scanner with a depth limit; it builds no tree.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/xalloc.h"
#include "shim/shim.h"

#define JSCAN_MAX_DEPTH 64

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"'; returns past the closing quote or NULL. Appends the unescaped text to out if set. */
static const char *scan_string(const char *p, const char *end, char *out, size_t *outlen)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		unsigned cp;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c != '\\') {
			if (out)
				out[(*outlen)++] = (char)c;
			continue;
		}
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
			c = (unsigned char)*p;
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (end - p < 5)
				return NULL;
			cp = 0;
			for (int i = 1; i <= 4; i++) {
				int h = hex_digit(p[i]);

				if (h < 0)
					return NULL;
				cp = cp << 4 | (unsigned)h;
			}
			p += 4;
			if (out) { /* UTF-8 encode the BMP code point (surrogates kept as is) */
				if (cp < 0x80) {
					out[(*outlen)++] = (char)cp;
				} else if (cp < 0x800) {
					out[(*outlen)++] = (char)(0xc0 | cp >> 6);
					out[(*outlen)++] = (char)(0x80 | (cp & 0x3f));
				} else {
					out[(*outlen)++] = (char)(0xe0 | cp >> 12);
					out[(*outlen)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
					out[(*outlen)++] = (char)(0x80 | (cp & 0x3f));
				}
			}
			continue;
		default:
			return NULL;
		}
		if (out)
			out[(*outlen)++] = (char)c;
	}
	return NULL;
}

static const char *scan_number(const char *p, const char *end)
{
	const char *s;

	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return NULL;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < end && *p == '.') {
		s = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		s = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	return p;
}

static const char *scan_value(const char *p, const char *end, int depth);

static const char *scan_container(const char *p, const char *end, int depth, char close)
{
	bool obj = close == '}';

	p = ws(p + 1, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			p = scan_string(p, end, NULL, NULL);
			if (!p)
				return NULL;
			p = ws(p, end);
			if (p >= end || *p != ':')
				return NULL;
			p = ws(p + 1, end);
		}
		p = scan_value(p, end, depth + 1);
		if (!p)
			return NULL;
		p = ws(p, end);
		if (p < end && *p == ',') {
			p = ws(p + 1, end);
			continue;
		}
		if (p < end && *p == close)
			return p + 1;
		return NULL;
	}
}

static const char *scan_literal(const char *p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0 ? p + n : NULL;
}

static const char *scan_value(const char *p, const char *end, int depth)
{
	if (depth > JSCAN_MAX_DEPTH || p >= end)
		return NULL;
	switch (*p) {
	case '{':
		return scan_container(p, end, depth, '}');
	case '[':
		return scan_container(p, end, depth, ']');
	case '"':
		return scan_string(p, end, NULL, NULL);
	case 't':
		return scan_literal(p, end, "true");
	case 'f':
		return scan_literal(p, end, "false");
	case 'n':
		return scan_literal(p, end, "null");
	default:
		return scan_number(p, end);
	}
}

bool shim_jscan_valid(const char *s, size_t len)
{
	const char *end = s + len;
	const char *p = scan_value(ws(s, end), end, 0);

	return p && ws(p, end) == end;
}

/* Finds member key of the top-level object; returns a pointer to its value or NULL. */
static const char *find_member(const char *s, const char *key)
{
	const char *end = s + strlen(s);
	const char *p = ws(s, end);
	size_t klen = strlen(key);

	if (p >= end || *p != '{')
		return NULL;
	p = ws(p + 1, end);
	while (p < end && *p == '"') {
		const char *k = p + 1, *kend = scan_string(p, end, NULL, NULL);
		bool match;

		if (!kend)
			return NULL;
		match = (size_t)(kend - 1 - k) == klen && memcmp(k, key, klen) == 0;
		p = ws(kend, end);
		if (p >= end || *p != ':')
			return NULL;
		p = ws(p + 1, end);
		if (match)
			return p;
		p = scan_value(p, end, 1);
		if (!p)
			return NULL;
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
	}
	return NULL;
}

bool shim_jscan_has(const char *s, const char *key)
{
	return find_member(s, key) != NULL;
}

char *shim_jscan_get_string(const char *s, const char *key)
{
	const char *v = find_member(s, key);
	const char *end;
	size_t n = 0;
	char *out;

	if (!v || *v != '"')
		return NULL;
	end = v + strlen(v);
	out = xmalloc((size_t)(end - v) + 1);
	if (!scan_string(v, end, out, &n)) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

int shim_jscan_int_array(const char *s, uint32_t **out, size_t *n)
{
	const char *end = s + strlen(s);
	const char *p = ws(s, end);
	uint32_t *v = NULL;
	size_t len = 0;

	if ((size_t)(end - p) >= 4 && memcmp(p, "null", 4) == 0 && ws(p + 4, end) == end) {
		*out = NULL; /* Go marshals an empty slice as null */
		*n = 0;
		return 0;
	}
	if (p >= end || *p != '[')
		return -1;
	p = ws(p + 1, end);
	while (p < end && *p != ']') {
		unsigned long x = 0;

		if (*p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9') {
			x = x * 10 + (unsigned long)(*p++ - '0');
			if (x > UINT32_MAX)
				goto bad;
		}
		v = xreallocarray(v, len + 1, sizeof(*v));
		v[len++] = (uint32_t)x;
		p = ws(p, end);
		if (p < end && *p == ',')
			p = ws(p + 1, end);
		else if (p >= end || *p != ']')
			goto bad;
	}
	if (p >= end || ws(p + 1, end) != end)
		goto bad;
	*out = v;
	*n = len;
	return 0;
bad:
	free(v);
	return -1;
}
