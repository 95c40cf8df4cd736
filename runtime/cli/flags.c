/* runtime/cli/flags.c - see cli.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/cli/cli.h"

static const struct cli_flag *find_flag(const struct cli_flag *flags, const char *name, size_t len)
{
	for (const struct cli_flag *f = flags; f->name; f++) {
		if (strlen(f->name) == len && !strncmp(f->name, name, len))
			return f;
		if (len == 1 && f->short_name == name[0])
			return f;
	}
	return NULL;
}

static int set_bool(const struct cli_flag *f, const char *val, struct berth_err **err)
{
	if (!val || !strcmp(val, "true") || !strcmp(val, "1"))
		*(bool *)f->out = true;
	else if (!strcmp(val, "false") || !strcmp(val, "0"))
		*(bool *)f->out = false;
	else
		return berth_err_new(err, BERTH_E_INVALID, "invalid value '%s' for flag --%s", val,
				     f->name);
	return 0;
}

static int set_value(const struct cli_flag *f, const char *val, struct berth_err **err)
{
	char *end;
	unsigned long v;

	switch (f->kind) {
	case CLI_BOOL:
		return set_bool(f, val, err);
	case CLI_STRING:
		*(const char **)f->out = val;
		return 0;
	case CLI_STRV:
		strv_push((char ***)f->out, val);
		return 0;
	case CLI_UINT:
		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || !*val || *end || v > 1u << 20 || val[0] == '-')
			return berth_err_new(err, BERTH_E_INVALID,
					     "invalid value '%s' for flag --%s: not a number", val,
					     f->name);
		*(unsigned *)f->out = (unsigned)v;
		return 0;
	}
	return 0;
}

static bool is_help(const char *name, size_t len)
{
	return (len == 1 && name[0] == 'h') || (len == 4 && !strncmp(name, "help", 4));
}

/* Parses the flag at argv[*i] (a[0] == '-', not "--"), advancing *i past it and its value.
 * With known_only, an argument that names no flag is left alone: returns 1. */
static int parse_one(const struct cli_flag *flags, int argc, char **argv, int *i, bool *help,
		     bool known_only, struct berth_err **err)
{
	const char *a = argv[*i];
	const char *name = a + (a[1] == '-' ? 2 : 1);
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_flag *f;

	if (is_help(name, len)) {
		if (help)
			*help = true;
		(*i)++;
		return 0;
	}
	f = find_flag(flags, name, len);
	if (!f && known_only)
		return 1;
	if (!f)
		return berth_err_new(err, BERTH_E_INVALID, "flag provided but not defined: %s", a);
	(*i)++;
	if (f->kind == CLI_BOOL)
		return set_bool(f, eq ? eq + 1 : NULL, err);
	if (!eq && *i >= argc)
		return berth_err_new(err, BERTH_E_INVALID, "flag needs an argument: %s", a);
	return set_value(f, eq ? eq + 1 : argv[(*i)++], err);
}

static bool is_flag_like(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

int cli_flags_parse_head(const struct cli_flag *flags, int argc, char **argv, int *i, bool *help,
			 struct berth_err **err)
{
	while (*i < argc && is_flag_like(argv[*i])) {
		if (!strcmp(argv[*i], "--")) {
			(*i)++;
			return 0;
		}
		if (parse_one(flags, argc, argv, i, help, false, err) < 0)
			return -1;
	}
	return 0;
}

int cli_flags_parse(const struct cli_flag *flags, int argc, char **argv, int *i, bool *help,
		    struct berth_err **err)
{
	size_t cap = (size_t)(argc - *i) + 1, nflag = 0, npos = 0;
	cleanup_free char **flagv = xcalloc(cap, sizeof(*flagv));
	cleanup_free char **pos = xcalloc(cap, sizeof(*pos));
	char *dashdash = NULL;
	int first = *i, ret;

	while (*i < argc) {
		char *a = argv[*i];
		int start = *i;

		if (!strcmp(a, "--")) {
			dashdash = a;
			for ((*i)++; *i < argc; (*i)++)
				pos[npos++] = argv[*i];
			break;
		}
		/* before the first positional argument every flag must be known; after
		 * it, an unknown one is an argument (`kill ID -9`), as in runc */
		ret = is_flag_like(a) ? parse_one(flags, argc, argv, i, help, npos > 0, err) : 1;
		if (ret < 0)
			return -1;
		if (ret > 0) {
			pos[npos++] = argv[(*i)++];
			continue;
		}
		while (start < *i)
			flagv[nflag++] = argv[start++];
	}
	/* a stable partition: the flags (with their values) in their order, then the
	 * arguments, so that parsing argv again (create re-executes itself with it,
	 * selfexec.h) gives the same result */
	memcpy(argv + first, flagv, nflag * sizeof(*flagv));
	*i = first + (int)nflag;
	if (dashdash)
		argv[(*i)++] = dashdash;
	memcpy(argv + *i, pos, npos * sizeof(*pos));
	return 0;
}

void cli_flags_usage(const char *usage, const char *what, const struct cli_flag *flags)
{
	printf("Usage: berth %s\n\n%s\n", usage, what);
	if (!flags || !flags->name)
		return;
	printf("\nOptions:\n");
	for (const struct cli_flag *f = flags; f->name; f++) {
		char left[64];

		if (f->short_name)
			snprintf(left, sizeof(left), "--%s%s, -%c", f->name,
				 f->kind == CLI_BOOL ? "" : " value", f->short_name);
		else
			snprintf(left, sizeof(left), "--%s%s", f->name,
				 f->kind == CLI_BOOL ? "" : " value");
		printf("   %-28s %s\n", left, f->help ?: "");
	}
}

int cli_args_want(const char *verb, int argc, int i, int min, int max, struct berth_err **err)
{
	int n = argc - i;

	if (n < min || n > max) {
		if (min == max)
			return berth_err_new(err, BERTH_E_INVALID,
					     "\"%s\" requires exactly %d argument%s, got %d", verb,
					     min, min == 1 ? "" : "s", n);
		return berth_err_new(err, BERTH_E_INVALID,
				     "\"%s\" requires %d to %d arguments, got %d", verb, min, max,
				     n);
	}
	return 0;
}

int cli_print(const char *s, struct berth_err **err)
{
	if (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		return berth_err_sys(err, errno, "write to stdout");
	return 0;
}

int cli_flush(struct berth_err **err)
{
	if (fflush(stdout) == EOF)
		return berth_err_sys(err, errno, "write to stdout");
	return 0;
}
