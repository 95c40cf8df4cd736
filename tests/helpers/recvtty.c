/*
 * tests/helpers/recvtty.c - the receiving end of runc's --console-socket protocol, for tests.
 *
 * `recvtty SOCKET` listens on the unix socket SOCKET, accepts one connection, takes the pty
 * master fd the runtime sends with SCM_RIGHTS, and copies everything the container writes to
 * the terminal onto stdout until the last slave closes (read gives EIO). The name sent with
 * the fd is printed on stderr as "recvtty: got 'NAME'". The socket is bound under a temporary
 * name and renamed into place after listen(), so "SOCKET exists" means "ready to accept".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "recvtty: %s: %s\n", what, strerror(errno));
	return 1;
}

static int recv_fd(int conn)
{
	char name[256] = "";
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl,
			     .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) < 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	fprintf(stderr, "recvtty: got '%s'\n", name);
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char tmp[sizeof(addr.sun_path)];
	char buf[4096];
	int lfd, conn, master;
	ssize_t n;

	if (argc != 2 || strlen(argv[1]) + 5 >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: recvtty SOCKET (a path shorter than %zu bytes)\n",
			sizeof(addr.sun_path) - 5);
		return 2;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	strcpy(addr.sun_path, tmp);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return die("socket");
	unlink(tmp);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return die("bind");
	if (listen(lfd, 1) < 0)
		return die("listen");
	if (rename(tmp, argv[1]) < 0)
		return die("rename");
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return die("accept");
	master = recv_fd(conn);
	if (master < 0)
		return die("recvmsg");
	close(conn);
	close(lfd);
	while ((n = read(master, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && write(1, buf, n) != n)
			return die("write");
	/* EIO: every slave fd is closed, the container is gone */
	return 0;
}
