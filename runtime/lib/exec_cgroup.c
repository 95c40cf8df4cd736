/*
 * runtime/lib/exec_cgroup.c - `exec --cgroup` (see exec_cgroup.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/exec_cgroup.h"

/* "a/b" is fine; "", "/a", "a/../b", "." components are not */
static int check_sub(const char *value, const char *path, struct berth_err **err)
{
	cleanup(strv_freep) char **parts = strv_split(path, "/");

	if (!*path || path[0] == '/')
		return berth_err_new(
			err, BERTH_E_INVALID,
			"--cgroup '%s': the path must be relative to the container's cgroup",
			value);
	strv_foreach (p, parts)
		if (!*p || !strcmp(p, ".") || !strcmp(p, ".."))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"--cgroup '%s': '%s' is not allowed in the path (it must stay inside the container's cgroup)",
				value, p);
	return 0;
}

static int check_dir(const char *value, const char *dir, struct berth_err **err)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return berth_err_sys(err, errno, "--cgroup '%s': '%s'", value, dir);
	if (!S_ISDIR(st.st_mode))
		return berth_err_new(err, BERTH_E_INVALID, "--cgroup '%s': '%s' is not a cgroup",
				     value, dir);
	return 0;
}

/* Replaces the join target base (a dir of j) by base/sub. */
static int retarget(struct rt_cgjoin *j, const char *base, const char *sub, const char *value,
		    struct berth_err **err)
{
	cleanup_free char *dir = xasprintf("%s/%s", base, sub);

	if (check_dir(value, dir, err) < 0)
		return -1;
	if (j->v2_dir && !strcmp(j->v2_dir, base)) {
		int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return berth_err_sys(err, errno, "--cgroup '%s': open '%s'", value, dir);
		closep(&j->v2_fd);
		j->v2_fd = fd;
		free(j->v2_dir);
		j->v2_dir = take_ptr(dir);
		return 0;
	}
	for (size_t i = 0; j->v1_dirs && j->v1_dirs[i]; i++) {
		if (!strcmp(j->v1_dirs[i], base)) {
			free(j->v1_dirs[i]);
			j->v1_dirs[i] = take_ptr(dir);
			return 0;
		}
	}
	return berth_err_new(err, BERTH_E_INVALID,
			     "--cgroup '%s': '%s' was already moved by an earlier --cgroup", value,
			     base);
}

static int apply_one(const struct rt_cgroup *cg, const char *value, struct rt_cgjoin *j,
		     struct berth_err **err)
{
	const char *colon = strchr(value, ':');
	cleanup(strv_freep) char **ctrls = NULL;
	cleanup(strv_freep) char **bases = NULL;
	const char *sub = colon ? colon + 1 : value;

	if (check_sub(value, sub, err) < 0)
		return -1;
	if (!colon) {
		/* every hierarchy the process joins */
		bases = strv_dup(j->v1_dirs);
		if (j->v2_dir)
			strv_push(&bases, j->v2_dir);
	} else {
		cleanup_free char *list = xstrndup(value, (size_t)(colon - value));

		if (rt_cgroup_mode(cg) == RT_CGROUP_V2)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"--cgroup '%s': on cgroup v2 give the path alone, without a controller",
				value);
		ctrls = strv_split(list, ",");
		strv_foreach (c, ctrls) {
			const char *d = *c ? rt_cgroup_path(cg, c) : NULL;

			if (!d)
				return berth_err_new(
					err, BERTH_E_INVALID,
					"--cgroup '%s': no cgroup hierarchy for controller '%s'",
					value, c);
			if (!strv_contains(bases, d))
				strv_push(&bases, d);
		}
	}
	strv_foreach (b, bases)
		if (retarget(j, b, sub, value, err) < 0)
			return -1;
	return 0;
}

int rt_exec_cgroup_apply(const struct rt_cgroup *cg, char *const *subs, struct rt_cgjoin *j,
			 struct berth_err **err)
{
	for (size_t i = 0; subs && subs[i]; i++)
		if (apply_one(cg, subs[i], j, err) < 0)
			return -1;
	return 0;
}
