/* runtime/cli/cmd_spec.c - `berth spec [--bundle DIR] [--rootless]`: write a default config.json. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "runtime/cli/cli.h"
#include "spec/generate.h"

int cmd_spec(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup_free char *json = NULL;
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	const char *bundle = NULL;
	bool help = false, rootless = false;
	const struct cli_flag flags[] = {
		{"bundle", 'b', CLI_STRING, &bundle,
		 "directory to write config.json to (default: current directory)"},
		{"rootless", 0, CLI_BOOL, &rootless,
		 "a config for a container run by an unprivileged user"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("spec [options]", "Create a new specification file (config.json).",
				flags);
		return 0;
	}
	if (cli_args_want("spec", argc, i, 0, 0, err) < 0)
		return -1;
	path = xasprintf("%s/config.json", bundle && *bundle ? bundle : ".");
	json = oci_spec_default_json(rootless);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return berth_err_new(err, BERTH_E_EXISTS, "'%s' exists: remove it first", path);
	if (fd < 0)
		return berth_err_sys(err, errno, "create '%s'", path);
	if (fs_write_all(fd, json, strlen(json)) < 0 || fs_write_all(fd, "\n", 1) < 0) {
		int e = errno;

		unlink(path);
		return berth_err_sys(err, e, "write '%s'", path);
	}
	return 0;
}
