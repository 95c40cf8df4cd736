/*
 * shim/main.c - berth-shim's command line, as containerd calls it:
 *   berth-shim -namespace NS -address ADDR -publish-binary BIN -id ID [-debug] start
 *   berth-shim -namespace NS -address ADDR -publish-binary BIN -id ID -bundle B delete
 *   berth-shim -namespace NS -id ID -address ADDR          (the daemon, fd 3 = listener)
 * Flags follow Go's flag package (-flag value, -flag=value, --flag). Extra:
 * -runtime BIN (else $BERTH_SHIM_RUNTIME), -socket PATH (serve without start).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "shim/shim.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: berth-shim -namespace NS -id ID -address ADDR [-publish-binary BIN] "
		"[-bundle DIR] [-runtime BIN] [-socket PATH] [-debug] [start|delete]\n");
}

static const char **flag_slot(struct shim_flags *f, const char *name)
{
	static const char *ignored;

	if (strcmp(name, "namespace") == 0)
		return &f->ns;
	if (strcmp(name, "id") == 0)
		return &f->id;
	if (strcmp(name, "address") == 0)
		return &f->address;
	if (strcmp(name, "publish-binary") == 0)
		return &f->publish_binary;
	if (strcmp(name, "bundle") == 0)
		return &f->bundle;
	if (strcmp(name, "socket") == 0)
		return &f->socket;
	if (strcmp(name, "runtime") == 0)
		return &f->runtime;
	if (strcmp(name, "ttrpc-address") == 0)
		return &ignored;
	return NULL;
}

static int parse(int argc, char **argv, struct shim_flags *f, const char **action)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		char name[64];
		const char *arg = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		const char *eq = strchr(arg, '=');
		const char **slot;

		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		if (strcmp(name, "debug") == 0) {
			f->debug = !eq || strcmp(eq + 1, "false") != 0;
			continue;
		}
		if (strcmp(name, "v") == 0 || strcmp(name, "version") == 0) {
			printf("%s\n", SHIM_VERSION);
			exit(0);
		}
		slot = flag_slot(f, name);
		if (!slot) {
			fprintf(stderr, "berth-shim: unknown flag '-%s'\n", name);
			return -1;
		}
		if (eq) {
			*slot = eq + 1;
		} else if (i + 1 < argc) {
			*slot = argv[++i];
		} else {
			fprintf(stderr, "berth-shim: flag '-%s' needs a value\n", name);
			return -1;
		}
	}
	*action = i < argc ? argv[i] : NULL;
	if (i + 1 < argc) {
		fprintf(stderr, "berth-shim: unexpected argument '%s'\n", argv[i + 1]);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct shim_flags f = {.ns = "default"};
	const char *action;

	log_init("berth-shim");
	if (parse(argc, argv, &f, &action) < 0) {
		usage();
		return 2;
	}
	if (f.debug)
		log_set_level(LOG_LEVEL_DEBUG);
	if (!f.id || !f.address) {
		fprintf(stderr, "berth-shim: -id and -address are required\n");
		usage();
		return 2;
	}
	if (!action)
		return shim_serve_main(&f);
	if (strcmp(action, "start") == 0)
		return shim_start_main(&f);
	if (strcmp(action, "delete") == 0)
		return shim_delete_main(&f);
	fprintf(stderr, "berth-shim: unknown action '%s'\n", action);
	usage();
	return 2;
}
