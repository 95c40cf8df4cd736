/*
 * runtime/cli/main.c - the `berth` binary: runc's global flags, the command
 * table, and the one place where an error is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "runtime/cli/cli.h"
#include "runtime/lib/rootless.h"
#include "spec/generate.h"

#define BERTH_VERSION "0.1.0"

static const struct {
	const char *name;
	cli_cmd_fn fn;
	const char *help;
} commands[] = {
	{"checkpoint", cmd_checkpoint, "checkpoint a running container (not supported: no CRIU)"},
	{"create", cmd_create, "create a container"},
	{"delete", cmd_delete, "delete any resources held by the container"},
	{"exec", cmd_exec, "execute a new process inside the container"},
	{"events", cmd_events,
	 "display container events such as OOM notifications, cpu, memory, and IO usage statistics"},
	{"features", cmd_features, "show the enabled features"},
	{"kill", cmd_kill, "send a signal to the container's init process (default: SIGTERM)"},
	{"list", cmd_list, "list containers started by berth with the given root"},
	{"pause", cmd_pause, "suspend all processes inside the container"},
	{"ps", cmd_ps, "display the processes running inside a container"},
	{"restore", cmd_restore,
	 "restore a container from a previous checkpoint (not supported: no CRIU)"},
	{"resume", cmd_resume, "resume all processes that have been previously paused"},
	{"run", cmd_run, "create and run a container"},
	{"spec", cmd_spec, "create a new specification file"},
	{"start", cmd_start, "execute the user defined process in a created container"},
	{"state", cmd_state, "output the state of a container"},
	{"update", cmd_update, "update container resource constraints"},
};

struct globals {
	const char *root, *log, *log_format, *rootless, *criu;
	bool debug, systemd, version;
};

static void usage(void)
{
	printf("NAME:\n   berth - Open Container Initiative runtime\n\n"
	       "USAGE:\n   berth [global options] command [command options] [arguments...]\n\n"
	       "VERSION:\n   %s\n\nCOMMANDS:\n",
	       BERTH_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("   %-10s %s\n", commands[i].name, commands[i].help);
	printf("\nGLOBAL OPTIONS:\n"
	       "   --debug             enable debug logging\n"
	       "   --log value         set the log file to write berth logs to (default is '/dev/stderr')\n"
	       "   --log-format value  set the log format ('text' (default), or 'json')\n"
	       "   --root value        root directory for storage of container state (default: \"/run/berth\")\n"
	       "   --systemd-cgroup    enable systemd cgroup support, expects cgroupsPath to be of form \"slice:prefix:name\" (needs a running systemd)\n"
	       "   --rootless value    accepted for compatibility ('true', 'false', or 'auto')\n"
	       "   --help, -h          show help\n"
	       "   --version, -v       print the version\n");
}

static void version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("berth version %s\nspec: %s\n", BERTH_VERSION, OCI_SPEC_VERSION);
	if (v)
		printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

static int setup_log(const struct globals *g, struct berth_err **err)
{
	if (g->log_format) {
		if (!strcmp(g->log_format, "json"))
			log_set_format(LOG_FORMAT_JSON);
		else if (strcmp(g->log_format, "text") != 0)
			return berth_err_new(err, BERTH_E_INVALID,
					     "invalid log format '%s': must be 'text' or 'json'",
					     g->log_format);
	}
	if (g->log && *g->log) {
		int fd = open(g->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			return berth_err_sys(err, errno, "open log file '%s'", g->log);
		log_set_fd(fd);
	}
	if (g->debug)
		log_set_level(LOG_LEVEL_DEBUG);
	return 0;
}

static int dispatch(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(cli, argc, argv, err);
	}
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "h")) {
		usage();
		return 0;
	}
	cli->fail_status = 3; /* runc's (urfave/cli's "No help topic") */
	return berth_err_new(err, BERTH_E_INVALID, "unknown command '%s'", argv[0]);
}

/* --root's default (rootless.h); commands that keep no state never fail on it */
static int default_root(const char *cmd, char **out, struct berth_err **err)
{
	if (rt_rootless_default_root(out, err) == 0)
		return 0;
	if (strcmp(cmd, "spec") && strcmp(cmd, "features") && strcmp(cmd, "help"))
		return -1;
	berth_err_free(err);
	*out = xstrdup("/run/berth");
	return 0;
}

int main(int argc, char **argv, char **envp)
{
	struct globals g = {0};
	bool help = false;
	const struct cli_flag flags[] = {
		{"root", 0, CLI_STRING, &g.root, NULL},
		{"log", 0, CLI_STRING, &g.log, NULL},
		{"log-format", 0, CLI_STRING, &g.log_format, NULL},
		{"debug", 0, CLI_BOOL, &g.debug, NULL},
		{"systemd-cgroup", 0, CLI_BOOL, &g.systemd, NULL},
		{"rootless", 0, CLI_STRING, &g.rootless, NULL},
		{"criu", 0, CLI_STRING, &g.criu, NULL},
		{"version", 'v', CLI_BOOL, &g.version, NULL},
		{NULL},
	};
	struct cli cli = {.argv0 = argv, .envp = envp};
	struct berth_err *err = NULL;
	cleanup_free char *root = NULL;
	int i = 1, ret;

	log_init("berth");
	if (cli_flags_parse_head(flags, argc, argv, &i, &help, &err) == 0)
		setup_log(&g, &err);
	if (err) {
		log_error("%s", err->msg);
		berth_err_free(&err);
		return 1;
	}
	if (g.version) {
		version();
		return 0;
	}
	if (help || i >= argc) {
		usage(); /* runc too prints its help and succeeds without a command */
		return 0;
	}
	if (!(g.root && *g.root) && default_root(argv[i], &root, &err) < 0) {
		log_error("%s", err->msg);
		berth_err_free(&err);
		return 1;
	}
	cli.ctx.root = g.root && *g.root ? g.root : root;
	cli.ctx.systemd_cgroup = g.systemd;
	cli.debug = g.debug;
	ret = dispatch(&cli, argc - i, argv + i, &err);
	if (ret < 0) {
		log_error("%s", err ? err->msg : "unknown error");
		berth_err_free(&err);
		return cli.fail_status ?: 1;
	}
	return ret;
}
