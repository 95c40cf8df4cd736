/*
 * runtime/lib/create.c - `create`, the parent side: validate the bundle,
 * prepare everything the child applies, clone the init, drive the handshake
 * of sync.h, record the state. The child side is init.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/nsfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/cgjoin.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/console.h"
#include "runtime/lib/container_internal.h"
#include "runtime/lib/hooks.h"
#include "runtime/lib/idmap.h"
#include "runtime/lib/devnodes.h"
#include "runtime/lib/idmount.h"
#include "runtime/lib/mountsrc.h"
#include "runtime/lib/lsm.h"
#include "runtime/lib/pidstat.h"
#include "runtime/lib/rootless.h"
#include "runtime/lib/seccomp.h"
#include "runtime/lib/seccomp_notify.h"
#include "runtime/lib/sync.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct create {
	const struct rt_ctx *ctx;
	const char *id;
	const struct rt_create_opts *o;
	char *bundle;
	char *config_buf;
	size_t config_len;
	struct oci_spec *spec;
	struct rt_seccomp *seccomp;
	struct rt_cgroup *cg;
	struct rt_cgjoin cgjoin;
	struct oci_resources res; /* linux.resources + device rules; devices owned */
	struct rt_proc_plan plan;
	bool has_plan;
	int ns_fds[OCI_NS_COUNT]; /* namespaces joined by path */
	int clone_flags;	  /* namespaces the clone creates */
	int late_flags;		  /* created by the child after its joins */
	bool new_userns, new_timens;
	bool host_mntns; /* no mount namespace: rootfs_host.c */
	bool host_bound; /* rt_rootfs_host_bind() done: undo releases it */
	char *rootfs;
	int console_sock;
	int tty_peer;	/* foreground terminal: our end of the console socketpair, or -1 */
	int fifo_dirfd; /* the state dir again, for the child: not the locked file */
	struct rt_container *c;
	int sync[2];
	pid_t pid;
	int pidfd;
	bool cgroup_created;
	bool want_cgroup;	      /* false: rootless without a writable cgroup (rootless.h) */
	struct rt_idmounts *idmounts; /* detached idmapped trees the child inherits */
	struct rt_devnodes *devnodes; /* linux.devices nodes for a new user ns (devnodes.h) */
};

static void create_clear(struct create *cr)
{
	for (int i = 0; i < OCI_NS_COUNT; i++)
		closep(&cr->ns_fds[i]);
	closep(&cr->console_sock);
	closep(&cr->tty_peer);
	closep(&cr->fifo_dirfd);
	closep(&cr->sync[0]);
	closep(&cr->sync[1]);
	closep(&cr->pidfd);
	if (cr->has_plan)
		rt_proc_plan_clear(&cr->plan);
	free(cr->res.devices);
	rt_cgjoin_clear(&cr->cgjoin);
	rt_cgroup_free(cr->cg);
	rt_seccomp_free(cr->seccomp);
	rt_idmounts_free(cr->idmounts);
	rt_devnodes_free(cr->devnodes);
	oci_spec_free(cr->spec);
	free(cr->config_buf);
	free(cr->bundle);
	free(cr->rootfs);
	rt_container_free(cr->c);
}

/* ---- validation: no side effects ---- */

static int load_config(struct create *cr, struct berth_err **err)
{
	char buf[PATH_MAX];
	cleanup_free char *path = NULL;
	const char *b = cr->o->bundle && *cr->o->bundle ? cr->o->bundle : ".";

	if (!realpath(b, buf))
		return berth_err_sys(err, errno, "bundle '%s'", b);
	cr->bundle = xstrdup(buf);
	path = xasprintf("%s/config.json", cr->bundle);
	if (fs_read_file(AT_FDCWD, path, &cr->config_buf, &cr->config_len, err) < 0)
		return -1;
	return oci_spec_parse(cr->config_buf, cr->config_len, "config.json", &cr->spec, err);
}

static int check_ns_fd(int fd, enum oci_ns_type t, size_t i, const char *path,
		       struct berth_err **err)
{
	int kt = ioctl(fd, NS_GET_NSTYPE);

	if (kt < 0)
		return berth_err_sys(err, errno,
				     "linux.namespaces[%zu].path '%s': not a namespace file", i,
				     path);
	if (kt != oci_ns_clone_flag(t))
		return berth_err_new(err, BERTH_E_INVALID,
				     "linux.namespaces[%zu].path '%s': not a %s namespace", i, path,
				     oci_ns_type_name(t));
	return 0;
}

static int prepare_namespaces(struct create *cr, struct berth_err **err)
{
	const struct oci_linux *l = cr->spec->linux_;
	bool join_user = false, new_pid = false;

	for (size_t i = 0; l && i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		int flag = oci_ns_clone_flag(ns->type);

		if (!ns->path) {
			if (ns->type == OCI_NS_CGROUP)
				cr->late_flags |= flag;
			else if (ns->type == OCI_NS_TIME)
				cr->new_timens = true;
			else
				cr->clone_flags |= flag;
			if (ns->type == OCI_NS_USER)
				cr->new_userns = true;
			if (ns->type == OCI_NS_PID)
				new_pid = true;
			continue;
		}
		cr->ns_fds[ns->type] = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (cr->ns_fds[ns->type] < 0)
			return berth_err_sys(err, errno, "linux.namespaces[%zu].path '%s'", i,
					     ns->path);
		if (check_ns_fd(cr->ns_fds[ns->type], ns->type, i, ns->path, err) < 0)
			return -1;
		if (ns->type == OCI_NS_USER)
			join_user = true;
	}
	if (join_user) {
		/* namespaces must belong to the joined user namespace: the child creates
		 * them after setns(user); a pid namespace can not be entered that way */
		if (new_pid)
			return berth_err_new(
				err, BERTH_E_UNIMPLEMENTED,
				"linux.namespaces: a new pid namespace inside a joined user namespace is not supported");
		cr->late_flags |= cr->clone_flags;
		cr->clone_flags = 0;
	}
	if (cr->spec->hostname && *cr->spec->hostname && !oci_spec_find_ns(cr->spec, OCI_NS_UTS))
		return berth_err_new(err, BERTH_E_INVALID,
				     "hostname: setting it requires a uts namespace");
	/* The spec lets a container inherit the runtime's mount namespace: its mounts then
	 * go into the host's mount table, under an rprivate bind of the rootfs that
	 * delete detaches (rootfs_host.c). */
	cr->host_mntns = !oci_spec_find_ns(cr->spec, OCI_NS_MOUNT);
	if ((l && (l->n_uid_mappings || l->n_gid_mappings)) && !cr->new_userns)
		return berth_err_new(err, BERTH_E_INVALID,
				     "linux.uidMappings: mappings require a new user namespace");
	if (cr->new_userns && (!l->n_uid_mappings || !l->n_gid_mappings))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
	return 0;
}

/* runc's rule: only sysctls of a namespace the container has of its own: the ipc
 * ones it lists, fs.mqueue.*, net.*, kernel.hostname/domainname. Anything else
 * (vm.*, kernel.pid_max...) would change the host. */
static int sysctl_ns(const char *k)
{
	static const char *const ipc[] = {
		"kernel.msgmax", "kernel.msgmnb",	   "kernel.msgmni",
		"kernel.sem",	 "kernel.shmall",	   "kernel.shmmax",
		"kernel.shmmni", "kernel.shm_rmid_forced", NULL};

	for (size_t i = 0; ipc[i]; i++) {
		if (!strcmp(k, ipc[i]))
			return OCI_NS_IPC;
	}
	if (!strncmp(k, "fs.mqueue.", 10))
		return OCI_NS_IPC;
	if (!strncmp(k, "net.", 4))
		return OCI_NS_NETWORK;
	if (!strcmp(k, "kernel.hostname") || !strcmp(k, "kernel.domainname"))
		return OCI_NS_UTS;
	return -1;
}

/* The hostname belongs to the `hostname` field: runc and crun refuse a
 * kernel.hostname sysctl whatever its value (two sources for one setting, and
 * which one wins would depend on the order they are applied in); crun refuses
 * kernel.domainname beside `domainname` too: refused here when they differ. */
static int sysctl_conflict(const struct oci_spec *s, const struct oci_kv *kv,
			   struct berth_err **err)
{
	if (!strcmp(kv->key, "kernel.hostname"))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"linux.sysctl 'kernel.hostname': conflicts with the 'hostname' field: set the hostname there");
	if (!strcmp(kv->key, "kernel.domainname") && s->domainname && *s->domainname &&
	    strcmp(s->domainname, kv->value ?: ""))
		return berth_err_new(
			err, BERTH_E_INVALID,
			"linux.sysctl 'kernel.domainname': '%s' conflicts with the 'domainname' field '%s'",
			kv->value ?: "", s->domainname);
	return 0;
}

static int check_sysctls(const struct oci_spec *s, struct berth_err **err)
{
	const struct oci_linux *l = s->linux_;

	for (size_t i = 0; l && i < l->n_sysctl; i++) {
		const char *k = l->sysctl[i].key;
		int need = sysctl_ns(k);

		if (sysctl_conflict(s, &l->sysctl[i], err) < 0)
			return -1;

		if (need < 0)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"linux.sysctl '%s': not in a namespace of the container's own: it would change the host",
				k);
		if (!oci_spec_find_ns(s, need))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"linux.sysctl '%s': requires a %s namespace of the container's own",
				k, oci_ns_type_name(need));
	}
	return 0;
}

static int prepare_cgroup(struct create *cr, struct berth_err **err)
{
	const struct oci_linux *l = cr->spec->linux_;
	size_t n_def, n = 0;
	const struct oci_device_cgroup *def = rt_cgroup_default_device_rules(&n_def);
	size_t n_spec = l && l->resources ? l->resources->n_devices : 0;

	if (rt_cgroup_open(l ? l->cgroups_path : NULL, cr->id, cr->ctx->systemd_cgroup, &cr->cg,
			   err) < 0)
		return -1;
	if (l && l->resources) {
		rt_cgroup_drop_unset(cr->spec->linux_->resources);
		cr->res = *l->resources;
	}
	/*
	 * Like runc and crun: the config's rules, then the default devices. A
	 * linux.devices entry only makes a node; it never adds a rule, so only
	 * linux.resources.devices decides what the container may open (issue #15:
	 * a deny-all config let the container write /dev/kmsg when it was listed).
	 */
	cr->res.devices = xcalloc(n_spec + n_def + 1, sizeof(*cr->res.devices));
	for (size_t i = 0; i < n_spec; i++)
		cr->res.devices[n++] = l->resources->devices[i];
	for (size_t i = 0; i < n_def; i++)
		cr->res.devices[n++] = def[i];
	cr->res.n_devices = n;
	/* errors must not name the rules appended here by an index of the config */
	rt_cgroup_set_config_devices(cr->cg, n_spec);
	/* rootless: no device controller writes (they need CAP_SYS_ADMIN); devices are
	 * bind-mounted instead */
	if (rt_rootless_is())
		cr->res.n_devices = 0;
	return rt_rootless_want_cgroup(cr->cg, &cr->res, &cr->want_cgroup, err);
}

static unsigned listen_fds(void)
{
	const char *s = getenv("LISTEN_FDS");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	v = strtoul(s, &end, 10);
	return *end || v > 1024 ? 0 : (unsigned)v;
}

static int prepare(struct create *cr, struct berth_err **err)
{
	const struct oci_spec *s;
	char buf[PATH_MAX];
	cleanup_free char *root = NULL;

	if (rt_id_validate(cr->id, err) < 0 || load_config(cr, err) < 0)
		return -1;
	s = cr->spec;
	if (!s->root || !s->root->path)
		return berth_err_new(err, BERTH_E_INVALID, "config.json: root.path is required");
	root = s->root->path[0] == '/' ? xstrdup(s->root->path)
				       : xasprintf("%s/%s", cr->bundle, s->root->path);
	if (!realpath(root, buf))
		return berth_err_sys(err, errno, "root.path '%s'", s->root->path);
	cr->rootfs = xstrdup(buf);
	if (s->process && s->process->terminal && !cr->o->console_socket && !cr->o->tty_sock)
		return berth_err_new(err, BERTH_E_INVALID,
				     "process.terminal is true: --console-socket is required");
	if (cr->o->console_socket && !(s->process && s->process->terminal))
		return berth_err_new(err, BERTH_E_INVALID,
				     "--console-socket given but process.terminal is false");
	if (prepare_namespaces(cr, err) < 0 || check_sysctls(s, err) < 0)
		return -1;
	if (s->linux_ && s->linux_->mount_label && *s->linux_->mount_label &&
	    !rt_lsm_selinux_enabled())
		log_warn("linux.mountLabel '%s': SELinux is not enabled on this host: the label is "
			 "not applied",
			 s->linux_->mount_label);
	if (s->process) {
		if (rt_proc_plan_prepare(&cr->plan, s->process, cr->o->preserve_fds, listen_fds(),
					 err) < 0)
			return -1;
		cr->has_plan = true;
		cr->plan.pers = s->linux_ ? s->linux_->personality : NULL;
	}
	if (s->linux_ && s->linux_->seccomp) {
		if (rt_seccomp_compile(s->linux_->seccomp, &cr->seccomp, err) < 0)
			return -1;
		cr->plan.seccomp = cr->seccomp;
		/* the child sends the notify fd over this, after loading the filter */
		if (cr->has_plan && rt_seccomp_has_listener(cr->seccomp)) {
			cr->plan.notify_sock =
				rt_seccomp_notify_connect(s->linux_->seccomp->listener_path, err);
			if (cr->plan.notify_sock < 0)
				return -1;
		}
	}
	if (prepare_cgroup(cr, err) < 0)
		return -1;
	if (cr->o->console_socket) {
		cr->console_sock = rt_console_connect(cr->o->console_socket, err);
		if (cr->console_sock < 0)
			return -1;
	} else if (s->process && s->process->terminal && cr->o->tty_sock) {
		int sv[2];

		if (rt_console_pair(sv, err) < 0)
			return -1;
		cr->tty_peer = sv[0];
		cr->console_sock = sv[1];
	}
	/* here, not in the child: see idmount.h, devnodes.h */
	if (cr->new_userns && !rt_rootless_is() && rt_devnodes_prepare(s, &cr->devnodes, err) < 0)
		return -1;
	return rt_idmounts_prepare(s, cr->bundle, &cr->idmounts, err);
}

/* ---- side effects ---- */

static int make_state_dir(struct create *cr, struct berth_err **err)
{
	cleanup_free char *dir = xasprintf("%s/%s", cr->ctx->root, cr->id);
	struct rt_container *c;
	int r = mkdir(dir, 0711);

	if (r < 0 && errno == ENOENT) {
		if (fs_mkdir_p(cr->ctx->root, 0700, err) < 0)
			return -1;
		r = mkdir(dir, 0711);
	}
	if (r < 0 && errno == EEXIST)
		return berth_err_new(err, BERTH_E_EXISTS, "container '%s' already exists", cr->id);
	if (r < 0)
		return berth_err_sys(err, errno, "mkdir '%s'", dir);
	c = xnew(struct rt_container);
	c->id = xstrdup(cr->id);
	c->dir = take_ptr(dir);
	c->dirfd = -1;
	cr->c = c;
	/* the umask must not narrow the directory: the init opens exec.fifo as any uid */
	chmod(c->dir, 0711);
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		return berth_err_sys(err, errno, "open '%s'", c->dir);
	cr->fifo_dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cr->fifo_dirfd < 0)
		return berth_err_sys(err, errno, "open '%s'", c->dir);
	return rt_container_lock(c, err);
}

static int write_files(struct create *cr, struct berth_err **err)
{
	int dfd = cr->c->dirfd;
	cleanup_close int fd = -1;

	if (mkfifoat(dfd, RT_FIFO_FILE, 0622) < 0 || fchmodat(dfd, RT_FIFO_FILE, 0622, 0) < 0)
		return berth_err_sys(err, errno, "mkfifo '%s/%s'", cr->c->dir, RT_FIFO_FILE);
	fd = openat(dfd, RT_CONFIG_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || fs_write_all(fd, cr->config_buf, cr->config_len) < 0)
		return berth_err_sys(err, errno, "write '%s/%s'", cr->c->dir, RT_CONFIG_FILE);
	return 0;
}

static struct rt_state *new_state(struct create *cr)
{
	struct rt_state *st = xnew(struct rt_state);
	char t[64];

	log_time_rfc3339(t, sizeof(t));
	st->id = xstrdup(cr->id);
	st->oci_version = xstrdup(cr->spec->oci_version ?: "");
	st->bundle = xstrdup(cr->bundle);
	st->rootfs = xstrdup(cr->rootfs);
	st->created = xstrdup(t);
	st->owner = xstrdup("");
	st->cgroups_path =
		xstrdup_or_null(cr->spec->linux_ ? cr->spec->linux_->cgroups_path : NULL);
	st->systemd_cgroup = cr->ctx->systemd_cgroup;
	st->has_process = cr->spec->process != NULL;
	st->own_pidns = (cr->clone_flags & CLONE_NEWPID) != 0;
	rt_state_set_annotations(st, cr->spec->annotations, cr->spec->n_annotations);
	return st;
}

static int write_time_offsets(const struct oci_linux *l, struct berth_err **err)
{
	for (size_t i = 0; l && i < l->n_time_offsets; i++) {
		const struct oci_time_offset *t = &l->time_offsets[i];
		char buf[96];

		snprintf(buf, sizeof(buf), "%s %lld %u", t->clock, (long long)t->secs, t->nanosecs);
		if (fs_write_string(AT_FDCWD, "/proc/self/timens_offsets", buf, err) < 0)
			return berth_err_wrap(err, "linux.timeOffsets.%s", t->clock);
	}
	return 0;
}

/* pid and time namespaces take effect for children only: the parent enters or
 * creates them right before the clone and returns to its own right after. */
static int enter_for_children(struct create *cr, int saved[2], struct berth_err **err)
{
	if (cr->ns_fds[OCI_NS_PID] >= 0) {
		saved[0] = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (saved[0] < 0 || setns(cr->ns_fds[OCI_NS_PID], CLONE_NEWPID) < 0)
			return berth_err_sys(err, errno, "linux.namespaces: join pid namespace");
	}
	if (cr->ns_fds[OCI_NS_TIME] >= 0 || cr->new_timens) {
		saved[1] = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (saved[1] < 0)
			return berth_err_sys(err, errno, "open '/proc/self/ns/time'");
		if (cr->ns_fds[OCI_NS_TIME] >= 0 &&
		    setns(cr->ns_fds[OCI_NS_TIME], CLONE_NEWTIME) < 0)
			return berth_err_sys(err, errno, "linux.namespaces: join time namespace");
		if (cr->new_timens && unshare(CLONE_NEWTIME) < 0)
			return berth_err_sys(err, errno,
					     "linux.namespaces: unshare time namespace");
		if (cr->new_timens && write_time_offsets(cr->spec->linux_, err) < 0)
			return -1;
	}
	return 0;
}

static void leave_for_children(int saved[2])
{
	if (saved[0] >= 0)
		setns(saved[0], CLONE_NEWPID);
	if (saved[1] >= 0)
		setns(saved[1], CLONE_NEWTIME);
	closep(&saved[0]);
	closep(&saved[1]);
}

/* see idmap.h: directly, or through newuidmap/newgidmap when unprivileged */
static int write_id_maps(struct create *cr, struct berth_err **err)
{
	return rt_idmap_write(cr->pid, cr->spec->linux_, err);
}

static int run_parent_hooks(struct create *cr, struct berth_err **err)
{
	const struct oci_hooks *h = cr->spec->hooks;
	cleanup_free char *json = NULL;

	if (rt_sync_wait(cr->sync[0], cr->want_cgroup ? cr->cg : NULL, RT_CHILD_WAIT_S,
			 "container init setup", err) < 0 ||
	    rt_sync_recv(cr->sync[0], RT_SYNC_HOOKS, NULL, err) < 0)
		return -1;
	/* the legacy prestart hooks get "created", as runc's and crun's do (and the
	 * runtime-tools suite checks); the 1.1 createRuntime ones "creating" */
	json = rt_state_oci_json(cr->c->st, RT_STATUS_CREATED, BJSON_PLAIN);
	if (rt_hooks_run(h->prestart, h->n_prestart, "prestart", json, err) < 0)
		return -1;
	free(json);
	json = rt_state_oci_json(cr->c->st, RT_STATUS_CREATING, BJSON_PLAIN);
	if (rt_hooks_run(h->create_runtime, h->n_create_runtime, "createRuntime", json, err) < 0)
		return -1;
	if (rt_sync_send(cr->sync[0], RT_SYNC_HOOKS_DONE, NULL, 0) < 0)
		return berth_err_sys(err, errno, "sync socket: send HOOKS_DONE");
	return 0;
}

static bool has_parent_hooks(const struct oci_spec *s)
{
	return s->hooks && (s->hooks->n_prestart || s->hooks->n_create_runtime);
}

static int child_died(struct create *cr, struct berth_err **err)
{
	int status;

	if (waitpid(cr->pid, &status, 0) < 0)
		return -1;
	cr->pid = 0;
	berth_err_free(err);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && rt_cgroup_oom_count(cr->cg) > 0)
		return berth_err_new(
			err, BERTH_E_RESOURCE,
			"linux.resources.memory: container init was killed by the OOM killer during setup: memory limit too low");
	if (WIFSIGNALED(status))
		return berth_err_new(err, BERTH_E_INTERNAL,
				     "container init was killed by signal %d during setup",
				     WTERMSIG(status));
	return berth_err_new(err, BERTH_E_INTERNAL,
			     "container init exited with status %d during setup",
			     WEXITSTATUS(status));
}

/* A driver that makes the cgroup around the init (rt_cgroup_needs_pid: systemd, which must
 * make the unit's cgroup and put the init there itself, StartTransientUnit with PIDs=), so
 * the init did not join any cgroup at the clone (no cgjoin, no CLONE_INTO_CGROUP: the scope
 * did not exist yet, and a directory made before the unit would not be systemd's). It waits
 * for GO and has forked nothing, so nothing escapes: once the unit runs, the cgroupfs code
 * makes the same path in the other hierarchies, writes linux.resources (Delegate=true) and
 * moves the init into every one. */
static int cgroup_around_pid(struct create *cr, struct berth_err **err)
{
	if (rt_cgroup_start(cr->cg, cr->id, cr->pid, &cr->res, err) < 0)
		return -1;
	cr->cgroup_created = true; /* undo stops the unit */
	if (rt_cgroup_create(cr->cg, &cr->res, err) < 0)
		return -1;
	return rt_cgroup_enter(cr->cg, cr->pid, err);
}

/* The child runs the createContainer hooks before READY. */
static int ready_bound(const struct oci_spec *s)
{
	if (!s->hooks)
		return RT_CHILD_WAIT_S;
	return rt_sync_bound(s->hooks->create_container, s->hooks->n_create_container);
}

/* GO {pid}; in a new user namespace with the bind sources our root opened there. */
static int send_go(struct create *cr, struct berth_err **err)
{
	struct rt_mountsrc ms = {0};
	cleanup_free char *go = NULL;
	int r;

	if (cr->new_userns && (cr->clone_flags & CLONE_NEWNS) && !rt_rootless_is() &&
	    rt_mountsrc_open(cr->spec, cr->bundle, cr->pid, &ms, err) < 0)
		return -1;
	go = rt_mountsrc_payload(&ms, cr->pid);
	r = rt_sync_send_fds(cr->sync[0], RT_SYNC_GO, go, strlen(go), ms.fds, ms.n);
	rt_mountsrc_clear(&ms);
	if (r < 0)
		return berth_err_sys(err, errno, "sync socket: send GO");
	return 0;
}

/* After the clone: the handshake of sync.h. */
static int drive_child(struct create *cr, struct berth_err **err)
{
	struct rt_pid_stat pst;

	if (rt_pid_stat_read(cr->pid, &pst, err) < 0)
		return -1;
	cr->c->st->pid = cr->pid;
	cr->c->st->pid_start = pst.start_time;
	if (cr->new_userns && write_id_maps(cr, err) < 0)
		return -1;
	if (cr->want_cgroup && rt_cgroup_needs_pid(cr->cg) && cgroup_around_pid(cr, err) < 0)
		return -1;
	if (send_go(cr, err) < 0)
		return -1;
	if (has_parent_hooks(cr->spec) && run_parent_hooks(cr, err) < 0)
		goto child_error;
	/* bounded: a cgroup frozen meanwhile, or a child stuck, must not hang create */
	if (rt_sync_wait(cr->sync[0], cr->want_cgroup ? cr->cg : NULL, ready_bound(cr->spec),
			 "container init setup", err) < 0)
		return -1;
	if (rt_sync_recv(cr->sync[0], RT_SYNC_READY, NULL, err) < 0)
		goto child_error;
	log_debug("container '%s': init %d is ready, waiting on the exec fifo", cr->id,
		  (int)cr->pid);
	if (rt_container_save(cr->c, err) < 0)
		return -1;
	if (cr->o->pid_file && rt_pid_file_write(cr->o->pid_file, cr->pid, err) < 0)
		return -1;
	return 0;
child_error:
	if (berth_err_is(*err, ECONNRESET))
		child_died(cr, err);
	return -1;
}

static void undo(struct create *cr)
{
	struct berth_err *e = NULL;

	if (cr->pid > 0) {
		if (cr->pidfd >= 0)
			syscall(SYS_pidfd_send_signal, cr->pidfd, SIGKILL, NULL, 0);
		else
			kill(cr->pid, SIGKILL);
		/* a frozen v1 task acts on SIGKILL only once thawed; and never wait
		 * without a bound (an ancestor's freeze can not be undone here) */
		if (cr->want_cgroup && rt_cgroup_is_frozen(cr->cg) &&
		    rt_cgroup_freeze(cr->cg, false, &e) < 0) {
			log_warn("container '%s': %s", cr->id, e->msg);
			berth_err_free(&e);
		}
		if (cr->pidfd < 0 || rt_pid_wait_exit(cr->pidfd, 10000, NULL) > 0)
			waitpid(cr->pid, NULL, 0);
		else
			log_warn("container '%s': init %d did not exit after SIGKILL", cr->id,
				 (int)cr->pid);
	}
	if (cr->host_bound && rt_rootfs_host_release(cr->rootfs, &e) < 0) {
		log_warn("container '%s': %s", cr->id, e->msg);
		berth_err_free(&e);
	}
	if (cr->cgroup_created && rt_cgroup_destroy(cr->cg, &e) < 0) {
		log_warn("container '%s': remove cgroup: %s", cr->id, e->msg);
		berth_err_free(&e);
	}
	if (cr->c && cr->c->dir && fs_rm_rf(cr->c->dir, &e) < 0) {
		log_warn("container '%s': remove state: %s", cr->id, e->msg);
		berth_err_free(&e);
	}
}

static void init_args(struct create *cr, struct rt_init_args *a)
{
	*a = (struct rt_init_args){
		.id = cr->id,
		.spec = cr->spec,
		.st = cr->c->st,
		.plan = cr->has_plan ? &cr->plan : NULL,
		.rootfs = {.bundle = cr->bundle,
			   .no_pivot = cr->o->no_pivot,
			   .host_mntns = cr->host_mntns,
			   .userns = cr->new_userns || cr->ns_fds[OCI_NS_USER] >= 0,
			   .idmounts = cr->idmounts,
			   .devnodes = cr->devnodes},
		.sync_fd = cr->sync[1],
		.state_dirfd = cr->fifo_dirfd,
		.lock_fd = cr->c->dirfd,
		.cgjoin = &cr->cgjoin,
		.console_sock = cr->console_sock,
		.late_flags = cr->late_flags,
		.no_new_keyring = cr->o->no_new_keyring,
	};
	for (int i = 0; i < OCI_NS_COUNT; i++)
		a->join_fds[i] = (i == OCI_NS_PID || i == OCI_NS_TIME) ? -1 : cr->ns_fds[i];
}

static int do_create(struct create *cr, struct berth_err **err)
{
	struct rt_init_args a;
	int saved[2] = {-1, -1};
	bool around_pid;
	int r;

	if (prepare(cr, err) < 0)
		return -1;
	around_pid = rt_cgroup_needs_pid(cr->cg);
	if (rt_rootless_is() && rt_cgroup_check_rootless(cr->cg, err) < 0)
		return -1;
	if (make_state_dir(cr, err) < 0)
		goto fail;
	if (write_files(cr, err) < 0)
		goto fail;
	cr->c->st = new_state(cr);
	if (cr->host_mntns) {
		if (rt_rootfs_host_bind(cr->rootfs, err) < 0)
			goto fail;
		cr->host_bound = true;
		cr->c->st->host_mounts = true;
	}
	/* with the systemd driver, the cgroup comes after the clone: cgroup_around_pid() */
	if (cr->want_cgroup && !around_pid && rt_cgroup_create(cr->cg, &cr->res, err) < 0)
		goto fail;
	cr->cgroup_created = cr->want_cgroup && !around_pid;
	if (cr->want_cgroup && !around_pid && rt_cgjoin_prepare(cr->cg, &cr->cgjoin, err) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cr->sync) < 0) {
		berth_err_sys(err, errno, "socketpair");
		goto fail;
	}
	init_args(cr, &a);
	r = enter_for_children(cr, saved, err);
	if (r == 0) {
		cr->pid = rt_clone3((unsigned long)cr->clone_flags, &cr->cgjoin, &cr->pidfd);
		if (cr->pid == 0)
			rt_init_main(&a);
		if (cr->pid < 0)
			r = berth_err_sys(err, errno, "clone container init");
	}
	leave_for_children(saved);
	if (r < 0)
		goto fail;
	closep(&cr->sync[1]);
	closep(&cr->console_sock);
	closep(&cr->fifo_dirfd);
	if (drive_child(cr, err) < 0)
		goto fail;
	return 0;
fail:
	undo(cr);
	return -1;
}

int rt_container_create(const struct rt_ctx *ctx, const char *id, const struct rt_create_opts *opts,
			struct rt_container **out, struct berth_err **err)
{
	struct create cr = {.ctx = ctx,
			    .id = id,
			    .o = opts,
			    .console_sock = -1,
			    .tty_peer = -1,
			    .fifo_dirfd = -1,
			    .sync = {-1, -1},
			    .pidfd = -1,
			    .cgjoin = {.v2_fd = -1}};
	int r;

	for (int i = 0; i < OCI_NS_COUNT; i++)
		cr.ns_fds[i] = -1;
	r = do_create(&cr, err);
	if (r == 0 && out) {
		cr.c->child = cr.pid;
		*out = take_ptr(cr.c);
	}
	if (r == 0 && opts->tty_sock)
		*opts->tty_sock = take_fd(&cr.tty_peer);
	create_clear(&cr);
	if (r < 0)
		return berth_err_wrap(err, "create container '%s'", id);
	return 0;
}
