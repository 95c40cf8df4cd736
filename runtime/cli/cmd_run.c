/* runtime/cli/cmd_run.c - `berth run [options] <id>`: create + start (+ wait, delete). */
#include "runtime/cli/cli.h"
#include "runtime/lib/selfexec.h"

int cmd_run(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	struct rt_create_opts o = {0};
	const char *id = NULL;
	bool detach = false;
	int code, r = cli_create_parse("run", argc, argv, &o, &detach, &id, err);

	if (r != 0)
		return r < 0 ? -1 : 0;
	if (rt_selfexec_ensure_sealed(cli->argv0, cli->envp, err) < 0)
		return -1;
	if (rt_container_run(&cli->ctx, id, &o, detach, &code, err) < 0)
		return -1;
	return code;
}
