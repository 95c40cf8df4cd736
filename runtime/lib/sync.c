/* runtime/lib/sync.c - see sync.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <poll.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/sync.h"

#define RT_SYNC_MAX (1u << 20)

int rt_sync_send(int fd, uint32_t type, const void *data, size_t len)
{
	struct rt_sync_hdr h = {.type = type, .len = (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	ssize_t n;

	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int rt_sync_send_fds(int fd, uint32_t type, const void *data, size_t len, const int *fds,
		     size_t n_fds)
{
	struct rt_sync_hdr h = {.type = type, .len = (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	cleanup_free char *ctl = NULL;
	ssize_t n;

	if (n_fds > RT_SYNC_MAX_FDS) {
		errno = E2BIG;
		return -1;
	}
	if (n_fds) {
		struct cmsghdr *c;

		ctl = xzalloc(CMSG_SPACE(n_fds * sizeof(int)));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, n_fds * sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

/* The fds of an SCM_RIGHTS control message, into m (they are O_CLOEXEC). */
static void take_fds(struct msghdr *mh, struct rt_sync_msg *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		m->fds = xrealloc(m->fds, (m->n_fds + n) * sizeof(int));
		memcpy(m->fds + m->n_fds, CMSG_DATA(c), n * sizeof(int));
		m->n_fds += n;
	}
}

static void send_err_parts(int fd, int code, int errnum, const char *msg)
{
	size_t len = strlen(msg);
	struct rt_sync_hdr h = {.type = RT_SYNC_ERROR, .code = code, .errnum = errnum};
	struct iovec iov[2];
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	if (len > 65536)
		len = 65536;
	h.len = (uint32_t)len;
	iov[0] = (struct iovec){&h, sizeof(h)};
	iov[1] = (struct iovec){(void *)msg, len};
	while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

void rt_sync_send_err(int fd, const struct berth_err *e)
{
	if (!e)
		send_err_parts(fd, BERTH_E_INTERNAL, 0, "unknown error");
	else
		send_err_parts(fd, e->code, e->errnum, e->msg ?: "");
}

void rt_sync_send_errf(int fd, enum berth_err_code code, int errnum, const char *fmt, ...)
{
	cleanup_free char *m = NULL;
	cleanup_free char *full = NULL;
	va_list ap;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	if (errnum)
		full = xasprintf("%s: %s", m, strerror(errnum));
	if (code == BERTH_E_UNKNOWN)
		code = errnum ? berth_err_code_from_errno(errnum) : BERTH_E_INTERNAL;
	send_err_parts(fd, code, errnum, full ?: m);
}

void rt_sync_fifo_err_write(int fd, const struct berth_err *e)
{
	char buf[PIPE_BUF];
	int n = snprintf(buf, sizeof(buf), "%d %d %s", e ? (int)e->code : BERTH_E_INTERNAL,
			 e ? e->errnum : 0, e && e->msg ? e->msg : "unknown error");

	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	while (write(fd, buf, (size_t)n) < 0 && errno == EINTR)
		;
}

int rt_sync_fifo_err_parse(const char *rec, struct berth_err **err)
{
	int code, errnum, off = 0;

	if (sscanf(rec, "%d %d %n", &code, &errnum, &off) != 2 || !off)
		return berth_err_new(err, BERTH_E_INTERNAL, "unreadable failure record '%.80s'",
				     rec);
	return berth_err_set(err, (enum berth_err_code)code, errnum, rec + off);
}

int rt_sync_wait(int fd, struct rt_cgroup *cg, int bound_s, const char *what,
		 struct berth_err **err)
{
	for (int s = 0; bound_s <= 0 || s < bound_s; s++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, 1000);

		if (r < 0 && errno != EINTR)
			return berth_err_sys(err, errno, "%s: poll", what);
		if (r > 0)
			return 0;
		if (cg && rt_cgroup_is_frozen(cg))
			return berth_err_new(
				err, BERTH_E_PRECONDITION,
				"%s: the container's cgroup was frozen meanwhile: its process can make no progress (thaw it, or delete --force)",
				what);
	}
	return berth_err_new(err, BERTH_E_TIMEOUT, "%s: no progress within %d s", what, bound_s);
}

int rt_sync_bound(const struct oci_hook *h, size_t n)
{
	int bound = RT_CHILD_WAIT_S;

	for (size_t i = 0; i < n; i++) {
		if (!h[i].has_timeout)
			return 0;
		bound += h[i].timeout;
	}
	return bound;
}

static const char *type_name(uint32_t t)
{
	static const char *const names[] = {"?", "GO", "HOOKS", "HOOKS_DONE", "READY", "ERROR"};

	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

int rt_sync_recv(int fd, uint32_t type, struct rt_sync_msg **out, struct berth_err **err)
{
	cleanup(rt_sync_msg_freep) struct rt_sync_msg *m = xnew(struct rt_sync_msg);
	struct iovec iov[2];
	union {
		char buf[CMSG_SPACE(RT_SYNC_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {.msg_iov = iov,
			    .msg_iovlen = 2,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	ssize_t n;

	/* SEQPACKET keeps message boundaries: peek the size, then read it whole */
	do
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_err_sys(err, errno, "read sync socket");
	if (n == 0)
		return berth_err_sys(err, ECONNRESET, "container process exited before %s",
				     type ? type_name(type) : "its next message");
	if ((size_t)n < sizeof(m->hdr) || (size_t)n > RT_SYNC_MAX + sizeof(m->hdr))
		return berth_err_new(err, BERTH_E_INTERNAL, "sync socket: bad message size %zd", n);
	m->data = xmalloc((size_t)n - sizeof(m->hdr) + 1);
	iov[0] = (struct iovec){&m->hdr, sizeof(m->hdr)};
	iov[1] = (struct iovec){m->data, (size_t)n - sizeof(m->hdr)};
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_err_sys(err, errno, "read sync socket");
	take_fds(&mh, m);
	if ((size_t)n != sizeof(m->hdr) + m->hdr.len)
		return berth_err_new(err, BERTH_E_INTERNAL, "sync socket: truncated message");
	m->data[m->hdr.len] = '\0';
	if (m->hdr.type == RT_SYNC_ERROR)
		return berth_err_set(err, (enum berth_err_code)m->hdr.code, m->hdr.errnum, m->data);
	if (type && m->hdr.type != type)
		return berth_err_new(err, BERTH_E_INTERNAL, "sync socket: expected %s, got %s",
				     type_name(type), type_name(m->hdr.type));
	if (out)
		*out = take_ptr(m);
	return 0;
}

void rt_sync_msg_free(struct rt_sync_msg *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_fds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	free(m->fds);
	free(m->data);
	free(m);
}

void rt_sync_msg_freep(struct rt_sync_msg **m)
{
	rt_sync_msg_free(*m);
	*m = NULL;
}
