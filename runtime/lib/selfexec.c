/* runtime/lib/selfexec.c - see selfexec.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/lib/selfexec.h"

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

bool rt_selfexec_is_protected(void)
{
	cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct statvfs vfs;
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS)
		return true;
	return fstatvfs(fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
}

/* 2: the same file through a detached read-only bind of its directory. */
static int exec_from_ro_mount(char *const argv[], char *const envp[])
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
	cleanup_close int tree = -1, fd = -1;
	struct stat want, got;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0 || stat("/proc/self/exe", &want) < 0)
		return -1;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (exe[0] != '/' || !slash)
		return -1; /* "... (deleted)", a memfd: not a path to clone */
	*slash = '\0';
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, exe[0] ? exe : "/",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -1;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return -1;
	fd = openat(tree, slash + 1, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	/* the very file we run, not one renamed into its place meanwhile */
	if (fd < 0 || fstat(fd, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
		return -1;
	syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
	return -1;
}

static int copy_exe(int dst, struct berth_err **err)
{
	cleanup_close int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	struct stat st;
	off_t off = 0;

	if (src < 0)
		return berth_err_sys(err, errno, "open '/proc/self/exe'");
	if (fstat(src, &st) < 0)
		return berth_err_sys(err, errno, "stat '/proc/self/exe'");
	while (off < st.st_size) {
		ssize_t n = sendfile(dst, src, &off, (size_t)(st.st_size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_err_sys(err, n < 0 ? errno : EIO,
					     "copy '/proc/self/exe' to memfd");
	}
	return 0;
}

int rt_selfexec_ensure_sealed(char *const argv[], char *const envp[], struct berth_err **err)
{
	cleanup_close int fd = -1;

	if (rt_selfexec_is_protected())
		return 0;
	exec_from_ro_mount(argv, envp); /* returns only when refused: fall back */
	fd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return berth_err_sys(err, errno, "memfd_create");
	if (copy_exe(fd, err) < 0)
		return -1;
	if (fcntl(fd, F_ADD_SEALS, SEALS) < 0)
		return berth_err_sys(err, errno, "seal the memfd copy of berth");
	/* the memfd is CLOEXEC: the kernel keeps the file referenced by the new mm */
	fexecve(fd, argv, envp);
	return berth_err_sys(err, errno, "re-exec berth from a sealed memfd");
}
