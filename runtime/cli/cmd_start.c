/* runtime/cli/cmd_start.c - `berth start <id>`. */
#include "runtime/cli/cli.h"

int cmd_start(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	bool help = false;
	const struct cli_flag flags[] = {{NULL}};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("start <container-id>",
				"Execute the user defined process in a created container.", flags);
		return 0;
	}
	if (cli_args_want("start", argc, i, 1, 1, err) < 0 ||
	    rt_container_load(&cli->ctx, argv[i], true, &c, err) < 0 ||
	    rt_container_start(c, err) < 0)
		return -1;
	return 0;
}
