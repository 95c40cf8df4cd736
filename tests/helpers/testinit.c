/*
 * tests/helpers/testinit.c - the process the runtime integration tests run in a container.
 *
 * A small static binary (no libc files needed in the rootfs) with one subcommand per thing
 * a test wants to observe from inside: `testinit id`, `testinit cat FILE`, `testinit pause`...
 * Output is line-oriented and stable so bats can compare it; failures print
 * "testinit: <what>: <strerror> (errno N)" on stderr and exit 1. With no subcommand (or
 * `help`) it lists the subcommands. It owns nothing else and links nothing of berth's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int fail(const char *what, const char *arg)
{
	int e = errno;

	fprintf(stderr, "testinit: %s '%s': %s (errno %d)\n", what, arg, strerror(e), e);
	return 1;
}

static int usage(const char *msg)
{
	fprintf(stderr, "testinit: %s\n", msg);
	return 2;
}

static int cmd_cwd(int argc, char **argv)
{
	char buf[PATH_MAX];

	if (!getcwd(buf, sizeof(buf)))
		return fail("getcwd", ".");
	printf("%s\n", buf);
	return 0;
}

static int cmd_id(int argc, char **argv)
{
	gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);

	if (n < 0)
		return fail("getgroups", "");
	printf("uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	printf("\n");
	return 0;
}

static int cat_fd(int fd)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, n, stdout) != (size_t)n)
			return -1;
	return n < 0 ? -1 : 0;
}

static int cmd_cat(int argc, char **argv)
{
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			ret = fail("open", argv[i]);
			continue;
		}
		if (cat_fd(fd) < 0)
			ret = fail("read", argv[i]);
		close(fd);
	}
	return ret;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/*
 * A handler (not the default action) for every catchable signal: as pid 1 of a pid
 * namespace the kernel drops signals that have no handler, so `kill` would do nothing.
 * SIGTERM exits 0; any other signal exits 128+N. Each one is reported on stdout first.
 */
static int cmd_pause(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
			sigaction(sig, &sa, NULL);
	printf("pause: ready\n");
	fflush(stdout);
	while (!got_signal)
		pause();
	printf("pause: got signal %d\n", (int)got_signal);
	fflush(stdout);
	return got_signal == SIGTERM ? 0 : 128 + got_signal;
}

static int cmd_exit(int argc, char **argv)
{
	if (argc < 2)
		return usage("exit N");
	return atoi(argv[1]);
}

static int cmd_sleep_then_exit(int argc, char **argv)
{
	if (argc < 3)
		return usage("sleep-then-exit SECONDS N");
	sleep(atoi(argv[1]));
	return atoi(argv[2]);
}

static int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s%s", i > 1 ? " " : "", argv[i]);
	printf("\n");
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	int fd;
	size_t len;

	if (argc < 3)
		return usage("write FILE TEXT");
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail("open", argv[1]);
	len = strlen(argv[2]);
	if (write(fd, argv[2], len) != (ssize_t)len)
		return fail("write", argv[1]);
	if (close(fd) < 0)
		return fail("close", argv[1]);
	printf("wrote %s\n", argv[1]);
	return 0;
}

/* Prints the lines of /proc/self/status whose key starts with one of prefixes. */
static int status_lines(const char *const *prefixes)
{
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return fail("open", "/proc/self/status");
	while (fgets(line, sizeof(line), f))
		for (const char *const *p = prefixes; *p; p++)
			if (!strncmp(line, *p, strlen(*p)))
				fputs(line, stdout);
	fclose(f);
	return 0;
}

static int cmd_caps(int argc, char **argv)
{
	static const char *const keys[] = {"CapInh:", "CapPrm:",     "CapEff:",	 "CapBnd:",
					   "CapAmb:", "NoNewPrivs:", "Seccomp:", NULL};

	return status_lines(keys);
}

static const struct {
	const char *name;
	int res;
} rlimits[] = {
	{"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_STACK", RLIMIT_STACK},
	{"RLIMIT_AS", RLIMIT_AS},	  {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_CPU", RLIMIT_CPU},	  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
};

static void print_limit(rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf("unlimited");
	else
		printf("%llu", (unsigned long long)v);
}

/* ulimit [RLIMIT_NAME]: "RLIMIT_NOFILE soft hard" (default RLIMIT_NOFILE). */
static int cmd_ulimit(int argc, char **argv)
{
	const char *want = argc > 1 ? argv[1] : "RLIMIT_NOFILE";

	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++) {
		struct rlimit rl;

		if (strcmp(want, rlimits[i].name))
			continue;
		if (getrlimit(rlimits[i].res, &rl) < 0)
			return fail("getrlimit", want);
		printf("%s ", want);
		print_limit(rl.rlim_cur);
		printf(" ");
		print_limit(rl.rlim_max);
		printf("\n");
		return 0;
	}
	return usage("ulimit: unknown rlimit");
}

static int cat_path(const char *path)
{
	char *args[] = {"cat", (char *)path, NULL};

	return cmd_cat(2, args);
}

static int cmd_mountinfo(int argc, char **argv)
{
	return cat_path("/proc/self/mountinfo");
}

static int cmd_hostname(int argc, char **argv)
{
	char buf[HOST_NAME_MAX + 1] = "";

	if (gethostname(buf, sizeof(buf)) < 0)
		return fail("gethostname", "");
	printf("%s\n", buf);
	return 0;
}

static int cmd_domainname(int argc, char **argv)
{
	char buf[256] = "";

	if (getdomainname(buf, sizeof(buf)) < 0)
		return fail("getdomainname", "");
	printf("%s\n", buf);
	return 0;
}

static int cmd_env(int argc, char **argv)
{
	for (char **e = environ; *e; e++)
		printf("%s\n", *e);
	return 0;
}

/* fds: one line "N -> target" per open fd, the directory stream's own fd left out. */
static int cmd_fds(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return fail("opendir", "/proc/self/fd");
	while ((de = readdir(d))) {
		char path[300], target[PATH_MAX];
		ssize_t n;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		printf("%s -> %s\n", de->d_name, target);
	}
	closedir(d);
	return 0;
}

/* syscall mkdir PATH: "mkdir: ok" or "mkdir: errno N (text)"; exits 0 either way. */
static int cmd_syscall(int argc, char **argv)
{
	int ret;

	if (argc < 3 || strcmp(argv[1], "mkdir"))
		return usage("syscall mkdir PATH");
	ret = mkdir(argv[2], 0755);
	if (ret < 0)
		printf("mkdir: errno %d (%s)\n", errno, strerror(errno));
	else
		printf("mkdir: ok\n");
	return 0;
}

static int cmd_umask(int argc, char **argv)
{
	mode_t m = umask(0);

	umask(m);
	printf("%04o\n", (unsigned)m);
	return 0;
}

static const char *file_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "file";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "symlink";
	case S_IFCHR:
		return "char";
	case S_IFBLK:
		return "block";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	}
	return "unknown";
}

/* stat PATH: "TYPE MODE(octal, permission bits) UID GID MAJOR:MINOR" (lstat). */
static int cmd_stat(int argc, char **argv)
{
	struct stat st;

	if (argc < 2)
		return usage("stat PATH");
	if (lstat(argv[1], &st) < 0)
		return fail("stat", argv[1]);
	printf("%s %04o %u %u %u:%u\n", file_type(st.st_mode), (unsigned)(st.st_mode & 07777),
	       (unsigned)st.st_uid, (unsigned)st.st_gid, major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

/* ls DIR: the names in DIR, one a line, "." and ".." left out, unsorted. */
static int cmd_ls(int argc, char **argv)
{
	DIR *d;
	struct dirent *de;

	if (argc < 2)
		return usage("ls DIR");
	d = opendir(argv[1]);
	if (!d)
		return fail("opendir", argv[1]);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			printf("%s\n", de->d_name);
	closedir(d);
	return 0;
}

static int cmd_readlink(int argc, char **argv)
{
	char buf[PATH_MAX];
	ssize_t n;

	if (argc < 2)
		return usage("readlink PATH");
	n = readlink(argv[1], buf, sizeof(buf) - 1);
	if (n < 0)
		return fail("readlink", argv[1]);
	buf[n] = '\0';
	printf("%s\n", buf);
	return 0;
}

static int cmd_pid(int argc, char **argv)
{
	printf("pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
	return 0;
}

/* tty: whether stdin/stdout are terminals, the tty name and its size. */
static int cmd_tty(int argc, char **argv)
{
	struct winsize ws = {0};
	const char *name = ttyname(0);

	printf("stdin isatty=%d stdout isatty=%d\n", isatty(0), isatty(1));
	printf("ttyname %s\n", name ? name : "none");
	if (ioctl(1, TIOCGWINSZ, &ws) == 0)
		printf("winsize %ux%u\n", ws.ws_row, ws.ws_col);
	return 0;
}

/* clock: CLOCK_MONOTONIC and CLOCK_BOOTTIME seconds (time namespace offsets show here). */
static int cmd_clock(int argc, char **argv)
{
	struct timespec mono, boot;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	printf("monotonic %lld\nboottime %lld\n", (long long)mono.tv_sec, (long long)boot.tv_sec);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{"cwd", cmd_cwd, "print the working directory"},
	{"id", cmd_id, "uid=U gid=G groups=A,B"},
	{"cat", cmd_cat, "FILE...: print files"},
	{"pause", cmd_pause, "wait for a signal; SIGTERM exits 0, signal N exits 128+N"},
	{"exit", cmd_exit, "N: exit with status N"},
	{"sleep-then-exit", cmd_sleep_then_exit, "S N: sleep S seconds, exit N"},
	{"echo", cmd_echo, "ARGS: print ARGS"},
	{"write", cmd_write, "FILE TEXT: write TEXT to FILE"},
	{"caps", cmd_caps, "Cap*, NoNewPrivs, Seccomp lines of /proc/self/status"},
	{"ulimit", cmd_ulimit, "[RLIMIT_X]: soft and hard limit"},
	{"mountinfo", cmd_mountinfo, "print /proc/self/mountinfo"},
	{"hostname", cmd_hostname, "print the hostname"},
	{"domainname", cmd_domainname, "print the NIS domain name"},
	{"env", cmd_env, "print the environment"},
	{"fds", cmd_fds, "list open fds"},
	{"syscall", cmd_syscall, "mkdir PATH: report the errno of mkdir"},
	{"umask", cmd_umask, "print the umask"},
	{"stat", cmd_stat, "PATH: type mode uid gid major:minor"},
	{"ls", cmd_ls, "DIR: list names"},
	{"readlink", cmd_readlink, "PATH: print a symlink's target"},
	{"pid", cmd_pid, "pid=N ppid=N"},
	{"tty", cmd_tty, "terminal facts of stdin/stdout"},
	{"clock", cmd_clock, "monotonic and boottime seconds"},
};

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "help";
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(name, cmds[i].name))
			continue;
		ret = cmds[i].fn(argc - 1, argv + 1);
		fflush(stdout);
		return ret;
	}
	if (strcmp(name, "help"))
		fprintf(stderr, "testinit: unknown command '%s'\n", name);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %-16s %s\n", cmds[i].name, cmds[i].help);
	return strcmp(name, "help") ? 2 : 0;
}
