/*
 * supervisor/registry/platform.c - "os/arch[/variant]" and matching index entries.
 *
 * Normalisation follows containerd's platforms package: x86_64/x86-64 = amd64,
 * aarch64 = arm64, armhf/armel = arm with v7/v6; arm64's default variant is v8 and
 * arm's is v7, so an entry without a variant matches a request for the default one.
 */
#include <stdlib.h>
#include <string.h>

#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/registry/registry.h"

void reg_platform_clear(struct reg_platform *p)
{
	free(p->os);
	free(p->arch);
	free(p->variant);
	memset(p, 0, sizeof(*p));
}

static const char *norm_arch(const char *arch, const char **variant)
{
	if (!strcmp(arch, "x86_64") || !strcmp(arch, "x86-64"))
		return "amd64";
	if (!strcmp(arch, "aarch64"))
		return "arm64";
	if (!strcmp(arch, "armhf")) {
		*variant = "v7";
		return "arm";
	}
	if (!strcmp(arch, "armel")) {
		*variant = "v6";
		return "arm";
	}
	return arch;
}

static const char *default_variant(const char *arch)
{
	if (!strcmp(arch, "arm64"))
		return "v8";
	if (!strcmp(arch, "arm"))
		return "v7";
	return "";
}

static bool part_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}

int reg_platform_parse(const char *s, struct reg_platform *out, struct berth_err **err)
{
	char **parts;
	size_t n;
	const char *names[] = {"os", "architecture", "variant"};
	const char *variant = NULL;

	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		out->os = xstrdup("linux");
		out->arch = xstrdup("amd64");
		return 0;
	}
	parts = strv_split(s, "/");
	n = strv_len(parts);
	if (n < 2 || n > 3 || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//")) {
		strv_free(parts);
		return berth_err_new(err, BERTH_E_INVALID,
				     "platform '%s': expected os/architecture[/variant]", s);
	}
	for (size_t i = 0; i < n; i++)
		if (!part_ok(parts[i])) {
			int ret = berth_err_new(err, BERTH_E_INVALID,
						"platform '%s': invalid %s '%s'", s, names[i],
						parts[i]);
			strv_free(parts);
			return ret;
		}
	if (n == 3)
		variant = parts[2];
	out->os = xstrdup(parts[0]);
	out->arch = xstrdup(norm_arch(parts[1], &variant));
	out->variant = variant ? xstrdup(variant) : NULL;
	strv_free(parts);
	return 0;
}

bool reg_platform_match(const struct reg_platform *want, const char *os, const char *arch,
			const char *variant)
{
	const char *v = variant && *variant ? variant : NULL;
	const char *a;

	if (!os || !arch || strcmp(want->os, os) != 0)
		return false;
	a = norm_arch(arch, &v);
	if (strcmp(want->arch, a) != 0)
		return false;
	if (!want->variant || !*want->variant)
		return true;
	if (!v)
		v = default_variant(a);
	return !strcmp(want->variant, v);
}
