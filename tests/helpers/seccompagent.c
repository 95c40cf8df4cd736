/*
 * tests/helpers/seccompagent.c - a tiny seccomp notify agent for the runtime tests:
 * `seccompagent SOCKET LOG ERRNO`.
 *
 * Listens on the AF_UNIX stream socket SOCKET (linux.seccomp.listenerPath). Each
 * connection brings one message from the runtime (runtime-spec, "listenerPath"): the
 * ContainerProcessState JSON with the seccomp notify fd as SCM_RIGHTS. The JSON is appended
 * to LOG as one line, followed by a line "fds N" (the number of fds that came with it).
 * Every notification on a received fd is answered with error ERRNO, so the process sees its
 * syscall fail with ERRNO (a value the kernel never gives for it, e.g. 123 ENOMEDIUM). Runs
 * until killed; single-threaded, one poll loop. Owns nothing of berth's.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 64

static int nfds_open;
static struct pollfd pfd[MAX_FDS + 1];

static void log_message(const char *path, char *json, size_t len, int nfds)
{
	FILE *f = fopen(path, "a");

	if (!f)
		return;
	/* one line per message, whatever the runtime's JSON layout (crun's is pretty) */
	for (size_t i = 0; i < len; i++)
		if (json[i] == '\n')
			json[i] = ' ';
	fprintf(f, "%.*s\nfds %d\n", (int)len, json, nfds);
	fclose(f);
}

/* One message of the runtime on a new connection. */
static void take_connection(int conn, const char *log)
{
	char buf[65536];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.b,
			    .msg_controllen = sizeof(u.b)};
	ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	int got = 0;

	if (n < 0) {
		perror("seccompagent: recvmsg");
		return;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			got++;
			if (nfds_open < MAX_FDS) {
				pfd[1 + nfds_open].fd = fd;
				pfd[1 + nfds_open].events = POLLIN;
				nfds_open++;
			} else {
				close(fd);
			}
		}
	}
	log_message(log, buf, (size_t)n, got);
}

static void answer(int i, int err)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;

	memset(&req, 0, sizeof(req));
	if (ioctl(pfd[i].fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
		if (errno == ENOENT || errno == EINTR)
			return;
		/* the filter's last user is gone */
		close(pfd[i].fd);
		pfd[i].fd = -1;
		return;
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.error = -err;
	ioctl(pfd[i].fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd, err;

	if (argc != 4 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: seccompagent SOCKET LOG ERRNO\n");
		return 2;
	}
	err = atoi(argv[3]);
	strcpy(sa.sun_path, argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
		perror("seccompagent: listen");
		return 1;
	}
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	for (;;) {
		if (poll(pfd, (nfds_t)(1 + nfds_open), -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("seccompagent: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (conn >= 0) {
				take_connection(conn, argv[2]);
				close(conn);
			}
		}
		for (int i = 1; i <= nfds_open; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (pfd[i].revents & POLLIN)
				answer(i, err);
			else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
}
