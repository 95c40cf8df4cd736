/*
 * supervisor/core/components.c - lookups over struct berthd_components (components.h).
 */
#include <string.h>

#include "supervisor/core/components.h"

struct snapshotter *core_snapshotter_get(const struct berthd_components *c, const char *name)
{
	if (!name || !*name)
		name = "overlayfs";
	for (size_t i = 0; i < CORE_SNAPSHOTTERS; i++)
		if (c->snaps[i].s && strcmp(c->snaps[i].name, name) == 0)
			return c->snaps[i].s;
	return NULL;
}
