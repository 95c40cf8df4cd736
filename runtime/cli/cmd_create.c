/* runtime/cli/cmd_create.c - `berth create [options] <id>`, and the flags run shares. */
#include <stdio.h>

#include "runtime/cli/cli.h"
#include "runtime/lib/selfexec.h"

int cli_create_parse(const char *verb, int argc, char **argv, struct rt_create_opts *o,
		     bool *detach, const char **id, struct berth_err **err)
{
	bool help = false;
	const struct cli_flag flags[] = {
		{"bundle", 'b', CLI_STRING, &o->bundle,
		 "path to the root of the bundle directory (default: current directory)"},
		{"console-socket", 0, CLI_STRING, &o->console_socket,
		 "AF_UNIX socket that receives the pty master of a process.terminal container"},
		{"pid-file", 0, CLI_STRING, &o->pid_file, "file to write the init's pid to"},
		{"no-pivot", 0, CLI_BOOL, &o->no_pivot, "chroot instead of pivot_root"},
		{"no-new-keyring", 0, CLI_BOOL, &o->no_new_keyring,
		 "keep the caller's session keyring"},
		{"preserve-fds", 0, CLI_UINT, &o->preserve_fds,
		 "pass N additional fds (3..3+N-1) to the container"},
		/* run only: for create the first NULL name ends the table here */
		{detach ? "detach" : NULL, 'd', CLI_BOOL, detach, "detach from the container"},
		{"no-subreaper", 0, CLI_BOOL, &o->no_subreaper,
		 "do not reap orphans of the container's processes (foreground)"},
		{"keep", 0, CLI_BOOL, &o->keep,
		 "do not delete the container after it exits (foreground)"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage(
			detach ? "run [options] <container-id>" : "create [options] <container-id>",
			detach ? "Create and start a container." : "Create a container.", flags);
		return 1;
	}
	if (cli_args_want(verb, argc, i, 1, 1, err) < 0)
		return -1;
	*id = argv[i];
	return 0;
}

int cmd_create(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	struct rt_create_opts o = {0};
	const char *id = NULL;
	int r = cli_create_parse("create", argc, argv, &o, NULL, &id, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (rt_selfexec_ensure_sealed(cli->argv0, cli->envp, err) < 0)
		return -1;
	return rt_container_create(&cli->ctx, id, &o, NULL, err);
}
