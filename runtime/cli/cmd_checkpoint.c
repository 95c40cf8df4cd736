/*
 * runtime/cli/cmd_checkpoint.c - `berth checkpoint` and `berth restore`.
 *
 * berth is built without CRIU, so both commands accept runc's flags and
 * arguments (a caller's mistake is still reported as such) and then answer
 * "not supported" with exit 1. Nothing is read or changed.
 */
#include "common/strv.h"
#include "runtime/cli/cli.h"

static int no_criu(const char *verb, struct berth_err **err)
{
	return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
			     "%s: not supported (berth was built without CRIU support)", verb);
}

int cmd_checkpoint(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(strv_freep) char **empty_ns = NULL;
	const char *image = NULL, *work = NULL, *parent = NULL, *status_fd = NULL;
	const char *page_server = NULL, *cgroups_mode = NULL;
	bool help = false, leave = false, tcp = false, unix_sk = false, shell = false;
	bool lazy = false, locks = false, pre_dump = false, dedup = false;
	const struct cli_flag flags[] = {
		{"image-path", 0, CLI_STRING, &image, "path for saving criu image files"},
		{"work-path", 0, CLI_STRING, &work, "path for saving work files and logs"},
		{"parent-path", 0, CLI_STRING, &parent, "path for previous criu image files"},
		{"leave-running", 0, CLI_BOOL, &leave, "leave the process running"},
		{"tcp-established", 0, CLI_BOOL, &tcp, "allow open tcp connections"},
		{"ext-unix-sk", 0, CLI_BOOL, &unix_sk, "allow external unix sockets"},
		{"shell-job", 0, CLI_BOOL, &shell, "allow shell jobs"},
		{"lazy-pages", 0, CLI_BOOL, &lazy, "use userfaultfd to lazily restore pages"},
		{"status-fd", 0, CLI_STRING, &status_fd, "criu writes \\0 to this fd"},
		{"page-server", 0, CLI_STRING, &page_server, "ADDRESS:PORT of the page server"},
		{"file-locks", 0, CLI_BOOL, &locks, "handle file locks"},
		{"pre-dump", 0, CLI_BOOL, &pre_dump, "dump memory only"},
		{"manage-cgroups-mode", 0, CLI_STRING, &cgroups_mode, "soft, full or strict"},
		{"empty-ns", 0, CLI_STRV, &empty_ns, "namespace to create but not restore"},
		{"auto-dedup", 0, CLI_BOOL, &dedup, "enable auto deduplication"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage(
			"checkpoint [options] <container-id>",
			"Checkpoint a running container (not supported: berth was built without CRIU).",
			flags);
		return 0;
	}
	if (cli_args_want("checkpoint", argc, i, 1, 1, err) < 0)
		return -1;
	return no_criu("checkpoint", err);
}

int cmd_restore(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(strv_freep) char **empty_ns = NULL;
	const char *console = NULL, *image = NULL, *work = NULL, *cgroups_mode = NULL;
	const char *bundle = NULL, *pid_file = NULL, *lsm_profile = NULL, *lsm_mount = NULL;
	bool help = false, tcp = false, unix_sk = false, shell = false, locks = false;
	bool detach = false, no_subreaper = false, no_pivot = false, dedup = false, lazy = false;
	const struct cli_flag flags[] = {
		{"console-socket", 0, CLI_STRING, &console, "socket to receive the pty master"},
		{"image-path", 0, CLI_STRING, &image, "path to criu image files"},
		{"work-path", 0, CLI_STRING, &work, "path for saving work files and logs"},
		{"tcp-established", 0, CLI_BOOL, &tcp, "allow open tcp connections"},
		{"ext-unix-sk", 0, CLI_BOOL, &unix_sk, "allow external unix sockets"},
		{"shell-job", 0, CLI_BOOL, &shell, "allow shell jobs"},
		{"file-locks", 0, CLI_BOOL, &locks, "handle file locks"},
		{"manage-cgroups-mode", 0, CLI_STRING, &cgroups_mode, "soft, full or strict"},
		{"bundle", 'b', CLI_STRING, &bundle, "path to the root of the bundle directory"},
		{"detach", 'd', CLI_BOOL, &detach, "detach from the container's process"},
		{"pid-file", 0, CLI_STRING, &pid_file, "file to write the process id to"},
		{"no-subreaper", 0, CLI_BOOL, &no_subreaper, "disable the subreaper"},
		{"no-pivot", 0, CLI_BOOL, &no_pivot, "do not use pivot root"},
		{"empty-ns", 0, CLI_STRV, &empty_ns, "namespace to create but not restore"},
		{"auto-dedup", 0, CLI_BOOL, &dedup, "enable auto deduplication"},
		{"lazy-pages", 0, CLI_BOOL, &lazy, "use userfaultfd to lazily restore pages"},
		{"lsm-profile", 0, CLI_STRING, &lsm_profile, "LSM profile (TYPE:NAME)"},
		{"lsm-mount-context", 0, CLI_STRING, &lsm_mount, "LSM mount context"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage(
			"restore [options] <container-id>",
			"Restore a container from a checkpoint (not supported: berth was built without CRIU).",
			flags);
		return 0;
	}
	if (cli_args_want("restore", argc, i, 1, 1, err) < 0)
		return -1;
	return no_criu("restore", err);
}
