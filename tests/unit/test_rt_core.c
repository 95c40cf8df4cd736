/* Unit tests for the pure parts of the runtime core: container ids, signal
 * names, the state record and its JSON, status derivation, /proc/<pid>/stat
 * parsing, the sync socket protocol, and the CLI flag parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/cli/cli.h"
#include "runtime/lib/pidstat.h"
#include "runtime/lib/process.h"
#include "runtime/lib/passwd.h"
#include "runtime/lib/signals.h"
#include "runtime/lib/state.h"
#include "runtime/lib/sync.h"

static void ids_with_allowed_characters_are_valid(void **state)
{
	assert_int_equal(rt_id_validate("abc", NULL), 0);
	assert_int_equal(rt_id_validate("A-b_c.d+9", NULL), 0);
	assert_int_equal(rt_id_validate("..x", NULL), 0);
}

static void ids_with_slash_dots_or_spaces_are_refused_and_named(void **state)
{
	const char *bad[] = {"", ".", "..", "a/b", "../x", "a b", "a\nb", "é", NULL};

	for (int i = 0; bad[i]; i++) {
		cleanup_err struct berth_err *e = NULL;

		assert_int_equal(rt_id_validate(bad[i], &e), -1);
		assert_non_null(e);
		assert_int_equal(e->code, BERTH_E_INVALID);
		if (bad[i][0])
			assert_non_null(strstr(e->msg, bad[i]));
	}
}

static void overlong_id_is_refused(void **state)
{
	cleanup_free char *id = xmalloc(1026);
	cleanup_err struct berth_err *e = NULL;

	memset(id, 'a', 1025);
	id[1025] = '\0';
	assert_int_equal(rt_id_validate(id, &e), -1);
}

static void signals_parse_by_name_prefix_case_and_number(void **state)
{
	const struct {
		const char *s;
		int sig;
	} t[] = {{"TERM", SIGTERM},
		 {"SIGTERM", SIGTERM},
		 {"sigkill", SIGKILL},
		 {"kill", SIGKILL},
		 {"9", SIGKILL},
		 {"15", SIGTERM},
		 {"HUP", SIGHUP},
		 {"SIGUSR1", SIGUSR1},
		 {"WINCH", SIGWINCH},
		 {"RTMIN", SIGRTMIN},
		 {"SIGRTMIN+3", SIGRTMIN + 3},
		 {"RTMAX-1", SIGRTMAX - 1},
		 {"CHLD", SIGCHLD},
		 {"0", 0}}; /* kill(2)'s existence check, as runc's `kill ID 0` */

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int sig = -1;

		assert_int_equal(rt_signal_parse(t[i].s, &sig, NULL), 0);
		assert_int_equal(sig, t[i].sig);
	}
}

static void unknown_or_out_of_range_signals_fail_and_name_the_input(void **state)
{
	const char *bad[] = {"FOO", "SIGFOO", "65", "-9", "9x", "", "RTMIN-1", "RTMAX+1", NULL};

	for (int i = 0; bad[i]; i++) {
		cleanup_err struct berth_err *e = NULL;
		int sig = 0;

		assert_int_equal(rt_signal_parse(bad[i], &sig, &e), -1);
		assert_non_null(strstr(e->msg, "invalid signal"));
	}
}

static void signal_names_round_trip(void **state)
{
	for (int s = 1; s <= SIGRTMAX; s++) {
		const char *n = rt_signal_name(s);
		int back = 0;

		if (!n || s == 32 || s == 33)
			continue;
		assert_int_equal(rt_signal_parse(n, &back, NULL), 0);
		assert_int_equal(back, s);
	}
}

static void status_is_derived_from_facts(void **state)
{
	assert_int_equal(rt_status_derive(false, true, false), RT_STATUS_STOPPED);
	assert_int_equal(rt_status_derive(false, false, true), RT_STATUS_STOPPED);
	assert_int_equal(rt_status_derive(true, true, false), RT_STATUS_CREATED);
	assert_int_equal(rt_status_derive(true, true, true), RT_STATUS_CREATED);
	assert_int_equal(rt_status_derive(true, false, true), RT_STATUS_PAUSED);
	assert_int_equal(rt_status_derive(true, false, false), RT_STATUS_RUNNING);
	assert_string_equal(rt_status_name(RT_STATUS_STOPPED), "stopped");
	assert_string_equal(rt_status_name(RT_STATUS_CREATING), "creating");
}

static struct rt_state *sample_state(void)
{
	struct rt_state *st = xnew(struct rt_state);
	struct oci_kv kv[2] = {{(char *)"org.a", (char *)"1"}, {(char *)"b/c", (char *)"x\"y"}};

	st->id = xstrdup("c1");
	st->oci_version = xstrdup("1.1.0");
	st->pid = 4242;
	st->pid_start = 123456789012ULL;
	st->bundle = xstrdup("/b/with space");
	st->rootfs = xstrdup("/b/with space/rootfs");
	st->created = xstrdup("2026-01-02T03:04:05.123456789Z");
	st->owner = xstrdup("");
	st->cgroups_path = xstrdup("/x/y");
	st->has_process = true;
	st->own_pidns = true;
	rt_state_set_annotations(st, kv, 2);
	return st;
}

static void state_json_round_trips(void **state)
{
	cleanup(rt_state_freep) struct rt_state *a = sample_state();
	cleanup(rt_state_freep) struct rt_state *b = NULL;
	cleanup_free char *j1 = rt_state_to_json(a);
	cleanup_free char *j2 = NULL;

	assert_int_equal(rt_state_from_json(j1, strlen(j1), "state.json", &b, NULL), 0);
	assert_string_equal(b->id, "c1");
	assert_int_equal(b->pid, 4242);
	assert_true(b->pid_start == 123456789012ULL);
	assert_string_equal(b->bundle, "/b/with space");
	assert_string_equal(b->cgroups_path, "/x/y");
	assert_true(b->has_process && b->own_pidns && !b->systemd_cgroup);
	assert_int_equal(b->n_annotations, 2);
	assert_string_equal(b->annotations[1].value, "x\"y");
	j2 = rt_state_to_json(b);
	assert_string_equal(j1, j2);
}

static void state_json_without_pid_is_refused(void **state)
{
	const char *j = "{\"id\":\"c1\",\"bundle\":\"/b\",\"rootfs\":\"/b/r\",\"created\":\"t\"}";
	cleanup(rt_state_freep) struct rt_state *st = NULL;
	cleanup_err struct berth_err *e = NULL;

	assert_int_equal(rt_state_from_json(j, strlen(j), "state.json", &st, &e), -1);
	assert_non_null(strstr(e->msg, "state.json"));
	assert_non_null(strstr(e->msg, "pid"));
}

static void truncated_state_json_is_refused(void **state)
{
	const char *j = "{\"id\":\"c1\",\"bun";
	cleanup(rt_state_freep) struct rt_state *st = NULL;
	cleanup_err struct berth_err *e = NULL;

	assert_int_equal(rt_state_from_json(j, strlen(j), "state.json", &st, &e), -1);
	assert_null(st);
}

static void oci_state_has_runc_fields_and_zero_pid_when_stopped(void **state)
{
	cleanup(rt_state_freep) struct rt_state *st = sample_state();
	cleanup_free char *run = rt_state_oci_json(st, RT_STATUS_RUNNING, BJSON_PLAIN);
	cleanup_free char *stop = rt_state_oci_json(st, RT_STATUS_STOPPED, BJSON_PLAIN);
	cleanup(bjson_freep) struct bjson *o = NULL;
	int64_t pid;

	assert_int_equal(bjson_parse(run, strlen(run), "x", &o, NULL), 0);
	assert_string_equal(bjson_get_str(o, "ociVersion"), "1.1.0");
	assert_string_equal(bjson_get_str(o, "status"), "running");
	assert_true(bjson_get_int(o, "pid", &pid) && pid == 4242);
	assert_string_equal(bjson_get_str(o, "rootfs"), "/b/with space/rootfs");
	assert_non_null(bjson_get_str(o, "created"));
	assert_non_null(bjson_get_str(o, "owner"));
	assert_string_equal(bjson_get_str(bjson_get(o, "annotations"), "b/c"), "x\"y");
	/* runc prints paths with plain slashes */
	assert_null(strstr(run, "\\/"));
	assert_non_null(strstr(stop, "\"pid\":0"));
	assert_non_null(strstr(stop, "\"status\":\"stopped\""));
}

static void stat_line_parses_even_with_parentheses_in_comm(void **state)
{
	const char *line =
		"4242 (we(i)rd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 "
		"0 987654 12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 "
		"0 0 0 0\n";
	struct rt_pid_stat st;

	assert_int_equal(rt_pid_stat_parse(line, &st, NULL), 0);
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_true(st.start_time == 987654);
}

static void truncated_stat_line_is_an_error(void **state)
{
	struct rt_pid_stat st;
	cleanup_err struct berth_err *e = NULL;

	assert_int_equal(rt_pid_stat_parse("12 (x) S 1 2", &st, &e), -1);
	assert_int_equal(rt_pid_stat_parse("garbage", &st, NULL), -1);
}

static void own_process_is_alive_only_with_its_start_time(void **state)
{
	struct rt_pid_stat st;

	assert_int_equal(rt_pid_stat_read(getpid(), &st, NULL), 0);
	assert_true(rt_pid_is_alive(getpid(), st.start_time));
	/* a recycled pid has another start time: never treated as ours */
	assert_false(rt_pid_is_alive(getpid(), st.start_time + 1));
	assert_false(rt_pid_is_alive(0, 0));
}

static void pid_open_refuses_a_mismatching_start_time(void **state)
{
	struct rt_pid_stat st;
	cleanup_err struct berth_err *e = NULL;
	int fd;

	assert_int_equal(rt_pid_stat_read(getpid(), &st, NULL), 0);
	fd = rt_pid_open(getpid(), st.start_time, NULL);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(rt_pid_open(getpid(), st.start_time + 7, &e), -1);
	assert_true(berth_err_is(e, ESRCH));
}

static void sync_messages_carry_payload_and_errors(void **state)
{
	int sv[2];
	cleanup(rt_sync_msg_freep) struct rt_sync_msg *m = NULL;
	cleanup_err struct berth_err *e = NULL;
	struct berth_err child = {
		.errnum = ENOENT,
		.code = BERTH_E_NOT_FOUND,
		.msg = (char *)"process.cwd '/nope': chdir: No such file or directory"};

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(rt_sync_send(sv[1], RT_SYNC_GO, "1234", 4), 0);
	assert_int_equal(rt_sync_recv(sv[0], RT_SYNC_GO, &m, NULL), 0);
	assert_string_equal(m->data, "1234");
	rt_sync_send_err(sv[1], &child);
	assert_int_equal(rt_sync_recv(sv[0], RT_SYNC_READY, NULL, &e), -1);
	assert_string_equal(e->msg, child.msg);
	assert_int_equal(e->errnum, ENOENT);
	assert_int_equal(e->code, BERTH_E_NOT_FOUND);
	berth_err_free(&e);
	close(sv[1]);
	assert_int_equal(rt_sync_recv(sv[0], RT_SYNC_READY, NULL, &e), -1);
	assert_true(berth_err_is(e, ECONNRESET));
	close(sv[0]);
}

static void sync_unexpected_message_type_is_a_protocol_error(void **state)
{
	int sv[2];
	cleanup_err struct berth_err *e = NULL;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(rt_sync_send(sv[1], RT_SYNC_HOOKS, NULL, 0), 0);
	assert_int_equal(rt_sync_recv(sv[0], RT_SYNC_READY, NULL, &e), -1);
	assert_non_null(strstr(e->msg, "expected READY, got HOOKS"));
	close(sv[0]);
	close(sv[1]);
}

static void env_lookup_matches_whole_keys(void **state)
{
	char *env[] = {(char *)"PATHX=1", (char *)"PATH=/bin", (char *)"A=", NULL};

	assert_string_equal(rt_env_get(env, "PATH"), "/bin");
	assert_string_equal(rt_env_get(env, "A"), "");
	assert_null(rt_env_get(env, "PAT"));
	assert_null(rt_env_get(NULL, "PATH"));
}

struct fl {
	const char *root, *bundle;
	bool debug, detach;
	unsigned n;
	char **env;
};

static int parse_how(struct fl *f, bool head, bool *help, int argc, char **argv, int *i,
		     struct berth_err **err)
{
	const struct cli_flag flags[] = {
		{"root", 0, CLI_STRING, &f->root, NULL},
		{"bundle", 'b', CLI_STRING, &f->bundle, NULL},
		{"debug", 0, CLI_BOOL, &f->debug, NULL},
		{"detach", 'd', CLI_BOOL, &f->detach, NULL},
		{"preserve-fds", 0, CLI_UINT, &f->n, NULL},
		{"env", 'e', CLI_STRV, &f->env, NULL},
		{NULL},
	};

	if (head)
		return cli_flags_parse_head(flags, argc, argv, i, help, err);
	return cli_flags_parse(flags, argc, argv, i, help, err);
}

static int parse(struct fl *f, bool *help, int argc, char **argv, int *i, struct berth_err **err)
{
	return parse_how(f, false, help, argc, argv, i, err);
}

static void flags_accept_runc_spellings(void **state)
{
	char *argv[] = {(char *)"x",
			(char *)"--root",
			(char *)"/r",
			(char *)"-bundle=/b",
			(char *)"-d",
			(char *)"--debug=false",
			(char *)"--preserve-fds",
			(char *)"2",
			(char *)"-e",
			(char *)"A=1",
			(char *)"--env=B=2",
			(char *)"id",
			(char *)"--notaflag"};
	struct fl f = {0};
	bool help = false;
	int i = 1;

	assert_int_equal(parse(&f, &help, 13, argv, &i, NULL), 0);
	assert_string_equal(f.root, "/r");
	assert_string_equal(f.bundle, "/b");
	assert_true(f.detach);
	assert_false(f.debug);
	assert_int_equal(f.n, 2);
	assert_int_equal(strv_len(f.env), 2);
	assert_string_equal(f.env[1], "B=2");
	/* after the first argument an unknown flag is an argument, as in runc */
	assert_int_equal(i, 11);
	assert_string_equal(argv[12], "--notaflag");
	assert_false(help);
	strv_free(f.env);
}

static void flags_errors_name_the_flag(void **state)
{
	char *a1[] = {(char *)"x", (char *)"--nope"};
	char *a2[] = {(char *)"x", (char *)"--root"};
	char *a3[] = {(char *)"x", (char *)"--preserve-fds", (char *)"two"};
	char *a4[] = {(char *)"x", (char *)"--detach=maybe"};
	char **all[] = {a1, a2, a3, a4};
	int argc[] = {2, 2, 3, 2};
	const char *want[] = {"--nope", "--root", "two", "maybe"};

	for (int k = 0; k < 4; k++) {
		struct fl f = {0};
		cleanup_err struct berth_err *e = NULL;
		int i = 1;

		assert_int_equal(parse(&f, NULL, argc[k], all[k], &i, &e), -1);
		assert_non_null(strstr(e->msg, want[k]));
	}
}

static void help_and_double_dash(void **state)
{
	char *argv[] = {(char *)"x", (char *)"-h", (char *)"--", (char *)"-d"};
	struct fl f = {0};
	bool help = false;
	int i = 1;

	assert_int_equal(parse(&f, &help, 4, argv, &i, NULL), 0);
	assert_true(help);
	assert_int_equal(i, 3);
	assert_false(f.detach);
}

/* runc's urfave/cli moves a command's flags before its arguments: `update ID --pids-limit 10` */
static void flags_after_arguments_are_parsed_and_arguments_keep_their_order(void **state)
{
	char *argv[] = {(char *)"x",  (char *)"id",   (char *)"--root", (char *)"/r",
			(char *)"-d", (char *)"KILL", (char *)"-e",	(char *)"-9",
			(char *)"-9", (char *)"--",   (char *)"-d"};
	struct fl f = {0};
	int i = 1;

	assert_int_equal(parse(&f, NULL, 11, argv, &i, NULL), 0);
	assert_string_equal(f.root, "/r");
	assert_true(f.detach);
	assert_int_equal(strv_len(f.env), 1);
	assert_string_equal(f.env[0], "-9");
	/* a stable partition: flags with their values, "--", then the arguments */
	assert_int_equal(i, 7);
	assert_string_equal(argv[1], "--root");
	assert_string_equal(argv[2], "/r");
	assert_string_equal(argv[3], "-d");
	assert_string_equal(argv[4], "-e");
	assert_string_equal(argv[5], "-9");
	assert_string_equal(argv[6], "--");
	assert_string_equal(argv[7], "id");
	assert_string_equal(argv[8], "KILL");
	assert_string_equal(argv[9], "-9");
	assert_string_equal(argv[10], "-d");
	strv_free(f.env);
}

/* create re-executes itself with its argv: the permuted argv must parse the same */
static void permuted_argv_parses_the_same_again(void **state)
{
	char *argv[] = {(char *)"x",	 (char *)"id",	(char *)"--root", (char *)"/r",
			(char *)"--env", (char *)"A=1", (char *)"-d"};
	struct fl f = {0}, g = {0};
	int i = 1, j = 1;

	assert_int_equal(parse(&f, NULL, 7, argv, &i, NULL), 0);
	assert_int_equal(parse(&g, NULL, 7, argv, &j, NULL), 0);
	assert_int_equal(i, 6);
	assert_int_equal(j, 6);
	assert_string_equal(argv[6], "id");
	assert_string_equal(g.root, "/r");
	assert_true(g.detach);
	assert_int_equal(strv_len(g.env), 1);
	assert_string_equal(g.env[0], "A=1");
	strv_free(f.env);
	strv_free(g.env);
}

/* exec and ps hand what follows the id to someone else (runc's SkipArgReorder) */
static void head_parse_stops_at_the_first_argument(void **state)
{
	char *argv[] = {(char *)"x", (char *)"-d", (char *)"id", (char *)"--root", (char *)"/r"};
	struct fl f = {0};
	int i = 1;

	assert_int_equal(parse_how(&f, true, NULL, 5, argv, &i, NULL), 0);
	assert_true(f.detach);
	assert_null(f.root);
	assert_int_equal(i, 2);
	assert_string_equal(argv[3], "--root");
}

static void passwd_home_is_found_by_uid(void **state)
{
	char path[] = "/tmp/berth-passwd-XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "# comment\nbroken\nroot:x:0:0:root:/root:/bin/sh\n"
			    "short:x:5\napp:x:1000:1000::/home/app:/bin/sh\n"
			    "dup:x:1000:1000::/second:/bin/sh\nnohome:x:7:7::\n";
	char *home;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	home = rt_passwd_home(path, 0);
	assert_string_equal(home, "/root");
	free(home);
	home = rt_passwd_home(path, 1000); /* the first line, as getpwuid */
	assert_string_equal(home, "/home/app");
	free(home);
	home = rt_passwd_home(path, 7);
	assert_string_equal(home, "");
	free(home);
	assert_null(rt_passwd_home(path, 5));
	assert_null(rt_passwd_home(path, 42));
	unlink(path);
	assert_null(rt_passwd_home(path, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ids_with_allowed_characters_are_valid),
		cmocka_unit_test(ids_with_slash_dots_or_spaces_are_refused_and_named),
		cmocka_unit_test(overlong_id_is_refused),
		cmocka_unit_test(signals_parse_by_name_prefix_case_and_number),
		cmocka_unit_test(unknown_or_out_of_range_signals_fail_and_name_the_input),
		cmocka_unit_test(signal_names_round_trip),
		cmocka_unit_test(status_is_derived_from_facts),
		cmocka_unit_test(state_json_round_trips),
		cmocka_unit_test(state_json_without_pid_is_refused),
		cmocka_unit_test(truncated_state_json_is_refused),
		cmocka_unit_test(oci_state_has_runc_fields_and_zero_pid_when_stopped),
		cmocka_unit_test(stat_line_parses_even_with_parentheses_in_comm),
		cmocka_unit_test(truncated_stat_line_is_an_error),
		cmocka_unit_test(own_process_is_alive_only_with_its_start_time),
		cmocka_unit_test(pid_open_refuses_a_mismatching_start_time),
		cmocka_unit_test(sync_messages_carry_payload_and_errors),
		cmocka_unit_test(sync_unexpected_message_type_is_a_protocol_error),
		cmocka_unit_test(env_lookup_matches_whole_keys),
		cmocka_unit_test(flags_accept_runc_spellings),
		cmocka_unit_test(flags_errors_name_the_flag),
		cmocka_unit_test(help_and_double_dash),
		cmocka_unit_test(flags_after_arguments_are_parsed_and_arguments_keep_their_order),
		cmocka_unit_test(head_parse_stops_at_the_first_argument),
		cmocka_unit_test(permuted_argv_parses_the_same_again),
		cmocka_unit_test(passwd_home_is_found_by_uid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
