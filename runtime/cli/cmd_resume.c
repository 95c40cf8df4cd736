/* runtime/cli/cmd_resume.c - `berth resume <id>`: thaw a paused container. */
#include "runtime/cli/cli.h"

int cmd_resume(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	bool help = false;
	const struct cli_flag flags[] = {{NULL}};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("resume <container-id>",
				"Resume all processes of a paused container.", flags);
		return 0;
	}
	if (cli_args_want("resume", argc, i, 1, 1, err) < 0 ||
	    rt_container_load(&cli->ctx, argv[i], true, &c, err) < 0 ||
	    rt_container_pause(c, false, err) < 0)
		return -1;
	return 0;
}
