/*
 * supervisor/ctl/cmd_state.c - berthctl wait, restart, pause, unpause, top and
 * container prune: docker's container state commands as Tasks calls (Wait, Kill + Start,
 * Pause, Resume, ListPids) on containers named by name, id or id prefix. Each handles
 * every name it is given and exits 1 if one failed (ctl_err_print).
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define ST(x) CONTAINERD__V1__TYPES__STATUS__##x

typedef int (*one_fn)(struct ctl *c, const struct ctl_container *ct, const char *ref,
		      struct berth_err **err);

/* Runs fn for every name; prints the name after each success unless quiet. */
static int each(struct ctl *c, int argc, char **argv, const char *usage, one_fn fn, bool quiet,
		struct berth_err **err)
{
	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		if (argc >= 1) {
			printf("Usage: %s\n", usage + strlen("usage: "));
			return 0;
		}
		return berth_err_new(err, BERTH_E_INVALID, "%s", usage);
	}
	for (int i = 0; i < argc; i++) {
		cleanup(ctl_container_freep) struct ctl_container *ct = NULL;

		if (ctl_container_find(c, argv[i], &ct, err) < 0 || fn(c, ct, argv[i], err) < 0) {
			ctl_err_print(c, err);
			continue;
		}
		if (!quiet)
			printf("%s\n", argv[i]);
	}
	return 0;
}

static int wait_one(struct ctl *c, const struct ctl_container *ct, const char *ref,
		    struct berth_err **err)
{
	struct ctl_task_state st;
	uint32_t status;

	if (ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (st.status == ST(UNKNOWN))
		return berth_err_new(err, BERTH_E_PRECONDITION,
				     "container '%s' has never run: nothing to wait for", ref);
	if (ctl_task_wait(c, ct->id, NULL, &status, err) < 0)
		return -1;
	printf("%u\n", status);
	return 0;
}

int ctl_cmd_wait(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	return each(c, argc, argv, "usage: berthctl wait NAME... (prints each exit status)",
		    wait_one, true, err);
}

static int pause_one(struct ctl *c, const struct ctl_container *ct, const char *ref,
		     struct berth_err **err)
{
	Containerd__Services__Tasks__V1__PauseTaskRequest req =
		CONTAINERD__SERVICES__TASKS__V1__PAUSE_TASK_REQUEST__INIT;
	ProtobufCMessage *m = NULL;
	struct ctl_task_state st;

	if (ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (st.status != ST(RUNNING))
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     ref);
	req.container_id = ct->id;
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Pause",
			      &req.base, &m, err) < 0)
		return berth_err_wrap(err, "pause '%s'", ref);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_cmd_pause(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	return each(c, argc, argv, "usage: berthctl pause NAME...", pause_one, false, err);
}

static int unpause_one(struct ctl *c, const struct ctl_container *ct, const char *ref,
		       struct berth_err **err)
{
	struct ctl_task_state st;

	if (ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (st.status != ST(PAUSED) && st.status != ST(PAUSING))
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not paused",
				     ref);
	return ctl_task_resume(c, ct->id, err);
}

int ctl_cmd_unpause(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	return each(c, argc, argv, "usage: berthctl unpause NAME...", unpause_one, false, err);
}

static long restart_timeout = 10;

static int restart_one(struct ctl *c, const struct ctl_container *ct, const char *ref,
		       struct berth_err **err)
{
	if (ctl_container_stop(c, ref, restart_timeout, err) < 0 ||
	    ctl_container_start(c, ref, err) < 0)
		return berth_err_wrap(err, "restart '%s'", ref);
	return 0;
}

int ctl_cmd_restart(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	char *end = NULL;

	restart_timeout = 10;
	if (argc >= 2 && (strcmp(argv[0], "-t") == 0 || strcmp(argv[0], "--time") == 0)) {
		restart_timeout = strtol(argv[1], &end, 10);
		if (!*argv[1] || *end || restart_timeout < 0)
			return berth_err_new(err, BERTH_E_INVALID,
					     "usage: -t: invalid timeout '%s': want seconds",
					     argv[1]);
		argc -= 2;
		argv += 2;
	}
	return each(c, argc, argv, "usage: berthctl restart [-t SECONDS] NAME...", restart_one,
		    false, err);
}

/* UID PID PPID CMD of one process, from /proc */
static void top_line(uint32_t pid)
{
	cleanup_free char *sp = xasprintf("/proc/%u/stat", pid), *cp = NULL, *cmd = NULL;
	cleanup_free char *stat_buf = NULL, *dir = xasprintf("/proc/%u", pid);
	cleanup_err struct berth_err *e = NULL;
	struct stat st;
	size_t len = 0;
	const char *rp;
	int ppid = 0;

	if (stat(dir, &st) < 0)
		return;
	if (fs_read_file_max(AT_FDCWD, sp, 4096, &stat_buf, &len, &e) == 0 &&
	    (rp = strrchr(stat_buf, ')')) && rp[1])
		sscanf(rp + 2, "%*c %d", &ppid);
	berth_err_free(&e);
	cp = xasprintf("/proc/%u/cmdline", pid);
	if (fs_read_file_max(AT_FDCWD, cp, 65536, &cmd, &len, &e) < 0)
		return;
	for (size_t i = 0; i + 1 < len; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	printf("%-8u %-8u %-8d %s\n", (unsigned)st.st_uid, pid, ppid, cmd);
}

static int top_one(struct ctl *c, const struct ctl_container *ct, const char *ref,
		   struct berth_err **err)
{
	Containerd__Services__Tasks__V1__ListPidsRequest req =
		CONTAINERD__SERVICES__TASKS__V1__LIST_PIDS_REQUEST__INIT;
	const Containerd__Services__Tasks__V1__ListPidsResponse *resp;
	ProtobufCMessage *m = NULL;
	struct ctl_task_state st;

	if (ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (!ctl_task_is_up(&st))
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     ref);
	req.container_id = ct->id;
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor,
			      "ListPids", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "processes of '%s'", ref);
	resp = (const void *)m;
	printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
	for (size_t i = 0; i < resp->n_processes; i++)
		top_line(resp->processes[i]->pid);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_cmd_top(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	if (argc > 1)
		return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl top NAME");
	return each(c, argc, argv, "usage: berthctl top NAME", top_one, true, err);
}

/* container prune [-f]: removes every container whose task is not up */
static int prune(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	struct ctl_container *v = NULL;
	size_t n = 0, removed = 0;

	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "-f") != 0 && strcmp(argv[i], "--force") != 0)
			return berth_err_new(err, BERTH_E_INVALID,
					     "usage: berthctl container prune [-f]");
	if (ctl_container_list(c, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct ctl_task_state st;

		if (ctl_task_get(c, v[i].id, &st, err) < 0 ||
		    (!ctl_task_is_up(&st) && ctl_container_remove(c, v[i].id, false, err) < 0)) {
			ctl_err_print(c, err);
			continue;
		}
		if (!ctl_task_is_up(&st)) {
			printf("%s\n", v[i].id);
			removed++;
		}
	}
	ctl_container_list_free(v, n);
	fprintf(stderr, "removed %zu stopped containers\n", removed);
	return 0;
}

int ctl_cmd_container(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	static const struct {
		const char *name;
		ctl_cmd_fn fn;
	} sub[] = {
		{"prune", prune},	{"ls", ctl_cmd_ps},	      {"list", ctl_cmd_ps},
		{"rm", ctl_cmd_rm},	{"inspect", ctl_cmd_inspect}, {"start", ctl_cmd_start},
		{"stop", ctl_cmd_stop}, {"kill", ctl_cmd_kill},	      {"restart", ctl_cmd_restart},
		{"wait", ctl_cmd_wait}, {"pause", ctl_cmd_pause},     {"unpause", ctl_cmd_unpause},
		{"top", ctl_cmd_top},	{"logs", ctl_cmd_logs},	      {"create", ctl_cmd_create},
		{"exec", ctl_cmd_exec}, {"run", ctl_cmd_run},	      {"attach", ctl_cmd_attach},
	};

	if (argc < 1)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"usage: berthctl container prune|ls|rm|inspect|start|stop|...");
	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (strcmp(argv[0], sub[i].name) == 0)
			return sub[i].fn(c, argc - 1, argv + 1, err);
	return berth_err_new(err, BERTH_E_INVALID, "usage: container: unknown subcommand '%s'",
			     argv[0]);
}
