/*
 * supervisor/berthd/main.c - berthd: the containerd 1.6 gRPC API over berth's stores.
 *
 * Order: flags and config; directories; the socket lockfile (a second berthd stops here,
 * before touching any state); the components (core/components.h: meta.db, content
 * store, event bus, GC, snapshotters, task manager), all opened here and only here;
 * services; serve until SIGTERM/SIGINT; then stop the RPC server (every call ended), the
 * task manager, the GC, the snapshotters, the stores.
 * SIGTERM/SIGINT are blocked in every thread and read from a signalfd in main.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "supervisor/berthd/config.h"
#include "supervisor/berthd/publish.h"
#include "supervisor/core/version.h"
#include "supervisor/content/store.h"
#include "supervisor/core/components.h"
#include "supervisor/core/events.h"
#include "supervisor/meta/meta.h"
#include "supervisor/rpc/server.h"
#include "supervisor/core/gc.h"
#include "supervisor/services/plugins.h"
#include "supervisor/services/services.h"
#include "supervisor/services/svc.h"
#include "supervisor/snapshot/snapshot.h"
#include "supervisor/tasks/tasks.h"

struct service_entry {
	const struct rpc_service *svc;
	const char *plugin_id; /* io.containerd.grpc.v1 <id> in `ctr plugins ls` */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: berthd [OPTIONS]\n"
		"       berthd [-a PATH] publish --topic TOPIC --namespace NS < event (packed Any)\n"
		"\n"
		"Serves the containerd 1.6 API (content, images, leases, namespaces, events, ...)\n"
		"\n"
		"Options:\n"
		"  --root DIR         persistent state (default /var/lib/berth)\n"
		"  --state DIR        runtime state (default /run/berthd)\n"
		"  -a, --address PATH gRPC socket (default /run/berthd/berthd.sock)\n"
		"  --shim-socket-dir DIR\n"
		"                     shims' sockets, short (default /run/berthd/s)\n"
		"  -c, --config FILE  JSON config (default " BERTHD_DEFAULT_CONFIG ", optional)\n"
		"  -l, --log-level L  error, warn, info or debug (default info)\n"
		"  --unpack-limit N   bytes a layer may uncompress to (K, M, G, T; 0: none;\n"
		"                     default 32G)\n"
		"  -v, --version      print the version\n"
		"  -h, --help         this help\n");
}

struct flags {
	const char *root, *state, *address, *config, *log_level, *shim_socket_dir, *unpack_limit;
};

static int parse_flags(int argc, char **argv, struct flags *fl)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"state", required_argument, NULL, 's'},
		{"address", required_argument, NULL, 'a'},
		{"config", required_argument, NULL, 'c'},
		{"log-level", required_argument, NULL, 'l'},
		{"shim-socket-dir", required_argument, NULL, 'S'},
		{"unpack-limit", required_argument, NULL, 'U'},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	/* "+": stop at the first non-option (the publish subcommand and its own flags) */
	while ((c = getopt_long(argc, argv, "+a:c:l:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			fl->root = optarg;
			break;
		case 's':
			fl->state = optarg;
			break;
		case 'a':
			fl->address = optarg;
			break;
		case 'c':
			fl->config = optarg;
			break;
		case 'l':
			fl->log_level = optarg;
			break;
		case 'S':
			fl->shim_socket_dir = optarg;
			break;
		case 'U':
			fl->unpack_limit = optarg;
			break;
		case 'v':
			printf("berthd %s (%s)\n", BERTHD_VERSION, BERTHD_REVISION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc && strcmp(argv[optind], "publish") == 0)
		exit(berthd_publish_main(fl->address ? fl->address : "/run/berthd/berthd.sock",
					 argc - optind, argv + optind));
	if (optind < argc) {
		fprintf(stderr, "berthd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static int abs_path(const char *what, const char *in, char **dst, struct berth_err **err)
{
	if (!in)
		return 0;
	if (in[0] != '/')
		return berth_err_new(err, BERTH_E_INVALID, "--%s '%s': want an absolute path", what,
				     in);
	free(*dst);
	*dst = xstrdup(in);
	return 0;
}

static int configure(const struct flags *fl, struct berthd_config *cfg, struct berth_err **err)
{
	berthd_config_defaults(cfg);
	if (berthd_config_load(cfg, fl->config ? fl->config : BERTHD_DEFAULT_CONFIG,
			       fl->config != NULL, err) < 0)
		return -1;
	if (abs_path("root", fl->root, &cfg->root, err) < 0 ||
	    abs_path("state", fl->state, &cfg->state, err) < 0 ||
	    abs_path("address", fl->address, &cfg->address, err) < 0 ||
	    abs_path("shim-socket-dir", fl->shim_socket_dir, &cfg->shim_socket_dir, err) < 0 ||
	    berthd_config_check(cfg, err) < 0)
		return -1;
	if (fl->log_level && berthd_parse_log_level(fl->log_level, &cfg->log_level, err) < 0)
		return berth_err_wrap(err, "--log-level");
	if (fl->unpack_limit &&
	    berthd_parse_size("--unpack-limit", fl->unpack_limit, &cfg->unpack_limit, err) < 0)
		return -1;
	return 0;
}

static int make_dirs(const struct berthd_config *cfg, struct berth_err **err)
{
	cleanup_free char *addr = xstrdup(cfg->address);

	if (fs_mkdir_p(cfg->root, 0700, err) < 0 || fs_mkdir_p(cfg->state, 0711, err) < 0 ||
	    fs_mkdir_p(dirname(addr), 0711, err) < 0)
		return -1;
	return 0;
}

static void register_plugins(struct berthd_components *c, const struct service_entry *svcs,
			     size_t n)
{
	cleanup_free char *content_root = xasprintf("%s/content", c->root);
	char *const exports[] = {(char *)"root", content_root, NULL};

	svc_plugin_register(c, "io.containerd.content.v1", "content", exports);
	svc_plugin_register(c, "io.containerd.metadata.v1", "sqlite", NULL);
	svc_plugin_register(c, "io.containerd.gc.v1", "scheduler", NULL);
	for (size_t i = 0; i < n; i++)
		svc_plugin_register(c, "io.containerd.grpc.v1", svcs[i].plugin_id, NULL);
	for (size_t i = 0; i < CORE_SNAPSHOTTERS; i++)
		if (c->snaps[i].s)
			svc_plugin_register(c, "io.containerd.snapshotter.v1", c->snaps[i].name,
					    NULL);
	svc_plugin_register(c, "io.containerd.differ.v1", "walking", NULL);
	svc_plugin_register(c, "io.containerd.runtime.v2", "task", NULL);
}

struct daemon {
	struct berthd_config cfg;
	struct berthd_components c;
	struct rpc_server *srv;
};

/* overlayfs and native under <root>/snapshots/<name>; at least one must load */
static int open_snapshotters(struct berthd_components *c, struct berth_err **err)
{
	static const char *const drivers[CORE_SNAPSHOTTERS] = {"overlayfs", "native"};
	int loaded = 0;

	for (size_t i = 0; i < CORE_SNAPSHOTTERS; i++) {
		cleanup_free char *root = xasprintf("%s/snapshots/%s", c->root, drivers[i]);
		cleanup_err struct berth_err *e = NULL;

		c->snaps[i].name = drivers[i];
		c->snaps[i].s = snap_open(drivers[i], root, &e);
		if (!c->snaps[i].s) {
			log_warn("snapshotter '%s' not loaded: %s", drivers[i], e->msg);
			continue;
		}
		loaded++;
		core_gc_add_snapshotter(c->gc, drivers[i], c->snaps[i].s);
	}
	if (!loaded)
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "no snapshotter could be loaded");
	return 0;
}

/* the shims' events (ttrpc Events/Forward, exits of dead shims) go to the fan-out */
static void on_task_event(void *arg, int64_t ts_ns, const char *ns, const char *topic,
			  const char *type_url, const uint8_t *value, size_t len)
{
	struct berthd_components *c = arg;
	struct core_event ev = {ts_ns, ns, topic, type_url, value, len};

	core_events_publish(c->events, &ev);
}

/* shims are looked for next to berthd, and run `berthd publish` as -publish-binary */
static int open_tasks(struct berthd_components *c, struct berth_err **err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	cleanup_free char *dir = NULL;
	struct tasks_manager_opts o = {
		.state = c->state,
		.address = c->address,
		.socket_dir = c->shim_socket_dir,
		.on_event = on_task_event,
		.event_arg = c,
	};

	if (n > 0) {
		self[n] = '\0';
		o.publish_binary = self;
		dir = xstrdup(self);
		*strrchr(dir, '/') = '\0';
		o.shim_dir = dir;
	}
	c->tasks = tasks_manager_new(&o, err);
	if (!c->tasks)
		return berth_err_wrap(err, "tasks");
	return 0;
}

static int daemon_open(struct daemon *d, struct berth_err **err)
{
	const struct berthd_config *cfg = &d->cfg;
	struct berthd_components *c = &d->c;
	struct rpc_server_opts opts = {.address = cfg->address, .workers = cfg->workers};
	cleanup_free char *dbpath = xasprintf("%s/meta.db", cfg->root);
	cleanup_free char *content = xasprintf("%s/content", cfg->root);
	const struct service_entry svcs[] = {
		{&svc_version_service, "version"},
		{&svc_namespaces_service, "namespaces"},
		{&svc_introspection_service, "introspection"},
		{&svc_events_service, "events"},
		{&svc_content_service, "content"},
		{&svc_images_service, "images"},
		{&svc_leases_service, "leases"},
		{&svc_snapshots_service, "snapshots"},
		{&svc_diff_service, "diff"},
		{&svc_containers_service, "containers"},
		{&svc_tasks_service, "tasks"},
		{&svc_transfer_service, "transfer"},
		{&svc_health_service, "healthcheck"},
	};
	const size_t n = sizeof(svcs) / sizeof(svcs[0]);

	if (make_dirs(cfg, err) < 0)
		return -1;
	d->srv = rpc_server_new(&opts, err);
	if (!d->srv)
		return -1;
	c->root = cfg->root;
	c->state = cfg->state;
	c->address = cfg->address;
	c->shim_socket_dir = cfg->shim_socket_dir;
	c->unpack_limit = cfg->unpack_limit;
	c->registry_certs_dir = cfg->registry_certs_dir;
	c->registry_auth_file = cfg->registry_auth_file;
	c->registry_mirrors = cfg->registry_mirrors;
	c->db = meta_open(dbpath, err);
	if (!c->db)
		return -1;
	c->content = content_store_open(content, err);
	if (!c->content)
		return -1;
	c->events = core_events_new();
	c->plugins = svc_plugins_new();
	c->gc = core_gc_new(c, cfg->gc_interval);
	if (open_snapshotters(c, err) < 0 || open_tasks(c, err) < 0)
		return -1;
	register_plugins(c, svcs, n);
	for (size_t i = 0; i < n; i++)
		if (rpc_server_add_service(d->srv, svcs[i].svc, c, err) < 0)
			return -1;
	return rpc_server_start(d->srv, err);
}

static void daemon_close(struct daemon *d)
{
	struct berthd_components *c = &d->c;

	rpc_server_stop(d->srv);
	tasks_manager_free(c->tasks); /* shims keep running; no more events */
	c->tasks = NULL;
	core_gc_free(c->gc); /* before the stores and snapshotters it reads */
	c->gc = NULL;
	rpc_server_free(d->srv); /* services' fini */
	for (size_t i = 0; i < CORE_SNAPSHOTTERS; i++)
		snap_close(c->snaps[i].s);
	core_events_free(c->events);
	svc_plugins_free(c->plugins);
	content_store_close(c->content);
	meta_close(c->db);
	berthd_config_clear(&d->cfg);
}

int main(int argc, char **argv)
{
	struct flags fl = {0};
	struct daemon d = {0};
	cleanup_err struct berth_err *err = NULL;
	struct signalfd_siginfo si = {0};
	sigset_t sigs;
	int sfd;

	log_init("berthd");
	if (parse_flags(argc, argv, &fl) < 0)
		return 2;
	/* every streaming call runs on its own thread; glibc would give each an arena that
	 * keeps its 1 MiB chunk buffers: two arenas keep the daemon small after big imports */
	mallopt(M_ARENA_MAX, 2);
	/* before any thread exists, so that every thread inherits the mask */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return 1;
	}

	if (configure(&fl, &d.cfg, &err) < 0) {
		log_error("%s", err->msg);
		berthd_config_clear(&d.cfg);
		return 1;
	}
	log_set_level(d.cfg.log_level);
	umask(0077);
	if (daemon_open(&d, &err) < 0) {
		log_error("%s", err->msg);
		daemon_close(&d);
		return 1;
	}
	log_info("serving the containerd API on '%s' (root '%s', state '%s')", d.cfg.address,
		 d.cfg.root, d.cfg.state);
	while (read(sfd, &si, sizeof(si)) < 0 && errno == EINTR)
		;
	log_info("%s: shutting down", strsignal((int)si.ssi_signo));
	daemon_close(&d);
	close(sfd);
	return 0;
}
