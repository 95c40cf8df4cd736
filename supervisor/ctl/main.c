/*
 * supervisor/ctl/main.c - berthctl: a docker-like client of the containerd 1.6 API.
 *
 *   berthctl [--address SOCK] [--namespace NS] COMMAND ...
 * The address comes from --address, else $BERTH_ADDRESS, else $CONTAINERD_ADDRESS, else
 * /run/berthd/berthd.sock; the namespace from --namespace, $BERTH_NAMESPACE,
 * $CONTAINERD_NAMESPACE, else "default" (as ctr).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "supervisor/ctl/container.h"

#define DEFAULT_ADDRESS "/run/berthd/berthd.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: berthctl [--address SOCK] [--namespace NS] COMMAND\n"
		"\n"
		"Commands:\n"
		"  images import [--name REF] FILE   import an OCI archive or a docker-save archive\n"
		"  images ls [-q]                    list images\n"
		"  images inspect NAME               show an image as JSON\n"
		"  images tag SOURCE TARGET          name an image's target again\n"
		"  images rm NAME...                 remove images\n"
		"  images export FILE NAME...        write an OCI archive\n"
		"  content ls [-q]                   list blobs\n"
		"  snapshots ls [--snapshotter NAME] list snapshots\n"
		"  system df                         disk usage by images, content, snapshots\n"
		"  system prune                      collect unreferenced content and snapshots\n"
		"  run [OPTIONS] IMAGE [CMD...]      run a container, print its output, exit with its\n"
		"                                    status (berthctl run --help: the options)\n"
		"  ps [-a] [-q]                      list containers (-a: also stopped ones)\n"
		"  exec [-i] [-t] [-e K[=V]] [-w DIR] [-u USER[:GROUP]] NAME CMD...\n"
		"                                    run a command in a running container\n"
		"  stop [-t SECONDS] NAME...         SIGTERM, then SIGKILL after SECONDS (10)\n"
		"  kill [-s SIGNAL] NAME...          signal a container (default KILL)\n"
		"  start NAME...                     run a stopped container again\n"
		"  rm [-f] NAME...                   remove containers (-f: kill running ones)\n"
		"  pull [--platform OS/ARCH[/VARIANT]] [--all-platforms] [--plain-http] [--timeout S] REF\n"
		"                                    berthd pulls REF from its registry\n"
		"  push [--plain-http] [--timeout S] IMAGE [REF]\n"
		"                                    berthd pushes IMAGE (to REF, default its name)\n"
		"  login -u USER [-p PW | --password-stdin] REGISTRY\n"
		"                                    check and store credentials ($DOCKER_CONFIG/config.json)\n"
		"  logout REGISTRY                   forget them\n"
		"  logs [-f] [--tail N] [-t] NAME    output of a container run with -d (or started)\n"
		"  attach NAME                       follow a -d container's output until it exits,\n"
		"                                    then exit with its status (with -d -i: stdin too)\n"
		"\n"
		"Options:\n"
		"  -a, --address SOCK   berthd socket ($BERTH_ADDRESS, $CONTAINERD_ADDRESS, " DEFAULT_ADDRESS
		")\n"
		"  -n, --namespace NS   namespace ($BERTH_NAMESPACE, $CONTAINERD_NAMESPACE, default)\n"
		"\n"
		"Exit status: 0, or the command's for run and exec; 1 when berthctl fails (a\n"
		"command given several names handles each and fails if any failed), 2 on usage\n"
		"errors, 127 for an unknown command.\n");
}

void ctl_err_print(struct ctl *c, struct berth_err **err)
{
	fprintf(stderr, "berthctl: %s\n", *err ? (*err)->msg : "failed");
	berth_err_free(err);
	c->status = 1;
}

/* Usage errors (messages starting "usage") exit 2, as docker's and most CLIs' do. */
static bool is_usage(const struct berth_err *err)
{
	return err && err->code == BERTH_E_INVALID && strncmp(err->msg, "usage", 5) == 0;
}

static const char *env_first(const char *a, const char *b, const char *def)
{
	const char *v = getenv(a);

	if (v && *v)
		return v;
	v = getenv(b);
	return v && *v ? v : def;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"address", required_argument, NULL, 'a'},
		{"namespace", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	/* help: what `berthctl CMD --help` prints; NULL: the command prints its own */
	static const struct {
		const char *name;
		ctl_cmd_fn fn;
		const char *help;
	} cmds[] = {
		{"images", ctl_cmd_images, "berthctl images ls|inspect|tag|rm|import|export ..."},
		{"image", ctl_cmd_images, "berthctl image ls|inspect|tag|rm|import|export ..."},
		{"content", ctl_cmd_content, "berthctl content ls [-q]"},
		{"snapshots", ctl_cmd_snapshots, "berthctl snapshots ls [--snapshotter NAME]"},
		{"system", ctl_cmd_system, "berthctl system df|prune"},
		{"run", ctl_cmd_run, NULL},
		{"create", ctl_cmd_create,
		 "berthctl create [OPTIONS] IMAGE [CMD...]: a container to start later (the options of run)"},
		{"ps", ctl_cmd_ps, "berthctl ps [-a] [-q] [--no-trunc]: list containers"},
		{"exec", ctl_cmd_exec,
		 "berthctl exec [-i] [-t] [-e K[=V]] [-w DIR] [-u USER[:GROUP]] NAME CMD..."},
		{"stop", ctl_cmd_stop,
		 "berthctl stop [-t SECONDS] NAME...: the stop signal, then KILL"},
		{"kill", ctl_cmd_kill, "berthctl kill [-s SIGNAL] NAME...: signal (default KILL)"},
		{"start", ctl_cmd_start,
		 "berthctl start NAME...: run stopped or created containers"},
		{"restart", ctl_cmd_restart, NULL},
		{"rm", ctl_cmd_rm, "berthctl rm [-f] NAME...: remove containers (-f: running too)"},
		{"logs", ctl_cmd_logs,
		 "berthctl logs [-f] [--tail N] [-t] NAME: the output of a container run with -d"},
		{"attach", ctl_cmd_attach,
		 "berthctl attach NAME: follow a -d container's output until it exits, with its status; for one run with -d -i, berthctl's stdin goes to it"},
		{"inspect", ctl_cmd_inspect, NULL},
		{"wait", ctl_cmd_wait, NULL},
		{"pause", ctl_cmd_pause, NULL},
		{"unpause", ctl_cmd_unpause, NULL},
		{"top", ctl_cmd_top, NULL},
		{"container", ctl_cmd_container,
		 "berthctl container prune [-f] | ls | rm | inspect | start | stop | ...: docker's container group"},
		{"pull", ctl_cmd_pull,
		 "berthctl pull [--platform OS/ARCH[/VARIANT]] [--all-platforms] [--plain-http] [--timeout SECONDS] [--name NAME] REF"},
		{"push", ctl_cmd_push,
		 "berthctl push [--plain-http] [--timeout SECONDS] IMAGE [REF]"},
		{"login", ctl_cmd_login,
		 "berthctl login -u USER [-p PASSWORD | --password-stdin] [--plain-http] REGISTRY"},
		{"logout", ctl_cmd_logout, "berthctl logout REGISTRY"},
		{"__reap", ctl_cmd_reap, NULL},
	};
	const char *help = NULL;

	struct ctl c = {0};
	cleanup_err struct berth_err *err = NULL;
	ctl_cmd_fn fn = NULL;
	int opt, r;

	log_init("berthctl");
	/* started by the shim as a container's logger (logger.c): no options, no connection */
	if ((argc == 3 || (argc == 5 && strcmp(argv[3], "stdin") == 0)) &&
	    strcmp(argv[1], "__logger") == 0)
		return ctl_logger_main(argv[2], argc == 5 ? argv[4] : NULL);
	c.address = env_first("BERTH_ADDRESS", "CONTAINERD_ADDRESS", DEFAULT_ADDRESS);
	c.ns = env_first("BERTH_NAMESPACE", "CONTAINERD_NAMESPACE", "default");
	while ((opt = getopt_long(argc, argv, "+a:n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			c.address = optarg;
			break;
		case 'n':
			c.ns = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0) {
			fn = cmds[i].fn;
			help = cmds[i].help;
		}
	if (!fn) {
		fprintf(stderr, "berthctl: unknown command '%s' (see berthctl --help)\n",
			argv[optind]);
		return 127; /* as a shell's command not found, and docker's CLI */
	}
	if (help && optind + 1 < argc &&
	    (strcmp(argv[optind + 1], "--help") == 0 || strcmp(argv[optind + 1], "-h") == 0)) {
		printf("Usage: %s\n", help);
		return 0;
	}
	c.rpc = rpc_client_new(c.address, c.ns, &err);
	if (!c.rpc) {
		fprintf(stderr, "berthctl: %s\n", err->msg);
		return 1;
	}
	optind++;
	r = fn(&c, argc - optind, argv + optind, &err);
	ctl_lease_end(&c);
	rpc_client_free(c.rpc);
	if (r < 0) {
		fprintf(stderr, "berthctl: %s\n", err ? err->msg : "failed");
		return is_usage(err) ? 2 : 1;
	}
	return c.status;
}
