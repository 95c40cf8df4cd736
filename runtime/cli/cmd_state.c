/* runtime/cli/cmd_state.c - `berth state <id>`: the OCI state JSON. */
#include <stdlib.h>

#include "common/cleanup.h"
#include "runtime/cli/cli.h"

int cmd_state(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	cleanup_free char *json = NULL;
	bool help = false;
	const struct cli_flag flags[] = {{NULL}};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("state <container-id>", "Output the state of a container.", flags);
		return 0;
	}
	if (cli_args_want("state", argc, i, 1, 1, err) < 0 ||
	    rt_container_load(&cli->ctx, argv[i], false, &c, err) < 0)
		return -1;
	json = rt_container_state_json(c, BJSON_PRETTY);
	return cli_print(json, err);
}
