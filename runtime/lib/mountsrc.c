/* runtime/lib/mountsrc.c - see mountsrc.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/idmount.h"
#include "runtime/lib/mountsrc.h"
#include "runtime/lib/sync.h"

static void open_sources(const struct oci_spec *spec, const char *bundle, struct rt_mountsrc *ms)
{
	ms->fds = xcalloc(spec->n_mounts + 1, sizeof(*ms->fds));
	ms->index = xcalloc(spec->n_mounts + 1, sizeof(*ms->index));
	for (size_t i = 0; i < spec->n_mounts && ms->n < RT_SYNC_MAX_FDS; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		cleanup_free char *src = NULL;
		int fd;

		if (!m->bind || !m->source || !m->source[0] || rt_idmount_wanted(m))
			continue;
		src = m->source[0] == '/' || !bundle ? xstrdup(m->source)
						     : xasprintf("%s/%s", bundle, m->source);
		fd = open(src, O_PATH | O_CLOEXEC);
		if (fd < 0)
			continue; /* the child's own attempt names the source */
		ms->fds[ms->n] = fd;
		ms->index[ms->n++] = i;
	}
}

int rt_mountsrc_open(const struct oci_spec *spec, const char *bundle, pid_t pid,
		     struct rt_mountsrc *out, struct berth_err **err)
{
	char path[64];
	cleanup_close int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	cleanup_close int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int target = -1;

	*out = (struct rt_mountsrc){0};
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (own < 0 || cwd < 0 || target < 0)
		return berth_err_sys(err, errno, "bind mount sources: open the mount namespaces");
	if (setns(target, CLONE_NEWNS) < 0)
		return berth_err_sys(err, errno,
				     "bind mount sources: enter the container's mount namespace");
	open_sources(spec, bundle, out);
	/* back home: a failure here leaves us in the container's tree, so it is fatal */
	if (setns(own, CLONE_NEWNS) < 0 || fchdir(cwd) < 0) {
		rt_mountsrc_clear(out);
		return berth_err_sys(err, errno,
				     "bind mount sources: return to our mount namespace");
	}
	return 0;
}

char *rt_mountsrc_payload(const struct rt_mountsrc *ms, pid_t pid)
{
	char *s = xasprintf("%d", (int)pid);

	for (size_t i = 0; i < ms->n; i++) {
		char *t = xasprintf("%s %zu", s, ms->index[i]);

		free(s);
		s = t;
	}
	return s;
}

void rt_mountsrc_clear(struct rt_mountsrc *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		close(ms->fds[i]);
	free(ms->fds);
	free(ms->index);
	*ms = (struct rt_mountsrc){0};
}

int *rt_mountsrc_from_go(const char *payload, int *fds, size_t n_fds, size_t n_mounts)
{
	const char *p = strchr(payload, ' ');
	int *out;

	if (!n_fds || !p)
		return NULL;
	out = xcalloc(n_mounts + 1, sizeof(*out));
	for (size_t i = 0; i < n_mounts; i++)
		out[i] = -1;
	for (size_t k = 0; k < n_fds && p && *p; k++) {
		char *end;
		unsigned long idx = strtoul(p + 1, &end, 10);

		if (end == p + 1)
			break;
		if (idx < n_mounts && out[idx] < 0) {
			out[idx] = fds[k];
			fds[k] = -1;
		}
		p = *end ? end : NULL;
	}
	return out;
}
