/* runtime/cli/flags.c - see cli.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cli_flags_parse(const struct cli_flag *flags, int argc, char **argv, int *i, bool *help,
		    struct berth_err **err)
{
	while (*i < argc) {
		const char *a = argv[*i];
		const char *name, *eq;
		const struct cli_flag *f;
		size_t len;

		if (a[0] != '-' || a[1] == '\0')
			return 0;
		if (!strcmp(a, "--")) {
			(*i)++;
			return 0;
		}
		name = a + (a[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		if ((len == 1 && name[0] == 'h') || (len == 4 && !strncmp(name, "help", 4))) {
			if (help)
				*help = true;
			(*i)++;
			continue;
		}
		f = find_flag(flags, name, len);
		if (!f)
			return berth_err_new(err, BERTH_E_INVALID,
					     "flag provided but not defined: %s", a);
		(*i)++;
		if (f->kind == CLI_BOOL) {
			if (set_bool(f, eq ? eq + 1 : NULL, err) < 0)
				return -1;
			continue;
		}
		if (!eq && *i >= argc)
			return berth_err_new(err, BERTH_E_INVALID, "flag needs an argument: %s", a);
		if (set_value(f, eq ? eq + 1 : argv[(*i)++], err) < 0)
			return -1;
	}
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
