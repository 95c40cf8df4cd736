/* runtime/cli/cmd_list.c - `berth list [-q] [--format table|json]`, columns like runc's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bjson.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/cli/cli.h"

struct row {
	char *cells[6];
};

/* The user name of uid from /etc/passwd, read directly: berth is linked
 * statically and must not load NSS modules. "#<uid>" when not listed. */
static char *user_name(uid_t uid)
{
	cleanup_fclose FILE *f = fopen("/etc/passwd", "re");
	cleanup_free char *line = NULL;
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		char *name = line, *p = strchr(line, ':'), *q;

		if (!p || !(q = strchr(p + 1, ':')))
			continue;
		*p = '\0';
		if (strtoul(q + 1, NULL, 10) == uid && q[1] != ':')
			return xstrdup(name);
	}
	return xasprintf("#%u", (unsigned)uid);
}

static char *owner_of(const struct rt_container *c)
{
	struct stat st;

	if (fstat(c->dirfd, &st) < 0)
		return xstrdup("");
	return user_name(st.st_uid);
}

/* runc's tabwriter: minwidth 12, padding 3 */
static void print_table(struct row *rows, size_t n)
{
	size_t w[6];

	for (int k = 0; k < 6; k++) {
		w[k] = 12;
		for (size_t r = 0; r < n; r++) {
			size_t l = strlen(rows[r].cells[k]) + 3;

			if (l > w[k])
				w[k] = l;
		}
	}
	for (size_t r = 0; r < n; r++) {
		for (int k = 0; k < 5; k++)
			printf("%-*s", (int)w[k], rows[r].cells[k]);
		printf("%s\n", rows[r].cells[5]);
	}
}

static void add_row(struct row **rows, size_t *n, const char *const cells[6])
{
	struct row *r;

	*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
	r = &(*rows)[(*n)++];
	for (int k = 0; k < 6; k++)
		r->cells[k] = xstrdup(cells[k]);
}

static void add_container_row(struct row **rows, size_t *n, const struct rt_container *c,
			      enum rt_status s, const char *owner)
{
	char pid[32];
	const char *cells[6] = {c->id,		pid,  rt_status_name(s), c->st->bundle,
				c->st->created, owner};

	snprintf(pid, sizeof(pid), "%d", s == RT_STATUS_STOPPED ? 0 : (int)c->st->pid);
	add_row(rows, n, cells);
}

static void rows_free(struct row *rows, size_t n)
{
	for (size_t r = 0; r < n; r++)
		for (int k = 0; k < 6; k++)
			free(rows[r].cells[k]);
	free(rows);
}

int cmd_list(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(strv_freep) char **ids = NULL;
	cleanup(bjson_freep) struct bjson *arr = NULL;
	struct row *rows = NULL;
	size_t n = 0;
	const char *format = "table";
	bool help = false, quiet = false, json;
	const struct cli_flag flags[] = {
		{"format", 'f', CLI_STRING, &format, "table or json"},
		{"quiet", 'q', CLI_BOOL, &quiet, "display only container IDs"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		cli_flags_usage("list [options]", "List the containers under --root.", flags);
		return 0;
	}
	if (cli_args_want("list", argc, i, 0, 0, err) < 0)
		return -1;
	json = !strcmp(format, "json");
	if (!json && strcmp(format, "table") != 0)
		return berth_err_new(err, BERTH_E_INVALID, "invalid format option '%s'", format);
	if (rt_container_list(&cli->ctx, &ids, err) < 0)
		return -1;
	if (!json && !quiet) {
		const char *const head[6] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};

		add_row(&rows, &n, head);
	}
	strv_foreach (id, ids) {
		cleanup(rt_container_freep) struct rt_container *c = NULL;
		cleanup_free char *owner = NULL;
		struct berth_err *e = NULL;
		enum rt_status s;

		/* a container being created or deleted right now is skipped, as runc does */
		if (rt_container_load(&cli->ctx, id, false, &c, &e) < 0) {
			berth_err_free(&e);
			continue;
		}
		if (quiet) {
			printf("%s\n", id);
			continue;
		}
		s = rt_container_status(c);
		owner = owner_of(c);
		if (json) {
			struct bjson *o = rt_state_oci(c->st, s);

			bjson_set_str(o, "owner", owner);
			if (!arr)
				arr = bjson_array_new();
			bjson_append_take(arr, o);
		} else {
			add_container_row(&rows, &n, c, s, owner);
		}
	}
	if (json && !quiet) {
		cleanup_free char *out = arr ? bjson_to_string(arr, BJSON_PLAIN) : xstrdup("null");

		printf("%s\n", out);
	} else if (!quiet) {
		print_table(rows, n);
	}
	rows_free(rows, n);
	return cli_flush(err);
}
