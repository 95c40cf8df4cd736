/*
 * Unit tests for shim/logger.c's binary:// URI parsing: the logger's path and argv
 * as containerd's shim derives them (pkg/process/io_util.go NewBinaryCmd), and the
 * errors for URIs containerd would turn into a failed exec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "shim/logger.h"

/* argv joined with '|' for comparison; "" marks an empty argument */
static char *parse_ok(const char *uri, char **path)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;
	cleanup(strv_freep) char **argv = NULL;

	if (shim_logger_parse_uri(uri, path, &argv, &err) < 0)
		fail_msg("'%s': unexpected error '%s'", uri, err->msg);
	return strv_join(argv, "|");
}

static void parse_fails(const char *uri, const char *want)
{
	cleanup(berth_err_free) struct berth_err *err = NULL;
	char *path = NULL, **argv = NULL;

	if (shim_logger_parse_uri(uri, &path, &argv, &err) == 0)
		fail_msg("'%s': parsed, expected an error containing '%s'", uri, want);
	assert_null(path);
	assert_null(argv);
	assert_int_equal(err->code, BERTH_E_INVALID);
	if (!strstr(err->msg, want) || !strstr(err->msg, uri))
		fail_msg("'%s': error '%s' lacks '%s' or the URI", uri, err->msg, want);
}

static void logger_uri_gives_path_then_query_pairs_in_order(void **state)
{
	cleanup_free char *path = NULL;
	cleanup_free char *argv = parse_ok("binary:///usr/bin/log?tag=web&verbose&x=1", &path);

	assert_string_equal(path, "/usr/bin/log");
	assert_string_equal(argv, "/usr/bin/log|tag|web|verbose||x|1");
}

static void logger_uri_without_query_runs_the_bare_path(void **state)
{
	cleanup_free char *path = NULL;
	cleanup_free char *argv = parse_ok("binary:///opt/logger", &path);

	assert_string_equal(argv, "/opt/logger");
	free(path);
	path = NULL;
	free(argv);
	/* Go's url.Parse: the scheme is case-insensitive, "binary:/p" is a rooted path too */
	argv = parse_ok("BINARY:/opt/logger#frag", &path);
	assert_string_equal(argv, "/opt/logger");
}

static void logger_uri_decodes_escapes_and_keeps_the_first_value(void **state)
{
	cleanup_free char *path = NULL;
	cleanup_free char *argv =
		parse_ok("binary:///my%20dir/log+x?a=1+2&k%3D=v%26w&a=ignored&&", &path);

	/* '+' is a space in the query only */
	assert_string_equal(path, "/my dir/log+x");
	assert_string_equal(argv, "/my dir/log+x|a|1 2|k=|v&w");
}

static void logger_uri_errors_name_the_uri(void **state)
{
	parse_fails("binary://", "no logger path");
	parse_fails("binary:logger", "is relative");
	parse_fails("binary://logger", "host 'logger'");
	parse_fails("binary://host/usr/bin/log", "host 'host'");
	parse_fails("binary:///bin/log%zz", "bad %-escape");
	parse_fails("binary:///bin/log%00", "bad %-escape");
	parse_fails("binary:///bin/log?a=%4", "bad %-escape");
	parse_fails("binary:///bin/log?a=1;b=2", "';'");
	parse_fails("file:///var/log/x", "not a binary:// URI");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(logger_uri_gives_path_then_query_pairs_in_order),
		cmocka_unit_test(logger_uri_without_query_runs_the_bare_path),
		cmocka_unit_test(logger_uri_decodes_escapes_and_keeps_the_first_value),
		cmocka_unit_test(logger_uri_errors_name_the_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
