/* runtime/lib/console.c - see console.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/lib/console.h"

int rt_console_connect(const char *path, struct berth_err **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_err_new(err, BERTH_E_INVALID, "console socket '%s': path too long",
				     path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_err_sys(err, errno, "console socket: socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_err_sys(err, errno, "connect to console socket '%s'", path);
	return take_fd(&fd);
}

int rt_pty_open(struct rt_pty *pty, const struct oci_console_size *size, struct berth_err **err)
{
	cleanup_close int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	cleanup_close int s = -1;

	if (m < 0)
		return berth_err_sys(err, errno, "open '/dev/ptmx'");
	if (unlockpt(m) < 0)
		return berth_err_sys(err, errno, "unlockpt");
	if (ptsname_r(m, pty->name, sizeof(pty->name)) != 0)
		return berth_err_sys(err, errno, "ptsname");
	/* TIOCGPTPEER opens the peer of this master even if another devpts shadows the name */
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		s = open(pty->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return berth_err_sys(err, errno, "open '%s'", pty->name);
	if (size && size->height && size->width) {
		struct winsize ws = {.ws_row = (unsigned short)size->height,
				     .ws_col = (unsigned short)size->width};

		if (ioctl(m, TIOCSWINSZ, &ws) < 0)
			return berth_err_sys(err, errno, "process.consoleSize: TIOCSWINSZ");
	}
	pty->master = take_fd(&m);
	pty->slave = take_fd(&s);
	return 0;
}

int rt_console_pair(int sv[2], struct berth_err **err)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_err_sys(err, errno, "console socketpair");
	return 0;
}

int rt_console_recv(int sock, struct berth_err **err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char name[64];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t n;
	int fd;

	memset(&u, 0, sizeof(u));
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_err_sys(err, errno, "receive the pty master");
	c = CMSG_FIRSTHDR(&mh);
	if (n == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return berth_err_new(err, BERTH_E_INTERNAL, "receive the pty master: no fd came");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

int rt_pty_send(const struct rt_pty *pty, int sock, struct berth_err **err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)pty->name, .iov_len = strlen(pty->name)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pty->master, sizeof(int));
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return berth_err_sys(err, errno, "send pty master over console socket");
	}
	return 0;
}

int rt_pty_make_stdio(const struct rt_pty *pty, struct berth_err **err)
{
	if (ioctl(pty->slave, TIOCSCTTY, 0) < 0)
		return berth_err_sys(err, errno, "set controlling terminal '%s'", pty->name);
	for (int fd = 0; fd < 3; fd++) {
		if (dup2(pty->slave, fd) < 0)
			return berth_err_sys(err, errno, "dup2 pty to fd %d", fd);
	}
	return 0;
}

int rt_pty_bind_console(const struct rt_pty *pty, struct berth_err **err)
{
	cleanup_close int fd =
		open("/dev/console", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return berth_err_sys(err, errno, "create '/dev/console'");
	if (mount(pty->name, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return berth_err_sys(err, errno, "bind '%s' onto '/dev/console'", pty->name);
	return 0;
}

void rt_pty_close(struct rt_pty *pty)
{
	closep(&pty->master);
	closep(&pty->slave);
}
