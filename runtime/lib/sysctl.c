/*
 * runtime/lib/sysctl.c - linux.sysctl: one write per key under /proc/sys, in
 * the container's namespaces (after pivot_root, so /proc is the container's,
 * and before rt_rootfs_finish() makes /proc/sys read-only).
 *
 * A key maps to a path by turning '.' into '/' (runc's rule); a key that could
 * name anything but a file under /proc/sys ("..", '/', empty components) is
 * refused. A key is only accepted when the container has its own namespace
 * for it (ipc: kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*; net: net.*;
 * uts: kernel.hostname, kernel.domainname), as runc's validator does: every
 * other sysctl is host-wide, and writing it from a container would change the
 * host (vm.swappiness did, before this check). All keys are checked before
 * the first write.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "spec/config.h"
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

static const char *const ipc_sysctls[] = {
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The namespace a sysctl key belongs to, or -1 when it is host-wide. */
static int sysctl_namespace(const char *key)
{
	for (size_t i = 0; i < sizeof(ipc_sysctls) / sizeof(ipc_sysctls[0]); i++)
		if (!strcmp(key, ipc_sysctls[i]))
			return OCI_NS_IPC;
	if (has_prefix(key, "fs.mqueue."))
		return OCI_NS_IPC;
	if (has_prefix(key, "net."))
		return OCI_NS_NETWORK;
	if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname"))
		return OCI_NS_UTS;
	return -1;
}

int rt_sysctl_check(const struct oci_spec *spec, struct berth_err **err)
{
	const struct oci_linux *lx = spec->linux_;

	for (size_t i = 0; lx && i < lx->n_sysctl; i++) {
		const char *key = lx->sysctl[i].key;
		int ns;

		if (!key || !sysctl_key_valid(key))
			return berth_err_new(err, BERTH_E_INVALID, "linux.sysctl '%s': invalid key",
					     key ? key : "");
		ns = sysctl_namespace(key);
		if (ns < 0)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"linux.sysctl '%s': not in a separate kernel namespace: setting it would change the host",
				key);
		if (!oci_spec_find_ns(spec, (enum oci_ns_type)ns))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"linux.sysctl '%s': needs a %s namespace in linux.namespaces", key,
				oci_ns_type_name((enum oci_ns_type)ns));
	}
	return 0;
}

int rt_sysctl_apply(const struct oci_spec *spec, struct berth_err **err)
{
	const struct oci_linux *lx = spec->linux_;

	if (rt_sysctl_check(spec, err) < 0)
		return -1;
	for (size_t i = 0; lx && i < lx->n_sysctl; i++) {
		const struct oci_kv *kv = &lx->sysctl[i];

		if (sysctl_write(kv->key, kv->value ? kv->value : "", err) < 0)
			return berth_err_wrap(err, "linux.sysctl '%s'", kv->key);
	}
	return 0;
}
