/*
 * runtime/cli/cli.h - what main.c and the cmd_<verb>.c files share: the
 * global options, the flag parser (runc's rules: `--flag value`,
 * `--flag=value`, `-flag value`, short `-b value`; a command's flags before
 * or after its positional arguments, up to `--`), and the command table.
 *
 * A command returns its exit status (0 on success) or -1 with *err set;
 * main() prints the error once ("berth: <msg>", plus one JSON record in the
 * --log file) and exits with cli.fail_status: 1, or what the command set
 * (exec: 255, as runc, so a caller tells a failed exec from the process's
 * own exit status). An unknown command exits 3, as runc's.
 */
#ifndef BERTH_RUNTIME_CLI_H
#define BERTH_RUNTIME_CLI_H

#include <stdbool.h>

#include "common/cleanup.h"
#include "common/err.h"
#include "runtime/lib/container.h"

struct cli {
	struct rt_ctx ctx;
	bool debug;
	char **argv0; /* main's argv, for rt_selfexec_ensure_sealed */
	char **envp;
	int fail_status; /* exit status when the command fails; 0 means 1 */
};

enum cli_flag_kind { CLI_BOOL, CLI_STRING, CLI_UINT, CLI_STRV };

struct cli_flag {
	const char *name; /* long name, without dashes */
	char short_name;  /* 0 if none */
	enum cli_flag_kind kind;
	void *out; /* bool *, const char **, unsigned *, char *** (appended) */
	const char *help;
};

/* Parses flags at argv[*i...] wherever they stand among the positional
 * arguments, as runc's CLI (urfave/cli's argument reordering) does: `update ID
 * --pids-limit 10` is `update --pids-limit 10 ID`. argv[*i...] is permuted in
 * place (flags with their values first, then "--" if given, then the
 * positional arguments, each group in its order: parsing it again gives the
 * same result) and on return *i is the first positional argument. `--` ends the flags; after the first positional
 * argument, one that names no flag is positional (`kill ID -9`). flags ends
 * with a {NULL} entry. "-h"/"--help" set *help if given. */
int cli_flags_parse(const struct cli_flag *flags, int argc, char **argv, int *i, bool *help,
		    struct berth_err **err);
/* The same, but flags stop at the first positional argument: for the global
 * flags and for commands whose trailing arguments belong to someone else
 * (`exec ID CMD ARGS...`, `ps ID PS-ARGS...`; runc's SkipArgReorder). */
int cli_flags_parse_head(const struct cli_flag *flags, int argc, char **argv, int *i, bool *help,
			 struct berth_err **err);
/* Prints "Usage: berth <usage>" and the flags table to stdout. */
void cli_flags_usage(const char *usage, const char *what, const struct cli_flag *flags);

/* Requires exactly n positional arguments after *i ("kill" allows an optional one). */
int cli_args_want(const char *verb, int argc, int i, int min, int max, struct berth_err **err);

/* create and run flags; detach is NULL for create. Returns 1 after printing help. */
int cli_create_parse(const char *verb, int argc, char **argv, struct rt_create_opts *o,
		     bool *detach, const char **id, struct berth_err **err);

typedef int (*cli_cmd_fn)(struct cli *cli, int argc, char **argv, struct berth_err **err);

int cmd_create(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_start(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_run(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_state(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_kill(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_delete(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_list(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_spec(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_features(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_exec(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_ps(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_pause(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_resume(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_update(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_events(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_checkpoint(struct cli *cli, int argc, char **argv, struct berth_err **err);
int cmd_restore(struct cli *cli, int argc, char **argv, struct berth_err **err);

/* Writes s and a newline to stdout; -1 with err on a write error (EPIPE...). */
int cli_print(const char *s, struct berth_err **err);
/* Flushes stdout; -1 with err on a write error. */
int cli_flush(struct berth_err **err);

#endif
