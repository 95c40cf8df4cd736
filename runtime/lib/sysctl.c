/*
 * runtime/lib/sysctl.c - linux.sysctl: one write per key under /proc/sys, in
 * the container's namespaces (after pivot_root, so /proc is the container's,
 * and before rt_rootfs_finish() makes /proc/sys read-only).
 *
 * A key maps to a path by turning '.' into '/' (runc's rule); a key that could
 * name anything but a file under /proc/sys ("..", '/', empty components) is
 * refused. Which keys a namespace may set is the spec validator's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "runtime/lib/rootfs.h"

static bool sysctl_key_valid(const char *key)
{
	size_t len = strlen(key);

	if (!len || key[0] == '.' || key[len - 1] == '.' || strchr(key, '/') || strstr(key, ".."))
		return false;
	for (const char *p = key; *p; p++)
		if ((unsigned char)*p < 0x21 || *p == 0x7f)
			return false;
	return true;
}

static int sysctl_write(const char *key, const char *value, struct berth_err **err)
{
	cleanup_free char *path = xasprintf("/proc/sys/%s", key);
	cleanup_close int fd = -1;
	size_t len = strlen(value);

	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	/* one write: procfs parses each write(2) as a whole value */
	if (fs_write_all(fd, value, len) < 0)
		return berth_err_sys(err, errno, "write '%s'", path);
	return 0;
}

int rt_sysctl_apply(const struct oci_spec *spec, struct berth_err **err)
{
	const struct oci_linux *lx = spec->linux_;

	for (size_t i = 0; lx && i < lx->n_sysctl; i++) {
		const struct oci_kv *kv = &lx->sysctl[i];

		if (!kv->key || !sysctl_key_valid(kv->key))
			return berth_err_new(err, BERTH_E_INVALID, "linux.sysctl '%s': invalid key",
					     kv->key ? kv->key : "");
		if (sysctl_write(kv->key, kv->value ? kv->value : "", err) < 0)
			return berth_err_wrap(err, "linux.sysctl '%s'", kv->key);
	}
	return 0;
}
