/*
 * Conformance tests of the snapshotters (supervisor/snapshot/): every case runs against
 * both drivers, overlayfs and native. Cases that need to see through the returned mounts
 * mount them in a child in a private mount namespace (root only), so the host is never
 * touched and nothing stays mounted.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/snapshot/snapshot.h"

#define NS "testns"

struct fx {
	const char *driver;
	char *tmp;
	char *root;
	struct snapshotter *s;
};

static int fx_setup(void **state)
{
	struct fx *f = xnew(struct fx);
	char tmpl[] = "/tmp/berth-test-snapshot-XXXXXX";
	struct berth_err *err = NULL;

	f->driver = *state;
	if (!mkdtemp(tmpl))
		return -1;
	f->tmp = xstrdup(tmpl);
	f->root = xasprintf("%s/root", f->tmp);
	f->s = snap_open(f->driver, f->root, &err);
	if (!f->s) {
		fprintf(stderr, "snap_open: %s\n", err->msg);
		berth_err_free(&err);
		return -1;
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	struct berth_err *err = NULL;
	int r;

	snap_close(f->s);
	r = fs_rm_rf(f->tmp, &err);
	berth_err_free(&err);
	free(f->tmp);
	free(f->root);
	free(f);
	return r;
}

#define ok(call)                                                                \
	do {                                                                    \
		struct berth_err *e_ = NULL;                                    \
		struct berth_err **err_ = &e_;                                  \
		if ((call) < 0) {                                               \
			fail_msg("%s: %s", #call, e_ ? e_->msg : "(no error)"); \
		}                                                               \
		(void)err_;                                                     \
	} while (0)

/* Expects call (using variable `err`) to fail with code; returns the message to check. */
static char *expect_fail(int ret, struct berth_err **errp, enum berth_err_code code)
{
	struct berth_err *err = *errp;
	char *msg;

	assert_int_equal(ret, -1);
	assert_non_null(err);
	if (err->code != code)
		fail_msg("expected %s, got %s: %s", berth_err_code_name(code),
			 berth_err_code_name(err->code), err->msg);
	msg = xstrdup(err->msg);
	berth_err_free(errp);
	return msg;
}

/* --- mounting in a child --- */

typedef int (*in_mount_fn)(const char *mnt, void *arg);

static int do_mounts(const struct snap_mounts *m, const char *target)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct snap_mount *mt = &m->v[i];
		unsigned long flags = 0;
		char **data = NULL;
		cleanup_free char *joined = NULL;

		strv_foreach (o, mt->options) {
			if (strcmp(o, "ro") == 0)
				flags |= MS_RDONLY;
			else if (strcmp(o, "rw") == 0)
				;
			else if (strcmp(o, "rbind") == 0)
				flags |= MS_BIND | MS_REC;
			else if (strcmp(o, "bind") == 0)
				flags |= MS_BIND;
			else
				strv_push(&data, o);
		}
		joined = strv_join(data, ",");
		strv_free(data);
		if (strcmp(mt->type, "bind") == 0) {
			if (mount(mt->source, target, NULL, flags & (MS_BIND | MS_REC), NULL) < 0)
				return -1;
			if ((flags & MS_RDONLY) &&
			    mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
				return -1;
		} else if (mount(mt->source, target, mt->type, flags, joined) < 0) {
			fprintf(stderr, "mount %s (%s): %m\n", mt->type, joined);
			return -1;
		}
	}
	return 0;
}

/* Mounts m on a fresh dir in a private mount namespace child and runs fn there. */
static int in_mount(struct fx *f, const struct snap_mounts *m, in_mount_fn fn, void *arg)
{
	cleanup_free char *mnt = xasprintf("%s/mnt", f->tmp);
	int status;
	pid_t pid;

	mkdir(mnt, 0755);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(90);
		if (do_mounts(m, mnt) < 0) {
			fprintf(stderr, "in_mount: mount: %m\n");
			_exit(91);
		}
		_exit(fn(mnt, arg) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int write_at(const char *dir, const char *name, const char *content)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	cleanup_close int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		fprintf(stderr, "write '%s': %m\n", p);
		return -1;
	}
	return 0;
}

/* 0 if dir/name has exactly content; -2 if it does not exist. */
static int check_at(const char *dir, const char *name, const char *content)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, name);
	cleanup_free char *got = NULL;
	struct berth_err *err = NULL;

	if (fs_read_file(AT_FDCWD, p, &got, NULL, &err) < 0) {
		int missing = berth_err_is(err, ENOENT);

		berth_err_free(&err);
		return missing ? -2 : -1;
	}
	if (strcmp(got, content) != 0) {
		fprintf(stderr, "'%s': expected '%s', got '%s'\n", p, content, got);
		return -1;
	}
	return 0;
}

static int put_a(const char *mnt, void *arg)
{
	return write_at(mnt, "a.txt", "from layer 1");
}

/* Prepare "k1" (no parent), write a.txt, commit as "layer1". */
static void make_layer1(struct fx *f)
{
	struct snap_mounts m = {0};

	ok(snap_prepare(f->s, NS, "k1", NULL, NULL, &m, err_));
	assert_int_equal(in_mount(f, &m, put_a, NULL), 0);
	snap_mounts_free(&m);
	ok(snap_commit(f->s, NS, "layer1", "k1", NULL, err_));
}

/* --- cases --- */

static void prepare_without_parent_returns_one_rw_bind_mount(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct stat st;

	ok(snap_prepare(f->s, NS, "k", NULL, NULL, &m, err_));
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0].type, "bind");
	assert_true(strv_contains(m.v[0].options, "rw"));
	assert_true(strv_contains(m.v[0].options, "rbind"));
	assert_false(strv_contains(m.v[0].options, "ro"));
	assert_true(strncmp(m.v[0].source, f->root, strlen(f->root)) == 0);
	/* berthd runs with umask 077: a container's / must still be 0755 */
	assert_int_equal(stat(m.v[0].source, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snap_mounts_free(&m);
}

static int lower_visible_write_upper(const char *mnt, void *arg)
{
	if (check_at(mnt, "a.txt", "from layer 1") < 0)
		return -1;
	if (write_at(mnt, "b.txt", "from layer 2") < 0)
		return -1;
	return write_at(mnt, "a.txt", "changed in layer 2");
}

static int sees_layer1_only(const char *mnt, void *arg)
{
	if (check_at(mnt, "a.txt", "from layer 1") < 0)
		return -1;
	return check_at(mnt, "b.txt", "") == -2 ? 0 : -1;
}

static int sees_layer2(const char *mnt, void *arg)
{
	if (check_at(mnt, "a.txt", "changed in layer 2") < 0)
		return -1;
	return check_at(mnt, "b.txt", "from layer 2");
}

static void child_sees_parent_files_and_writes_do_not_reach_the_parent(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k2", "layer1", NULL, &m, err_));
	assert_int_equal(in_mount(f, &m, lower_visible_write_upper, NULL), 0);
	snap_mounts_free(&m);
	ok(snap_commit(f->s, NS, "layer2", "k2", NULL, err_));

	ok(snap_view(f->s, NS, "v1", "layer1", NULL, &m, err_));
	assert_int_equal(in_mount(f, &m, sees_layer1_only, NULL), 0);
	snap_mounts_free(&m);
	ok(snap_view(f->s, NS, "v2", "layer2", NULL, &m, err_));
	assert_int_equal(in_mount(f, &m, sees_layer2, NULL), 0);
	snap_mounts_free(&m);
}

static int write_must_fail_erofs(const char *mnt, void *arg)
{
	cleanup_free char *p = xasprintf("%s/new.txt", mnt);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0) {
		close(fd);
		fprintf(stderr, "view: write succeeded\n");
		return -1;
	}
	return errno == EROFS ? 0 : -1;
}

static void view_is_read_only(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct snap_info info = {0};

	make_layer1(f);
	ok(snap_view(f->s, NS, "v", "layer1", NULL, &m, err_));
	assert_true(strv_contains(m.v[0].options, "ro"));
	assert_int_equal(in_mount(f, &m, write_must_fail_erofs, NULL), 0);
	assert_int_equal(in_mount(f, &m, sees_layer1_only, NULL), 0);
	snap_mounts_free(&m);
	ok(snap_stat(f->s, NS, "v", &info, err_));
	assert_int_equal(info.kind, SNAP_KIND_VIEW);
	assert_string_equal(info.parent, "layer1");
	snap_info_free(&info);
}

static void remove_with_children_is_refused_and_names_the_snapshot(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct berth_err *err = NULL;
	cleanup_free char *msg = NULL;
	struct snap_info info = {0};

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k2", "layer1", NULL, &m, err_));
	snap_mounts_free(&m);
	msg = expect_fail(snap_remove(f->s, NS, "layer1", &err), &err, BERTH_E_PRECONDITION);
	assert_non_null(strstr(msg, "'layer1'"));
	assert_non_null(strstr(msg, "children"));
	ok(snap_stat(f->s, NS, "layer1", &info, err_));
	snap_info_free(&info);
	ok(snap_remove(f->s, NS, "k2", err_));
	ok(snap_remove(f->s, NS, "layer1", err_));
	err = NULL;
	free(expect_fail(snap_stat(f->s, NS, "layer1", &info, &err), &err, BERTH_E_NOT_FOUND));
}

static void stat_reports_kind_parent_labels_and_times(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct snap_info info = {0};
	char *labels[] = {"a", "1", "containerd.io/gc.root", "x", NULL};

	make_layer1(f);
	ok(snap_stat(f->s, NS, "layer1", &info, err_));
	assert_string_equal(info.name, "layer1");
	assert_null(info.parent);
	assert_int_equal(info.kind, SNAP_KIND_COMMITTED);
	assert_true(info.created.tv_sec > 0);
	snap_info_free(&info);
	ok(snap_prepare(f->s, NS, "k2", "layer1", labels, &m, err_));
	snap_mounts_free(&m);
	ok(snap_stat(f->s, NS, "k2", &info, err_));
	assert_int_equal(info.kind, SNAP_KIND_ACTIVE);
	assert_string_equal(info.parent, "layer1");
	assert_int_equal(strv_len(info.labels), 4);
	assert_string_equal(info.labels[2], "containerd.io/gc.root");
	assert_string_equal(info.labels[3], "x");
	snap_info_free(&info);
}

static void wrong_keys_parents_and_states_fail_with_their_class(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct berth_err *err = NULL;
	char *msg;

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "act", NULL, NULL, &m, err_));
	snap_mounts_free(&m);

	msg = expect_fail(snap_prepare(f->s, NS, "act", NULL, NULL, &m, &err), &err,
			  BERTH_E_EXISTS);
	assert_non_null(strstr(msg, "'act' already exists"));
	free(msg);
	err = NULL;
	msg = expect_fail(snap_prepare(f->s, NS, "x", "nope", NULL, &m, &err), &err,
			  BERTH_E_NOT_FOUND);
	assert_non_null(strstr(msg, "'nope'"));
	free(msg);
	err = NULL;
	msg = expect_fail(snap_prepare(f->s, NS, "x", "act", NULL, &m, &err), &err,
			  BERTH_E_INVALID);
	assert_non_null(strstr(msg, "not committed"));
	free(msg);
	err = NULL;
	free(expect_fail(snap_commit(f->s, NS, "c", "layer1", NULL, &err), &err,
			 BERTH_E_PRECONDITION));
	err = NULL;
	free(expect_fail(snap_commit(f->s, NS, "layer1", "act", NULL, &err), &err, BERTH_E_EXISTS));
	err = NULL;
	free(expect_fail(snap_mounts(f->s, NS, "layer1", &m, &err), &err, BERTH_E_PRECONDITION));
	err = NULL;
	free(expect_fail(snap_remove(f->s, NS, "nope", &err), &err, BERTH_E_NOT_FOUND));
	err = NULL;
	free(expect_fail(snap_prepare(f->s, NS, "", NULL, NULL, &m, &err), &err, BERTH_E_INVALID));
	/* nothing of the failed calls was created */
	{
		struct snap_info *v = NULL;
		size_t n = 0;

		ok(snap_list(f->s, NS, &v, &n, err_));
		assert_int_equal(n, 2);
		snap_infos_free(v, n);
	}
}

static void mounts_of_an_active_snapshot_are_stable(void **state)
{
	struct fx *f = *state;
	struct snap_mounts a = {0}, b = {0};

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k2", "layer1", NULL, &a, err_));
	ok(snap_mounts(f->s, NS, "k2", &b, err_));
	assert_int_equal(a.n, b.n);
	assert_string_equal(a.v[0].type, b.v[0].type);
	assert_string_equal(a.v[0].source, b.v[0].source);
	assert_int_equal(strv_len(a.v[0].options), strv_len(b.v[0].options));
	for (size_t i = 0; i < strv_len(a.v[0].options); i++)
		assert_string_equal(a.v[0].options[i], b.v[0].options[i]);
	snap_mounts_free(&a);
	snap_mounts_free(&b);
}

static void update_replaces_sets_and_deletes_labels(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct snap_info out = {0};
	struct berth_err *err = NULL;
	char *l1[] = {"a", "1", "b", "2", NULL};
	char *l2[] = {"b", "20", "c", "3", NULL};
	char *fp_b[] = {"labels.b", "labels.a", NULL};
	char *fp_bad[] = {"parent", NULL};
	struct snap_info in = {.name = "k"};

	ok(snap_prepare(f->s, NS, "k", NULL, l1, &m, err_));
	snap_mounts_free(&m);
	in.labels = l2;
	/* labels.b: set from in; labels.a: absent in in, so deleted */
	ok(snap_update(f->s, NS, &in, fp_b, &out, err_));
	assert_int_equal(strv_len(out.labels), 2);
	assert_string_equal(out.labels[0], "b");
	assert_string_equal(out.labels[1], "20");
	snap_info_free(&out);
	/* no field paths: all labels replaced */
	ok(snap_update(f->s, NS, &in, NULL, &out, err_));
	assert_int_equal(strv_len(out.labels), 4);
	assert_string_equal(out.labels[3], "3");
	snap_info_free(&out);
	free(expect_fail(snap_update(f->s, NS, &in, fp_bad, &out, &err), &err, BERTH_E_INVALID));
}

/* (containerd's list filters are core's: tests/unit/test_core_filter.c) */
static void list_returns_every_snapshot_sorted_by_name(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct snap_info *v = NULL;
	size_t n = 0;

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k3", NULL, NULL, &m, err_));
	snap_mounts_free(&m);
	ok(snap_prepare(f->s, NS, "k2", "layer1", NULL, &m, err_));
	snap_mounts_free(&m);

	ok(snap_list(f->s, NS, &v, &n, err_));
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "k2");
	assert_string_equal(v[1].name, "k3");
	assert_string_equal(v[2].name, "layer1");
	snap_infos_free(v, n);
}

static void namespaces_do_not_see_each_other(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct snap_info info = {0};
	struct snap_info *v = NULL;
	struct berth_err *err = NULL;
	size_t n;

	ok(snap_prepare(f->s, "ns1", "k", NULL, NULL, &m, err_));
	snap_mounts_free(&m);
	ok(snap_prepare(f->s, "ns2", "k", NULL, NULL, &m, err_));
	snap_mounts_free(&m);
	ok(snap_commit(f->s, "ns1", "c", "k", NULL, err_));
	free(expect_fail(snap_stat(f->s, "ns2", "c", &info, &err), &err, BERTH_E_NOT_FOUND));
	ok(snap_list(f->s, "ns2", &v, &n, err_));
	assert_int_equal(n, 1);
	assert_int_equal(v[0].kind, SNAP_KIND_ACTIVE);
	snap_infos_free(v, n);
}

static int put_10k(const char *mnt, void *arg)
{
	char buf[10001];

	memset(buf, 'x', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	return write_at(mnt, "big", buf);
}

static void usage_counts_the_snapshots_own_bytes_and_inodes(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct snap_usage u0, u1, uc;

	ok(snap_prepare(f->s, NS, "k", NULL, NULL, &m, err_));
	ok(snap_usage(f->s, NS, "k", &u0, err_));
	assert_int_equal(u0.inodes, 1);
	assert_int_equal(in_mount(f, &m, put_10k, NULL), 0);
	snap_mounts_free(&m);
	ok(snap_usage(f->s, NS, "k", &u1, err_));
	assert_int_equal(u1.inodes, 2);
	assert_true(u1.size >= u0.size + 10000);
	ok(snap_commit(f->s, NS, "c", "k", NULL, err_));
	ok(snap_usage(f->s, NS, "c", &uc, err_));
	assert_int_equal(uc.inodes, u1.inodes);
	assert_int_equal(uc.size, u1.size);
}

static void metadata_survives_reopen(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct snap_info info = {0};
	struct berth_err *err = NULL;
	char *labels[] = {"odd key with spaces", "value\nwith newline %20 -", "-", "", NULL};

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k 2", "layer1", labels, &m, err_));
	snap_mounts_free(&m);
	/* a second snapshotter on the same root is refused while the first holds it */
	assert_null(snap_open(f->driver, f->root, &err));
	free(expect_fail(-1, &err, BERTH_E_UNAVAILABLE));
	snap_close(f->s);
	f->s = snap_open(f->driver, f->root, &err);
	assert_non_null(f->s);
	ok(snap_stat(f->s, NS, "k 2", &info, err_));
	assert_string_equal(info.parent, "layer1");
	assert_int_equal(info.kind, SNAP_KIND_ACTIVE);
	assert_int_equal(strv_len(info.labels), 4);
	assert_string_equal(info.labels[0], "odd key with spaces");
	assert_string_equal(info.labels[1], "value\nwith newline %20 -");
	assert_string_equal(info.labels[2], "-");
	assert_string_equal(info.labels[3], "");
	snap_info_free(&info);
	ok(snap_mounts(f->s, NS, "k 2", &m, err_));
	assert_int_equal(in_mount(f, &m, sees_layer1_only, NULL), 0);
	snap_mounts_free(&m);
}

static void only_an_active_snapshots_dir_accepts_a_layer(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct berth_err *err = NULL;
	cleanup_free char *dir = NULL, *sub = NULL, *msg = NULL;

	ok(snap_prepare(f->s, NS, "k", NULL, NULL, &m, err_));
	dir = xstrdup(m.v[0].source);
	snap_mounts_free(&m);
	ok(snap_check_active_dir(f->s, dir, err_));
	sub = xasprintf("%s/..", dir);
	free(expect_fail(snap_check_active_dir(f->s, sub, &err), &err, BERTH_E_NOT_FOUND));
	free(expect_fail(snap_check_active_dir(f->s, "/tmp", &err), &err, BERTH_E_NOT_FOUND));
	ok(snap_commit(f->s, NS, "c", "k", NULL, err_));
	msg = expect_fail(snap_check_active_dir(f->s, dir, &err), &err, BERTH_E_PRECONDITION);
	assert_non_null(strstr(msg, "committed snapshot 'c'"));
}

static void corrupt_metadata_fails_open_naming_the_line(void **state)
{
	struct fx *f = *state;
	cleanup_free char *path = xasprintf("%s/metadata", f->root);
	cleanup_free char *data = NULL, *msg = NULL, *want = NULL;
	cleanup_fclose FILE *fp = NULL;
	struct berth_err *err = NULL;
	int lines = 0;

	make_layer1(f);
	snap_close(f->s);
	f->s = NULL;
	/* changes go to metadata.log first: metadata exists after a full save only */
	if (!fs_exists(path)) {
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs("berth-snapshots 1\n", fp);
		fclose(take_ptr(fp));
	}
	ok(fs_read_file(AT_FDCWD, path, &data, NULL, err_));
	for (char *p = data; *p; p++)
		lines += *p == '\n';
	fp = fopen(path, "a");
	assert_non_null(fp);
	fputs("7 committed ns name - 1.000000000\n", fp);
	fclose(take_ptr(fp));
	assert_null(snap_open(f->driver, f->root, &err));
	msg = expect_fail(-1, &err, BERTH_E_INVALID);
	want = xasprintf("metadata: line %d: malformed snapshot record", lines + 1);
	assert_non_null(strstr(msg, want));
}

/* regression: issue #10 (the journal): changes replay over metadata at open, a torn last
 * line (a crash during the append) is ignored, a malformed whole line fails by name */
static void journal_replays_changes_and_ignores_a_torn_last_line(void **state)
{
	struct fx *f = *state;
	cleanup_free char *log = xasprintf("%s/metadata.log", f->root);
	cleanup_free char *msg = NULL;
	cleanup_fclose FILE *fp = NULL;
	struct berth_err *err = NULL;
	struct snap_mounts m = {0};
	struct snap_info info = {0};
	struct stat st;

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k2", "layer1", NULL, &m, err_));
	snap_mounts_free(&m);
	ok(snap_remove(f->s, NS, "k2", err_));
	/* three changes journalled, none rewrote the whole file */
	assert_int_equal(stat(log, &st), 0);
	assert_true(st.st_size > 0);
	snap_close(f->s);
	fp = fopen(log, "a");
	assert_non_null(fp);
	fputs("put 99 active ns torn", fp); /* no newline: torn */
	fclose(take_ptr(fp));
	f->s = snap_open(f->driver, f->root, &err);
	if (!f->s)
		fail_msg("open: %s", err->msg);
	ok(snap_stat(f->s, NS, "layer1", &info, err_));
	assert_int_equal(info.kind, SNAP_KIND_COMMITTED);
	snap_info_free(&info);
	assert_int_equal(snap_stat(f->s, NS, "k2", &info, &err), -1);
	berth_err_free(&err);
	/* the next change saves in full: the torn line is gone */
	ok(snap_prepare(f->s, NS, "k3", "layer1", NULL, &m, err_));
	snap_mounts_free(&m);
	snap_close(f->s);
	f->s = NULL;
	fp = fopen(log, "a");
	assert_non_null(fp);
	fputs("put 5 bogus\n", fp);
	fclose(take_ptr(fp));
	assert_null(snap_open(f->driver, f->root, &err));
	msg = expect_fail(-1, &err, BERTH_E_INVALID);
	assert_non_null(strstr(msg, "metadata.log: line 1: malformed change"));
}

static void cleanup_removes_only_unreferenced_directories(void **state)
{
	struct fx *f = *state;
	cleanup_free char *orphan = xasprintf("%s/snapshots/999", f->root);
	cleanup_free char *removed = xasprintf("%s/snapshots/rm-7", f->root);
	cleanup_free char *file = xasprintf("%s/snapshots/999/fs/x", f->root);
	struct snap_mounts m = {0};

	make_layer1(f);
	ok(fs_mkdir_p(orphan, 0700, err_));
	ok(fs_mkdir_p(removed, 0700, err_));
	ok(fs_mkdir_p(file, 0700, err_));
	ok(snap_cleanup(f->s, err_));
	assert_false(fs_exists(orphan));
	assert_false(fs_exists(removed));
	ok(snap_view(f->s, NS, "v", "layer1", NULL, &m, err_));
	assert_int_equal(in_mount(f, &m, sees_layer1_only, NULL), 0);
	snap_mounts_free(&m);
}

static int make_special_files(const char *mnt, void *arg)
{
	cleanup_free char *d = xasprintf("%s/dir", mnt);
	cleanup_free char *exe = xasprintf("%s/dir/suid", mnt);
	cleanup_free char *hl = xasprintf("%s/dir/hardlink", mnt);
	cleanup_free char *sl = xasprintf("%s/dir/symlink", mnt);
	cleanup_free char *fifo = xasprintf("%s/dir/fifo", mnt);
	cleanup_free char *dev = xasprintf("%s/dir/null", mnt);

	if (mkdir(d, 0750) < 0 || chmod(d, 0750) < 0 || chown(d, 12, 34) < 0 ||
	    write_at(d, "suid", "#!") < 0 || chown(exe, 1000, 1001) < 0 || chmod(exe, 04755) < 0 ||
	    link(exe, hl) < 0 || symlink("../a.txt", sl) < 0 || mkfifo(fifo, 0600) < 0 ||
	    mknod(dev, S_IFCHR | 0666, makedev(1, 3)) < 0 ||
	    setxattr(exe, "user.berth", "v1", 2, 0) < 0) {
		fprintf(stderr, "make_special_files: %m\n");
		return -1;
	}
	return 0;
}

static int check_special_files(const char *mnt, void *arg)
{
	cleanup_free char *d = xasprintf("%s/dir", mnt);
	cleanup_free char *exe = xasprintf("%s/dir/suid", mnt);
	cleanup_free char *hl = xasprintf("%s/dir/hardlink", mnt);
	cleanup_free char *sl = xasprintf("%s/dir/symlink", mnt);
	cleanup_free char *fifo = xasprintf("%s/dir/fifo", mnt);
	cleanup_free char *dev = xasprintf("%s/dir/null", mnt);
	struct stat sd, se, sh, ss, sf, sn;
	char target[64] = {0}, xv[8] = {0};

	if (lstat(d, &sd) < 0 || lstat(exe, &se) < 0 || lstat(hl, &sh) < 0 || lstat(sl, &ss) < 0 ||
	    lstat(fifo, &sf) < 0 || lstat(dev, &sn) < 0) {
		fprintf(stderr, "check_special_files: %m\n");
		return -1;
	}
	if ((sd.st_mode & 07777) != 0750 || sd.st_uid != 12 || sd.st_gid != 34)
		return fprintf(stderr, "dir: mode %o uid %d\n", sd.st_mode, sd.st_uid), -1;
	if ((se.st_mode & 07777) != 04755 || se.st_uid != 1000 || se.st_gid != 1001)
		return fprintf(stderr, "suid: mode %o uid %d\n", se.st_mode, se.st_uid), -1;
	if (se.st_ino != sh.st_ino || se.st_nlink != 2)
		return fprintf(stderr, "hardlink not preserved\n"), -1;
	if (!S_ISLNK(ss.st_mode) || readlink(sl, target, sizeof(target) - 1) < 0 ||
	    strcmp(target, "../a.txt") != 0)
		return fprintf(stderr, "symlink: '%s'\n", target), -1;
	if (!S_ISFIFO(sf.st_mode) || !S_ISCHR(sn.st_mode) || sn.st_rdev != makedev(1, 3))
		return fprintf(stderr, "fifo/device not preserved\n"), -1;
	if (getxattr(exe, "user.berth", xv, sizeof(xv) - 1) != 2 || strcmp(xv, "v1") != 0)
		return fprintf(stderr, "xattr: '%s' %m\n", xv), -1;
	return 0;
}

static void attributes_survive_commit_and_prepare(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k2", "layer1", NULL, &m, err_));
	assert_int_equal(in_mount(f, &m, make_special_files, NULL), 0);
	snap_mounts_free(&m);
	ok(snap_commit(f->s, NS, "layer2", "k2", NULL, err_));
	ok(snap_prepare(f->s, NS, "k3", "layer2", NULL, &m, err_));
	assert_int_equal(in_mount(f, &m, check_special_files, NULL), 0);
	snap_mounts_free(&m);
}

/* --- overlay-specific: the exact mounts containerd's overlayfs snapshotter returns --- */

static void overlay_mounts_list_parents_nearest_first(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	cleanup_free char *lower = NULL, *upper = NULL, *work = NULL;
	cleanup_free char *f1 = NULL, *f2 = NULL;
	struct snap_info info = {0};

	make_layer1(f);
	ok(snap_prepare(f->s, NS, "k2", "layer1", NULL, &m, err_));
	/* k1 got id 1 and k2 id 2 in a fresh root */
	f1 = xasprintf("%s/snapshots/1/fs", f->root);
	f2 = xasprintf("%s/snapshots/2/fs", f->root);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.v[0].type, "overlay");
	assert_string_equal(m.v[0].source, "overlay");
	upper = xasprintf("upperdir=%s", f2);
	work = xasprintf("workdir=%s/snapshots/2/work", f->root);
	lower = xasprintf("lowerdir=%s", f1);
	assert_true(strv_contains(m.v[0].options, upper));
	assert_true(strv_contains(m.v[0].options, work));
	assert_true(strv_contains(m.v[0].options, lower));
	snap_mounts_free(&m);
	ok(snap_commit(f->s, NS, "layer2", "k2", NULL, err_));

	/* active on two parents: lowerdir=layer2:layer1 */
	ok(snap_prepare(f->s, NS, "k3", "layer2", NULL, &m, err_));
	free(lower);
	lower = xasprintf("lowerdir=%s:%s", f2, f1);
	assert_true(strv_contains(m.v[0].options, lower));
	snap_mounts_free(&m);
	/* view on one parent: ro bind of the parent's fs */
	ok(snap_view(f->s, NS, "v1", "layer1", NULL, &m, err_));
	assert_string_equal(m.v[0].type, "bind");
	assert_string_equal(m.v[0].source, f1);
	assert_true(strv_contains(m.v[0].options, "ro"));
	snap_mounts_free(&m);
	/* view on two parents: overlay with lowerdir only */
	ok(snap_view(f->s, NS, "v2", "layer2", NULL, &m, err_));
	assert_string_equal(m.v[0].type, "overlay");
	assert_true(strv_contains(m.v[0].options, lower));
	strv_foreach (o, m.v[0].options)
		assert_true(strncmp(o, "upperdir=", 9) != 0 && strncmp(o, "workdir=", 8) != 0);
	snap_mounts_free(&m);
	ok(snap_stat(f->s, NS, "v2", &info, err_));
	snap_info_free(&info);
}

static void overlay_refuses_a_lowerdir_longer_than_a_page(void **state)
{
	struct fx *f = *state;
	struct snap_mounts m = {0};
	struct berth_err *err = NULL;
	char parent[32] = "", key[32], name[32];
	struct snap_info *v = NULL;
	size_t n, before;
	char *msg;
	int i;

	/* each lowerdir entry is ~45 bytes: 120 layers need ~5.4 KiB */
	for (i = 0; i < 120; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(name, sizeof(name), "l%d", i);
		err = NULL;
		if (snap_prepare(f->s, NS, key, parent, NULL, &m, &err) < 0)
			break;
		snap_mounts_free(&m);
		ok(snap_commit(f->s, NS, name, key, NULL, err_));
		strcpy(parent, name);
	}
	assert_true(i > 1 && i < 120);
	ok(snap_list(f->s, NS, &v, &n, err_));
	snap_infos_free(v, n);
	before = n;
	msg = expect_fail(-1, &err, BERTH_E_RESOURCE);
	assert_non_null(strstr(msg, "one page"));
	free(msg);
	/* nothing was created by the failed prepare */
	ok(snap_list(f->s, NS, &v, &n, err_));
	assert_int_equal(n, before);
	snap_infos_free(v, n);
}

#define ON(fn, drv)                                              \
	{                                                        \
#fn " [" drv "]", fn, fx_setup, fx_teardown, drv \
	}
#define BOTH(fn) ON(fn, "overlayfs"), ON(fn, "native")
#define OVERLAY(fn) ON(fn, "overlayfs")

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(prepare_without_parent_returns_one_rw_bind_mount),
		BOTH(child_sees_parent_files_and_writes_do_not_reach_the_parent),
		BOTH(view_is_read_only),
		BOTH(remove_with_children_is_refused_and_names_the_snapshot),
		BOTH(stat_reports_kind_parent_labels_and_times),
		BOTH(wrong_keys_parents_and_states_fail_with_their_class),
		BOTH(mounts_of_an_active_snapshot_are_stable),
		BOTH(update_replaces_sets_and_deletes_labels),
		BOTH(list_returns_every_snapshot_sorted_by_name),
		BOTH(namespaces_do_not_see_each_other),
		BOTH(usage_counts_the_snapshots_own_bytes_and_inodes),
		BOTH(metadata_survives_reopen),
		BOTH(cleanup_removes_only_unreferenced_directories),
		BOTH(corrupt_metadata_fails_open_naming_the_line),
		BOTH(journal_replays_changes_and_ignores_a_torn_last_line),
		BOTH(only_an_active_snapshots_dir_accepts_a_layer),
		BOTH(attributes_survive_commit_and_prepare),
		OVERLAY(overlay_mounts_list_parents_nearest_first),
		OVERLAY(overlay_refuses_a_lowerdir_longer_than_a_page),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_snapshot: needs root (mounts in a private namespace)\n");
		return 0;
	}
	umask(077); /* as berthd's */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
