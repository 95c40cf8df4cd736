/*
 * Unit tests for runtime/lib/seccomp.c: filters compiled in the parent and
 * loaded in a forked child (after no_new_privs), which reports what it saw
 * through its exit code: 0 = as expected, N = check N failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <seccomp.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/seccomp.h"
#include "spec/config.h"

static char *names1(const char *a)
{
	return (char *)a;
}

/* A spec with default ALLOW and one rule: names -> action (args optional). */
struct fixture {
	struct oci_seccomp spec;
	struct oci_seccomp_syscall call[2];
	char *names[2][4];
	struct oci_seccomp_arg args[4];
};

static void fixture_init(struct fixture *f, const char *name, uint32_t action)
{
	memset(f, 0, sizeof(*f));
	f->spec.default_action = "SCMP_ACT_ALLOW";
	f->spec.default_action_num = SCMP_ACT_ALLOW;
	f->names[0][0] = names1(name);
	f->call[0].names = f->names[0];
	f->call[0].action = "SCMP_ACT_ERRNO";
	f->call[0].action_num = action;
	f->spec.syscalls = f->call;
	f->spec.n_syscalls = 1;
}

/* Runs check() in a child with the filter loaded; returns the child's exit code. */
static int run_filtered(const struct rt_seccomp *sc, int (*check)(int listener))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		int listener = -1, r;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(100);
		r = rt_seccomp_load(sc, &listener);
		if (r < 0)
			_exit(101);
		_exit(check(listener));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int check_getcwd_denied(int listener)
{
	char buf[256];

	if (syscall(SYS_getcwd, buf, sizeof(buf)) != -1)
		return 1;
	if (errno != EPERM)
		return 2;
	if (getppid() <= 0) /* allowed syscalls still work */
		return 3;
	if (listener != -1)
		return 4;
	return 0;
}

static void denied_syscall_fails_with_errno_and_others_work(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "getcwd", SCMP_ACT_ERRNO(EPERM));
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_null(err);
	assert_true(rt_seccomp_insn_count(sc) > 0);
	assert_false(rt_seccomp_has_listener(sc));
	assert_int_equal(run_filtered(sc, check_getcwd_denied), 0);
}

static int check_mkdir_denied(int listener)
{
	char dir[] = "/tmp/berth-test-seccomp-XXXXXX";

	/* mkdtemp uses mkdir(2) itself, so it must fail the same way */
	if (mkdtemp(dir))
		return 1;
	if (syscall(SYS_mkdir, "/tmp/berth-test-seccomp-never", 0700) != -1 || errno != EROFS)
		return 2;
	return 0;
}

static void denied_mkdir_returns_the_configured_errno(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "mkdir", SCMP_ACT_ERRNO(EROFS));
	f.names[0][1] = names1("mkdirat");
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_int_equal(run_filtered(sc, check_mkdir_denied), 0);
}

static int check_dup_arg_filter(int listener)
{
	int fd;

	if (dup2(1, 5) != 5 || dup2(1, 6) != 6) /* dup2/dup3 are not filtered */
		return 1;
	if (syscall(SYS_dup, 5) != -1 || errno != ENOMSG)
		return 2;
	if (syscall(SYS_dup, 6) != -1 || errno != ENOMSG)
		return 3;
	fd = (int)syscall(SYS_dup, 1);
	if (fd < 0)
		return 4;
	return 0;
}

static void arg_comparisons_on_one_index_are_ored_like_runc(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "dup", SCMP_ACT_ERRNO(ENOMSG));
	f.args[0] = (struct oci_seccomp_arg){.index = 0, .value = 5, .op = SCMP_CMP_EQ};
	f.args[1] = (struct oci_seccomp_arg){.index = 0, .value = 6, .op = SCMP_CMP_EQ};
	f.call[0].args = f.args;
	f.call[0].n_args = 2;
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_int_equal(run_filtered(sc, check_dup_arg_filter), 0);
}

static int check_masked_and(int listener)
{
	/* rule: fcntl(fd, cmd == F_GETFD) with fd & 0xf0 == 0x10 -> ENOMSG */
	if (dup2(1, 0x11) != 0x11)
		return 1;
	if (fcntl(0x11, F_GETFD) != -1 || errno != ENOMSG)
		return 2;
	if (fcntl(1, F_GETFD) < 0) /* fd & 0xf0 == 0: allowed */
		return 3;
	if (fcntl(0x11, F_GETFL) < 0) /* other cmd: allowed (comparisons ANDed) */
		return 4;
	return 0;
}

static void arg_comparisons_on_different_indexes_are_anded(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "fcntl", SCMP_ACT_ERRNO(ENOMSG));
	f.args[0] = (struct oci_seccomp_arg){
		.index = 0, .value = 0xf0, .value_two = 0x10, .op = SCMP_CMP_MASKED_EQ};
	f.args[1] = (struct oci_seccomp_arg){.index = 1, .value = F_GETFD, .op = SCMP_CMP_EQ};
	f.call[0].args = f.args;
	f.call[0].n_args = 2;
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_int_equal(run_filtered(sc, check_masked_and), 0);
}

static void unknown_syscall_names_are_skipped_and_recorded(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "getcwd", SCMP_ACT_ERRNO(EPERM));
	f.names[0][1] = names1("no_such_syscall_berth");
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_non_null(rt_seccomp_skipped(sc));
	assert_string_equal(rt_seccomp_skipped(sc)[0], "no_such_syscall_berth");
	assert_null(rt_seccomp_skipped(sc)[1]);
	/* the known name in the same rule is still filtered */
	assert_int_equal(run_filtered(sc, check_getcwd_denied), 0);
}

static void expect_error(struct fixture *f, const char *msg)
{
	struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;

	assert_int_equal(rt_seccomp_compile(&f->spec, &sc, &err), -1);
	assert_null(sc);
	assert_non_null(err);
	if (strcmp(err->msg, msg) != 0)
		fail_msg("expected '%s', got '%s'", msg, err->msg);
	berth_err_free(&err);
}

static void arg_index_above_5_is_rejected_naming_the_path(void **state)
{
	struct fixture f;

	fixture_init(&f, "dup", SCMP_ACT_ERRNO(EPERM));
	f.args[0] = (struct oci_seccomp_arg){.index = 7, .value = 1, .op = SCMP_CMP_EQ};
	f.call[0].args = f.args;
	f.call[0].n_args = 1;
	expect_error(&f, "linux.seccomp.syscalls[0].args[0].index: 7 is out of range (max 5)");
}

static void invalid_comparison_is_rejected_naming_the_path(void **state)
{
	struct fixture f;

	fixture_init(&f, "dup", SCMP_ACT_ERRNO(EPERM));
	f.args[0] = (struct oci_seccomp_arg){.index = 1, .value = 1, .op = 0};
	f.args[1] = (struct oci_seccomp_arg){.index = 2, .value = 1, .op = 99};
	f.call[0].args = f.args;
	f.call[0].n_args = 2;
	expect_error(&f, "linux.seccomp.syscalls[0].args[0].op: invalid comparison 0");
}

static void unknown_architecture_and_flag_are_rejected(void **state)
{
	char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_PDP11", NULL};
	char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO", NULL};
	struct fixture f;

	fixture_init(&f, "dup", SCMP_ACT_ERRNO(EPERM));
	f.spec.architectures = arches;
	expect_error(&f, "linux.seccomp.architectures[1]: unknown architecture 'SCMP_ARCH_PDP11'");
	f.spec.architectures = NULL;
	f.spec.flags = flags;
	expect_error(&f, "linux.seccomp.flags[1]: unknown flag 'SECCOMP_FILTER_FLAG_FOO'");
}

static void notify_without_listener_path_is_rejected(void **state)
{
	struct fixture f;

	fixture_init(&f, "getcwd", SCMP_ACT_NOTIFY);
	expect_error(
		&f,
		"linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
	f.spec.default_action_num = SCMP_ACT_NOTIFY;
	f.spec.listener_path = "/run/x.sock";
	expect_error(&f,
		     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
}

static int check_listener(int listener)
{
	struct stat st;

	if (listener < 0)
		return 1;
	if (fstat(listener, &st) < 0)
		return 2;
	return 0;
}

static void notify_rule_loads_with_a_listener_fd(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "getcwd", SCMP_ACT_NOTIFY);
	f.spec.listener_path = "/run/berth-test.sock";
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_true(rt_seccomp_has_listener(sc));
	assert_int_equal(run_filtered(sc, check_listener), 0);
}

static void architectures_and_log_flag_compile_and_load(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	char *arches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL};
	char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", NULL};
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "getcwd", SCMP_ACT_ERRNO(EPERM));
	f.spec.architectures = arches;
	f.spec.flags = flags;
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_int_equal(rt_seccomp_flags(sc), 2 /* SECCOMP_FILTER_FLAG_LOG */);
	assert_int_equal(run_filtered(sc, check_getcwd_denied), 0);
}

static int check_default_errno(int listener)
{
	char buf[64];

	/* default ERRNO(ENOSYS); only what the rule allows (and exit) works */
	if (syscall(SYS_getcwd, buf, sizeof(buf)) != -1 || errno != ENOSYS)
		return 1;
	if (syscall(SYS_getppid) <= 0)
		return 2;
	return 0;
}

static void default_errno_action_with_an_allow_list(void **state)
{
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;
	struct fixture f;

	fixture_init(&f, "getppid", SCMP_ACT_ALLOW);
	f.names[0][1] = names1("exit_group");
	f.names[0][2] = names1("exit");
	f.spec.default_action = "SCMP_ACT_ERRNO";
	f.spec.default_action_num = SCMP_ACT_ERRNO(ENOSYS);
	f.call[0].action = "SCMP_ACT_ALLOW";
	assert_int_equal(rt_seccomp_compile(&f.spec, &sc, &err), 0);
	assert_int_equal(run_filtered(sc, check_default_errno), 0);
}

static int check_parsed_profile(int listener)
{
	char buf[64];

	if (syscall(SYS_getcwd, buf, sizeof(buf)) != -1 || errno != EACCES)
		return 1;
	if (syscall(SYS_dup, 5) != -1 || errno != EPERM) /* errnoRet absent: EPERM */
		return 2;
	if (syscall(SYS_getppid) <= 0)
		return 3;
	return 0;
}

static void profile_parsed_from_config_json_compiles_and_filters(void **state)
{
	static const char json[] =
		"{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
		"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},"
		"\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
		"\"flags\":[\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
		"\"syscalls\":[{\"names\":[\"getcwd\",\"no_such_syscall_berth\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13},"
		"{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\","
		"\"args\":[{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}";
	cleanup(oci_spec_freep) struct oci_spec *spec = NULL;
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = NULL;
	struct berth_err *err = NULL;

	if (oci_spec_parse(json, strlen(json), "config.json", &spec, &err) < 0)
		fail_msg("parse: %s", err->msg);
	if (rt_seccomp_compile(spec->linux_->seccomp, &sc, &err) < 0)
		fail_msg("compile: %s", err->msg);
	assert_int_equal(rt_seccomp_flags(sc), 4 /* SECCOMP_FILTER_FLAG_SPEC_ALLOW */);
	assert_string_equal(rt_seccomp_skipped(sc)[0], "no_such_syscall_berth");
	assert_int_equal(run_filtered(sc, check_parsed_profile), 0);
}

static void load_of_null_filter_is_a_no_op(void **state)
{
	int fd = 7;

	assert_int_equal(rt_seccomp_load(NULL, &fd), 0);
	assert_int_equal(fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(denied_syscall_fails_with_errno_and_others_work),
		cmocka_unit_test(denied_mkdir_returns_the_configured_errno),
		cmocka_unit_test(arg_comparisons_on_one_index_are_ored_like_runc),
		cmocka_unit_test(arg_comparisons_on_different_indexes_are_anded),
		cmocka_unit_test(unknown_syscall_names_are_skipped_and_recorded),
		cmocka_unit_test(arg_index_above_5_is_rejected_naming_the_path),
		cmocka_unit_test(invalid_comparison_is_rejected_naming_the_path),
		cmocka_unit_test(unknown_architecture_and_flag_are_rejected),
		cmocka_unit_test(notify_without_listener_path_is_rejected),
		cmocka_unit_test(notify_rule_loads_with_a_listener_fd),
		cmocka_unit_test(architectures_and_log_flag_compile_and_load),
		cmocka_unit_test(default_errno_action_with_an_allow_list),
		cmocka_unit_test(profile_parsed_from_config_json_compiles_and_filters),
		cmocka_unit_test(load_of_null_filter_is_a_no_op),
	};
	return cmocka_run_group_tests_name("seccomp", tests, NULL, NULL);
}
