/*
 * Unit tests for runtime/lib/idmount.c: which mounts are idmapped, and the
 * validation of their mappings (rt_idmounts_check), from config.json text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/idmount.h"

#define MAP(c, h, s) "{\"containerID\": " #c ", \"hostID\": " #h ", \"size\": " #s "}"
#define BIND "\"destination\": \"/data\", \"source\": \"/src\", \"options\": [\"bind\"]"

struct case_ {
	const char *name;
	const char *mount;  /* the one mounts[] entry */
	const char *linux_; /* the "linux" object, or NULL */
	const char *err;    /* a substring of the error, NULL for success */
	bool wanted;
};

static const struct case_ cases[] = {
	{"plain bind", "{" BIND "}", NULL, NULL, false},
	{"mappings",
	 "{" BIND
	 ", \"uidMappings\": [" MAP(0, 1000, 1) "], \"gidMappings\": [" MAP(0, 1000, 1) "]}",
	 NULL, NULL, true},
	{"containerID overlap",
	 "{" BIND ", \"uidMappings\": [" MAP(0, 1000, 1) "], \"gidMappings\": [" MAP(
		 0, 1000, 10) "," MAP(9, 5000, 1) "]}",
	 NULL, "mounts[0] '/data': gidMappings[1]: containerID range overlaps gidMappings[0]",
	 true},
	{"hostID overlap",
	 "{" BIND ", \"uidMappings\": [" MAP(0, 1000, 10) "," MAP(
		 100, 1005, 10) "], \"gidMappings\": [" MAP(0, 1000, 1) "]}",
	 NULL, "uidMappings[1]: hostID range overlaps uidMappings[0]", true},
	{"adjacent extents",
	 "{" BIND ", \"uidMappings\": [" MAP(0, 1000, 10) "," MAP(
		 10, 1010, 10) "], \"gidMappings\": [" MAP(0, 1000, 1) "]}",
	 NULL, NULL, true},
	{"uid only", "{" BIND ", \"uidMappings\": [" MAP(0, 1000, 1) "]}", NULL,
	 "mounts[0] '/data': an idmapped mount needs both uidMappings and gidMappings", true},
	{"not a bind",
	 "{\"destination\": \"/data\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"uidMappings\": [" MAP(
		 0, 1000, 1) "], \"gidMappings\": [" MAP(0, 1000, 1) "]}",
	 NULL, "mounts[0] '/data': uidMappings/gidMappings are only supported on bind mounts",
	 true},
	{"idmap option without any mapping",
	 "{\"destination\": \"/data\", \"source\": \"/src\", \"options\": [\"bind\", \"idmap\"]}",
	 NULL, "option 'idmap' needs uidMappings", true},
	{"idmap option with the container's mapping",
	 "{\"destination\": \"/data\", \"source\": \"/src\", \"options\": [\"rbind\", \"ridmap\"]}",
	 "{\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": [" MAP(
		 0, 100000, 65536) "], \"gidMappings\": [" MAP(0, 100000, 65536) "]}",
	 NULL, true},
};

static struct oci_spec *spec_of(const struct case_ *c)
{
	cleanup_free char *json = xasprintf(
		"{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"rootfs\"}, \"mounts\": [%s]%s%s}",
		c->mount, c->linux_ ? ", \"linux\": " : "", c->linux_ ? c->linux_ : "");
	struct berth_err *err = NULL;
	struct oci_spec *s = NULL;

	if (oci_spec_parse(json, strlen(json), "config.json", &s, &err) < 0)
		fail_msg("%s: parse: %s", c->name, err->msg);
	return s;
}

static void check_table(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *c = &cases[i];
		cleanup(oci_spec_freep) struct oci_spec *s = spec_of(c);
		struct berth_err *err = NULL;
		int r = rt_idmounts_check(s, &err);

		if (rt_idmount_wanted(&s->mounts[0]) != c->wanted)
			fail_msg("%s: wanted is %d, expected %d", c->name, !c->wanted, c->wanted);
		if (!c->err && r < 0)
			fail_msg("%s: expected success, got '%s'", c->name, err->msg);
		if (c->err && r == 0)
			fail_msg("%s: expected an error with '%s', got success", c->name, c->err);
		if (c->err && !strstr(err->msg, c->err))
			fail_msg("%s: expected an error with '%s', got '%s'", c->name, c->err,
				 err->msg);
		berth_err_free(&err);
	}
}

static void too_many_extents_fail(void **state)
{
	cleanup_free char *maps = xstrdup("");
	cleanup_free char *mount = NULL;
	cleanup(oci_spec_freep) struct oci_spec *s = NULL;
	struct berth_err *err = NULL;
	struct case_ c = {"341 extents", NULL, NULL, NULL, true};

	for (int i = 0; i < 341; i++) {
		char *t = xasprintf("%s%s{\"containerID\": %d, \"hostID\": %d, \"size\": 1}", maps,
				    i ? "," : "", i, 1000 + i);
		free(maps);
		maps = t;
	}
	mount = xasprintf(
		"{" BIND ", \"uidMappings\": [%s], \"gidMappings\": [" MAP(0, 1000, 1) "]}", maps);
	c.mount = mount;
	s = spec_of(&c);
	assert_int_equal(rt_idmounts_check(s, &err), -1);
	assert_non_null(strstr(err->msg, "uidMappings: 341 extents, at most 340 allowed"));
	berth_err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_table),
		cmocka_unit_test(too_many_extents_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
