/* Unit tests for supervisor/cni/: config loading and validation, result parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/cni/cni.h"
#include "supervisor/cni/cni_internal.h"

/* parses s as a config; returns the error message (caller frees) or NULL on success */
static char *conf_err(const char *s)
{
	struct cni_config *c = NULL;
	struct berth_err *err = NULL;
	char *msg;

	if (cni_config_parse(s, strlen(s), "t.conflist", &c, &err) == 0) {
		cni_config_free(c);
		return NULL;
	}
	msg = xstrdup(err->msg);
	berth_err_free(&err);
	return msg;
}

#define assert_conf_err(json, want)                                                  \
	do {                                                                         \
		cleanup_free char *m_ = conf_err(json);                              \
		if (!m_ || !strstr(m_, want))                                        \
			fail_msg("config %s: want error '%s', got '%s'", json, want, \
				 m_ ? m_ : "(success)");                             \
	} while (0)

static void conflist_is_parsed(void **state)
{
	const char *s = "{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"plugins\":["
			"{\"type\":\"bridge\",\"bridge\":\"cni0\"},"
			"{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}]}";
	cleanup(cni_config_freep) struct cni_config *c = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(cni_config_parse(s, strlen(s), "t", &c, &err), 0);
	assert_string_equal(c->name, "net");
	assert_string_equal(c->cni_version, "1.0.0");
	assert_int_equal(c->n_plugins, 2);
	assert_string_equal(c->plugins[0].type, "bridge");
	assert_false(c->plugins[0].cap_port_mappings);
	assert_true(c->plugins[1].cap_port_mappings);
}

static void single_conf_is_a_list_of_one(void **state)
{
	const char *s = "{\"cniVersion\":\"0.4.0\",\"name\":\"lo\",\"type\":\"loopback\"}";
	cleanup(cni_config_freep) struct cni_config *c = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(cni_config_parse(s, strlen(s), "t", &c, &err), 0);
	assert_int_equal(c->n_plugins, 1);
	assert_string_equal(c->plugins[0].type, "loopback");
}

static void bad_configs_name_file_and_field(void **state)
{
	assert_conf_err("{", "t.conflist: unexpected end of JSON");
	assert_conf_err("[1]", "t.conflist: not a JSON object");
	assert_conf_err("{} x", "t.conflist: offset 3:");
	assert_conf_err("{\"name\":\"n\",\"plugins\":[]}", "t.conflist: cniVersion: missing");
	assert_conf_err("{\"cniVersion\":1,\"name\":\"n\"}", "cniVersion: not a string");
	assert_conf_err("{\"cniVersion\":\"9.9.9\",\"name\":\"n\"}",
			"cniVersion: unsupported version '9.9.9'");
	assert_conf_err("{\"cniVersion\":\"1.0.0\"}", "t.conflist: name: missing");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":[]}", "name: not a string");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\"}", "name: invalid");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", "plugins: missing");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":{}}",
			"plugins: not an array");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[]}",
			"plugins: empty");
	assert_conf_err(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"a\"},7]}",
		"plugins[1]: not an object");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{}]}",
			"plugins[0].type: missing");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":true}]}",
			"plugins[0].type: not a string");
	assert_conf_err(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"../sh\"}]}",
		"plugins[0].type: invalid plugin name '../sh'");
	assert_conf_err("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"..\"}]}",
			"invalid plugin name");
	assert_conf_err(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"a\",\"capabilities\":1}]}",
		"plugins[0].capabilities: not an object");
	assert_conf_err(
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"disableCheck\":\"yes\",\"plugins\":[{\"type\":\"a\"}]}",
		"disableCheck: not a boolean");
}

static void huge_plugin_list_is_refused(void **state)
{
	char *s = xstrdup("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[");

	for (int i = 0; i < 100; i++) {
		char *t = xasprintf("%s%s{\"type\":\"p%d\"}", s, i ? "," : "", i);

		free(s);
		s = t;
	}
	char *t = xasprintf("%s]}", s);
	free(s);
	assert_conf_err(t, "plugins: 100 plugins, at most 64");
	free(t);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void dir_loads_first_valid_in_lexical_order(void **state)
{
	char dir[] = "/tmp/test_cni.XXXXXX";
	cleanup(cni_config_freep) struct cni_config *c = NULL;
	struct berth_err *err = NULL;
	cleanup_free char *a = NULL, *b = NULL, *z = NULL, *x = NULL;

	assert_non_null(mkdtemp(dir));
	a = xasprintf("%s/10-bad.conflist", dir);
	b = xasprintf("%s/20-b.conflist", dir);
	z = xasprintf("%s/30-a.conf", dir);
	x = xasprintf("%s/05-ignored.txt", dir);
	assert_int_equal(cni_config_load_dir(dir, &c, &err), -1);
	assert_non_null(strstr(err->msg, "no network config in"));
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
	write_file(a, "{\"name\":1}");
	assert_int_equal(cni_config_load_dir(dir, &c, &err), -1);
	assert_non_null(strstr(err->msg, "10-bad.conflist: cniVersion: missing"));
	berth_err_free(&err);
#define W(p, s) write_file(p, s)
	W(b, "{\"cniVersion\":\"1.0.0\",\"name\":\"b\",\"plugins\":[{\"type\":\"x\"}]}");
	W(z, "{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"type\":\"x\"}");
	W(x, "{\"cniVersion\":\"1.0.0\",\"name\":\"txt\",\"type\":\"x\"}");
	assert_int_equal(cni_config_load_dir(dir, &c, &err), 0);
	assert_string_equal(c->name, "b");
	unlink(a);
	unlink(b);
	unlink(z);
	unlink(x);
	rmdir(dir);
}

/* parses s as a result; returns the error message (caller frees) or NULL */
static char *res_err(const char *s)
{
	struct cni_result *r = NULL;
	struct berth_err *err = NULL;
	char *msg;

	if (cni_result_parse(s, strlen(s), "res", &r, &err) == 0) {
		cni_result_free(r);
		return NULL;
	}
	msg = xstrdup(err->msg);
	berth_err_free(&err);
	return msg;
}

#define assert_res_err(json, want)                                                   \
	do {                                                                         \
		cleanup_free char *m_ = res_err(json);                               \
		if (!m_ || !strstr(m_, want))                                        \
			fail_msg("result %s: want error '%s', got '%s'", json, want, \
				 m_ ? m_ : "(success)");                             \
	} while (0)

static void result_is_parsed(void **state)
{
	const char *s =
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"aa:bb\"},"
		"{\"name\":\"eth0\",\"sandbox\":\"/run/ns\"}],"
		"\"ips\":[{\"address\":\"10.88.0.2/16\",\"gateway\":\"10.88.0.1\",\"interface\":1}],"
		"\"routes\":[{\"dst\":\"0.0.0.0/0\"}],"
		"\"dns\":{\"nameservers\":[\"10.0.0.53\"],\"search\":[\"a.b\"],\"domain\":\"b\"}}";
	cleanup(cni_result_freep) struct cni_result *r = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(cni_result_parse(s, strlen(s), "res", &r, &err), 0);
	assert_int_equal(r->n_interfaces, 2);
	assert_string_equal(r->interfaces[1].sandbox, "/run/ns");
	assert_null(r->interfaces[0].sandbox);
	assert_int_equal(r->n_ips, 1);
	assert_string_equal(r->ips[0].address, "10.88.0.2/16");
	assert_string_equal(r->ips[0].gateway, "10.88.0.1");
	assert_int_equal(r->ips[0].interface, 1);
	assert_int_equal(r->n_routes, 1);
	assert_null(r->routes[0].gw);
	assert_string_equal(r->dns_nameservers[0], "10.0.0.53");
	assert_string_equal(r->dns_search[0], "a.b");
	assert_string_equal(r->dns_domain, "b");
	assert_string_equal(r->raw, s);
}

static void hostile_results_are_refused_with_the_field(void **state)
{
	assert_res_err("", "res: unexpected end of JSON");
	assert_res_err("nul", "res:");
	assert_res_err("\"x\"", "res: not a JSON object");
	assert_res_err("{}", "res: cniVersion: missing");
	assert_res_err("{\"cniVersion\":\"0.2.0\"}", "unsupported version '0.2.0'");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"ips\":{}}", "res: ips: not an array");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"ips\":[1]}", "res: ips[0]: not an object");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"ips\":[{}]}", "res: ips[0].address: missing");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":5}]}",
		       "ips[0].address: not a string");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.0.0.1\"}]}",
		       "ips[0].address: '10.0.0.1' is not in CIDR notation");
	assert_res_err(
		"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"1.1.1.1/8\",\"interface\":0}]}",
		"ips[0].interface: index 0 out of range (0 interfaces)");
	assert_res_err(
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"e\"}],\"ips\":[{\"address\":\"1.1.1.1/8\",\"interface\":-1}]}",
		"index -1 out of range");
	assert_res_err(
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"e\"}],\"ips\":[{\"address\":\"1.1.1.1/8\",\"interface\":99999999999999999999}]}",
		"ips[0].interface:");
	assert_res_err(
		"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"1.1.1.1/8\",\"interface\":\"0\"}]}",
		"ips[0].interface: not an integer");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"mac\":\"x\"}]}",
		       "interfaces[0].name: missing");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"routes\":[{\"gw\":\"1.1.1.1\"}]}",
		       "routes[0].dst: missing");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"dns\":[]}", "res: dns: not an object");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"dns\":{\"nameservers\":[1]}}",
		       "dns.nameservers[0]: not a string");
	assert_res_err("{\"cniVersion\":\"1.0.0\",\"dns\":{\"search\":\"a\"}}",
		       "dns.search: not an array");
}

static void huge_result_lists_are_refused(void **state)
{
	size_t n = 5000;
	char *s = xmalloc(64 + n * 4);
	char *p = s + sprintf(s, "{\"cniVersion\":\"1.0.0\",\"routes\":[");

	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s{}", i ? "," : "");
	strcpy(p, "]}");
	assert_res_err(s, "res: routes: 5000 entries, at most 1024");
	free(s);
}

static void plugin_error_text_carries_code_msg_details(void **state)
{
	const char *j =
		"{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"try later\",\"details\":\"busy\"}";
	cleanup_free char *a = cni_exec_error_text(j, strlen(j), "", 1 << 8);
	cleanup_free char *b = cni_exec_error_text("junk", 4, "panic: boom\n", 2 << 8);
	cleanup_free char *c = cni_exec_error_text(NULL, 0, NULL, 9);

	assert_string_equal(a, "code 11: try later: busy");
	assert_string_equal(b, "exit status 2: panic: boom");
	assert_string_equal(c, "killed by signal 9");
}

/* runs ADD of a one-plugin network whose plugin is the shell script body; returns the
 * error message (caller frees) or NULL */
static char *add_with_plugin(const char *body, const char *extra_conf, int timeout_ms)
{
	char dir[] = "/tmp/test_cni_bin.XXXXXX";
	cleanup_free char *path = NULL, *conf = NULL, *script = NULL;
	cleanup(cni_config_freep) struct cni_config *c = NULL;
	struct cni_result *r = NULL;
	struct berth_err *err = NULL;
	char *msg = NULL;

	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/fake", dir);
	script = xasprintf("#!/bin/sh\n%s\n", body);
	write_file(path, script);
	assert_int_equal(chmod(path, 0755), 0);
	conf = xasprintf("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"fake\"%s}",
			 extra_conf);
	assert_int_equal(cni_config_parse(conf, strlen(conf), "t", &c, &err), 0);
	const char *dirs[] = {dir, NULL};
	struct cni_call call = {
		.container_id = "c1",
		.netns = "/nonexistent",
		.bin_dirs = dirs,
		.timeout_ms = timeout_ms,
	};
	if (cni_add(c, &call, &r, &err) < 0) {
		msg = xstrdup(err->msg);
		berth_err_free(&err);
	}
	cni_result_free(r);
	unlink(path);
	rmdir(dir);
	return msg;
}

#define assert_add_err(body, extra, want)                                            \
	do {                                                                         \
		cleanup_free char *m_ = add_with_plugin(body, extra, 5000);          \
		if (!m_ || !strstr(m_, want))                                        \
			fail_msg("plugin %s: want error '%s', got '%s'", body, want, \
				 m_ ? m_ : "(success)");                             \
	} while (0)

static void plugin_output_is_checked(void **state)
{
	cleanup_free char *ok = add_with_plugin(
		"cat >/dev/null; echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.1.0.2/24\"}]}'",
		"", 5000);
	assert_null(ok);
	assert_add_err("cat >/dev/null; echo not json", "",
		       "cni: plugin 'fake' ADD: result: offset");
	assert_add_err("cat >/dev/null; echo '{\"cniVersion\":\"1.0.0\",\"ips\":[{}]}'", "",
		       "cni: plugin 'fake' ADD: result: ips[0].address: missing");
	/* more than CNI_MAX_DOC bytes of output */
	assert_add_err("cat >/dev/null; head -c 3000000 /dev/zero | tr '\\0' x", "",
		       "cni: plugin 'fake' ADD: output larger than 1048576 bytes");
	assert_add_err("echo oops >&2; exit 3", "", "cni: plugin 'fake' ADD: exit status 3: oops");
	assert_add_err("kill -9 $$", "", "cni: plugin 'fake' ADD: killed by signal 9");
}

static void plugin_that_never_reads_stdin_does_not_hurt_us(void **state)
{
	/* a config larger than a pipe buffer, a plugin that exits without reading it: the
	 * write must fail quietly (no SIGPIPE) and the plugin's error be reported */
	size_t n = 1 << 20;
	char *big = xmalloc(n + 32);

	strcpy(big, ",\"pad\":\"");
	memset(big + strlen(big), 'p', n);
	strcpy(big + 8 + n, "\"");
	assert_add_err("exit 4", big, "cni: plugin 'fake' ADD: exit status 4");
	free(big);
}

static void hung_plugin_is_killed_at_the_timeout(void **state)
{
	cleanup_free char *m = add_with_plugin("exec sleep 100", "", 200);

	assert_non_null(m);
	assert_non_null(strstr(m, "cni: plugin 'fake' ADD: no answer within 200 ms: killed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(conflist_is_parsed),
		cmocka_unit_test(single_conf_is_a_list_of_one),
		cmocka_unit_test(bad_configs_name_file_and_field),
		cmocka_unit_test(huge_plugin_list_is_refused),
		cmocka_unit_test(dir_loads_first_valid_in_lexical_order),
		cmocka_unit_test(result_is_parsed),
		cmocka_unit_test(hostile_results_are_refused_with_the_field),
		cmocka_unit_test(huge_result_lists_are_refused),
		cmocka_unit_test(plugin_error_text_carries_code_msg_details),
		cmocka_unit_test(plugin_output_is_checked),
		cmocka_unit_test(plugin_that_never_reads_stdin_does_not_hurt_us),
		cmocka_unit_test(hung_plugin_is_killed_at_the_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
