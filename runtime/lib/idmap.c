/* runtime/lib/idmap.c - see idmap.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/idmap.h"
#include "runtime/lib/rootless.h"

#define HELPER_OUTPUT_MAX 1024

char *rt_idmap_text(const struct oci_id_mapping *m, size_t n)
{
	char *s = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%u %u %u\n", s, m[i].container_id, m[i].host_id, m[i].size);

		free(s);
		s = t;
	}
	return s;
}

bool rt_idmap_is_own_single(const struct oci_id_mapping *m, size_t n, uint32_t own)
{
	return n == 1 && m[0].host_id == own && m[0].size == 1;
}

/* The helper's path: PATH first, then where Debian installs it (a runtime started by a
 * shim may have a minimal PATH). NULL if there is none. */
static char *find_helper(const char *name)
{
	const char *path = getenv("PATH");
	cleanup_free char *dirs = xasprintf("%s:/usr/bin:/bin", path && *path ? path : "");
	char *save = NULL;

	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p;

		if (*d != '/')
			continue;
		p = xasprintf("%s/%s", d, name);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

static _Noreturn void helper_child(const char *exe, char **argv, int out_w)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(out_w, STDOUT_FILENO);
	dup2(out_w, STDERR_FILENO);
	execv(exe, argv);
	dprintf(STDERR_FILENO, "exec: %s", strerror(errno));
	_exit(127);
}

/* Reads the helper's output until EOF, then reaps it. */
static int helper_wait(pid_t pid, int out_r, char *out, int *status, struct berth_err **err)
{
	size_t len = 0;
	ssize_t n;
	char drop[256];

	for (;;) {
		if (len < HELPER_OUTPUT_MAX)
			n = read(out_r, out + len, HELPER_OUTPUT_MAX - len);
		else
			n = read(out_r, drop, sizeof(drop));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < HELPER_OUTPUT_MAX)
			len += (size_t)n;
	}
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		len--;
	out[len] = '\0';
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR)
			return berth_err_sys(err, errno, "waitpid");
	}
	return 0;
}

static int run_helper(const char *name, pid_t pid, const struct oci_id_mapping *m, size_t n,
		      struct berth_err **err)
{
	cleanup_free char *exe = find_helper(name);
	cleanup(strv_freep) char **argv = NULL;
	char out[HELPER_OUTPUT_MAX + 1];
	int fds[2], status;
	pid_t child;

	if (!exe)
		return berth_err_new(
			err, BERTH_E_UNIMPLEMENTED,
			"'%s' not found in PATH: an unprivileged runtime needs it (package uidmap) to map more than its own id",
			name);
	strv_push(&argv, name);
	strv_push_take(&argv, xasprintf("%d", (int)pid));
	for (size_t i = 0; i < n; i++) {
		strv_push_take(&argv, xasprintf("%u", m[i].container_id));
		strv_push_take(&argv, xasprintf("%u", m[i].host_id));
		strv_push_take(&argv, xasprintf("%u", m[i].size));
	}
	if (pipe2(fds, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	cleanup_close int out_r = fds[0];
	cleanup_close int out_w = fds[1];
	child = fork();
	if (child < 0)
		return berth_err_sys(err, errno, "fork");
	if (child == 0)
		helper_child(exe, argv, out_w);
	closep(&out_w);
	if (helper_wait(child, out_r, out, &status, err) < 0)
		return -1;
	if (WIFSIGNALED(status))
		return berth_err_new(err, BERTH_E_PERMISSION, "'%s' killed by signal %d%s%s", exe,
				     WTERMSIG(status), *out ? ": " : "", out);
	if (WEXITSTATUS(status) != 0)
		return berth_err_new(err, BERTH_E_PERMISSION, "'%s' exited with status %d%s%s", exe,
				     WEXITSTATUS(status), *out ? ": " : "", out);
	log_debug("user namespace of %d: map written by '%s'", (int)pid, exe);
	return 0;
}

static int write_map_file(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
			  struct berth_err **err)
{
	cleanup_free char *text = rt_idmap_text(m, n);
	cleanup_close int fd = -1;
	size_t len = strlen(text);
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	if (write(fd, text, len) == (ssize_t)len)
		return 0;
	/* uid 0 of a user namespace (`unshare -r`) maps only what its own map holds */
	if (errno == EPERM && geteuid() == 0 && rt_rootless_is())
		return berth_err_new(
			err, BERTH_E_PERMISSION,
			"write '%s': not permitted: the runtime runs in a user namespace without privileges over the host and can map only the ids of its own /proc/self/%s",
			path, file);
	return berth_err_sys(err, errno, "write '%s'", path);
}

static int write_one(pid_t pid, bool uid, const struct oci_id_mapping *m, size_t n,
		     struct berth_err **err)
{
	uint32_t own = uid ? geteuid() : getegid();
	char path[64];

	if (geteuid() == 0)
		return write_map_file(pid, uid ? "uid_map" : "gid_map", m, n, err);
	if (!rt_idmap_is_own_single(m, n, own))
		return run_helper(uid ? "newuidmap" : "newgidmap", pid, m, n, err);
	if (!uid) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if (fs_write_string(AT_FDCWD, path, "deny", err) < 0)
			return -1;
	}
	return write_map_file(pid, uid ? "uid_map" : "gid_map", m, n, err);
}

int rt_idmap_write(pid_t pid, const struct oci_linux *l, struct berth_err **err)
{
	if (write_one(pid, true, l->uid_mappings, l->n_uid_mappings, err) < 0)
		return berth_err_wrap(err, "linux.uidMappings");
	if (write_one(pid, false, l->gid_mappings, l->n_gid_mappings, err) < 0)
		return berth_err_wrap(err, "linux.gidMappings");
	return 0;
}
