/*
 * supervisor/core/filter.c - parse and evaluate containerd list filters (filter.h).
 */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/core/filter.h"

enum sel_op { OP_PRESENT, OP_EQ, OP_NE, OP_RE };

struct selector {
	char **path;
	size_t n;
	enum sel_op op;
	char *value;
	regex_t re;
	bool re_ok;
};

struct conj {
	struct selector *v;
	size_t n;
};

struct core_filter {
	struct conj *v; /* OR of ANDs */
	size_t n;
};

struct parser {
	const char *s, *p;
	struct berth_err **err;
};

static int perr(struct parser *ps, const char *what)
{
	return berth_err_new(ps->err, BERTH_E_INVALID, "filter '%s': %s at position %zu", ps->s,
			     what, (size_t)(ps->p - ps->s));
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

/* A "quoted string" with \" and \\ escapes. */
static char *quoted(struct parser *ps)
{
	size_t cap = strlen(ps->p) + 1, n = 0;
	char *out = xmalloc(cap);

	ps->p++; /* opening quote */
	while (*ps->p && *ps->p != '"') {
		if (*ps->p == '\\' && ps->p[1])
			ps->p++;
		out[n++] = *ps->p++;
	}
	if (*ps->p != '"') {
		free(out);
		perr(ps, "unterminated quoted string");
		return NULL;
	}
	ps->p++;
	out[n] = '\0';
	return out;
}

static char *field(struct parser *ps)
{
	const char *start = ps->p;

	if (*ps->p == '"')
		return quoted(ps);
	while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '-' || *ps->p == '/')
		ps->p++;
	if (ps->p == start) {
		perr(ps, "expected a field name");
		return NULL;
	}
	return xstrndup(start, (size_t)(ps->p - start));
}

static void selector_clear(struct selector *sel)
{
	strv_free(sel->path);
	free(sel->value);
	if (sel->re_ok)
		regfree(&sel->re);
}

static int selector(struct parser *ps, struct selector *sel)
{
	char *f;

	memset(sel, 0, sizeof(*sel));
	skip_ws(ps);
	for (;;) {
		f = field(ps);
		if (!f)
			return -1;
		strv_push_take(&sel->path, f);
		sel->n++;
		if (*ps->p != '.')
			break;
		ps->p++;
	}
	skip_ws(ps);
	if (*ps->p == ',' || *ps->p == '\0') {
		sel->op = OP_PRESENT;
		return 0;
	}
	if (strncmp(ps->p, "==", 2) == 0)
		sel->op = OP_EQ;
	else if (strncmp(ps->p, "!=", 2) == 0)
		sel->op = OP_NE;
	else if (strncmp(ps->p, "~=", 2) == 0)
		sel->op = OP_RE;
	else
		return perr(ps, "expected an operator (==, != or ~=)");
	ps->p += 2;
	skip_ws(ps);
	if (*ps->p == '"') {
		sel->value = quoted(ps);
		if (!sel->value)
			return -1;
	} else {
		const char *start = ps->p;

		while (*ps->p && *ps->p != ',')
			ps->p++;
		sel->value = xstrndup(start, (size_t)(ps->p - start));
		/* trailing blanks are not part of an unquoted value */
		for (size_t l = strlen(sel->value); l > 0 && sel->value[l - 1] == ' ';)
			sel->value[--l] = '\0';
		if (!*sel->value)
			return perr(ps, "expected a value");
	}
	if (sel->op == OP_RE) {
		if (regcomp(&sel->re, sel->value, REG_EXTENDED | REG_NOSUB) != 0)
			return perr(ps, "invalid regular expression");
		sel->re_ok = true;
	}
	skip_ws(ps);
	return 0;
}

static int conjunction(struct parser *ps, struct conj *c)
{
	for (;;) {
		c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
		if (selector(ps, &c->v[c->n]) < 0) {
			selector_clear(&c->v[c->n]);
			return -1;
		}
		c->n++;
		if (*ps->p == '\0')
			return 0;
		if (*ps->p != ',')
			return perr(ps, "expected ','");
		ps->p++;
	}
}

int core_filter_parse(char *const *filters, size_t n, struct core_filter **out,
		      struct berth_err **err)
{
	struct core_filter *f;

	*out = NULL;
	if (n == 0)
		return 0;
	f = xnew(struct core_filter);
	for (size_t i = 0; i < n; i++) {
		struct parser ps = {filters[i], filters[i], err};

		if (!*filters[i])
			continue;
		f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
		memset(&f->v[f->n], 0, sizeof(f->v[f->n]));
		f->n++;
		if (conjunction(&ps, &f->v[f->n - 1]) < 0) {
			core_filter_free(f);
			return -1;
		}
	}
	if (f->n == 0) {
		core_filter_free(f);
		return 0;
	}
	*out = f;
	return 0;
}

static bool sel_match(const struct selector *sel, core_field_fn field_fn, const void *obj)
{
	const char *v = field_fn(obj, sel->path, sel->n);

	switch (sel->op) {
	case OP_PRESENT:
		return v != NULL;
	case OP_EQ:
		return v && strcmp(v, sel->value) == 0;
	case OP_NE:
		return !v || strcmp(v, sel->value) != 0;
	case OP_RE:
		return v && regexec(&sel->re, v, 0, NULL, 0) == 0;
	}
	return false;
}

bool core_filter_match(const struct core_filter *f, core_field_fn field_fn, const void *obj)
{
	if (!f)
		return true;
	for (size_t i = 0; i < f->n; i++) {
		bool all = true;

		for (size_t j = 0; j < f->v[i].n && all; j++)
			all = sel_match(&f->v[i].v[j], field_fn, obj);
		if (all)
			return true;
	}
	return false;
}

void core_filter_free(struct core_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		for (size_t j = 0; j < f->v[i].n; j++)
			selector_clear(&f->v[i].v[j]);
		free(f->v[i].v);
	}
	free(f->v);
	free(f);
}

void core_filter_freep(struct core_filter **f)
{
	core_filter_free(*f);
}

const char *core_filter_kv(char *const *kv, char *const *path, size_t n)
{
	char key[4096];
	size_t len = 0;

	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(key + len, sizeof(key) - len, "%s%s", i ? "." : "", path[i]);

		if (w < 0 || (size_t)w >= sizeof(key) - len)
			return NULL;
		len += (size_t)w;
	}
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2)
		if (strcmp(kv[i], key) == 0)
			return kv[i + 1];
	return NULL;
}
