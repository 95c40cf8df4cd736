/*
 * supervisor/ctl/cmd_task.c - berthctl exec, stop, kill, start and rm: what docker does to
 * an existing container, as Tasks/Containers calls. A container is named by its name, its
 * id or a unique id prefix (container.h).
 *
 * stop keeps the stopped task, so ps -a shows its exit status; start deletes a stopped
 * task and creates a new one (a fresh process on the same snapshot and spec).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/tasks/v1/tasks.pb-c.h>
#include <google/protobuf/empty.pb-c.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define ST(x) CONTAINERD__V1__TYPES__STATUS__##x

/* ---------------------------------------------------------------- exec */

static int exec_create(struct ctl *c, const char *id, const char *exec_id, const char *process,
		       struct ctl_stdio *io, bool tty, struct berth_err **err)
{
	Containerd__Services__Tasks__V1__ExecProcessRequest req =
		CONTAINERD__SERVICES__TASKS__V1__EXEC_PROCESS_REQUEST__INIT;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	ProtobufCMessage *m = NULL;

	any.type_url = (char *)CTL_PROCESS_TYPE;
	any.value.data = (uint8_t *)process;
	any.value.len = strlen(process);
	req.container_id = (char *)id;
	req.exec_id = (char *)exec_id;
	req.stdin = (char *)ctl_stdio_path(io, 0);
	req.stdout = (char *)ctl_stdio_path(io, 1);
	req.stderr = (char *)ctl_stdio_path(io, 2);
	req.spec = &any;
	req.terminal = tty;
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor, "Exec",
			      &req.base, &m, err) < 0)
		return berth_err_wrap(err, "exec in '%s'", id);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static void exec_delete(struct ctl *c, const char *id, const char *exec_id)
{
	Containerd__Services__Tasks__V1__DeleteProcessRequest req =
		CONTAINERD__SERVICES__TASKS__V1__DELETE_PROCESS_REQUEST__INIT;
	ProtobufCMessage *m = NULL;

	req.container_id = (char *)id;
	req.exec_id = (char *)exec_id;
	if (rpc_client_invoke(c->rpc, &containerd__services__tasks__v1__tasks__descriptor,
			      "DeleteProcess", &req.base, &m, NULL) == 0)
		protobuf_c_message_free_unpacked(m, NULL);
}

static int exec_run(struct ctl *c, const char *id, const char *process, bool interactive, bool tty,
		    uint32_t *status, struct berth_err **err)
{
	unsigned char b[6] = {0};
	char exec_id[32];
	struct ctl_stdio *io;
	int r;

	if (getrandom(b, sizeof(b), 0) < 0)
		b[0] = (unsigned char)time(NULL);
	snprintf(exec_id, sizeof(exec_id), "exec-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
		 b[4], b[5]);
	io = ctl_stdio_open(interactive, tty, err);
	if (!io)
		return -1;
	r = exec_create(c, id, exec_id, process, io, tty, err);
	if (r == 0) {
		r = ctl_stdio_start(io, c, id, exec_id, err);
		if (r == 0)
			r = ctl_task_start(c, id, exec_id, err);
		if (r == 0)
			r = ctl_stdio_begin_stdin(io, err);
		if (r == 0)
			r = ctl_task_wait(c, id, exec_id, status, err);
	}
	ctl_stdio_close(io);
	exec_delete(c, id, exec_id);
	return r;
}

/* exec -u NAME: resolved in the running container's files (/proc/PID/root) */
static int resolve_exec_user(uint32_t pid, const char *user, struct ctl_user *u,
			     struct berth_err **err)
{
	struct ctl_rootfs_files f = {0};
	int r;

	if (ctl_rootfs_read_proc((pid_t)pid, &f, err) < 0)
		return -1;
	r = ctl_user_resolve(user, f.passwd, f.plen, f.group, f.glen, u, err);
	ctl_rootfs_files_clear(&f);
	return r;
}

int ctl_cmd_exec(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	cleanup(ctl_run_opts_free) struct ctl_run_opts o = {0};
	cleanup(ctl_container_freep) struct ctl_container *ct = NULL;
	cleanup_free char *process = NULL;
	struct ctl_task_state st;
	struct ctl_user u = {0};
	uint32_t status = 0;
	int next = 0, r;

	if (ctl_run_parse(argc, argv, true, &o, &next, err) < 0)
		return -1;
	if (argc - next < 2)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"usage: berthctl exec [-i] [-t] [-e K[=V]] [-w DIR] [-u USER[:GROUP]] NAME CMD...");
	o.args = argv + next + 1;
	if (ctl_container_find(c, argv[next], &ct, err) < 0 ||
	    ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (st.status != ST(RUNNING))
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     argv[next]);
	if (!ct->spec)
		return berth_err_new(err, BERTH_E_INVALID, "container '%s': no spec", argv[next]);
	if (o.user && resolve_exec_user(st.pid, o.user, &u, err) < 0)
		return berth_err_wrap(err, "container '%s'", argv[next]);
	o.resolved = o.user ? &u : NULL;
	r = ctl_spec_exec_process(ct->spec, ct->spec_len, &o, &process, err);
	ctl_user_clear(&u);
	if (r < 0 || exec_run(c, ct->id, process, o.interactive, o.tty, &status, err) < 0)
		return berth_err_wrap(err, "container '%s'", argv[next]);
	c->status = (int)status;
	return 0;
}

/* ---------------------------------------------------------------- stop, kill */

int ctl_parse_signal(const char *s, int *out, struct berth_err **err)
{
	const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (*s && !*end && v > 0 && v < NSIG) {
		*out = (int)v;
		return 0;
	}
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);

		if (abbrev && strcasecmp(abbrev, name) == 0) {
			*out = i;
			return 0;
		}
	}
	return berth_err_new(err, BERTH_E_INVALID, "invalid signal '%s'", s);
}

/* Polls the task until it is no longer up or timeout_ms passed. */
static int wait_down(struct ctl *c, const char *id, long timeout_ms, bool *down,
		     struct berth_err **err)
{
	struct ctl_task_state st;
	struct timespec ts = {0, 100 * 1000 * 1000};

	for (long waited = 0;; waited += 100) {
		if (ctl_task_get(c, id, &st, err) < 0)
			return -1;
		*down = !ctl_task_is_up(&st);
		if (*down || waited >= timeout_ms)
			return 0;
		nanosleep(&ts, NULL);
	}
}

int ctl_container_stop(struct ctl *c, const char *ref, long timeout_s, struct berth_err **err)
{
	cleanup(ctl_container_freep) struct ctl_container *ct = NULL;
	struct ctl_task_state st;
	uint32_t status;
	bool down = false;
	int sig = SIGTERM;

	if (ctl_container_find(c, ref, &ct, err) < 0 || ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (!ctl_task_is_up(&st))
		return 0; /* docker: stopping a stopped container is fine */
	/* a frozen process gets no signal: thaw it first (docker does) */
	if (st.status != ST(RUNNING) && ctl_task_resume(c, ct->id, err) < 0)
		return -1;
	/* the container's stop signal (--stop-signal or the image's StopSignal), else TERM */
	if (ct->stop_signal && ctl_parse_signal(ct->stop_signal, &sig, err) < 0)
		return berth_err_wrap(err, "stop signal of '%s'", ref);
	if (ctl_task_kill(c, ct->id, NULL, sig, false, err) < 0 ||
	    wait_down(c, ct->id, timeout_s * 1000, &down, err) < 0)
		return -1;
	if (!down && ctl_task_kill(c, ct->id, NULL, SIGKILL, false, err) < 0)
		return -1;
	return ctl_task_wait(c, ct->id, NULL, &status, err);
}

int ctl_cmd_stop(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	long timeout = 10;
	int i = 0;
	char *end = NULL;

	if (argc >= 2 && (strcmp(argv[0], "-t") == 0 || strcmp(argv[0], "--time") == 0)) {
		timeout = strtol(argv[1], &end, 10);
		if (!*argv[1] || *end || timeout < 0)
			return berth_err_new(err, BERTH_E_INVALID,
					     "-t: invalid timeout '%s': want seconds", argv[1]);
		i = 2;
	}
	if (i >= argc)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl stop [-t SECONDS] NAME...");
	for (; i < argc; i++) {
		if (ctl_container_stop(c, argv[i], timeout, err) < 0) {
			berth_err_wrap(err, "stop '%s'", argv[i]);
			ctl_err_print(c, err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return 0;
}

static int kill_one(struct ctl *c, const char *ref, int sig, struct berth_err **err)
{
	cleanup(ctl_container_freep) struct ctl_container *ct = NULL;
	struct ctl_task_state st;

	if (ctl_container_find(c, ref, &ct, err) < 0 || ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (!ctl_task_is_up(&st))
		return berth_err_new(err, BERTH_E_PRECONDITION, "container '%s' is not running",
				     ref);
	return ctl_task_kill(c, ct->id, NULL, sig, false, err);
}

int ctl_cmd_kill(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	int sig = SIGKILL, i = 0;

	if (argc >= 2 && (strcmp(argv[0], "-s") == 0 || strcmp(argv[0], "--signal") == 0)) {
		if (ctl_parse_signal(argv[1], &sig, err) < 0)
			return -1;
		i = 2;
	}
	if (i >= argc)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl kill [-s SIGNAL] NAME...");
	for (; i < argc; i++) {
		if (kill_one(c, argv[i], sig, err) < 0) {
			ctl_err_print(c, err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return 0;
}

/* ---------------------------------------------------------------- start, rm */

int ctl_container_start(struct ctl *c, const char *ref, struct berth_err **err)
{
	cleanup(ctl_container_freep) struct ctl_container *ct = NULL;
	cleanup_err struct berth_err *undo = NULL;
	cleanup_free char *uri = NULL, *in = NULL;
	struct ctl_task_state st;
	bool has_in;

	if (ctl_container_find(c, ref, &ct, err) < 0 || ctl_task_get(c, ct->id, &st, err) < 0)
		return -1;
	if (ctl_task_is_up(&st))
		return 0; /* docker: starting a running container is fine */
	if (st.status == ST(CREATED))
		return ctl_task_start_recorded(c, ct->id, err);
	in = ctl_stdin_path(c->ns, ct->id);
	has_in = access(in, F_OK) == 0; /* run -d -i made it: the new task reads it too */
	if (ctl_task_delete(c, ct->id, NULL, err) < 0 ||
	    ctl_log_uri(c->ns, ct->id, has_in ? in : NULL, &uri, err) < 0 ||
	    ctl_task_create(c, ct->id, has_in ? in : "", uri, uri,
			    ct->spec && ctl_spec_is_terminal(ct->spec, ct->spec_len), err) < 0)
		return -1;
	if (ctl_task_start_recorded(c, ct->id, err) < 0) {
		ctl_task_delete(c, ct->id, NULL, &undo);
		return -1;
	}
	return 0;
}

int ctl_cmd_start(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	if (argc < 1)
		return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl start NAME...");
	for (int i = 0; i < argc; i++) {
		if (ctl_container_start(c, argv[i], err) < 0) {
			berth_err_wrap(err, "start '%s'", argv[i]);
			ctl_err_print(c, err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return 0;
}

int ctl_cmd_rm(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	bool force = false;
	int i = 0;

	if (argc >= 1 && (strcmp(argv[0], "-f") == 0 || strcmp(argv[0], "--force") == 0)) {
		force = true;
		i = 1;
	}
	if (i >= argc)
		return berth_err_new(err, BERTH_E_INVALID, "usage: berthctl rm [-f] NAME...");
	for (; i < argc; i++) {
		cleanup(ctl_container_freep) struct ctl_container *ct = NULL;

		if (ctl_container_find(c, argv[i], &ct, err) < 0 ||
		    ctl_container_remove(c, ct->id, force, err) < 0) {
			berth_err_wrap(err, "rm '%s'", argv[i]);
			ctl_err_print(c, err);
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return 0;
}
