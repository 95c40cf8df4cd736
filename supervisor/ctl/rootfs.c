/*
 * supervisor/ctl/rootfs.c - what berthctl run reads from and makes in a container's
 * rootfs before the task exists: /etc/passwd and /etc/group (to resolve --user / the
 * image's User, user.c) and the working directory (created 0755 root:root when missing,
 * as docker's daemon does before it starts a container).
 *
 * containerd's client does the same (oci.WithUser, WithAdditionalGIDs): it mounts the
 * snapshot in a temp dir on the client's host, so this needs berthctl to run as root on
 * the daemon's host, as `ctr run --user NAME` does. The snapshot's mounts (one mount:
 * overlay or bind, as containerd's snapshotters return) are mounted by a child process in
 * a mount namespace of its own, so nothing outlives it and the host never sees the mount.
 * berthctl is multi-threaded (gRPC), so between fork and _exit the child only makes
 * system calls on data the parent prepared, and returns what it read in a shared mapping.
 * Every path is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT): a symlink in the
 * image cannot make berthctl read or create anything on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define FILE_MAX (1 << 20)
#define PATH_MAX_LEN 4096

/* Filled by the child (a MAP_SHARED mapping, read by the parent after the child exited). */
struct shared {
	int stage;  /* what failed: 0 none, 1 unshare, 2 mount, 3 open root, 4 workdir */
	int errnum; /* its errno */
	int perr, gerr;
	size_t plen, glen;
	char passwd[FILE_MAX], group[FILE_MAX];
};

/* What the child needs, prepared before fork (no allocation after it). */
struct plan {
	const char *type, *source, *target, *data;
	unsigned long flags;
	const char *workdir; /* absolute; NULL: none */
	bool files;
	char path[PATH_MAX_LEN];
};

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = {.flags = (unsigned long long)flags | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};

	return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
}

static void read_file(int rootfd, const char *path, char *buf, size_t *len, int *errnum)
{
	int fd = open_in_root(rootfd, path, O_RDONLY);
	ssize_t n = 0;

	*len = 0;
	*errnum = fd < 0 ? errno : 0;
	while (fd >= 0 && *len < FILE_MAX && (n = read(fd, buf + *len, FILE_MAX - *len)) > 0)
		*len += (size_t)n;
	if (n < 0)
		*errnum = errno;
	if (fd >= 0)
		close(fd);
}

/* mkdir -p of p->workdir inside rootfd: each parent resolved in the root, then mkdirat. */
static int make_workdir(int rootfd, struct plan *p)
{
	char *s = p->path;
	size_t n = strlen(p->workdir);

	if (n >= sizeof(p->path))
		return ENAMETOOLONG;
	memcpy(s, p->workdir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		char save;
		int dfd, r;
		size_t j;

		if (s[i] != '/' && s[i] != '\0')
			continue;
		if (s[i - 1] == '/')
			continue;
		save = s[i];
		s[i] = '\0';
		/* the component is s[j+1 .. i), its parent s[0 .. j] */
		for (j = i - 1; s[j] != '/'; j--)
			;
		s[j] = '\0';
		dfd = open_in_root(rootfd, j ? s : "/", O_PATH | O_DIRECTORY);
		s[j] = '/';
		if (dfd < 0)
			return errno;
		r = mkdirat(dfd, s + j + 1, 0755);
		if (r < 0 && errno != EEXIST) {
			r = errno;
			close(dfd);
			return r;
		}
		close(dfd);
		s[i] = save;
	}
	return 0;
}

static _Noreturn void child_main(struct plan *p, struct shared *sh)
{
	int rootfd;

	umask(022);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		sh->stage = 1;
		sh->errnum = errno;
		_exit(1);
	}
	if (mount(p->source, p->target, p->type, p->flags, p->data) < 0) {
		sh->stage = 2;
		sh->errnum = errno;
		_exit(1);
	}
	rootfd = open(p->target, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		sh->stage = 3;
		sh->errnum = errno;
		_exit(1);
	}
	if (p->files) {
		read_file(rootfd, "/etc/passwd", sh->passwd, &sh->plen, &sh->perr);
		read_file(rootfd, "/etc/group", sh->group, &sh->glen, &sh->gerr);
	}
	if (p->workdir && (sh->errnum = make_workdir(rootfd, p)) != 0) {
		sh->stage = 4;
		_exit(1);
	}
	_exit(0);
}

/* Snapshot mount options -> mount(2) flags and data (what is not a flag). */
static char *mount_data(char **opts, size_t n, unsigned long *flags)
{
	static const struct {
		const char *name;
		unsigned long set;
	} known[] = {
		{"ro", MS_RDONLY},     {"rw", 0},
		{"bind", MS_BIND},     {"rbind", MS_BIND | MS_REC},
		{"nosuid", MS_NOSUID}, {"nodev", MS_NODEV},
		{"noexec", MS_NOEXEC},
	};
	char *data = xstrdup("");

	*flags = 0;
	for (size_t i = 0; i < n; i++) {
		bool flag = false;
		char *next;

		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(opts[i], known[k].name) == 0) {
				*flags |= known[k].set;
				flag = true;
			}
		if (flag)
			continue;
		next = xasprintf("%s%s%s", data, *data ? "," : "", opts[i]);
		free(data);
		data = next;
	}
	return data;
}

static char *copy(const char *buf, size_t len, size_t *out_len)
{
	char *s = xmalloc(len + 1);

	memcpy(s, buf, len);
	s[len] = '\0';
	*out_len = len;
	return s;
}

static int snapshot_mounts(struct ctl *c, const char *key, ProtobufCMessage **out,
			   struct berth_err **err)
{
	Containerd__Services__Snapshots__V1__MountsRequest req =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__MOUNTS_REQUEST__INIT;

	req.snapshotter = (char *)CTL_SNAPSHOTTER;
	req.key = (char *)key;
	if (rpc_client_invoke(c->rpc, &containerd__services__snapshots__v1__snapshots__descriptor,
			      "Mounts", &req.base, out, err) < 0)
		return berth_err_wrap(err, "mounts of snapshot '%s'", key);
	return 0;
}

static int run_child(struct plan *p, struct shared *sh, struct berth_err **err)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return berth_err_sys(err, errno, "fork");
	if (pid == 0)
		child_main(p, sh);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return berth_err_sys(err, errno, "wait for the rootfs helper");
	switch (sh->stage) {
	case 0:
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return berth_err_new(err, BERTH_E_INTERNAL, "the rootfs helper failed");
		return 0;
	case 1:
		return berth_err_sys(err, sh->errnum, "make a mount namespace");
	case 2:
		return berth_err_sys(err, sh->errnum, "mount the rootfs (%s) on '%s'", p->type,
				     p->target);
	case 3:
		return berth_err_sys(err, sh->errnum, "open the rootfs '%s'", p->target);
	default:
		return berth_err_sys(err, sh->errnum, "working directory '%s': create", p->workdir);
	}
}

int ctl_rootfs_prepare(struct ctl *c, const char *key, const char *workdir, bool files,
		       struct ctl_rootfs_files *out, struct berth_err **err)
{
	const Containerd__Services__Snapshots__V1__MountsResponse *mr;
	cleanup_free char *data = NULL, *dir = NULL;
	ProtobufCMessage *m = NULL;
	struct plan *p;
	struct shared *sh;
	int r;

	if (snapshot_mounts(c, key, &m, err) < 0)
		return -1;
	mr = (const void *)m;
	if (mr->n_mounts != 1) {
		protobuf_c_message_free_unpacked(m, NULL);
		return berth_err_new(err, BERTH_E_UNIMPLEMENTED,
				     "snapshot '%s': %zu mounts (one is supported)", key,
				     mr->n_mounts);
	}
	dir = xstrdup("/tmp/berthctl-rootfs-XXXXXX");
	if (!mkdtemp(dir)) {
		protobuf_c_message_free_unpacked(m, NULL);
		return berth_err_sys(err, errno, "mkdtemp '%s'", dir);
	}
	p = xnew(struct plan);
	data = mount_data(mr->mounts[0]->options, mr->mounts[0]->n_options, &p->flags);
	p->type = mr->mounts[0]->type;
	p->source = mr->mounts[0]->source;
	p->target = dir;
	p->data = data;
	p->workdir = workdir && strcmp(workdir, "/") != 0 ? workdir : NULL;
	p->files = files;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		r = berth_err_sys(err, errno, "mmap");
	} else {
		r = run_child(p, sh, err);
		if (r == 0 && files) {
			memset(out, 0, sizeof(*out));
			if (sh->perr == 0)
				out->passwd = copy(sh->passwd, sh->plen, &out->plen);
			if (sh->gerr == 0)
				out->group = copy(sh->group, sh->glen, &out->glen);
		}
		munmap(sh, sizeof(*sh));
	}
	rmdir(dir);
	free(p);
	protobuf_c_message_free_unpacked(m, NULL);
	return r < 0 ? berth_err_wrap(err, "rootfs of '%s'", key) : 0;
}

int ctl_rootfs_read_proc(pid_t pid, struct ctl_rootfs_files *out, struct berth_err **err)
{
	cleanup_free char *root = xasprintf("/proc/%d/root", (int)pid);
	cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	static char buf[FILE_MAX];
	size_t len;
	int e;

	if (rootfd < 0)
		return berth_err_sys(err, errno, "open '%s'", root);
	memset(out, 0, sizeof(*out));
	read_file(rootfd, "/etc/passwd", buf, &len, &e);
	if (e == 0)
		out->passwd = copy(buf, len, &out->plen);
	read_file(rootfd, "/etc/group", buf, &len, &e);
	if (e == 0)
		out->group = copy(buf, len, &out->glen);
	return 0;
}

void ctl_rootfs_files_clear(struct ctl_rootfs_files *f)
{
	free(f->passwd);
	free(f->group);
	memset(f, 0, sizeof(*f));
}
