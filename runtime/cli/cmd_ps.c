/*
 * runtime/cli/cmd_ps.c - `berth ps [--format table|json] <id> [ps options]`.
 *
 * json: the pids of the container's cgroup, as runc prints them. table: like
 * runc, runs the host's `ps` (default "-ef") and keeps the header and the
 * lines whose PID column is one of the container's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/cli/cli.h"

static bool has_pid(const pid_t *pids, size_t n, long p)
{
	for (size_t i = 0; i < n; i++) {
		if (pids[i] == p)
			return true;
	}
	return false;
}

/* The index of the PID column in ps's header, -1 if none. */
static int pid_column(const char *header)
{
	cleanup(strv_freep) char **f = strv_split(header, " \t\n");
	int k = 0;

	strv_foreach (w, f) {
		if (!strcmp(w, "PID"))
			return k;
		k++;
	}
	return -1;
}

static bool line_matches(const char *line, int col, const pid_t *pids, size_t n)
{
	cleanup(strv_freep) char **f = strv_split(line, " \t\n");

	return col < (int)strv_len(f) && has_pid(pids, n, strtol(f[col], NULL, 10));
}

static int ps_table(char **ps_args, const pid_t *pids, size_t n, struct berth_err **err)
{
	cleanup(strv_freep) char **argv = NULL;
	cleanup_fclose FILE *in = NULL;
	cleanup_free char *line = NULL;
	size_t cap = 0;
	int p[2], col = -1, status;
	bool first = true;
	pid_t pid;

	strv_push(&argv, "ps");
	if (!ps_args || !*ps_args)
		strv_push(&argv, "-ef");
	strv_foreach (a, ps_args)
		strv_push(&argv, a);
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_err_sys(err, errno, "pipe");
	pid = fork();
	if (pid < 0)
		return berth_err_sys(err, errno, "fork");
	if (pid == 0) {
		dup2(p[1], 1);
		execvp("ps", argv);
		_exit(127);
	}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (getline(&line, &cap, in) > 0) {
		if (first) {
			col = pid_column(line);
			fputs(line, stdout);
			first = false;
		} else if (col >= 0 && line_matches(line, col, pids, n)) {
			fputs(line, stdout);
		}
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_err_new(err, BERTH_E_INTERNAL, "ps failed (status %d)",
				     WEXITSTATUS(status));
	if (col < 0)
		return berth_err_new(err, BERTH_E_INVALID, "ps output has no PID column");
	return cli_flush(err);
}

int cmd_ps(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	const char *format = "table";
	bool help = false;
	const struct cli_flag flags[] = {
		{"format", 'f', CLI_STRING, &format, "table or json"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse_head(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("ps [options] <container-id> [ps options]",
				"Display the processes running inside a container.", flags);
		return 0;
	}
	if (cli_args_want("ps", argc, i, 1, argc, err) < 0)
		return -1;
	if (strcmp(format, "json") != 0 && strcmp(format, "table") != 0)
		return berth_err_new(err, BERTH_E_INVALID, "invalid format option '%s'", format);
	if (rt_container_load(&cli->ctx, argv[i], false, &c, err) < 0 ||
	    rt_container_pids(c, &pids, &n, err) < 0)
		return -1;
	if (!strcmp(format, "json")) {
		cleanup(bjson_freep) struct bjson *a = bjson_array_new();
		cleanup_free char *s = NULL;

		for (size_t k = 0; k < n; k++)
			bjson_append_int(a, pids[k]);
		s = bjson_to_string(a, BJSON_PLAIN);
		return cli_print(s, err);
	}
	return ps_table(argv + i + 1, pids, n, err);
}
