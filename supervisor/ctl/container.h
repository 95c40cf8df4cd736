/*
 * supervisor/ctl/container.h - what berthctl's container commands share (run, create,
 * ps, exec, stop, kill, start, restart, rm, logs, attach, inspect, wait, pause, top):
 * run options, the OCI spec built from an image config and the flags, the user resolved
 * in the rootfs, image unpacking into snapshots, container lookup by name or id, task
 * calls, the FIFOs that carry a foreground process's stdio, and the log a detached one
 * writes through berthctl as the shim's logger.
 *
 * A berthctl container is a containerd container record (id: 64 random hex digits,
 * labels "berthctl/name" = its name, unique per namespace, "berthctl/stop-signal",
 * "berthctl/started-at", and the user's --label ones), an active snapshot whose key is
 * the id, at most one task, and its log $BERTHCTL_ROOT/logs/<ns>/<id>.log. Everything
 * goes through the containerd API (plus, on the daemon's host: the snapshot mounted to
 * resolve --user and make -w, the task's netns to bring lo up), so the same commands
 * drive a real containerd.
 */
#ifndef BERTH_SUPERVISOR_CTL_CONTAINER_H
#define BERTH_SUPERVISOR_CTL_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/ctl/ctl.h"

#define CTL_NAME_LABEL "berthctl/name"
#define CTL_STOPSIG_LABEL "berthctl/stop-signal"
#define CTL_STARTED_LABEL \
	"berthctl/started-at" /* RFC 3339, set at each task start */ /* --stop-signal, else the image's StopSignal */
#define CTL_DEFAULT_ROOT "/var/lib/berthctl" /* client state: container logs ($BERTHCTL_ROOT) */
#define CTL_SNAPSHOTTER "overlayfs"
#define CTL_DEFAULT_RUNTIME "io.containerd.berth.v2"
#define CTL_SPEC_TYPE "types.containerd.io/opencontainers/runtime-spec/1/Spec"
#define CTL_PROCESS_TYPE "types.containerd.io/opencontainers/runtime-spec/1/Process"

struct ctl_user;

/* What `run` and `exec` were asked for; strings are borrowed from argv. */
struct ctl_run_opts {
	char **env; /* -e K=V (owned strv) */
	const char *workdir, *user, *entrypoint, *hostname, *name, *runtime;
	char **args; /* the command after IMAGE; borrowed, may be empty */
	bool has_memory, has_pids_limit;
	int64_t memory, pids_limit;
	bool readonly, rm, detach, interactive, tty;
	bool create_only;		 /* create: no task */
	unsigned rows, cols;		 /* with tty: berthctl's window size (0: unknown) */
	const struct ctl_user *resolved; /* borrowed: the user resolved in the rootfs, or NULL */
	/* spec_flags.c; each strv owned (values copied from argv) */
	char **volumes, **mounts, **tmpfs, **ulimits, **cap_add, **cap_drop, **security_opts,
		**devices;
	char **labels;		 /* --label K=V: the container record's */
	const char *stop_signal; /* --stop-signal: a label, used by stop */
	bool has_cpus, has_cpu_shares, has_memory_swap, privileged, init;
	double cpus;
	uint64_t cpu_shares;
	int64_t memory_swap; /* -1: unlimited */
};

/* ---- spec.c ---- */
/*
 * The container's config.json: berth's default spec (spec/generate.h) made a containerd
 * container (containerd's default capabilities, /run tmpfs, cgroupsPath /<ns>/<id>, no
 * terminal), then the image config (Env, Entrypoint, Cmd, WorkingDir, User) and the
 * flags. Errors name the bad flag or image config field. Caller frees *out.
 */
int ctl_spec_build(const struct ctl_run_opts *o, const char *config_json, size_t len,
		   const char *ns, const char *id, char **out, struct berth_err **err);
/*
 * What the rootfs must answer before the spec is final: the user string (flag, else the
 * image's User; NULL if none) and the working directory to create (NULL if none or "/").
 */
int ctl_spec_wants(const struct ctl_run_opts *o, const char *config_json, size_t len, char **user,
		   char **workdir, struct berth_err **err);
/* The process of an exec: the container's spec process with the exec's args/env/cwd/user. */
int ctl_spec_exec_process(const char *spec_json, size_t len, const struct ctl_run_opts *o,
			  char **out, struct berth_err **err);
/* spec_flags.c: -v, --mount, --tmpfs, --ulimit, --device, caps, --privileged, --cpus... */
struct oci_spec;
int ctl_spec_apply_flags(struct oci_spec *s, const struct ctl_run_opts *o, struct berth_err **err);
/* The last --security-opt seccomp=X's X ("unconfined" for --privileged); NULL if none. */
const char *ctl_spec_seccomp_opt(const struct ctl_run_opts *o);
/* Whether the spec's process has a terminal (a new task must ask the shim for one). */
bool ctl_spec_is_terminal(const char *spec_json, size_t len);
/* "123", "64m", "1g", "512k" -> bytes; INVALID naming the value otherwise. */
int ctl_parse_bytes(const char *s, int64_t *out, struct berth_err **err);

/* ---- user.c ---- */
/* A resolved USER[:GROUP]: ids, supplementary groups, the passwd home ("/" if none). */
struct ctl_user {
	unsigned uid, gid;
	unsigned *gids;
	size_t n_gids;
	char *home;
};
void ctl_user_clear(struct ctl_user *u);
/*
 * Resolves spec (USER[:GROUP], NULL or "" = root) against a passwd and a group file's
 * contents (either may be NULL: absent), by docker's rules (see user.c). NOT_FOUND names
 * a user or group name that the files lack; INVALID a malformed spec.
 */
int ctl_user_resolve(const char *spec, const char *passwd, size_t plen, const char *group,
		     size_t glen, struct ctl_user *out, struct berth_err **err);

/* ---- rootfs.c ---- */
struct ctl_rootfs_files {
	char *passwd, *group; /* NULL when the image has none */
	size_t plen, glen;
};
void ctl_rootfs_files_clear(struct ctl_rootfs_files *f);
/*
 * Mounts the snapshot key (in a child's private mount namespace: needs root on the
 * daemon's host), creates workdir (unless NULL or "/") 0755 root-owned if missing and,
 * when files, reads /etc/passwd and /etc/group into *out. Paths resolve inside the rootfs.
 */
int ctl_rootfs_prepare(struct ctl *c, const char *key, const char *workdir, bool files,
		       struct ctl_rootfs_files *out, struct berth_err **err);
/* The same files from a running process's root (/proc/PID/root), for exec. */
int ctl_rootfs_read_proc(pid_t pid, struct ctl_rootfs_files *out, struct berth_err **err);

/* ---- store.c ---- */
/*
 * image_unpack() (supervisor/image/image.h) through berthd: makes sure the image's layers
 * are unpacked as committed snapshots (Snapshots.Prepare, Diff.Apply, Snapshots.Commit per
 * missing layer, named by chain ID) and labels the config blob so GC keeps them. *chain:
 * the top chain ID.
 */
int ctl_image_unpack(struct ctl *c, const char *config_digest, const char *config_json, size_t len,
		     const char *manifest_digest, char **chain, struct berth_err **err);

/* ---- container.c ---- */
struct ctl_container {
	char *id, *name, *image, *runtime;
	char *stop_signal; /* NULL: SIGTERM */
	char **labels;	   /* k, v, k, v, ..., NULL */
	char *spec;	   /* the spec Any's value (JSON), NUL-terminated */
	size_t spec_len;
	int64_t created; /* seconds since the epoch */
};
void ctl_container_free(struct ctl_container *ct);
void ctl_container_freep(struct ctl_container **ct);
/* Every container of the namespace; *out is an array of n. */
int ctl_container_list(struct ctl *c, struct ctl_container **out, size_t *n,
		       struct berth_err **err);
void ctl_container_list_free(struct ctl_container *v, size_t n);
/* By name, full id or unique id prefix; NOT_FOUND "no such container: 'x'". */
int ctl_container_find(struct ctl *c, const char *ref, struct ctl_container **out,
		       struct berth_err **err);

/* Task state: status (CONTAINERD__V1__TYPES__STATUS__*, UNKNOWN when there is no task). */
struct ctl_task_state {
	int status;
	uint32_t pid, exit_status;
	int64_t exited_ns; /* 0 unless stopped */
};
int ctl_task_get(struct ctl *c, const char *id, struct ctl_task_state *st, struct berth_err **err);
/* Running, paused or pausing: a process exists. */
bool ctl_task_is_up(const struct ctl_task_state *st);
int ctl_task_resume(struct ctl *c, const char *id, struct berth_err **err);
int ctl_task_kill(struct ctl *c, const char *id, const char *exec_id, int sig, bool all,
		  struct berth_err **err);
/* Blocks until the process exits; *status is its exit status. */
int ctl_task_wait(struct ctl *c, const char *id, const char *exec_id, uint32_t *status,
		  struct berth_err **err);
/* Tasks.Delete; NOT_FOUND (no task) is success. *status (optional): its exit status. */
int ctl_task_delete(struct ctl *c, const char *id, uint32_t *status, struct berth_err **err);
/* Creates (not starts) the container's task on the snapshot's mounts with stdio paths,
 * and brings its network namespace's lo up (netns.c). */
int ctl_task_create(struct ctl *c, const char *id, const char *in, const char *out,
		    const char *errp, bool terminal, struct berth_err **err);
int ctl_task_start(struct ctl *c, const char *id, const char *exec_id, struct berth_err **err);
/* Sets one label on the container record (Containers.Update, mask labels.<key>). */
int ctl_container_set_label(struct ctl *c, const char *id, const char *key, const char *value,
			    struct berth_err **err);
/* Starts the task and records the time in CTL_STARTED_LABEL (inspect's StartedAt). */
int ctl_task_start_recorded(struct ctl *c, const char *id, struct berth_err **err);
/* Deletes the task (a running one only when force: killed first), the container and its
 * snapshot. */
int ctl_container_remove(struct ctl *c, const char *id, bool force, struct berth_err **err);

/* ---- stdio.c ---- */
/*
 * A process's stdio through FIFOs in a private temp dir (as containerd's cio): berthctl
 * copies the stdout/stderr FIFOs to its own and, when interactive, its stdin into the
 * stdin FIFO (CloseIO at its end); else stdin is none (the shim gives /dev/null).
 * Signals SIGINT/SIGTERM/SIGHUP/SIGQUIT received meanwhile are forwarded to the process
 * (Tasks.Kill over a second connection, from a thread of its own).
 */
struct ctl_stdio;
/* tty: the process has a terminal (no stderr FIFO; resize and raw mode, see stdio.c) */
struct ctl_stdio *ctl_stdio_open(bool interactive, bool tty, struct berth_err **err);
const char *ctl_stdio_path(const struct ctl_stdio *s, int fd); /* 0, 1, 2; "" if none */
/* Starts copying and forwarding signals to (id, exec_id). */
int ctl_stdio_start(struct ctl_stdio *s, struct ctl *c, const char *id, const char *exec_id,
		    struct berth_err **err);
/*
 * Once the process started (the shim opened the stdin FIFO: what is written to a FIFO
 * nobody else holds is lost when berthctl closes it): copies stdin, if interactive.
 */
int ctl_stdio_begin_stdin(struct ctl_stdio *s, struct berth_err **err);
/* After the process exited: drains the output, stops the threads, removes the FIFOs. */
void ctl_stdio_close(struct ctl_stdio *s);

/* ---- logger.c ---- */
/* $BERTHCTL_ROOT/logs/<ns>/<id>.log (default root CTL_DEFAULT_ROOT). Caller frees. */
char *ctl_log_path(const char *ns, const char *id);
/* $BERTHCTL_ROOT/logs/<ns>/<id>.stdin: the stdin FIFO of a -d -i container. */
char *ctl_stdin_path(const char *ns, const char *id);
/* The binary:// URI making berthctl the container's logger (creates the log directory);
 * stdin_fifo (optional): a FIFO the logger holds open for the container's life. */
int ctl_log_uri(const char *ns, const char *id, const char *stdin_fifo, char **out,
		struct berth_err **err);
/* `berthctl __logger PATH [stdin FIFO]`, run by the shim: copies fds 3 and 4 into PATH. */
int ctl_logger_main(const char *path, const char *stdin_fifo);

/* ---- netns.c ---- */
/* Brings 'lo' up in the network namespace of process pid (a task's, before it starts). */
int ctl_netns_loopback_up(uint32_t pid, struct berth_err **err);

/* ---- cmd_reap.c ---- */
/* Leaves a `berthctl __reap ID` process behind that removes the container once it exits. */
int ctl_reaper_spawn(struct ctl *c, const char *id, struct berth_err **err);

/* ---- cmd_run.c / cmd_ps.c / cmd_task.c ---- */
/* Parses -e/-w/-u (and for run the rest) into o; *next: index of the first operand. */
int ctl_run_parse(int argc, char **argv, bool exec, struct ctl_run_opts *o, int *next,
		  struct berth_err **err);
void ctl_run_opts_free(struct ctl_run_opts *o);
/* stop: the stop signal, SIGKILL after timeout_s; a stopped container is fine. */
int ctl_container_stop(struct ctl *c, const char *ref, long timeout_s, struct berth_err **err);
/* start: a new task (with the log as output) unless one is up. */
int ctl_container_start(struct ctl *c, const char *ref, struct berth_err **err);
/* "TERM", "SIGTERM", "15" -> 15; INVALID "invalid signal 'x'" */
int ctl_parse_signal(const char *s, int *out, struct berth_err **err);

#endif
