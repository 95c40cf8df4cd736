/*
 * supervisor/ctl/image.c - reference normalization and output formatting as berthctl
 * prints images (manifests, indexes and platform choice: supervisor/image/). See ctl.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"

char *ctl_normalize_ref(const char *ref)
{
	const char *slash = strchr(ref, '/');
	const char *last = strrchr(ref, '/');
	bool has_domain = false, has_tag;
	char *out;

	if (slash) {
		size_t n = (size_t)(slash - ref);

		has_domain = memchr(ref, '.', n) || memchr(ref, ':', n) ||
			     (n == 9 && strncmp(ref, "localhost", 9) == 0);
	}
	has_tag = strchr(last ? last : ref, ':') || strchr(ref, '@');
	if (!slash)
		out = xasprintf("docker.io/library/%s%s", ref, has_tag ? "" : ":latest");
	else if (!has_domain)
		out = xasprintf("docker.io/%s%s", ref, has_tag ? "" : ":latest");
	else
		out = xasprintf("%s%s", ref, has_tag ? "" : ":latest");
	return out;
}

char *ctl_human_size(int64_t b)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)b;
	size_t u = 0;

	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		return xasprintf("%" PRId64 "B", b);
	return xasprintf("%.3g%s", v, units[u]);
}

char *ctl_human_ago(int64_t ns)
{
	int64_t s = (int64_t)time(NULL) - ns / 1000000000;

	if (s < 1)
		return xstrdup("Less than a second ago");
	if (s < 60)
		return xasprintf("%" PRId64 " second%s ago", s, s == 1 ? "" : "s");
	if (s < 3600)
		return xasprintf("%" PRId64 " minute%s ago", s / 60, s / 60 == 1 ? "" : "s");
	if (s < 86400)
		return xasprintf("%" PRId64 " hour%s ago", s / 3600, s / 3600 == 1 ? "" : "s");
	return xasprintf("%" PRId64 " day%s ago", s / 86400, s / 86400 == 1 ? "" : "s");
}
