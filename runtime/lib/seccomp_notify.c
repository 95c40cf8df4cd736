/* runtime/lib/seccomp_notify.c - see seccomp_notify.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "runtime/lib/seccomp_notify.h"
#include "spec/generate.h"

int rt_seccomp_notify_connect(const char *path, struct berth_err **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return berth_err_new(err, BERTH_E_INVALID,
				     "linux.seccomp.listenerPath '%s': longer than %zu bytes", path,
				     sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berth_err_sys(err, errno, "linux.seccomp.listenerPath '%s': socket", path);
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINTR)
			return berth_err_sys(err, errno, "linux.seccomp.listenerPath '%s': connect",
					     path);
	}
	return take_fd(&fd);
}

char *rt_seccomp_notify_msg(const char *metadata, pid_t pid, const char *state_json)
{
	cleanup(bjson_freep) struct bjson *msg = bjson_object_new();
	struct bjson *state = NULL, *fds = bjson_array_new();

	if (bjson_parse(state_json, strlen(state_json), "state", &state, NULL) < 0) {
		bjson_free(fds);
		return NULL;
	}
	bjson_set_str(msg, "ociVersion", OCI_SPEC_VERSION);
	bjson_append_str(fds, "seccompFd");
	bjson_set_take(msg, "fds", fds);
	bjson_set_int(msg, "pid", pid);
	if (metadata)
		bjson_set_str(msg, "metadata", metadata);
	bjson_set_take(msg, "state", state);
	return bjson_to_string(msg, BJSON_PLAIN);
}

int rt_seccomp_notify_send(int sock, int listener, const char *msg, struct berth_err **err)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = strlen(msg)};
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
	memcpy(CMSG_DATA(c), &listener, sizeof(int));
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return berth_err_sys(err, errno,
					     "linux.seccomp.listenerPath: send the notify fd");
	}
	return 0;
}
