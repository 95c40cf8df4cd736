/*
 * Unit tests for runtime/lib/idmap.c and the process-tree part of runtime/lib/rootless.c:
 * the map text, the "own single id" rule, maps written into a real child's new user
 * namespace (as root: directly), and the descendants of a process.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "runtime/lib/idmap.h"
#include "runtime/lib/rootless.h"

static void text_has_one_line_per_mapping(void **state)
{
	struct oci_id_mapping m[] = {{0, 1000, 1}, {1, 100000, 65536}};
	cleanup_free char *s = rt_idmap_text(m, 2);
	cleanup_free char *none = rt_idmap_text(NULL, 0);

	assert_string_equal(s, "0 1000 1\n1 100000 65536\n");
	assert_string_equal(none, "");
}

static void own_single_is_exactly_one_line_of_size_one(void **state)
{
	struct oci_id_mapping own = {0, 1000, 1};
	struct oci_id_mapping other = {0, 1001, 1};
	struct oci_id_mapping wide = {0, 1000, 2};
	struct oci_id_mapping two[] = {{0, 1000, 1}, {1, 100000, 10}};

	assert_true(rt_idmap_is_own_single(&own, 1, 1000));
	assert_false(rt_idmap_is_own_single(&other, 1, 1000));
	assert_false(rt_idmap_is_own_single(&wide, 1, 1000));
	assert_false(rt_idmap_is_own_single(two, 2, 1000));
	assert_false(rt_idmap_is_own_single(NULL, 0, 1000));
}

/* A child in a new user namespace that waits until the pipe closes. */
static pid_t userns_child(int *wake)
{
	int go[2], ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	*wake = go[1];
	return pid;
}

static void write_maps_a_child_user_namespace(void **state)
{
	struct oci_id_mapping u[] = {{0, 100000, 10}, {10, 200000, 5}};
	struct oci_id_mapping g[] = {{0, 300000, 7}};
	struct oci_linux l = {
		.uid_mappings = u, .n_uid_mappings = 2, .gid_mappings = g, .n_gid_mappings = 1};
	struct berth_err *err = NULL;
	cleanup_free char *um = NULL, *gm = NULL;
	char path[64];
	size_t len;
	int wake;
	pid_t pid;

	if (geteuid() != 0 || rt_rootless_is())
		skip();
	pid = userns_child(&wake);
	assert_int_equal(rt_idmap_write(pid, &l, &err), 0);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	assert_int_equal(fs_read_file(AT_FDCWD, path, &um, &len, NULL), 0);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	assert_int_equal(fs_read_file(AT_FDCWD, path, &gm, &len, NULL), 0);
	close(wake);
	waitpid(pid, NULL, 0);
	assert_non_null(strstr(um, "100000"));
	assert_non_null(strstr(um, "200000"));
	assert_non_null(strstr(gm, "300000"));
}

static void write_error_names_the_field(void **state)
{
	struct oci_id_mapping u[] = {{0, 100000, 10}};
	struct oci_linux l = {
		.uid_mappings = u, .n_uid_mappings = 1, .gid_mappings = u, .n_gid_mappings = 1};
	struct berth_err *err = NULL;
	int wake;
	pid_t pid;

	if (geteuid() != 0 || rt_rootless_is())
		skip();
	pid = userns_child(&wake);
	assert_int_equal(rt_idmap_write(pid, &l, &err), 0);
	/* a map can be written once */
	assert_int_equal(rt_idmap_write(pid, &l, &err), -1);
	close(wake);
	waitpid(pid, NULL, 0);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "linux.uidMappings"));
	berth_err_free(&err);
}

static void tree_holds_a_process_and_its_descendants(void **state)
{
	cleanup_free pid_t *pids = NULL;
	struct berth_err *err = NULL;
	int p[2];
	size_t n = 0;
	pid_t child, grandchild = 0;
	bool found_child = false, found_grand = false;

	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pid_t g = fork();

		if (g == 0) {
			pause();
			_exit(0);
		}
		if (write(p[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], &grandchild, sizeof(grandchild)), (ssize_t)sizeof(grandchild));
	assert_int_equal(rt_rootless_tree_pids(getpid(), &pids, &n, &err), 0);
	assert_int_equal(pids[0], getpid());
	for (size_t i = 0; i < n; i++) {
		found_child |= pids[i] == child;
		found_grand |= pids[i] == grandchild;
	}
	kill(grandchild, SIGKILL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_true(found_child);
	assert_true(found_grand);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_has_one_line_per_mapping),
		cmocka_unit_test(own_single_is_exactly_one_line_of_size_one),
		cmocka_unit_test(write_maps_a_child_user_namespace),
		cmocka_unit_test(write_error_names_the_field),
		cmocka_unit_test(tree_holds_a_process_and_its_descendants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
