/* common/strv.c - see strv.h. */
#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "common/xalloc.h"

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

void strv_push_take(char ***v, char *s)
{
	size_t n = strv_len(*v);

	*v = xreallocarray(*v, n + 2, sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void strv_push(char ***v, const char *s)
{
	strv_push_take(v, xstrdup(s));
}

char **strv_dup(char *const *v)
{
	size_t n = strv_len(v);
	char **r = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

char *strv_join(char *const *v, const char *sep)
{
	size_t n = strv_len(v), len = 1, sl = strlen(sep);
	char *r, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + sl;
	r = p = xmalloc(len);
	*p = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (i) {
			memcpy(p, sep, sl);
			p += sl;
		}
		memcpy(p, v[i], l);
		p += l;
	}
	*p = '\0';
	return r;
}

char **strv_split(const char *s, const char *sep)
{
	char **v = xcalloc(1, sizeof(char *));

	while (*s) {
		size_t l = strcspn(s, sep);
		if (l)
			strv_push_take(&v, xstrndup(s, l));
		s += l;
		if (*s)
			s++;
	}
	return v;
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void strv_freep(char ***v)
{
	strv_free(*v);
	*v = NULL;
}
