/* runtime/cli/cmd_exec.c - `berth exec [options] <id> [command args...]`. */
#include "common/strv.h"
#include "runtime/cli/cli.h"
#include "runtime/lib/selfexec.h"

int cmd_exec(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	cleanup(strv_freep) char **env = NULL;
	cleanup(strv_freep) char **gids = NULL;
	cleanup(strv_freep) char **caps = NULL;
	struct rt_exec_opts o = {0};
	cleanup(strv_freep) char **cgroups = NULL;
	bool help = false;
	const struct cli_flag flags[] = {
		{"console-socket", 0, CLI_STRING, &o.console_socket,
		 "AF_UNIX socket that receives the pty master (with --tty)"},
		{"cwd", 0, CLI_STRING, &o.cwd, "current working directory in the container"},
		{"env", 'e', CLI_STRV, &env, "set an environment variable (KEY=value)"},
		{"tty", 't', CLI_BOOL, &o.tty, "allocate a pseudo-TTY"},
		{"user", 'u', CLI_STRING, &o.user, "uid[:gid]"},
		{"additional-gids", 'g', CLI_STRV, &gids, "additional gids"},
		{"process", 'p', CLI_STRING, &o.process_file, "path to a process.json"},
		{"detach", 'd', CLI_BOOL, &o.detach, "return once the process has started"},
		{"pid-file", 0, CLI_STRING, &o.pid_file, "file to write the process id to"},
		{"process-label", 0, CLI_STRING, &o.process_label,
		 "SELinux label of the process (warns when SELinux is off)"},
		{"apparmor", 0, CLI_STRING, &o.apparmor,
		 "AppArmor profile of the process (warns when AppArmor is off)"},
		{"no-new-privs", 0, CLI_BOOL, &o.no_new_privs, "set no_new_privs for the process"},
		{"cap", 'c', CLI_STRV, &caps, "add a capability to the process"},
		{"preserve-fds", 0, CLI_UINT, &o.preserve_fds, "pass N additional fds (3..3+N-1)"},
		{"cgroup", 0, CLI_STRV, &cgroups,
		 "join an existing sub-cgroup: [<controller>:]<path> (repeatable)"},
		{"ignore-paused", 0, CLI_BOOL, &o.ignore_paused,
		 "allow exec in a paused container"},
		{NULL},
	};
	int i = 1, code = 0;

	if (cli_flags_parse_head(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("exec [options] <container-id> [command args...]",
				"Execute a new process inside the container.", flags);
		return 0;
	}
	if (cli_args_want("exec", argc, i, 1, argc, err) < 0)
		return -1;
	o.args = argv + i + 1;
	o.env = env;
	o.additional_gids = gids;
	o.caps = caps;
	o.cgroups = cgroups;
	/* past the usage checks a failure exits 255, as runc's exec: callers tell it
	 * from the process's own exit status */
	cli->fail_status = 255;
	if (rt_selfexec_ensure_sealed(cli->argv0, cli->envp, err) < 0)
		return -1;
	if (rt_container_load(&cli->ctx, argv[i], false, &c, err) < 0 ||
	    rt_container_exec(c, &o, &code, err) < 0)
		return -1;
	return code;
}
