/*
 * tests/unit/test_ctl_spec.c - supervisor/ctl/spec.c: the OCI spec berthctl run builds from
 * an image config and flags (as containerd's WithImageConfig + docker's flags), the exec
 * process built from a container's spec, --memory sizes, and --user resolution (user.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strv.h"
#include "spec/config.h"
#include "supervisor/ctl/container.h"

#define IMG_CFG                                                                            \
	"{\"config\":{\"Env\":[\"PATH=/img/bin\",\"LANG=C\"],\"Entrypoint\":[\"/entry\"]," \
	"\"Cmd\":[\"arg1\",\"arg2\"],\"WorkingDir\":\"/srv\",\"User\":\"5:6\"},"           \
	"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"

static struct oci_spec *build(const struct ctl_run_opts *o, const char *cfg)
{
	struct berth_err *err = NULL;
	struct oci_spec *s = NULL;
	char *json = NULL;

	if (ctl_spec_build(o, cfg, strlen(cfg), "ns1", "abc", &json, &err) < 0)
		fail_msg("ctl_spec_build: %s", err->msg);
	if (oci_spec_parse(json, strlen(json), "built", &s, &err) < 0)
		fail_msg("the built spec does not parse: %s", err->msg);
	free(json);
	return s;
}

static const char *env_get(char **env, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

static void sizes_take_k_m_g_suffixes_and_reject_garbage(void **state)
{
	struct berth_err *err = NULL;
	int64_t v = 0;

	assert_int_equal(ctl_parse_bytes("123", &v, &err), 0);
	assert_int_equal(v, 123);
	assert_int_equal(ctl_parse_bytes("64m", &v, &err), 0);
	assert_int_equal(v, 64 << 20);
	assert_int_equal(ctl_parse_bytes("1G", &v, &err), 0);
	assert_int_equal(v, 1 << 30);
	assert_int_equal(ctl_parse_bytes("512kb", &v, &err), 0);
	assert_int_equal(v, 512 << 10);
	for (const char *bad[] = {"", "m", "12q", "-5", "0", "1.5m", "99999999999999999999", NULL},
			**b = bad;
	     *b; b++) {
		assert_int_equal(ctl_parse_bytes(*b, &v, &err), -1);
		assert_non_null(strstr(err->msg, "invalid size"));
		berth_err_free(&err);
	}
}

static void image_config_gives_env_args_cwd_and_user(void **state)
{
	struct ctl_run_opts o = {0};
	struct oci_spec *s = build(&o, IMG_CFG);

	assert_string_equal(env_get(s->process->env, "PATH"), "/img/bin");
	assert_string_equal(env_get(s->process->env, "LANG"), "C");
	assert_int_equal(strv_len(s->process->args), 3);
	assert_string_equal(s->process->args[0], "/entry");
	assert_string_equal(s->process->args[2], "arg2");
	assert_string_equal(s->process->cwd, "/srv");
	assert_int_equal(s->process->user.uid, 5);
	assert_int_equal(s->process->user.gid, 6);
	assert_false(s->process->terminal);
	assert_string_equal(s->root->path, "rootfs");
	assert_false(s->root->readonly);
	assert_string_equal(s->linux_->cgroups_path, "/ns1/abc");
	oci_spec_free(s);
}

static void flags_override_the_image_config(void **state)
{
	char *env[] = {"LANG=fr", "NEW=1", NULL};
	char *args[] = {"x", "y", NULL};
	struct ctl_run_opts o = {.env = env,
				 .args = args,
				 .workdir = "/w",
				 .user = "0",
				 .hostname = "h1",
				 .readonly = true,
				 .has_memory = true,
				 .memory = 1 << 20,
				 .has_pids_limit = true,
				 .pids_limit = 9};
	struct oci_spec *s = build(&o, IMG_CFG);

	assert_string_equal(env_get(s->process->env, "LANG"), "fr");
	assert_string_equal(env_get(s->process->env, "NEW"), "1");
	assert_string_equal(env_get(s->process->env, "PATH"), "/img/bin");
	/* args replace Cmd, the entrypoint stays (docker) */
	assert_int_equal(strv_len(s->process->args), 3);
	assert_string_equal(s->process->args[0], "/entry");
	assert_string_equal(s->process->args[1], "x");
	assert_string_equal(s->process->cwd, "/w");
	assert_int_equal(s->process->user.uid, 0);
	assert_int_equal(s->process->user.gid, 0);
	assert_string_equal(s->hostname, "h1");
	assert_true(s->root->readonly);
	assert_int_equal(s->linux_->resources->memory->limit, 1 << 20);
	assert_int_equal(s->linux_->resources->pids_limit, 9);
	oci_spec_free(s);
}

static void a_new_entrypoint_drops_the_image_cmd(void **state)
{
	struct ctl_run_opts o = {.entrypoint = "/bin/echo"};
	struct oci_spec *s = build(&o, IMG_CFG);

	assert_int_equal(strv_len(s->process->args), 1);
	assert_string_equal(s->process->args[0], "/bin/echo");
	oci_spec_free(s);
}

static void an_empty_image_config_gets_containerd_defaults(void **state)
{
	char *args[] = {"sh", NULL};
	struct ctl_run_opts o = {.args = args};
	struct oci_spec *s = build(&o, "{}");
	bool run_tmpfs = false;

	assert_string_equal(env_get(s->process->env, "PATH"),
			    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	assert_null(env_get(s->process->env, "TERM"));
	assert_string_equal(s->process->cwd, "/");
	assert_int_equal(s->process->user.uid, 0);
	assert_true(strv_contains(s->process->capabilities->bounding, "CAP_CHOWN"));
	assert_true(strv_contains(s->process->capabilities->effective, "CAP_NET_RAW"));
	assert_false(strv_contains(s->process->capabilities->bounding, "CAP_SYS_ADMIN"));
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, "/run") == 0)
			run_tmpfs = strcmp(s->mounts[i].type, "tmpfs") == 0;
	assert_true(run_tmpfs);
	oci_spec_free(s);
}

static void bad_input_is_named(void **state)
{
	struct berth_err *err = NULL;
	struct ctl_run_opts o = {0};
	char *json = NULL;

	/* no command anywhere */
	assert_int_equal(ctl_spec_build(&o, "{}", 2, "n", "i", &json, &err), -1);
	assert_non_null(strstr(err->msg, "no command"));
	berth_err_free(&err);
	o.args = (char *[]){"true", NULL};
	o.user = "nobody";
	assert_int_equal(ctl_spec_build(&o, "{}", 2, "n", "i", &json, &err), -1);
	assert_non_null(strstr(err->msg, "user 'nobody'"));
	berth_err_free(&err);
	o.user = NULL;
	o.workdir = "rel/dir";
	assert_int_equal(ctl_spec_build(&o, "{}", 2, "n", "i", &json, &err), -1);
	assert_non_null(strstr(err->msg, "working directory 'rel/dir'"));
	berth_err_free(&err);
	assert_int_equal(ctl_spec_build(&o, "{not json", 9, "n", "i", &json, &err), -1);
	assert_non_null(strstr(err->msg, "image config"));
	berth_err_free(&err);
	assert_null(json);
}

static void exec_process_keeps_the_container_env_and_adds_flags(void **state)
{
	struct ctl_run_opts run = {.env = (char *[]){"A=1", NULL}};
	char *ex_env[] = {"B=2", NULL};
	char *ex_args[] = {"ls", "-l", NULL};
	struct ctl_run_opts ex = {.env = ex_env, .args = ex_args, .user = "7:8"};
	struct berth_err *err = NULL;
	struct oci_process *p = NULL;
	char *spec = NULL, *proc = NULL;

	if (ctl_spec_build(&run, IMG_CFG, strlen(IMG_CFG), "n", "i", &spec, &err) < 0 ||
	    ctl_spec_exec_process(spec, strlen(spec), &ex, &proc, &err) < 0 ||
	    oci_process_parse(proc, strlen(proc), "process", &p, &err) < 0)
		fail_msg("%s", err->msg);
	assert_string_equal(env_get(p->env, "A"), "1");
	assert_string_equal(env_get(p->env, "B"), "2");
	assert_int_equal(strv_len(p->args), 2);
	assert_string_equal(p->args[0], "ls");
	assert_string_equal(p->cwd, "/srv");
	assert_int_equal(p->user.uid, 7);
	assert_int_equal(p->user.gid, 8);
	oci_process_free(p);
	free(spec);
	free(proc);
}

#define PASSWD                                                                           \
	"# comment\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n" \
	"other:x:1001:1001:O:/:/bin/sh\nbroken:x:notanumber:1::/:\n"
#define GROUP "root:x:0:\napp:x:1000:\nstaff:x:50:app,other\nextra:x:2000:app\n"

static void resolve(const char *spec, struct ctl_user *u)
{
	struct berth_err *err = NULL;

	if (ctl_user_resolve(spec, PASSWD, strlen(PASSWD), GROUP, strlen(GROUP), u, &err) < 0)
		fail_msg("resolve '%s': %s", spec, err->msg);
}

static void users_resolve_by_docker_rules(void **state)
{
	struct berth_err *err = NULL;
	struct ctl_user u = {0};

	/* a name: ids and home from passwd (empty gecos kept as a field), groups listing it */
	resolve("app", &u);
	assert_int_equal(u.uid, 1000);
	assert_int_equal(u.gid, 1000);
	assert_string_equal(u.home, "/home/app");
	assert_int_equal(u.n_gids, 2);
	assert_int_equal(u.gids[0], 50);
	assert_int_equal(u.gids[1], 2000);
	ctl_user_clear(&u);
	/* a uid in passwd: its gid (issue #14: -u 1000 got gid 0) */
	resolve("1001", &u);
	assert_int_equal(u.gid, 1001);
	assert_int_equal(u.n_gids, 1);
	ctl_user_clear(&u);
	/* a uid not in passwd: gid 0, home / */
	resolve("4242", &u);
	assert_int_equal(u.uid, 4242);
	assert_int_equal(u.gid, 0);
	assert_string_equal(u.home, "/");
	ctl_user_clear(&u);
	/* an explicit group: by name or number, no supplementary groups */
	resolve("app:staff", &u);
	assert_int_equal(u.gid, 50);
	assert_int_equal(u.n_gids, 0);
	ctl_user_clear(&u);
	resolve("app:77", &u);
	assert_int_equal(u.gid, 77);
	ctl_user_clear(&u);
	/* no files at all: numbers only */
	assert_int_equal(ctl_user_resolve("5:6", NULL, 0, NULL, 0, &u, &err), 0);
	assert_int_equal(u.uid, 5);
	assert_int_equal(u.gid, 6);
	ctl_user_clear(&u);
	for (const char *bad[] = {"nosuch", "app:nogroup", "broken", ":5", "app:", NULL}, **b = bad;
	     *b; b++) {
		assert_int_equal(ctl_user_resolve(*b, PASSWD, strlen(PASSWD), GROUP, strlen(GROUP),
						  &u, &err),
				 -1);
		assert_non_null(err);
		berth_err_free(&err);
	}
}

static void a_resolved_user_sets_ids_groups_and_home(void **state)
{
	unsigned gids[] = {50, 2000};
	struct ctl_user u = {.uid = 1000, .gid = 1000, .gids = gids, .n_gids = 2, .home = "/h"};
	struct ctl_run_opts o = {.user = "app", .resolved = &u};
	struct oci_spec *s = build(&o, IMG_CFG);

	assert_int_equal(s->process->user.uid, 1000);
	assert_int_equal(s->process->user.gid, 1000);
	assert_int_equal(s->process->user.n_additional_gids, 2);
	assert_int_equal(s->process->user.additional_gids[1], 2000);
	assert_string_equal(env_get(s->process->env, "HOME"), "/h");
	oci_spec_free(s);
}

static const struct oci_mount *find_mount(const struct oci_spec *s, const char *dst)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (strcmp(s->mounts[i].destination, dst) == 0)
			return &s->mounts[i];
	return NULL;
}

static void run_flags_map_into_the_spec(void **state)
{
	char *args[] = {"sh", NULL};
	struct ctl_run_opts o = {
		.args = args,
		.volumes = (char *[]){"/tmp:/data:ro", NULL},
		.tmpfs = (char *[]){"/run:size=1m,exec", NULL},
		.mounts = (char *[]){"type=tmpfs,target=/t,tmpfs-size=4096", NULL},
		.ulimits = (char *[]){"nofile=10:20", NULL},
		.cap_add = (char *[]){"net_admin", NULL},
		.cap_drop = (char *[]){"CAP_CHOWN", NULL},
		.security_opts = (char *[]){"no-new-privileges", NULL},
		.has_cpus = true,
		.cpus = 0.5,
		.has_cpu_shares = true,
		.cpu_shares = 256,
		.has_memory = true,
		.memory = 1 << 20,
		.has_memory_swap = true,
		.memory_swap = -1,
	};
	struct oci_spec *s = build(&o, "{}");
	const struct oci_mount *m;

	m = find_mount(s, "/data");
	assert_non_null(m);
	assert_string_equal(m->source, "/tmp");
	assert_true(strv_contains(m->options, "ro"));
	/* --tmpfs /run replaces containerd's /run mount; exec drops noexec */
	m = find_mount(s, "/run");
	assert_true(strv_contains(m->options, "size=1m"));
	assert_false(strv_contains(m->options, "noexec"));
	assert_true(strv_contains(find_mount(s, "/t")->options, "size=4096"));
	assert_int_equal(s->process->n_rlimits, 1);
	assert_int_equal(s->process->rlimits[0].soft, 10);
	assert_int_equal(s->process->rlimits[0].hard, 20);
	assert_true(strv_contains(s->process->capabilities->bounding, "CAP_NET_ADMIN"));
	assert_false(strv_contains(s->process->capabilities->effective, "CAP_CHOWN"));
	assert_true(s->process->no_new_privileges);
	assert_int_equal(s->linux_->resources->cpu->quota, 50000);
	assert_int_equal(s->linux_->resources->cpu->period, 100000);
	assert_int_equal(s->linux_->resources->cpu->shares, 256);
	assert_int_equal(s->linux_->resources->memory->swap, -1);
	oci_spec_free(s);
}

static void bad_run_flags_are_named(void **state)
{
	const struct {
		struct ctl_run_opts o;
		const char *want;
	} cases[] = {
		{{.volumes = (char *[]){"named:/x", NULL}}, "named volumes are not supported"},
		{{.volumes = (char *[]){"/a:rel", NULL}}, "container path must be absolute"},
		{{.mounts = (char *[]){"type=bind,target=/x", NULL}}, "absolute source"},
		{{.mounts = (char *[]){"type=tmpfs,target=/x,bogus=1", NULL}},
		 "unknown key 'bogus'"},
		{{.ulimits = (char *[]){"nofile=5:4", NULL}}, "soft limit is above"},
		{{.cap_drop = (char *[]){"nope", NULL}}, "--cap-drop: unknown capability 'nope'"},
		{{.security_opts = (char *[]){"label=x", NULL}}, "--security-opt 'label=x'"},
		{{.has_memory_swap = true, .memory_swap = 5}, "needs --memory"},
		{{.devices = (char *[]){"/dev/nosuchdev", NULL}}, "--device '/dev/nosuchdev'"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_run_opts o = cases[i].o;
		struct berth_err *err = NULL;
		char *json = NULL;

		o.args = (char *[]){"true", NULL};
		assert_int_equal(ctl_spec_build(&o, "{}", 2, "n", "i", &json, &err), -1);
		if (!strstr(err->msg, cases[i].want))
			fail_msg("case %zu: want '%s' in '%s'", i, cases[i].want, err->msg);
		berth_err_free(&err);
		assert_null(json);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(run_flags_map_into_the_spec),
		cmocka_unit_test(bad_run_flags_are_named),
		cmocka_unit_test(users_resolve_by_docker_rules),
		cmocka_unit_test(a_resolved_user_sets_ids_groups_and_home),
		cmocka_unit_test(sizes_take_k_m_g_suffixes_and_reject_garbage),
		cmocka_unit_test(image_config_gives_env_args_cwd_and_user),
		cmocka_unit_test(flags_override_the_image_config),
		cmocka_unit_test(a_new_entrypoint_drops_the_image_cmd),
		cmocka_unit_test(an_empty_image_config_gets_containerd_defaults),
		cmocka_unit_test(bad_input_is_named),
		cmocka_unit_test(exec_process_keeps_the_container_env_and_adds_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
