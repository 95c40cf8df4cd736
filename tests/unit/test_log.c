/* Unit tests for common/log.c: JSON records as containerd's shim parses them. */
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/log.h"

static void time_is_rfc3339_utc_with_nanoseconds(void **state)
{
	char t[64];
	regex_t re;

	log_time_rfc3339(t, sizeof(t));
	assert_int_equal(
		regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$",
			REG_EXTENDED | REG_NOSUB),
		0);
	assert_int_equal(regexec(&re, t, 0, NULL, 0), 0);
	regfree(&re);
}

static void json_escape_quotes_controls(void **state)
{
	char buf[64] = "";

	log_json_escape(buf, sizeof(buf), "a\"b\\c\nd\x01");
	assert_string_equal(buf, "a\\\"b\\\\c\\nd\\u0001");
}

static void json_record_is_one_line_with_level_msg_time(void **state)
{
	char path[] = "/tmp/berth-test-log-XXXXXX";
	int fd = mkstemp(path);
	char buf[512] = "";
	ssize_t n;
	int rfd;

	assert_true(fd >= 0);
	log_set_fd(fd);
	log_set_format(LOG_FORMAT_JSON);
	log_set_level(LOG_LEVEL_WARN);
	log_info("not shown");
	log_warn("container '%s': \"quoted\"", "x");
	log_set_fd(-1);
	rfd = open(path, O_RDONLY);
	n = read(rfd, buf, sizeof(buf) - 1);
	close(rfd);
	unlink(path);
	assert_true(n > 0);
	assert_non_null(strstr(
		buf,
		"{\"level\":\"warning\",\"msg\":\"container 'x': \\\"quoted\\\"\",\"time\":\""));
	assert_null(strstr(buf, "not shown"));
	assert_int_equal(strchr(buf, '\n') - buf, n - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(time_is_rfc3339_utc_with_nanoseconds),
		cmocka_unit_test(json_escape_quotes_controls),
		cmocka_unit_test(json_record_is_one_line_with_level_msg_time),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
