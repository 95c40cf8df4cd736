/*
 * supervisor/registry/challenge.c - one WWW-Authenticate challenge (RFC 7235):
 * `Bearer realm="https://auth.example/token",service="registry",scope="repository:x:pull"`.
 * Values may be quoted strings (with \ escapes) or tokens; names are case-insensitive.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/registry/registry.h"

void reg_challenge_clear(struct reg_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static bool is_token_char(char ch)
{
	return ch && (isalnum((unsigned char)ch) || strchr("!#$%&'*+-.^_`|~", ch));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Reads a quoted string or a token at *pp into a new string; NULL if neither. */
static char *read_value(const char **pp)
{
	const char *p = *pp;
	char *buf, *o;

	if (*p != '"') {
		const char *start = p;
		while (is_token_char(*p) || *p == '/' || *p == ':' || *p == '=')
			p++;
		if (p == start)
			return NULL;
		*pp = p;
		return xstrndup(start, (size_t)(p - start));
	}
	buf = xmalloc(strlen(p) + 1);
	o = buf;
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		*o++ = *p;
	}
	if (*p != '"') {
		free(buf);
		return NULL;
	}
	*o = '\0';
	*pp = p + 1;
	return buf;
}

static void set_param(struct reg_challenge *c, const char *name, size_t n, char *val)
{
	char **slot = NULL;

	if (n == 5 && !strncasecmp(name, "realm", n))
		slot = &c->realm;
	else if (n == 7 && !strncasecmp(name, "service", n))
		slot = &c->service;
	else if (n == 5 && !strncasecmp(name, "scope", n))
		slot = &c->scope;
	else if (n == 5 && !strncasecmp(name, "error", n))
		slot = &c->error;
	if (!slot) {
		free(val);
		return;
	}
	free(*slot);
	*slot = val;
}

int reg_challenge_parse(const char *hdr, struct reg_challenge *out, struct berth_err **err)
{
	const char *p = skip_ws(hdr), *start = p;

	memset(out, 0, sizeof(*out));
	while (is_token_char(*p))
		p++;
	if (p == start)
		return berth_err_new(err, BERTH_E_INVALID, "WWW-Authenticate '%s': no scheme", hdr);
	out->scheme = xstrndup(start, (size_t)(p - start));
	for (char *s = out->scheme; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	for (p = skip_ws(p); *p;) {
		const char *name = p;
		size_t n;
		char *val;

		while (is_token_char(*p))
			p++;
		n = (size_t)(p - name);
		p = skip_ws(p);
		if (n == 0 || *p != '=') {
			reg_challenge_clear(out);
			return berth_err_new(err, BERTH_E_INVALID,
					     "WWW-Authenticate '%s': expected name=value at '%s'",
					     hdr, name);
		}
		p = skip_ws(p + 1);
		val = read_value(&p);
		if (!val) {
			reg_challenge_clear(out);
			return berth_err_new(err, BERTH_E_INVALID,
					     "WWW-Authenticate '%s': bad value for '%.*s'", hdr,
					     (int)n, name);
		}
		set_param(out, name, n, val);
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
		else if (*p) {
			reg_challenge_clear(out);
			return berth_err_new(err, BERTH_E_INVALID,
					     "WWW-Authenticate '%s': expected ',' at '%s'", hdr, p);
		}
	}
	return 0;
}
