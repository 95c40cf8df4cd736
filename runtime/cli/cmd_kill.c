/* runtime/cli/cmd_kill.c - `berth kill [--all] <id> [signal]` (default SIGTERM). */
#include <signal.h>

#include "runtime/cli/cli.h"
#include "runtime/lib/signals.h"

int cmd_kill(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	bool help = false, all = false;
	const struct cli_flag flags[] = {
		{"all", 'a', CLI_BOOL, &all, "send the signal to every process of the container"},
		{NULL},
	};
	int i = 1, sig = SIGTERM;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage(
			"kill [options] <container-id> [signal]",
			"Send a signal (name, SIGname or number; default SIGTERM) to the container's init.",
			flags);
		return 0;
	}
	if (cli_args_want("kill", argc, i, 1, 2, err) < 0)
		return -1;
	if (argc - i == 2 && rt_signal_parse(argv[i + 1], &sig, err) < 0)
		return -1;
	if (rt_container_load(&cli->ctx, argv[i], false, &c, err) < 0 ||
	    rt_container_kill(c, sig, all, err) < 0)
		return -1;
	return 0;
}
