/* runtime/cli/cmd_features.c - `berth features`: the OCI features document. */
#include <stdlib.h>

#include "common/cleanup.h"
#include "runtime/cli/cli.h"
#include "spec/generate.h"

int cmd_features(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup_free char *json = NULL;
	bool help = false;
	const struct cli_flag flags[] = {{NULL}};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("features", "Show the enabled features (OCI features document).",
				flags);
		return 0;
	}
	if (cli_args_want("features", argc, i, 0, 0, err) < 0)
		return -1;
	json = oci_features_json();
	return cli_print(json, err);
}
