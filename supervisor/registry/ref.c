/*
 * supervisor/registry/ref.c - image references: name[:tag][@digest] with docker.io defaults.
 *
 * Grammar (the distribution project's reference grammar, as docker and containerd use it):
 * the first '/'-separated part is a registry host if it contains '.' or ':' or is
 * "localhost"; otherwise the registry is docker.io and a one-part name gets "library/".
 * Path parts are lower-case alphanumerics joined by '.', '_', "__" or runs of '-'.
 * A tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; with neither tag nor digest, "latest".
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/registry/registry.h"

void reg_ref_free(struct reg_ref *ref)
{
	if (!ref)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	free(ref);
}

void reg_ref_freep(struct reg_ref **ref)
{
	reg_ref_free(*ref);
	*ref = NULL;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: alnum (sep alnum)*, sep = '.', '_', "__", '-'+. */
static bool path_part_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !is_lower_alnum(s[j]))
			j++;
		size_t len = j - i;
		bool dashes = strspn(s + i, "-") >= len;
		if (!(dashes || (len == 1 && (s[i] == '.' || s[i] == '_')) ||
		      (len == 2 && s[i] == '_' && s[i + 1] == '_')))
			return false;
		i = j;
	}
	return true;
}

static bool domain_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	size_t host_len = colon ? (size_t)(colon - s) : strlen(s);

	if (host_len == 0 || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < host_len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	if (colon) {
		if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return false;
		if (atol(colon + 1) > 65535)
			return false;
	}
	return true;
}

static bool tag_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static bool digest_ok(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t n;

	if (!colon || colon == s)
		return false;
	for (const char *p = s; p < colon; p++)
		if (!is_lower_alnum(*p) && !strchr("+._-", *p))
			return false;
	n = strlen(colon + 1);
	if (strncmp(s, "sha256:", 7) == 0 && n != 64)
		return false;
	if (n < 32)
		return false;
	return strspn(colon + 1, "0123456789abcdef") == n;
}

/* Paths are lower case, so an upper-case first part can only be a host. */
static bool looks_like_domain(const char *s, size_t n)
{
	if (memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !strncmp(s, "localhost", 9)))
		return true;
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

static int parse_name(const char *s, const char *name, struct reg_ref *ref, struct berth_err **err)
{
	const char *slash = strchr(name, '/');
	const char *rest = name;

	if (slash && looks_like_domain(name, (size_t)(slash - name))) {
		ref->domain = xstrndup(name, (size_t)(slash - name));
		rest = slash + 1;
		if (!domain_ok(ref->domain))
			return berth_err_new(err, BERTH_E_INVALID,
					     "reference '%s': invalid registry host '%s'", s,
					     ref->domain);
		if (!strcmp(ref->domain, "index.docker.io") ||
		    !strcmp(ref->domain, "registry-1.docker.io")) {
			free(ref->domain);
			ref->domain = xstrdup("docker.io");
		}
	} else {
		ref->domain = xstrdup("docker.io");
	}
	if (!strcmp(ref->domain, "docker.io") && !strchr(rest, '/'))
		ref->path = xasprintf("library/%s", rest);
	else
		ref->path = xstrdup(rest);
	for (const char *p = rest;;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (!path_part_ok(p, n))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"reference '%s': invalid repository name component '%.*s' (lower-case letters, digits and . _ __ - separators)",
				s, (int)n, p);
		if (!end)
			break;
		p = end + 1;
	}
	if (strlen(ref->domain) + 1 + strlen(ref->path) > 255)
		return berth_err_new(err, BERTH_E_INVALID,
				     "reference '%s': repository name longer than 255 characters",
				     s);
	return 0;
}

int reg_ref_parse(const char *s, struct reg_ref **out, struct berth_err **err)
{
	struct reg_ref *ref = xzalloc(sizeof(*ref));
	cleanup(reg_ref_freep) struct reg_ref *guard = ref;
	cleanup_free char *name = NULL;
	char *at, *colon, *slash;

	if (!s || !*s)
		return berth_err_new(err, BERTH_E_INVALID, "reference '': empty image name");
	name = xstrdup(s);
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		ref->digest = xstrdup(at + 1);
		if (!digest_ok(ref->digest))
			return berth_err_new(err, BERTH_E_INVALID,
					     "reference '%s': invalid digest '%s'", s, ref->digest);
	}
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		ref->tag = xstrdup(colon + 1);
		if (!tag_ok(ref->tag))
			return berth_err_new(err, BERTH_E_INVALID,
					     "reference '%s': invalid tag '%s'", s, ref->tag);
	}
	if (!*name)
		return berth_err_new(err, BERTH_E_INVALID, "reference '%s': empty repository name",
				     s);
	if (parse_name(s, name, ref, err) < 0)
		return -1;
	if (!ref->tag && !ref->digest)
		ref->tag = xstrdup("latest");
	*out = take_ptr(guard);
	return 0;
}

char *reg_ref_string(const struct reg_ref *ref)
{
	return xasprintf("%s/%s%s%s%s%s", ref->domain, ref->path, ref->tag ? ":" : "",
			 ref->tag ? ref->tag : "", ref->digest ? "@" : "",
			 ref->digest ? ref->digest : "");
}
