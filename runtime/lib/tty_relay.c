/* runtime/lib/tty_relay.c - see tty_relay.h. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/lib/tty_relay.h"

int rt_relay_start(struct rt_relay *r, int master, struct berth_err **err)
{
	struct termios t;

	r->master = master;
	r->in = 0;
	r->out = 1;
	r->raw = false;
	/* reads must not block the loop; writes wait below (write_all) */
	if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) < 0)
		return berth_err_sys(err, errno, "pty master: set O_NONBLOCK");
	if (isatty(r->in) && tcgetattr(r->in, &r->saved) == 0) {
		t = r->saved;
		cfmakeraw(&t);
		if (tcsetattr(r->in, TCSANOW, &t) < 0)
			return berth_err_sys(err, errno, "stdin: set raw mode");
		r->raw = true;
	}
	rt_relay_resize(r);
	return 0;
}

void rt_relay_resize(struct rt_relay *r)
{
	struct winsize ws;

	if (r->master < 0)
		return;
	if (ioctl(0, TIOCGWINSZ, &ws) < 0 && ioctl(1, TIOCGWINSZ, &ws) < 0)
		return; /* not a terminal: keep process.consoleSize */
	ioctl(r->master, TIOCSWINSZ, &ws);
}

int rt_relay_fds(const struct rt_relay *r, struct pollfd *p)
{
	p[0] = (struct pollfd){.fd = r->in, .events = POLLIN};
	p[1] = (struct pollfd){.fd = r->master, .events = POLLIN};
	return 2;
}

/* All of buf to fd, waiting while it is full; false when fd is gone. */
static bool write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			if (poll(&p, 1, 1000) < 0 && errno != EINTR)
				return false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* One read from master to out; false when the slave side hung up (EIO). */
static bool copy_out(struct rt_relay *r)
{
	char buf[8192];
	ssize_t n = read(r->master, buf, sizeof(buf));

	if (n > 0) {
		write_all(r->out, buf, (size_t)n);
		return true;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	closep(&r->master);
	return false;
}

void rt_relay_pump(struct rt_relay *r, const struct pollfd *p)
{
	char buf[8192];

	if (r->master >= 0 && p[1].revents)
		copy_out(r);
	if (r->in >= 0 && p[0].revents) {
		ssize_t n = read(r->in, buf, sizeof(buf));

		if (n > 0 && r->master >= 0)
			write_all(r->master, buf, (size_t)n);
		else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			r->in = -1; /* EOF: stop reading, as runc's copy does */
	}
}

void rt_relay_drain(struct rt_relay *r)
{
	/* the slave closes with the last process that held it: then EIO */
	for (int i = 0; r->master >= 0 && i < 100000; i++) {
		struct pollfd p = {.fd = r->master, .events = POLLIN};

		if (poll(&p, 1, 100) <= 0)
			break;
		if (!copy_out(r))
			break;
	}
}

void rt_relay_stop(struct rt_relay *r)
{
	if (r->raw)
		tcsetattr(0, TCSANOW, &r->saved);
	r->raw = false;
	closep(&r->master);
}
