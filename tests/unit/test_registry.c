/* Unit tests for supervisor/registry/: references, platforms, WWW-Authenticate, config.json,
 * manifest documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/registry/manifest.h"
#include "supervisor/registry/registry.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void ref_ok(const char *in, const char *want)
{
	struct reg_ref *r = NULL;
	struct berth_err *err = NULL;
	cleanup_free char *s = NULL;

	if (reg_ref_parse(in, &r, &err) < 0)
		fail_msg("'%s': %s", in, err->msg);
	s = reg_ref_string(r);
	if (strcmp(s, want) != 0)
		fail_msg("'%s': expected '%s', got '%s'", in, want, s);
	reg_ref_free(r);
}

static void ref_bad(const char *in, const char *part)
{
	struct reg_ref *r = NULL;
	struct berth_err *err = NULL;

	if (reg_ref_parse(in, &r, &err) == 0)
		fail_msg("'%s' was accepted", in);
	assert_int_equal(err->code, BERTH_E_INVALID);
	if (!strstr(err->msg, part))
		fail_msg("'%s': error '%s' does not name '%s'", in, err->msg, part);
	berth_err_free(&err);
}

static void ref_docker_io_defaults(void **state)
{
	ref_ok("busybox", "docker.io/library/busybox:latest");
	ref_ok("busybox:1.36", "docker.io/library/busybox:1.36");
	ref_ok("user/app", "docker.io/user/app:latest");
	ref_ok("docker.io/busybox", "docker.io/library/busybox:latest");
	ref_ok("index.docker.io/library/busybox:x", "docker.io/library/busybox:x");
	ref_ok("busybox@sha256:" D64, "docker.io/library/busybox@sha256:" D64);
	ref_ok("busybox:t@sha256:" D64, "docker.io/library/busybox:t@sha256:" D64);
}

static void ref_hosts_ports_paths(void **state)
{
	ref_ok("localhost:5000/a/b:c", "localhost:5000/a/b:c");
	ref_ok("localhost/x", "localhost/x:latest");
	ref_ok("127.0.0.1:5000/x", "127.0.0.1:5000/x:latest");
	ref_ok("ghcr.io/o/r-1.x__y", "ghcr.io/o/r-1.x__y:latest");
	ref_ok("quay.io/a/b/c:v1.2-3_x", "quay.io/a/b/c:v1.2-3_x");
	ref_ok("a--b/c", "docker.io/a--b/c:latest");
	/* a ':' in the host is a port, not a tag */
	ref_ok("host:5000/x", "host:5000/x:latest");
}

static void ref_errors_name_the_part(void **state)
{
	ref_bad("", "empty");
	ref_bad("Busybox", "Busybox");
	ref_bad("busybox:", "invalid tag ''");
	ref_bad("busybox:-x", "invalid tag '-x'");
	ref_bad("busybox@sha256:abc", "invalid digest 'sha256:abc'");
	ref_bad("busybox@md5", "invalid digest 'md5'");
	ref_bad("a//b", "component ''");
	ref_bad("a/b_/c", "component 'b_'");
	ref_bad("a/.b", "component '.b'");
	ref_bad("host:99999/x", "invalid registry host 'host:99999'");
	ref_bad("host:5x/x", "invalid registry host 'host:5x'");
	ref_bad(":tag", "empty repository name");
}

static void platform_parse_and_match(void **state)
{
	struct reg_platform p;
	struct berth_err *err = NULL;

	assert_int_equal(reg_platform_parse(NULL, &p, &err), 0);
	assert_string_equal(p.os, "linux");
	assert_string_equal(p.arch, "amd64");
	assert_true(reg_platform_match(&p, "linux", "amd64", NULL));
	assert_true(reg_platform_match(&p, "linux", "x86_64", ""));
	assert_false(reg_platform_match(&p, "linux", "arm64", NULL));
	assert_false(reg_platform_match(&p, "windows", "amd64", NULL));
	assert_false(reg_platform_match(&p, NULL, "amd64", NULL));
	reg_platform_clear(&p);

	assert_int_equal(reg_platform_parse("linux/arm64", &p, &err), 0);
	assert_true(reg_platform_match(&p, "linux", "arm64", "v8"));
	assert_true(reg_platform_match(&p, "linux", "aarch64", NULL));
	reg_platform_clear(&p);

	assert_int_equal(reg_platform_parse("linux/arm64/v8", &p, &err), 0);
	assert_true(reg_platform_match(&p, "linux", "arm64", NULL)); /* v8 is arm64's default */
	reg_platform_clear(&p);

	assert_int_equal(reg_platform_parse("linux/arm/v6", &p, &err), 0);
	assert_false(reg_platform_match(&p, "linux", "arm", "v7"));
	assert_false(reg_platform_match(&p, "linux", "arm", NULL)); /* arm defaults to v7 */
	assert_true(reg_platform_match(&p, "linux", "arm", "v6"));
	reg_platform_clear(&p);

	assert_int_equal(reg_platform_parse("linux", &p, &err), -1);
	assert_non_null(strstr(err->msg, "platform 'linux'"));
	berth_err_free(&err);
	assert_int_equal(reg_platform_parse("linux//amd64", &p, &err), -1);
	berth_err_free(&err);
	assert_int_equal(reg_platform_parse("linux/AMD64", &p, &err), -1);
	assert_non_null(strstr(err->msg, "invalid architecture 'AMD64'"));
	berth_err_free(&err);
	assert_int_equal(reg_platform_parse("a/b/c/d", &p, &err), -1);
	berth_err_free(&err);
}

static void challenge_bearer_and_basic(void **state)
{
	struct reg_challenge c;
	struct berth_err *err = NULL;

	assert_int_equal(
		reg_challenge_parse(
			"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"",
			&c, &err),
		0);
	assert_string_equal(c.scheme, "bearer");
	assert_string_equal(c.realm, "https://auth.docker.io/token");
	assert_string_equal(c.service, "registry.docker.io");
	assert_string_equal(c.scope, "repository:library/busybox:pull");
	assert_null(c.error);
	reg_challenge_clear(&c);

	/* tokens, spaces, escapes, unknown params, a scope with two actions */
	assert_int_equal(
		reg_challenge_parse(
			"bearer  realm=http://127.0.0.1:1/t , Service=\"a \\\"b\\\"\", x=y,scope=\"repository:a:pull,push\",error=\"invalid_token\"",
			&c, &err),
		0);
	assert_string_equal(c.realm, "http://127.0.0.1:1/t");
	assert_string_equal(c.service, "a \"b\"");
	assert_string_equal(c.scope, "repository:a:pull,push");
	assert_string_equal(c.error, "invalid_token");
	reg_challenge_clear(&c);

	assert_int_equal(reg_challenge_parse("Basic realm=\"Registry Realm\"", &c, &err), 0);
	assert_string_equal(c.scheme, "basic");
	assert_string_equal(c.realm, "Registry Realm");
	reg_challenge_clear(&c);

	assert_int_equal(reg_challenge_parse("", &c, &err), -1);
	assert_non_null(strstr(err->msg, "no scheme"));
	berth_err_free(&err);
	assert_int_equal(reg_challenge_parse("Bearer realm=\"unterminated", &c, &err), -1);
	assert_non_null(strstr(err->msg, "bad value for 'realm'"));
	berth_err_free(&err);
	assert_int_equal(reg_challenge_parse("Bearer realm", &c, &err), -1);
	berth_err_free(&err);
}

static char *tmpdir_new(void)
{
	char *d = xstrdup("/tmp/test_registry.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void creds_read_docker_config(void **state)
{
	cleanup_free char *dir = tmpdir_new();
	cleanup_free char *path = xasprintf("%s/config.json", dir);
	struct reg_cred c;
	struct berth_err *err = NULL;

	/* "alice:s3cr:et" -> YWxpY2U6czNjcjpldA== ; "bob:pw" -> Ym9iOnB3 */
	write_file(path, "{\"auths\": {"
			 "\"https://index.docker.io/v1/\": {\"auth\": \"Ym9iOnB3\"},"
			 "\"localhost:5000\": {\"auth\": \"YWxpY2U6czNjcjpldA==\"},"
			 "\"https://reg.example:444/v2/\": {\"identitytoken\": \"rt-1\"},"
			 "\"plain.example\": {\"username\": \"u\", \"password\": \"p\"}},"
			 "\"credsStore\": \"none\"}");
	assert_int_equal(reg_creds_lookup(path, "localhost:5000", &c, &err), 1);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "s3cr:et");
	reg_cred_clear(&c);
	assert_int_equal(reg_creds_lookup(path, "docker.io", &c, &err), 1);
	assert_string_equal(c.username, "bob");
	assert_string_equal(c.password, "pw");
	reg_cred_clear(&c);
	assert_int_equal(reg_creds_lookup(path, "reg.example:444", &c, &err), 1);
	assert_null(c.username);
	assert_string_equal(c.identitytoken, "rt-1");
	reg_cred_clear(&c);
	assert_int_equal(reg_creds_lookup(path, "plain.example", &c, &err), 1);
	assert_string_equal(c.username, "u");
	assert_string_equal(c.password, "p");
	reg_cred_clear(&c);
	assert_int_equal(reg_creds_lookup(path, "localhost:5001", &c, &err), 0);
	assert_null(c.username);
	assert_int_equal(reg_creds_lookup(NULL, "x", &c, &err), 0);
	cleanup_free char *missing = xasprintf("%s/none.json", dir);
	assert_int_equal(reg_creds_lookup(missing, "x", &c, &err), 0);

	write_file(path, "{\"auths\": {\"h\": {\"auth\": \"bm9jb2xvbg==\"}}}"); /* "nocolon" */
	assert_int_equal(reg_creds_lookup(path, "h", &c, &err), -1);
	assert_non_null(strstr(err->msg, "auths.\"h\".auth"));
	berth_err_free(&err);
	write_file(path, "{\"auths\": [1]}");
	assert_int_equal(reg_creds_lookup(path, "h", &c, &err), -1);
	assert_non_null(strstr(err->msg, "auths: not an object"));
	berth_err_free(&err);
	unlink(path);
	rmdir(dir);
}

static void creds_store_and_remove_keep_the_rest(void **state)
{
	cleanup_free char *dir = tmpdir_new();
	cleanup_free char *path = xasprintf("%s/sub/config.json", dir);
	cleanup_free char *text = NULL;
	size_t len;
	struct stat st;
	struct reg_cred c;
	struct berth_err *err = NULL;

	assert_int_equal(reg_creds_store(path, "localhost:5000", "alice", "pw:1", &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(reg_creds_lookup(path, "localhost:5000", &c, &err), 1);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "pw:1");
	reg_cred_clear(&c);
	assert_int_equal(reg_creds_store(path, "docker.io", "bob", "x", &err), 0);
	assert_int_equal(fs_read_file(AT_FDCWD, path, &text, &len, &err), 0);
	assert_non_null(strstr(text, "https://index.docker.io/v1/"));
	assert_int_equal(reg_creds_remove(path, "localhost:5000", &err), 0);
	assert_int_equal(reg_creds_lookup(path, "localhost:5000", &c, &err), 0);
	assert_int_equal(reg_creds_lookup(path, "docker.io", &c, &err), 1);
	reg_cred_clear(&c);
	assert_int_equal(reg_creds_remove(path, "localhost:5000", &err), -1);
	assert_int_equal(err->code, BERTH_E_NOT_FOUND);
	berth_err_free(&err);
	assert_int_equal(reg_creds_store(path, "h", "a:b", "x", &err), -1);
	berth_err_free(&err);
	unlink(path);
	cleanup_free char *sub = xasprintf("%s/sub", dir);
	rmdir(sub);
	rmdir(dir);
}

static void manifest_documents(void **state)
{
	struct reg_doc *m = NULL;
	struct berth_err *err = NULL;
	const char *idx =
		"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" REG_MT_OCI_MANIFEST
		"\",\"digest\":\"sha256:" D64 "\",\"size\":7,\"platform\":{\"os\":\"linux\","
		"\"architecture\":\"arm\",\"variant\":\"v7\"}}]}";
	const char *man = "{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_DOCKER_MANIFEST
			  "\",\"config\":{\"mediaType\":\"c\",\"digest\":\"sha256:" D64
			  "\",\"size\":3},\"layers\":[]}";

	assert_int_equal(reg_doc_parse(idx, strlen(idx), NULL, "i", &m, &err), 0);
	assert_true(m->index);
	assert_string_equal(m->self.media_type, REG_MT_OCI_INDEX);
	assert_int_equal(m->n, 1);
	assert_string_equal(m->children[0].variant, "v7");
	reg_doc_free(m);
	assert_int_equal(reg_doc_parse(man, strlen(man), "application/json", "m", &m, &err), 0);
	assert_false(m->index);
	assert_string_equal(m->self.media_type, REG_MT_DOCKER_MANIFEST);
	assert_int_equal(m->config.size, 3);
	reg_doc_free(m);

	const char *v1 = "{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}";
	assert_int_equal(reg_doc_parse(v1, strlen(v1), REG_MT_DOCKER_V1_SIGNED, "m", &m, &err), -1);
	assert_non_null(strstr(err->msg, "schema 1 is not supported"));
	berth_err_free(&err);
	const char *bad = "{\"schemaVersion\":2,\"mediaType\":\"" REG_MT_OCI_MANIFEST
			  "\",\"config\":{\"digest\":\"sha256:x\",\"size\":1},\"layers\":[]}";
	assert_int_equal(reg_doc_parse(bad, strlen(bad), NULL, "m", &m, &err), -1);
	assert_non_null(strstr(err->msg, "m: config.digest"));
	berth_err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ref_docker_io_defaults),
		cmocka_unit_test(ref_hosts_ports_paths),
		cmocka_unit_test(ref_errors_name_the_part),
		cmocka_unit_test(platform_parse_and_match),
		cmocka_unit_test(challenge_bearer_and_basic),
		cmocka_unit_test(creds_read_docker_config),
		cmocka_unit_test(creds_store_and_remove_keep_the_rest),
		cmocka_unit_test(manifest_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
