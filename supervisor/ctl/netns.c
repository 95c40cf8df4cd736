/*
 * supervisor/ctl/netns.c - a berthctl container's loopback.
 *
 * The runtime makes a new network namespace when the spec asks for one, and a new
 * namespace's `lo` is down: runc and berth leave it so (containerd's CRI brings it up with
 * the CNI loopback plugin; docker's daemon through libnetwork). Until berthctl has
 * networking of its own, it brings `lo` up itself between Tasks.Create and Tasks.Start:
 * the task's init process exists then (the runtime's create stops before exec), so the
 * container's command starts with a working 127.0.0.1. A child process joins the
 * namespace (setns moves only the calling thread, and berthctl has gRPC threads) and sets
 * IFF_UP with SIOCSIFFLAGS; between fork and _exit it makes system calls only. This
 * works against containerd too: it needs only the task's pid, on the same host, as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "supervisor/ctl/container.h"

static _Noreturn void child_main(int nsfd)
{
	struct ifreq ifr;
	int fd;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		_exit(10);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		_exit(11);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		_exit(12);
	if (ifr.ifr_flags & IFF_UP)
		_exit(0);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		_exit(13);
	_exit(0);
}

int ctl_netns_loopback_up(uint32_t pid, struct berth_err **err)
{
	char path[64];
	cleanup_close int nsfd = -1;
	int status = 0;
	pid_t child;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return berth_err_sys(err, errno, "open '%s'", path);
	child = fork();
	if (child < 0)
		return berth_err_sys(err, errno, "fork");
	if (child == 0)
		child_main(nsfd);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return berth_err_sys(err, errno, "wait for the loopback helper");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "bring up 'lo' in '%s': helper failed at step %d", path,
				     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
