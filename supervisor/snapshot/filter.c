/*
 * supervisor/snapshot/filter.c - containerd list filters applied to snapshot infos.
 *
 * Grammar (containerd's filters package, the subset snapshots use):
 *   filter   := selector (',' selector)*        all selectors must match
 *   selector := fieldpath [op value]            no op: the field is present
 *   fieldpath:= field ('.' field)*              field: [A-Za-z0-9_]+ or "quoted"
 *   op       := '==' | '!=' | '~='              ~= is a POSIX extended regex
 *   value    := "quoted" | characters up to ','
 * Fields: name, parent, kind (active|view|committed), labels.<key>.
 * Several filters given to snap_list() match when any of them matches.
 */
#include <ctype.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot_internal.h"

enum filter_op { OP_PRESENT, OP_EQ, OP_NE, OP_MATCH };

struct selector {
	char **path;
	enum filter_op op;
	char *value;
	regex_t re;
	bool has_re;
};

struct snap_filter {
	struct selector *v;
	size_t n;
};

struct lexer {
	const char *expr;
	const char *p;
};

static void skip_ws(struct lexer *l)
{
	while (*l->p == ' ' || *l->p == '\t')
		l->p++;
}

/* "quoted" with \" and \\ escapes; returns NULL if unterminated. */
static char *lex_quoted(struct lexer *l)
{
	size_t cap = strlen(l->p) + 1, n = 0;
	char *out = xmalloc(cap);

	l->p++;
	while (*l->p && *l->p != '"') {
		if (*l->p == '\\' && l->p[1])
			l->p++;
		out[n++] = *l->p++;
	}
	if (*l->p != '"') {
		free(out);
		return NULL;
	}
	l->p++;
	out[n] = '\0';
	return out;
}

static char *lex_field(struct lexer *l)
{
	const char *start = l->p;

	if (*l->p == '"')
		return lex_quoted(l);
	while (isalnum((unsigned char)*l->p) || *l->p == '_')
		l->p++;
	if (l->p == start)
		return NULL;
	return xstrndup(start, (size_t)(l->p - start));
}

static char *lex_value(struct lexer *l)
{
	const char *start;
	size_t n;

	skip_ws(l);
	if (*l->p == '"')
		return lex_quoted(l);
	start = l->p;
	while (*l->p && *l->p != ',')
		l->p++;
	n = (size_t)(l->p - start);
	while (n > 0 && (start[n - 1] == ' ' || start[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NULL;
	return xstrndup(start, n);
}

static int bad(struct lexer *l, const char *what, struct berth_err **err)
{
	return berth_err_new(err, BERTH_E_INVALID, "filter '%s': %s at offset %d", l->expr, what,
			     (int)(l->p - l->expr));
}

static int parse_selector(struct lexer *l, struct selector *sel, struct berth_err **err)
{
	char *f;

	skip_ws(l);
	for (;;) {
		f = lex_field(l);
		if (!f)
			return bad(l, "expected a field name", err);
		strv_push_take(&sel->path, f);
		if (*l->p != '.')
			break;
		l->p++;
	}
	skip_ws(l);
	if (!*l->p || *l->p == ',') {
		sel->op = OP_PRESENT;
		return 0;
	}
	if (strncmp(l->p, "==", 2) == 0)
		sel->op = OP_EQ;
	else if (strncmp(l->p, "!=", 2) == 0)
		sel->op = OP_NE;
	else if (strncmp(l->p, "~=", 2) == 0)
		sel->op = OP_MATCH;
	else
		return bad(l, "expected '==', '!=' or '~='", err);
	l->p += 2;
	sel->value = lex_value(l);
	if (!sel->value)
		return bad(l, "expected a value", err);
	if (sel->op == OP_MATCH) {
		if (regcomp(&sel->re, sel->value, REG_EXTENDED | REG_NOSUB) != 0)
			return bad(l, "invalid regular expression", err);
		sel->has_re = true;
	}
	skip_ws(l);
	return 0;
}

void snap_filter_free(struct snap_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		strv_free(f->v[i].path);
		free(f->v[i].value);
		if (f->v[i].has_re)
			regfree(&f->v[i].re);
	}
	free(f->v);
	free(f);
}

int snap_filter_parse(const char *expr, struct snap_filter **out, struct berth_err **err)
{
	struct lexer l = {expr, expr};
	struct snap_filter *f = xnew(struct snap_filter);

	for (;;) {
		f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
		memset(&f->v[f->n], 0, sizeof(f->v[0]));
		f->n++;
		if (parse_selector(&l, &f->v[f->n - 1], err) < 0) {
			snap_filter_free(f);
			return -1;
		}
		if (!*l.p)
			break;
		if (*l.p != ',') {
			bad(&l, "expected ','", err);
			snap_filter_free(f);
			return -1;
		}
		l.p++;
	}
	*out = f;
	return 0;
}

/* The value of a field path in info, or NULL when absent. */
static const char *field_value(char *const *path, const struct snap_info *info)
{
	size_t n = strv_len(path);

	if (n == 1 && strcmp(path[0], "name") == 0)
		return info->name;
	if (n == 1 && strcmp(path[0], "parent") == 0)
		return info->parent;
	if (n == 1 && strcmp(path[0], "kind") == 0)
		return snap_kind_name(info->kind);
	if (n >= 2 && strcmp(path[0], "labels") == 0) {
		char *const *rest = path + 1;
		char *key = strv_join(rest, ".");
		const char *v = NULL;

		for (char *const *l = info->labels; l && l[0] && l[1] && !v; l += 2)
			if (strcmp(l[0], key) == 0)
				v = l[1];
		free(key);
		return v;
	}
	return NULL;
}

static bool selector_match(const struct selector *sel, const struct snap_info *info)
{
	const char *v = field_value(sel->path, info);

	switch (sel->op) {
	case OP_PRESENT:
		return v != NULL;
	case OP_EQ:
		return v && strcmp(v, sel->value) == 0;
	case OP_NE:
		return !v || strcmp(v, sel->value) != 0;
	case OP_MATCH:
		return v && regexec(&sel->re, v, 0, NULL, 0) == 0;
	}
	return false;
}

bool snap_filter_match(const struct snap_filter *f, const struct snap_info *info)
{
	for (size_t i = 0; i < f->n; i++)
		if (!selector_match(&f->v[i], info))
			return false;
	return true;
}
