/*
 * Unit tests for common/mountinfo.c: lines in the kernel's format (show_mountinfo() in
 * fs/proc_namespace.c) with escaped paths, optional fields and an empty source, files
 * (memfds) read whole and streamed, malformed lines, and this process's own mountinfo.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/mountinfo.h"
#include "common/xalloc.h"

#define ROOT_LINE "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
#define CG_LINE                                                                             \
	"35 24 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 " \
	"- cgroup cgroup rw,cpu,cpuacct\n"
/* no optional fields at all */
#define PRIVATE_LINE "40 22 0:45 / /tmp rw,nosuid - tmpfs tmpfs rw,size=1024k\n"
/* a slave of a peer group, propagated from another, unbindable; spaces in both paths */
#define ESCAPED_LINE                                                                \
	"41 22 8:1 /srv/with\\040space /mnt/a\\040b\\011c\\012d\\134e rw master:3 " \
	"propagate_from:2 unbindable - fuse.sshfs user@host:/my\\040dir rw,user_id=0\n"
/* mount("", "/e", "tmpfs", ...): the source field is empty */
#define EMPTY_SOURCE_LINE "42 22 0:46 / /e rw shared:12 - tmpfs  rw,inode64\n"

/* Puts text in a memfd (nothing on disk to clean up, even when a test fails); returns
 * its path, /proc/self/fd/N. The fd stays open for the rest of the test program. */
static char *write_file(const char *text)
{
	int fd = memfd_create("mountinfo", MFD_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		fail_msg("memfd: %s", strerror(errno));
	return xasprintf("/proc/self/fd/%d", fd);
}

static void parse(const char *text, struct mountinfo_entry *e, char **buf)
{
	const char *why = NULL;

	*buf = xstrdup(text);
	if (mountinfo_parse_line(*buf, e, &why) < 0)
		fail_msg("expected '%s' to parse, got: %s", text, why);
}

static void line_without_optional_fields_gives_every_field(void **state)
{
	cleanup_free char *buf = NULL;
	struct mountinfo_entry e;

	parse(PRIVATE_LINE, &e, &buf);
	assert_int_equal(e.mount_id, 40);
	assert_int_equal(e.parent_id, 22);
	assert_int_equal(e.major, 0);
	assert_int_equal(e.minor, 45);
	assert_string_equal(e.root, "/");
	assert_string_equal(e.mount_point, "/tmp");
	assert_string_equal(e.mount_opts, "rw,nosuid");
	assert_string_equal(e.optional, "");
	assert_string_equal(e.fstype, "tmpfs");
	assert_string_equal(e.source, "tmpfs");
	assert_string_equal(e.super_opts, "rw,size=1024k");
	assert_false(mountinfo_entry_tag(&e, "shared", NULL));
}

static void optional_fields_are_kept_and_found_by_tag(void **state)
{
	cleanup_free char *buf = NULL;
	cleanup_free char *buf2 = NULL;
	struct mountinfo_entry e, r;
	unsigned int v = 99;

	parse(ESCAPED_LINE, &e, &buf);
	assert_string_equal(e.optional, "master:3 propagate_from:2 unbindable");
	assert_true(mountinfo_entry_tag(&e, "master", &v));
	assert_int_equal(v, 3);
	assert_true(mountinfo_entry_tag(&e, "propagate_from", &v));
	assert_int_equal(v, 2);
	assert_true(mountinfo_entry_tag(&e, "unbindable", &v));
	assert_int_equal(v, 0);
	assert_false(mountinfo_entry_tag(&e, "shared", NULL));
	/* a tag is matched whole: "master" is not "mast" */
	assert_false(mountinfo_entry_tag(&e, "mast", NULL));
	assert_string_equal(e.fstype, "fuse.sshfs");
	assert_string_equal(e.super_opts, "rw,user_id=0");

	parse(ROOT_LINE, &r, &buf2);
	assert_string_equal(r.optional, "shared:1");
	assert_true(mountinfo_entry_tag(&r, "shared", &v));
	assert_int_equal(v, 1);
	assert_string_equal(r.mount_point, "/");
	assert_string_equal(r.source, "/dev/sda1");
}

static void escaped_paths_and_source_are_unescaped(void **state)
{
	cleanup_free char *buf = NULL;
	struct mountinfo_entry e;

	parse(ESCAPED_LINE, &e, &buf);
	assert_string_equal(e.root, "/srv/with space");
	assert_string_equal(e.mount_point, "/mnt/a b\tc\nd\\e");
	assert_string_equal(e.source, "user@host:/my dir");
}

static void option_fields_keep_their_escapes(void **state)
{
	cleanup_free char *buf = NULL;
	struct mountinfo_entry e;

	/* an escaped ',' in an option value must not turn into a separator */
	parse("50 22 0:50 / /x rw - fuse f rw,subtype=a\\054b\n", &e, &buf);
	assert_string_equal(e.super_opts, "rw,subtype=a\\054b");
}

static void only_valid_escapes_are_decoded(void **state)
{
	cleanup_free char *buf = NULL;
	struct mountinfo_entry e;

	/* \4xx is above 255 and \08 is not octal: both stay as written */
	parse("51 22 0:51 / /a\\400\\08\\ rw - tmpfs t rw\n", &e, &buf);
	assert_string_equal(e.mount_point, "/a\\400\\08\\");
}

static void empty_source_is_an_empty_string(void **state)
{
	cleanup_free char *buf = NULL;
	struct mountinfo_entry e;

	parse(EMPTY_SOURCE_LINE, &e, &buf);
	assert_string_equal(e.fstype, "tmpfs");
	assert_string_equal(e.source, "");
	assert_string_equal(e.super_opts, "rw,inode64");
	assert_string_equal(e.optional, "shared:12");
}

/* The line fails to parse, with a reason that contains want. */
static void expect_malformed(const char *line, const char *want)
{
	cleanup_free char *buf = xstrdup(line);
	struct mountinfo_entry e;
	const char *why = NULL;

	if (mountinfo_parse_line(buf, &e, &why) == 0)
		fail_msg("expected '%s' to be rejected, it parsed", line);
	if (!why || !strstr(why, want))
		fail_msg("'%s': expected a reason with \"%s\", got \"%s\"", line, want,
			 why ? why : "(none)");
}

static void malformed_lines_are_rejected_with_a_reason(void **state)
{
	expect_malformed("garbage", "fewer than 6 fields");
	expect_malformed("22 1 8:1 / / rw\n", "missing ' - ' separator");
	expect_malformed("22 1 8:1 / / rw shared:1 ext4 /dev/sda1 rw\n", "missing ' - '");
	expect_malformed("x 1 8:1 / / rw - ext4 /dev/sda1 rw\n", "mount id");
	expect_malformed("22 -1 8:1 / / rw - ext4 /dev/sda1 rw\n", "parent id");
	expect_malformed("22 1 8-1 / / rw - ext4 /dev/sda1 rw\n", "major:minor");
	expect_malformed("22 1 8:x / / rw - ext4 /dev/sda1 rw\n", "major:minor");
	expect_malformed("22 1 8:1 / / rw - ext4\n", "after ' - '");
	expect_malformed("22 1 8:1 / / rw - ext4 /dev/sda1\n", "after ' - '");
	expect_malformed("22 1 8:1 / / rw -  /dev/sda1 rw\n", "empty filesystem type");
	expect_malformed("22 1 8:1  / rw - ext4 /dev/sda1 rw\n", "empty root or mount point");
}

static void load_reads_every_entry_in_order(void **state)
{
	cleanup_free char *path =
		write_file(ROOT_LINE CG_LINE "\n" PRIVATE_LINE ESCAPED_LINE EMPTY_SOURCE_LINE);
	cleanup(mountinfo_freep) struct mountinfo *mi = NULL;
	struct berth_err *err = NULL;

	mi = mountinfo_load(path, 0, &err);
	assert_null(err);
	assert_non_null(mi);
	/* the empty line is skipped */
	assert_int_equal(mi->n, 5);
	assert_int_equal(mi->v[0].mount_id, 22);
	assert_string_equal(mi->v[1].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(mi->v[1].super_opts, "rw,cpu,cpuacct");
	assert_string_equal(mi->v[2].fstype, "tmpfs");
	assert_string_equal(mi->v[3].mount_point, "/mnt/a b\tc\nd\\e");
	assert_string_equal(mi->v[4].source, "");
	assert_string_equal(mi->v[4].super_opts, "rw,inode64");
}

static void streaming_gives_the_same_entries_as_load(void **state)
{
	cleanup_free char *path = write_file(ROOT_LINE CG_LINE PRIVATE_LINE ESCAPED_LINE);
	cleanup(mountinfo_freep) struct mountinfo *mi = NULL;
	cleanup(mountinfo_closep) struct mountinfo_reader *r = NULL;
	struct berth_err *err = NULL;
	struct mountinfo_entry e;
	size_t i = 0;
	int ret;

	mi = mountinfo_load(path, 0, &err);
	assert_non_null(mi);
	r = mountinfo_open(path, 0, &err);
	assert_non_null(r);
	while ((ret = mountinfo_next(r, &e, &err)) == 1) {
		assert_true(i < mi->n);
		assert_int_equal(e.mount_id, mi->v[i].mount_id);
		assert_int_equal(e.parent_id, mi->v[i].parent_id);
		assert_string_equal(e.root, mi->v[i].root);
		assert_string_equal(e.mount_point, mi->v[i].mount_point);
		assert_string_equal(e.optional, mi->v[i].optional);
		assert_string_equal(e.fstype, mi->v[i].fstype);
		assert_string_equal(e.source, mi->v[i].source);
		assert_string_equal(e.super_opts, mi->v[i].super_opts);
		i++;
	}
	assert_int_equal(ret, 0);
	assert_null(err);
	assert_int_equal(i, 4);
	/* at the end it stays at the end */
	assert_int_equal(mountinfo_next(r, &e, &err), 0);
}

static void malformed_line_error_names_the_file_and_line_number(void **state)
{
	cleanup_free char *path = write_file(ROOT_LINE CG_LINE "36 24 0:31 / /broken rw\n");
	cleanup_free char *want = xasprintf("'%s' line 3: missing ' - ' separator", path);
	cleanup(mountinfo_closep) struct mountinfo_reader *r = NULL;
	struct berth_err *err = NULL;
	struct mountinfo_entry e;

	assert_null(mountinfo_load(path, 0, &err));
	assert_non_null(err);
	assert_int_equal(err->code, BERTH_E_INVALID);
	assert_string_equal(err->msg, want);
	berth_err_free(&err);

	r = mountinfo_open(path, 0, &err);
	assert_non_null(r);
	assert_int_equal(mountinfo_next(r, &e, &err), 1);
	assert_int_equal(mountinfo_next(r, &e, &err), 1);
	assert_int_equal(mountinfo_next(r, &e, &err), -1);
	assert_non_null(err);
	assert_string_equal(err->msg, want);
	berth_err_free(&err);
}

static void missing_file_is_not_found_and_named(void **state)
{
	/* an fd number this process does not have */
	cleanup_free char *path = xasprintf("/proc/self/fd/%d", 1 << 20);
	struct berth_err *err = NULL;

	assert_null(mountinfo_open(path, 0, &err));
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	assert_non_null(strstr(err->msg, path));
	berth_err_free(&err);
	assert_null(mountinfo_load(path, 0, &err));
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	assert_non_null(strstr(err->msg, path));
	berth_err_free(&err);
}

/* The kernel's own output parses whole, and "/" is one of its mount points. */
static void own_mountinfo_parses_and_has_the_root(void **state)
{
	cleanup(mountinfo_freep) struct mountinfo *self = NULL;
	cleanup(mountinfo_freep) struct mountinfo *bypid = NULL;
	cleanup(mountinfo_closep) struct mountinfo_reader *r = NULL;
	struct berth_err *err = NULL;
	struct mountinfo_entry e;
	size_t streamed = 0;
	bool root = false;
	int ret;

	self = mountinfo_load(NULL, 0, &err);
	if (!self)
		fail_msg("load /proc/self/mountinfo: %s", err->msg);
	bypid = mountinfo_load(NULL, getpid(), &err);
	if (!bypid)
		fail_msg("load /proc/<pid>/mountinfo: %s", err->msg);
	assert_true(self->n > 0);
	assert_int_equal(self->n, bypid->n);
	for (size_t i = 0; i < self->n; i++)
		root |= strcmp(self->v[i].mount_point, "/") == 0;
	assert_true(root);
	r = mountinfo_open(NULL, 0, &err);
	assert_non_null(r);
	while ((ret = mountinfo_next(r, &e, &err)) == 1)
		streamed++;
	if (ret < 0)
		fail_msg("stream /proc/self/mountinfo: %s", err->msg);
	assert_int_equal(streamed, self->n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_without_optional_fields_gives_every_field),
		cmocka_unit_test(optional_fields_are_kept_and_found_by_tag),
		cmocka_unit_test(escaped_paths_and_source_are_unescaped),
		cmocka_unit_test(option_fields_keep_their_escapes),
		cmocka_unit_test(only_valid_escapes_are_decoded),
		cmocka_unit_test(empty_source_is_an_empty_string),
		cmocka_unit_test(malformed_lines_are_rejected_with_a_reason),
		cmocka_unit_test(load_reads_every_entry_in_order),
		cmocka_unit_test(streaming_gives_the_same_entries_as_load),
		cmocka_unit_test(malformed_line_error_names_the_file_and_line_number),
		cmocka_unit_test(missing_file_is_not_found_and_named),
		cmocka_unit_test(own_mountinfo_parses_and_has_the_root),
	};
	return cmocka_run_group_tests_name("mountinfo", tests, NULL, NULL);
}
