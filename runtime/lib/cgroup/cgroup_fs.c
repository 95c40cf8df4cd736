/*
 * runtime/lib/cgroup/cgroup_fs.c - the cgroupfs manager (manager.h): berth owns the
 * directories. linux.cgroupsPath is a path, cleaned lexically and taken relative to the
 * root of every hierarchy; absent, it is "/berth/<id>". Nothing to do around create,
 * update or destroy beyond the cgroupfs work of cgroup.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"

/* Lexical clean: "a//b/./c/../d" -> "/a/b/d"; ".." never climbs above "/". */
static char *clean_path(const char *p)
{
	cleanup(strv_freep) char **parts = strv_split(p, "/");
	size_t n = 0, len = strv_len(parts);
	char *out, *o;

	for (size_t i = 0; i < len; i++) {
		if (strcmp(parts[i], ".") == 0)
			continue;
		if (strcmp(parts[i], "..") == 0) {
			if (n > 0)
				n--;
			continue;
		}
		if (n != i) {
			char *t = parts[n];

			parts[n] = parts[i];
			parts[i] = t;
		}
		n++;
	}
	o = out = xmalloc(strlen(p) + 2);
	*o = '\0';
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "/%s", parts[i]);
	if (o == out)
		strcpy(out, "/");
	return out;
}

static int fs_resolve(struct rt_cgroup *cg, const char *cgroups_path, const char *id, char **out,
		      struct berth_err **err)
{
	if (!cgroups_path || !cgroups_path[0]) {
		*out = xasprintf("/berth/%s", id);
		return 0;
	}
	*out = clean_path(cgroups_path);
	if (strcmp(*out, "/") == 0) {
		free(*out);
		*out = NULL;
		return berth_err_new(err, BERTH_E_INVALID,
				     "linux.cgroupsPath: '%s' is the root cgroup", cgroups_path);
	}
	return 0;
}

const struct rt_cgroup_manager rt_cgroup_manager_fs = {
	.name = "cgroupfs",
	.resolve = fs_resolve,
};
