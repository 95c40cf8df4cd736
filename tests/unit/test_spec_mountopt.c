/*
 * Unit tests for spec/mountopt.c: a table of option lists and the mount(2)
 * arguments they compile to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/mount.h>

#include "common/strv.h"
#include "spec/mountopt.h"

struct case_ {
	const char *type;
	const char *options; /* comma-separated */
	unsigned long flags, clear, propagation;
	bool bind, rec, rbind, tmpcopyup;
	const char *data;
	unsigned long long attr_set, attr_clr;
};

static const struct case_ cases[] = {
	{"proc", "", 0, 0, 0, false, false, false, false, NULL, 0, 0},
	{"tmpfs", "nosuid,strictatime,mode=755,size=65536k", MS_NOSUID | MS_STRICTATIME, 0, 0,
	 false, false, false, false, "mode=755,size=65536k", 0, 0},
	{"devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5", MS_NOSUID | MS_NOEXEC,
	 0, 0, false, false, false, false, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0, 0},
	{"sysfs", "nosuid,noexec,nodev,ro", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, 0, 0,
	 false, false, false, false, NULL, 0, 0},
	{NULL, "ro,rw", 0, MS_RDONLY, 0, false, false, false, false, NULL, 0, 0},
	{NULL, "rw,ro", MS_RDONLY, 0, 0, false, false, false, false, NULL, 0, 0},
	{NULL, "defaults,suid,dev,exec,async,nomand,atime,diratime,norelatime,nostrictatime", 0,
	 MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK | MS_NOATIME |
		 MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME,
	 0, false, false, false, false, NULL, 0, 0},
	{NULL, "sync,dirsync,remount,mand,noatime,nodiratime,relatime",
	 MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME |
		 MS_RELATIME,
	 0, 0, false, false, false, false, NULL, 0, 0},
	{"none", "bind", 0, 0, 0, true, false, false, false, NULL, 0, 0},
	{"bind", "", 0, 0, 0, true, false, false, false, NULL, 0, 0},
	{"none", "rbind,ro", MS_RDONLY, 0, 0, true, true, true, false, NULL, 0, 0},
	{NULL, "shared", 0, 0, MS_SHARED, false, false, false, false, NULL, 0, 0},
	{NULL, "rshared", 0, 0, MS_SHARED | MS_REC, false, true, false, false, NULL, 0, 0},
	{NULL, "slave", 0, 0, MS_SLAVE, false, false, false, false, NULL, 0, 0},
	{NULL, "rslave", 0, 0, MS_SLAVE | MS_REC, false, true, false, false, NULL, 0, 0},
	{NULL, "private", 0, 0, MS_PRIVATE, false, false, false, false, NULL, 0, 0},
	{NULL, "bind,rprivate", 0, 0, MS_PRIVATE | MS_REC, true, true, false, false, NULL, 0, 0},
	{NULL, "unbindable", 0, 0, MS_UNBINDABLE, false, false, false, false, NULL, 0, 0},
	{NULL, "runbindable", 0, 0, MS_UNBINDABLE | MS_REC, false, true, false, false, NULL, 0, 0},
	{"tmpfs", "tmpcopyup,mode=1777", 0, 0, 0, false, false, false, true, "mode=1777", 0, 0},
	{"none", "rbind,rro,rnosuid,rnodev,rnoexec", 0, 0, 0, true, true, true, false, NULL,
	 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0},
	{NULL, "rro,rrw", 0, 0, 0, false, false, false, false, NULL, 0, MOUNT_ATTR_RDONLY},
	{NULL, "rnoatime", 0, 0, 0, false, false, false, false, NULL, MOUNT_ATTR_NOATIME,
	 MOUNT_ATTR__ATIME},
	{NULL, "rnosymfollow,rdiratime", 0, 0, 0, false, false, false, false, NULL,
	 MOUNT_ATTR_NOSYMFOLLOW, MOUNT_ATTR_NODIRATIME},
	{"overlay", "lowerdir=/a:/b,upperdir=/u,workdir=/w,nodev", MS_NODEV, 0, 0, false, false,
	 false, false, "lowerdir=/a:/b,upperdir=/u,workdir=/w", 0, 0},
	{NULL, "lazytime,iversion,acl,silent,nosymfollow",
	 MS_LAZYTIME | MS_I_VERSION | MS_POSIXACL | MS_SILENT | MS_NOSYMFOLLOW, 0, 0, false, false,
	 false, false, NULL, 0, 0},
};

static void check_case(const struct case_ *c)
{
	struct oci_mount m = {0};

	m.type = (char *)c->type;
	m.options = strv_split(c->options, ",");
	oci_mount_compile(&m);
	if (m.flags != c->flags || m.clear_flags != c->clear || m.propagation != c->propagation)
		fail_msg("'%s': want flags %#lx clear %#lx prop %#lx, got %#lx %#lx %#lx",
			 c->options, c->flags, c->clear, c->propagation, m.flags, m.clear_flags,
			 m.propagation);
	if (m.bind != c->bind || m.rec != c->rec || m.rbind != c->rbind ||
	    m.tmpcopyup != c->tmpcopyup)
		fail_msg("'%s': want bind %d rec %d rbind %d tmpcopyup %d, got %d %d %d %d",
			 c->options, c->bind, c->rec, c->rbind, c->tmpcopyup, m.bind, m.rec,
			 m.rbind, m.tmpcopyup);
	if (m.rec_attr_set != c->attr_set || m.rec_attr_clr != c->attr_clr)
		fail_msg("'%s': want attr set %#llx clr %#llx, got %#llx %#llx", c->options,
			 c->attr_set, c->attr_clr, m.rec_attr_set, m.rec_attr_clr);
	if (c->data)
		assert_string_equal(m.data, c->data);
	else if (m.data)
		fail_msg("'%s': want no data, got '%s'", c->options, m.data);
	strv_free(m.options);
	free(m.data);
}

static void options_compile_to_mount_arguments(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

static void compiling_twice_gives_the_same_result(void **state)
{
	struct oci_mount m = {0};

	m.options = strv_split("ro,mode=755", ",");
	oci_mount_compile(&m);
	oci_mount_compile(&m);
	assert_int_equal(m.flags, MS_RDONLY);
	assert_string_equal(m.data, "mode=755");
	strv_free(m.options);
	free(m.data);
}

static void every_listed_option_is_known_and_data_is_not(void **state)
{
	size_t n = 0;

	for (const char *o; (o = oci_mount_option_name(n)); n++)
		assert_true(oci_mount_option_is_known(o));
	assert_true(n > 60);
	assert_false(oci_mount_option_is_known("mode=755"));
	assert_false(oci_mount_option_is_known("newinstance"));
	assert_false(oci_mount_option_is_known(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(options_compile_to_mount_arguments),
		cmocka_unit_test(compiling_twice_gives_the_same_result),
		cmocka_unit_test(every_listed_option_is_known_and_data_is_not),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
