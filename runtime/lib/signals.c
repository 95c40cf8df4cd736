/* runtime/lib/signals.c - see signals.h. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runtime/lib/signals.h"

static const struct {
	const char *name;
	int sig;
} sig_names[] = {
	{"HUP", SIGHUP},       {"INT", SIGINT},	    {"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
	{"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
	{"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
	{"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
	{"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
	{"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
	{"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* Parses a decimal number that is the whole of s; -1 if not. */
static int parse_num(const char *s)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 1000)
		return -1;
	return (int)v;
}

static int parse_rt(const char *s)
{
	int base, off = 0;

	if (!strncasecmp(s, "RTMIN", 5))
		base = SIGRTMIN;
	else if (!strncasecmp(s, "RTMAX", 5))
		base = SIGRTMAX;
	else
		return -1;
	s += 5;
	if (!*s)
		return base;
	if ((*s == '+' && base == SIGRTMIN) || (*s == '-' && base == SIGRTMAX)) {
		off = parse_num(s + 1);
		if (off < 0)
			return -1;
		return *s == '+' ? base + off : base - off;
	}
	return -1;
}

int rt_signal_parse(const char *s, int *sig, struct berth_err **err)
{
	const char *n = s;
	int v = parse_num(s);

	if (v < 0) {
		if (!strncasecmp(n, "SIG", 3))
			n += 3;
		for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
			if (!strcasecmp(n, sig_names[i].name)) {
				v = sig_names[i].sig;
				break;
			}
		}
		if (v < 0)
			v = parse_rt(n);
	}
	if (v < 0 || v > SIGRTMAX)
		return berth_err_new(err, BERTH_E_INVALID, "invalid signal '%s'", s);
	*sig = v;
	return 0;
}

const char *rt_signal_name(int sig)
{
	static char buf[32];

	for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++) {
		if (sig_names[i].sig == sig) {
			snprintf(buf, sizeof(buf), "SIG%s", sig_names[i].name);
			return buf;
		}
	}
	if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		snprintf(buf, sizeof(buf), "SIGRTMIN+%d", sig - SIGRTMIN);
		return buf;
	}
	return NULL;
}
