/* runtime/cli/cmd_pause.c - `berth pause <id>`: freeze every process of the container. */
#include "runtime/cli/cli.h"

int cmd_pause(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	bool help = false;
	const struct cli_flag flags[] = {{NULL}};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("pause <container-id>", "Suspend all processes of the container.",
				flags);
		return 0;
	}
	if (cli_args_want("pause", argc, i, 1, 1, err) < 0 ||
	    rt_container_load(&cli->ctx, argv[i], true, &c, err) < 0 ||
	    rt_container_pause(c, true, err) < 0)
		return -1;
	return 0;
}
