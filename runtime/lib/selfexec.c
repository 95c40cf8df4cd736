/* runtime/lib/selfexec.c - see selfexec.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/lib/selfexec.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

bool rt_selfexec_is_sealed(void)
{
	cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
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

	if (rt_selfexec_is_sealed())
		return 0;
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
