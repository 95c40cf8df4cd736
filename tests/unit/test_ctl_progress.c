/*
 * tests/unit/test_ctl_progress.c - supervisor/ctl/progress: docker's size units, the
 * progress line's format, redraw throttling on an injected clock, padding and truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "supervisor/ctl/progress.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void assert_size(int64_t bytes, const char *want)
{
	char buf[32];

	ctl_progress_size(buf, sizeof(buf), bytes);
	assert_string_equal(buf, want);
}

static void size_uses_docker_decimal_units_with_four_digits(void **state)
{
	assert_size(0, "0B");
	assert_size(999, "999B");
	assert_size(1000, "1kB");
	assert_size(1536, "1.536kB");
	assert_size(12345678, "12.35MB");
	assert_size(210400000, "210.4MB");
	assert_size(1500000000, "1.5GB");
	assert_size(2000000000000LL, "2TB");
	assert_size(-5, "0B");
}

static void format_shows_current_total_and_floored_percent(void **state)
{
	char buf[128];

	ctl_progress_format(buf, sizeof(buf), "importing image.oci.tar", 12300000, 210400000);
	assert_string_equal(buf, "importing image.oci.tar: 12.3MB / 210.4MB (5%)");
	ctl_progress_format(buf, sizeof(buf), "x", 999, 1000);
	assert_string_equal(buf, "x: 999B / 1kB (99%)");
	ctl_progress_format(buf, sizeof(buf), "x", 0, 1000);
	assert_string_equal(buf, "x: 0B / 1kB (0%)");
}

static void format_caps_percent_at_100_and_handles_empty_totals(void **state)
{
	char buf[128];

	ctl_progress_format(buf, sizeof(buf), "x", 2000, 1000);
	assert_string_equal(buf, "x: 2kB / 1kB (100%)");
	ctl_progress_format(buf, sizeof(buf), "x", 0, 0);
	assert_string_equal(buf, "x: 0B / 0B (100%)");
}

static void format_without_total_shows_only_bytes(void **state)
{
	char buf[128];

	ctl_progress_format(buf, sizeof(buf), "importing stdin", 4200000, -1);
	assert_string_equal(buf, "importing stdin: 4.2MB");
}

/* Collects what a display writes. */
struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static void sink_open(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->f = open_memstream(&s->buf, &s->len);
	assert_non_null(s->f);
}

static void sink_close(struct sink *s)
{
	fclose(s->f);
	free(s->buf);
}

static size_t count_char(const char *s, size_t len, char c)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

static void first_update_draws_and_later_ones_wait_100ms(void **state)
{
	struct sink s;
	struct ctl_progress *p;

	sink_open(&s);
	fake_now = 5000000000ULL;
	p = ctl_progress_new(s.f, "importing a", 1000, fake_clock, 0);
	ctl_progress_set(p, 100);
	fflush(s.f);
	assert_string_equal(s.buf, "\rimporting a: 100B / 1kB (10%)");

	/* 99 ms later, many updates: none is drawn */
	for (int i = 0; i < 99; i++) {
		fake_now += 1000000ULL;
		ctl_progress_add(p, 1);
	}
	fflush(s.f);
	assert_int_equal(count_char(s.buf, s.len, '\r'), 1);

	/* at 100 ms the next update draws the latest value */
	fake_now += 1000000ULL;
	ctl_progress_add(p, 1);
	fflush(s.f);
	assert_int_equal(count_char(s.buf, s.len, '\r'), 2);
	assert_non_null(strstr(s.buf, "\rimporting a: 200B / 1kB (20%)"));

	ctl_progress_finish(p);
	sink_close(&s);
}

static void ten_seconds_of_constant_updates_draw_at_most_ten_per_second(void **state)
{
	struct sink s;
	struct ctl_progress *p;

	sink_open(&s);
	fake_now = 0;
	p = ctl_progress_new(s.f, "x", 1000000, fake_clock, 0);
	for (int ms = 0; ms < 10000; ms++) {
		fake_now = (uint64_t)ms * 1000000ULL;
		ctl_progress_set(p, ms);
	}
	fflush(s.f);
	assert_int_equal(count_char(s.buf, s.len, '\r'), 100);
	ctl_progress_finish(p);
	sink_close(&s);
}

static void finish_draws_the_final_state_despite_throttling_and_ends_line(void **state)
{
	struct sink s;
	struct ctl_progress *p;
	const char *last;

	sink_open(&s);
	fake_now = 0;
	p = ctl_progress_new(s.f, "exporting out.tar", 3000, fake_clock, 0);
	ctl_progress_set(p, 1);
	ctl_progress_set(p, 3000); /* same instant: throttled */
	ctl_progress_finish(p);
	last = strrchr(s.buf, '\r');
	assert_non_null(last);
	assert_string_equal(last, "\rexporting out.tar: 3kB / 3kB (100%)\n");
	assert_int_equal(count_char(s.buf, s.len, '\n'), 1);
	sink_close(&s);
}

static void a_shorter_line_blanks_the_rest_of_the_longer_one(void **state)
{
	struct sink s;
	struct ctl_progress *p;
	const char *last;

	sink_open(&s);
	fake_now = 0;
	p = ctl_progress_new(s.f, "x", -1, fake_clock, 0);
	ctl_progress_set(p, 1536); /* "x: 1.536kB" */
	fake_now += CTL_PROGRESS_INTERVAL_NS;
	ctl_progress_set(p, 2000); /* "x: 2kB", four columns shorter */
	fflush(s.f);
	last = strrchr(s.buf, '\r');
	assert_string_equal(last, "\rx: 2kB    ");
	ctl_progress_finish(p);
	sink_close(&s);
}

static void a_line_wider_than_the_terminal_is_cut_so_it_never_wraps(void **state)
{
	struct sink s;
	struct ctl_progress *p;

	sink_open(&s);
	fake_now = 0;
	p = ctl_progress_new(s.f, "importing a-very-long-archive-name.tar", 1000, fake_clock, 20);
	ctl_progress_set(p, 500);
	fflush(s.f);
	assert_string_equal(s.buf, "\rimporting a-very-lo");
	ctl_progress_finish(p);
	sink_close(&s);
}

static void a_stream_that_is_not_a_terminal_gets_no_display(void **state)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_null(ctl_progress_open(f, "importing", "/tmp/x.tar", "stdin", 10));
	/* a NULL display accepts every call and writes nothing */
	ctl_progress_set(NULL, 5);
	ctl_progress_add(NULL, 5);
	ctl_progress_finish(NULL);
	assert_int_equal(ftell(f), 0);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(size_uses_docker_decimal_units_with_four_digits),
		cmocka_unit_test(format_shows_current_total_and_floored_percent),
		cmocka_unit_test(format_caps_percent_at_100_and_handles_empty_totals),
		cmocka_unit_test(format_without_total_shows_only_bytes),
		cmocka_unit_test(first_update_draws_and_later_ones_wait_100ms),
		cmocka_unit_test(ten_seconds_of_constant_updates_draw_at_most_ten_per_second),
		cmocka_unit_test(finish_draws_the_final_state_despite_throttling_and_ends_line),
		cmocka_unit_test(a_shorter_line_blanks_the_rest_of_the_longer_one),
		cmocka_unit_test(a_line_wider_than_the_terminal_is_cut_so_it_never_wraps),
		cmocka_unit_test(a_stream_that_is_not_a_terminal_gets_no_display),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
