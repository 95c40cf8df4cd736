/* runtime/cli/cmd_delete.c - `berth delete [--force] <id>`. */
#include "runtime/cli/cli.h"

int cmd_delete(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	bool help = false, force = false;
	const struct cli_flag flags[] = {
		{"force", 'f', CLI_BOOL, &force,
		 "kill (SIGKILL) and delete a container that is not stopped"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("delete [options] <container-id>",
				"Delete any resources held by the container.", flags);
		return 0;
	}
	if (cli_args_want("delete", argc, i, 1, 1, err) < 0)
		return -1;
	if (rt_container_load(&cli->ctx, argv[i], true, &c, err) < 0) {
		/* like runc: --force also clears what a crashed create left, and a
		 * missing container is not an error then */
		if (force && (*err)->code == BERTH_E_NOT_FOUND) {
			berth_err_free(err);
			return rt_container_remove_stale(&cli->ctx, argv[i], err);
		}
		return -1;
	}
	return rt_container_delete(c, force, err);
}
