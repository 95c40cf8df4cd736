/*
 * runtime/lib/sync.h - the parent <-> container child handshake.
 *
 * One socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC) per clone; every
 * message is one packet: struct rt_sync_hdr then len bytes of payload.
 * `berth create` (parent) and the container init (child):
 *
 *   parent                                    child (in its new namespaces)
 *   ------                                    -----
 *   clone3(CLONE_NEW*, INTO_CGROUP v2) ------> joins its v1 cgroups ("0" > tasks,
 *   uid_map/gid_map (new user ns)               see cgjoin.h), then waits
 *   [new user ns: bind sources opened as our
 *    root inside the child's mount ns,
 *    mountsrc.h]
 *   GO {init pid, mount indexes} + fds ----> setns (joined namespaces, user first),
 *                                             unshare the rest (cgroup ns last);
 *                                             in a user ns: setresuid/gid 0 there
 *                                             setsid, keyring, hostname, domainname
 *                                             oom_score_adj, rlimits
 *                                             rt_rootfs_setup (mounts, /dev)
 *                     <------------------- HOOKS  (only when prestart/createRuntime exist)
 *   prestart + createRuntime hooks
 *   HOOKS_DONE --------------------------> createContainer hooks (before pivot)
 *                                             pivot_root; pty from the container's
 *                                             devpts -> master over --console-socket,
 *                                             slave on /dev/console and fds 0-2;
 *                                             sysctl, masked/readonly paths
 *                                             personality, scheduler, ioprio,
 *                                             chdir(cwd), PATH lookup, fds CLOEXEC,
 *                                             [seccomp if !noNewPrivileges]
 *                                             groups/gid/uid, caps, umask, no_new_privs
 *                     <------------------- READY
 *   state.json, pid file; exit                open(<state>/exec.fifo, O_WRONLY) blocks
 *   ...
 *   `berth start`: pidfd of the init,
 *   open fifo O_RDONLY|O_NONBLOCK ---------> open returns; write 1 byte
 *   poll(fifo, pidfd); read 1 byte;           startContainer hooks
 *   poll(fifo, pidfd) until hang-up <------- [seccomp if noNewPrivileges], execve
 *   unlink fifo; poststart hooks              (closes the fifo: O_CLOEXEC)
 *
 *   After its byte the init has no sync socket: when the startContainer hooks,
 *   the late seccomp filter or execve fail, it writes one record
 *     "<code> <errnum> <message>" (below PIPE_BUF: one atomic write)
 *   into the fifo and exits (126, 127 for execve); `start` reads it after the
 *   hang-up and fails with that error (rt_sync_fifo_err_*).
 *
 *   At any step before READY the child may instead send
 *     ERROR {code, errnum, message}          and _exit(1);
 *   the parent rebuilds the berth_err from it. EOF on the socket means the
 *   child died without a word; the parent reports its wait status.
 *
 * `berth exec` uses the same socket with GO and then only ERROR: the child's
 * end is CLOEXEC, so EOF tells the parent the execve succeeded (exec.c).
 */
#ifndef BERTH_RUNTIME_SYNC_H
#define BERTH_RUNTIME_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "spec/config.h"

enum rt_sync_type {
	RT_SYNC_GO = 1,
	RT_SYNC_HOOKS,
	RT_SYNC_HOOKS_DONE,
	RT_SYNC_READY,
	RT_SYNC_ERROR,
};

struct rt_sync_hdr {
	uint32_t type;
	int32_t code;	/* RT_SYNC_ERROR: enum berth_err_code */
	int32_t errnum; /* RT_SYNC_ERROR: errno of the root cause */
	uint32_t len;	/* payload bytes that follow */
};

struct rt_sync_msg {
	struct rt_sync_hdr hdr;
	char *data; /* NUL-terminated copy of the payload (len bytes) */
	int *fds;   /* owned: fds that came with it (SCM_RIGHTS, O_CLOEXEC); -1 once taken */
	size_t n_fds;
};

/* At most this many fds go with one message (the kernel's SCM_MAX_FD is 253). */
#define RT_SYNC_MAX_FDS 200

/* The init's failure record in the exec fifo (see above). write never fails
 * loudly: the init exits right after. parse returns -1 with *err rebuilt from
 * the record (a record it cannot read becomes an internal error). */
void rt_sync_fifo_err_write(int fd, const struct berth_err *e);
int rt_sync_fifo_err_parse(const char *rec, struct berth_err **err);

struct rt_cgroup;

/* How long the runtime waits for a container child's own work (mounts, exec),
 * hooks' timeouts not included: past it the child is taken as stuck. */
#define RT_CHILD_WAIT_S 120

/*
 * Waits until fd is readable (a sync message, the exec fifo). Every second it
 * looks at cg (may be NULL): a frozen cgroup means the child can make no
 * progress, so the wait fails at once, naming the cgroup; after bound_s
 * seconds (0: no overall bound, when a hook without a timeout runs meanwhile)
 * it fails with BERTH_E_TIMEOUT. what names the wait ("container init setup").
 */
int rt_sync_wait(int fd, struct rt_cgroup *cg, int bound_s, const char *what,
		 struct berth_err **err);
/* The bound for a wait that includes hooks: RT_CHILD_WAIT_S plus each hook's
 * timeout, 0 (none) when one of them has no timeout. */
int rt_sync_bound(const struct oci_hook *h, size_t n);

/* Sends one message; -1 with errno on failure. */
int rt_sync_send(int fd, uint32_t type, const void *data, size_t len);
/* The same with fds as SCM_RIGHTS (at most RT_SYNC_MAX_FDS; E2BIG beyond). */
int rt_sync_send_fds(int fd, uint32_t type, const void *data, size_t len, const int *fds,
		     size_t n_fds);
/* Child side: sends e as an ERROR message (best effort). */
void rt_sync_send_err(int fd, const struct berth_err *e);
/* Child side: berth_err_sys-like error sent straight to the parent. */
void rt_sync_send_errf(int fd, enum berth_err_code code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Receives the next message; when it is ERROR, rebuilds the child's error into
 * *err; EOF is an error with errnum ECONNRESET ("child exited"). If type is not
 * 0, any other type is a protocol error. *out may be NULL (payload dropped). */
int rt_sync_recv(int fd, uint32_t type, struct rt_sync_msg **out, struct berth_err **err);

void rt_sync_msg_free(struct rt_sync_msg *m);
void rt_sync_msg_freep(struct rt_sync_msg **m);

#endif
