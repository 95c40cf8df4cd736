/*
 * supervisor/ctl/cmd_run.c - berthctl run: a container from an image, as docker run.
 *
 * Order (containerd's client does the same): validate flags and build the spec first (no
 * side effect yet), unpack the image if its snapshots are missing, prepare the container's
 * active snapshot (key = id), create the container record, then the task with the
 * snapshot's mounts and stdio FIFOs (with -d: the log, logger.c); start, wait, and with
 * --rm remove it all (with -d --rm a helper left behind does, cmd_reap.c). Whatever
 * fails after the first side effect undoes what this run made. All of it runs under a
 * lease, so GC takes nothing midway.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/containers/v1/containers.pb-c.h>
#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define CN(x) Containerd__Services__Containers__V1__##x
#define CN_INIT(x) CONTAINERD__SERVICES__CONTAINERS__V1__##x##__INIT
#define MAX_JSON (16 << 20)

enum {
	O_RM = 256,
	O_NAME,
	O_ENTRY,
	O_MEM,
	O_PIDS,
	O_RUNTIME,
	O_HOST,
	O_RO,
	O_MOUNT,
	O_TMPFS,
	O_ULIMIT,
	O_CAPADD,
	O_CAPDROP,
	O_SECOPT,
	O_DEVICE,
	O_ENVFILE,
	O_STOPSIG,
	O_CPUS,
	O_SHARES,
	O_SWAP,
	O_PRIV,
	O_INIT,
};

#define RUN_USAGE \
	"usage: berthctl run [OPTIONS] IMAGE [COMMAND [ARG...]] (options: berthctl run --help)"

static const char run_help[] =
	"Usage: berthctl run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
	"\n"
	"Run a container; in the foreground berthctl prints its output and exits with its status.\n"
	"\n"
	"  -d, --detach               run in the background, print the id (output: berthctl logs)\n"
	"      --rm                   remove the container when it exits (with -d too)\n"
	"  -i, --interactive          copy stdin to the container\n"
	"  -t, --tty                  give the container a terminal\n"
	"      --name NAME            name the container\n"
	"  -e, --env K[=V]            set a variable (K alone: from berthctl's environment)\n"
	"      --env-file FILE        variables from a file, one K[=V] a line\n"
	"  -w, --workdir DIR          working directory (created if missing)\n"
	"  -u, --user USER[:GROUP]    names or numbers, resolved in the image's /etc/passwd, /etc/group\n"
	"      --entrypoint CMD       replace the image's entrypoint\n"
	"      --hostname NAME        the container's hostname (default: its short id)\n"
	"      --read-only            read-only root filesystem\n"
	"  -v, --volume HOST:CTR[:ro|rw]  bind a host path\n"
	"      --mount type=bind|tmpfs,source=,target=[,readonly][,tmpfs-size=][,tmpfs-mode=]\n"
	"      --tmpfs PATH[:OPTS]    a tmpfs (nosuid,nodev,noexec unless OPTS say suid, dev, exec)\n"
	"  -m, --memory BYTES[k|m|g]  memory limit\n"
	"      --memory-swap BYTES|-1 memory plus swap limit (needs --memory; -1: unlimited)\n"
	"      --cpus N               CPU quota (1.5: one and a half CPUs)\n"
	"      --cpu-shares N         relative CPU weight\n"
	"      --pids-limit N         process limit\n"
	"      --ulimit NAME=SOFT[:HARD]  rlimit (nofile, nproc, core, ...)\n"
	"      --cap-add CAP, --cap-drop CAP  capabilities (ALL: every one the host has)\n"
	"      --privileged           every capability, every device, no masked paths, no seccomp\n"
	"      --security-opt no-new-privileges|seccomp=unconfined|seccomp=PROFILE.json\n"
	"      --device HOST[:CTR][:rwm]  a host device node\n"
	"  -l, --label K=V            a label on the container\n"
	"      --stop-signal SIG      what stop sends (default: the image's StopSignal, else TERM)\n"
	"      --init                 a tiny init (tini) as pid 1\n"
	"      --runtime NAME         containerd runtime (default io.containerd.berth.v2)\n";

/* -e K=V as is; -e K takes K's value from berthctl's environment, or is dropped when K is
 * unset (docker) */
static void env_add(char ***env, const char *kv)
{
	const char *v;

	if (strchr(kv, '=')) {
		strv_push(env, kv);
		return;
	}
	v = getenv(kv);
	if (v)
		strv_push_take(env, xasprintf("%s=%s", kv, v));
}

void ctl_run_opts_free(struct ctl_run_opts *o)
{
	char ***v[] = {&o->env,	    &o->volumes,  &o->mounts,	     &o->tmpfs,	  &o->ulimits,
		       &o->cap_add, &o->cap_drop, &o->security_opts, &o->devices, &o->labels};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		strv_free(*v[i]);
		*v[i] = NULL;
	}
}

/* --env-file: K=V lines (K alone: from berthctl's environment); # comments, blanks */
static int env_file(char ***env, const char *path, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	cleanup(strv_freep) char **lines = NULL;
	size_t len;

	if (fs_read_file_max(AT_FDCWD, path, 1 << 20, &buf, &len, err) < 0)
		return berth_err_wrap(err, "--env-file");
	lines = strv_split(buf, "\n");
	for (size_t i = 0; lines[i]; i++) {
		char *l = lines[i];

		while (*l == ' ' || *l == '\t')
			l++;
		l[strcspn(l, "\r")] = '\0';
		if (!*l || *l == '#')
			continue;
		if (*l == '=')
			return berth_err_new(err, BERTH_E_INVALID,
					     "--env-file '%s': line %zu: no variable name", path,
					     i + 1);
		env_add(env, l);
	}
	return 0;
}

static int parse_cpus(const char *s, double *out, struct berth_err **err)
{
	char *end = NULL;
	double v = strtod(s, &end);

	if (!*s || *end || !(v > 0) || v > 1024)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"--cpus: invalid value '%s': want a positive number such as 1.5", s);
	*out = v;
	return 0;
}

static int parse_u64_flag(const char *flag, const char *s, uint64_t *out, struct berth_err **err)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v == 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s: invalid value '%s': want a positive number", flag, s);
	*out = v;
	return 0;
}

/* The options of run only (exec refuses them): strings, lists, limits. */
static int run_only_opt(int opt, struct ctl_run_opts *o, struct berth_err **err)
{
	int sig;

	switch (opt) {
	case 'v':
		strv_push(&o->volumes, optarg);
		return 0;
	case O_MOUNT:
		strv_push(&o->mounts, optarg);
		return 0;
	case O_TMPFS:
		strv_push(&o->tmpfs, optarg);
		return 0;
	case O_ULIMIT:
		strv_push(&o->ulimits, optarg);
		return 0;
	case O_CAPADD:
		strv_push(&o->cap_add, optarg);
		return 0;
	case O_CAPDROP:
		strv_push(&o->cap_drop, optarg);
		return 0;
	case O_SECOPT:
		strv_push(&o->security_opts, optarg);
		return 0;
	case O_DEVICE:
		strv_push(&o->devices, optarg);
		return 0;
	case 'l':
		if (!strchr(optarg, '=') || optarg[0] == '=')
			return berth_err_new(err, BERTH_E_INVALID, "--label '%s': want KEY=VALUE",
					     optarg);
		strv_push(&o->labels, optarg);
		return 0;
	case O_ENVFILE:
		return env_file(&o->env, optarg, err);
	case O_STOPSIG:
		if (ctl_parse_signal(optarg, &sig, err) < 0)
			return berth_err_wrap(err, "--stop-signal");
		o->stop_signal = optarg;
		return 0;
	case O_CPUS:
		o->has_cpus = true;
		return parse_cpus(optarg, &o->cpus, err);
	case O_SHARES:
		o->has_cpu_shares = true;
		return parse_u64_flag("--cpu-shares", optarg, &o->cpu_shares, err);
	case O_SWAP:
		o->has_memory_swap = true;
		if (strcmp(optarg, "-1") == 0) {
			o->memory_swap = -1;
			return 0;
		}
		if (ctl_parse_bytes(optarg, &o->memory_swap, err) < 0)
			return berth_err_wrap(err, "--memory-swap");
		return 0;
	case O_PRIV:
		o->privileged = true;
		return 0;
	case O_INIT:
		o->init = true;
		return 0;
	}
	return 1; /* not one of these */
}

static int parse_pids(const char *s, int64_t *out, struct berth_err **err)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);

	if (!*s || *end || v == 0 || v < -1)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"--pids-limit: invalid value '%s': want a positive number or -1", s);
	*out = v;
	return 0;
}

/* berthctl's terminal size for the container's (run -t, exec -t) */
static void window_size(struct ctl_run_opts *o)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		o->rows = ws.ws_row;
		o->cols = ws.ws_col;
	}
}

int ctl_run_parse(int argc, char **argv, bool exec, struct ctl_run_opts *o, int *next,
		  struct berth_err **err)
{
	static const struct option opts[] = {
		{"env", required_argument, NULL, 'e'},
		{"workdir", required_argument, NULL, 'w'},
		{"user", required_argument, NULL, 'u'},
		{"detach", no_argument, NULL, 'd'},
		{"interactive", no_argument, NULL, 'i'},
		{"tty", no_argument, NULL, 't'},
		{"rm", no_argument, NULL, O_RM},
		{"name", required_argument, NULL, O_NAME},
		{"entrypoint", required_argument, NULL, O_ENTRY},
		{"memory", required_argument, NULL, 'm'},
		{"pids-limit", required_argument, NULL, O_PIDS},
		{"runtime", required_argument, NULL, O_RUNTIME},
		{"hostname", required_argument, NULL, O_HOST},
		{"read-only", no_argument, NULL, O_RO},
		{"volume", required_argument, NULL, 'v'},
		{"mount", required_argument, NULL, O_MOUNT},
		{"tmpfs", required_argument, NULL, O_TMPFS},
		{"ulimit", required_argument, NULL, O_ULIMIT},
		{"cap-add", required_argument, NULL, O_CAPADD},
		{"cap-drop", required_argument, NULL, O_CAPDROP},
		{"security-opt", required_argument, NULL, O_SECOPT},
		{"device", required_argument, NULL, O_DEVICE},
		{"label", required_argument, NULL, 'l'},
		{"env-file", required_argument, NULL, O_ENVFILE},
		{"stop-signal", required_argument, NULL, O_STOPSIG},
		{"cpus", required_argument, NULL, O_CPUS},
		{"cpu-shares", required_argument, NULL, O_SHARES},
		{"memory-swap", required_argument, NULL, O_SWAP},
		{"privileged", no_argument, NULL, O_PRIV},
		{"init", no_argument, NULL, O_INIT},
		{NULL, 0, NULL, 0},
	};
	int opt, li = -1;

	optind = 0;
	opterr = 0;

	while ((opt = getopt_long(argc + 1, argv - 1, exec ? "+ite:w:u:" : "+ite:w:u:dm:v:l:", opts,
				  &li)) != -1) {
		if (exec && opt != '?' && !strchr("eiwut", opt)) {
			if (li >= 0)
				return berth_err_new(err, BERTH_E_INVALID,
						     "usage: exec: no option '--%s'",
						     opts[li].name);
			return berth_err_new(err, BERTH_E_INVALID, "usage: exec: no option '-%c'",
					     opt);
		}
		li = -1;
		if (opt != '?' && !exec) {
			int r = run_only_opt(opt, o, err);

			if (r < 0)
				return -1;
			if (r == 0)
				continue;
		}
		switch (opt) {
		case 'e':
			env_add(&o->env, optarg);
			break;
		case 'w':
			o->workdir = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'd':
			o->detach = true;
			break;
		case 'i':
			o->interactive = true;
			break;
		case 't':
			o->tty = true;
			window_size(o);
			break;
		case O_RM:
			o->rm = true;
			break;
		case O_NAME:
			o->name = optarg;
			break;
		case O_ENTRY:
			o->entrypoint = optarg;
			break;
		case 'm':
			if (ctl_parse_bytes(optarg, &o->memory, err) < 0)
				return berth_err_wrap(err, "--memory");
			o->has_memory = true;
			break;
		case O_PIDS:
			if (parse_pids(optarg, &o->pids_limit, err) < 0)
				return -1;
			o->has_pids_limit = true;
			break;
		case O_RUNTIME:
			o->runtime = optarg;
			break;
		case O_HOST:
			o->hostname = optarg;
			break;
		case O_RO:
			o->readonly = true;
			break;
		default:
			/* optopt: a short option; else the unknown or argument-less long one */
			if (optopt > 0 && optopt < O_RM)
				return berth_err_new(
					err, BERTH_E_INVALID,
					"usage: unknown option or missing argument: '-%c'", optopt);
			return berth_err_new(err, BERTH_E_INVALID,
					     "usage: unknown option or missing argument: '%s'",
					     argv[optind - 2 >= 0 ? optind - 2 : 0]);
		}
	}
	*next = optind - 1;
	return 0;
}

/* 64 hex digits, as docker's ids */
static char *new_id(void)
{
	unsigned char b[32];
	char *id = xmalloc(65);

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* no entropy source: pid and time still make it unique on this host */
		snprintf((char *)b, sizeof(b), "%x%lx", (unsigned)getpid(), (long)time(NULL));
	}
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
	return id;
}

static int check_name(struct ctl *c, const char *name, struct berth_err **err)
{
	struct ctl_container *v = NULL;
	size_t n = 0;
	bool taken = false;

	if (!*name || strchr(name, '/') || strchr(name, ' '))
		return berth_err_new(err, BERTH_E_INVALID, "--name: invalid container name '%s'",
				     name);
	if (ctl_container_list(c, &v, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].name && strcmp(v[i].name, name) == 0)
			taken = true;
	ctl_container_list_free(v, n);
	if (taken)
		return berth_err_new(err, BERTH_E_EXISTS,
				     "container name '%s' is already in use (berthctl rm %s first)",
				     name, name);
	return 0;
}

struct image {
	char *name, *config, *manifest;
	char *json; /* the config blob */
	size_t len;
};

static void image_clear(struct image *im)
{
	free(im->name);
	free(im->config);
	free(im->manifest);
	free(im->json);
}

static int image_load(struct ctl *c, const char *ref, struct image *im, struct berth_err **err)
{
	Containerd__Services__Images__V1__GetImageRequest req =
		CONTAINERD__SERVICES__IMAGES__V1__GET_IMAGE_REQUEST__INIT;
	const Containerd__Services__Images__V1__GetImageResponse *resp;
	cleanup_free char *name = NULL;
	ProtobufCMessage *m = NULL;
	int64_t size;
	int r;

	if (ctl_image_lookup(c, ref, &name, NULL, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return -1;
		berth_err_free(err);
		return berth_err_new(
			err, BERTH_E_NOT_FOUND,
			"image '%s': not found (import it with berthctl images import)", ref);
	}
	req.name = name;
	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor, "Get",
			      &req.base, &m, err) < 0)
		return berth_err_wrap(err, "image '%s'", ref);
	resp = (const void *)m;
	im->name = xstrdup(resp->image->name);
	r = resp->image->target ? ctl_image_resolve(c, resp->image->target->media_type,
						    resp->image->target->digest, &im->config, &size,
						    &im->manifest, err)
				: berth_err_new(err, BERTH_E_INVALID, "image has no target");
	protobuf_c_message_free_unpacked(m, NULL);
	if (r < 0 || ctl_blob_read(c, im->config, MAX_JSON, &im->json, &im->len, err) < 0)
		return berth_err_wrap(err, "image '%s'", ref);
	return 0;
}

static int snapshot_prepare(struct ctl *c, const char *key, const char *parent,
			    struct berth_err **err)
{
	Containerd__Services__Snapshots__V1__PrepareSnapshotRequest req =
		CONTAINERD__SERVICES__SNAPSHOTS__V1__PREPARE_SNAPSHOT_REQUEST__INIT;
	ProtobufCMessage *m = NULL;

	req.snapshotter = (char *)CTL_SNAPSHOTTER;
	req.key = (char *)key;
	req.parent = (char *)parent;
	if (rpc_client_invoke(c->rpc, &containerd__services__snapshots__v1__snapshots__descriptor,
			      "Prepare", &req.base, &m, err) < 0)
		return berth_err_wrap(err, "prepare snapshot '%s'", key);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/* The image config's StopSignal, if any (caller frees). */
static char *image_stop_signal(const struct image *im)
{
	cleanup(bjson_freep) struct bjson *img = NULL;
	cleanup_err struct berth_err *e = NULL;
	const char *sig;

	if (bjson_parse(im->json, im->len, "image config", &img, &e) < 0)
		return NULL;
	sig = bjson_get_str(bjson_get(img, "config"), "StopSignal");
	return sig && *sig ? xstrdup(sig) : NULL;
}

static void label_add(CN(Container__LabelsEntry) * **v, size_t *n, const char *k, size_t klen,
		      const char *val)
{
	CN(Container__LabelsEntry) *e = xnew(CN(Container__LabelsEntry));

	containerd__services__containers__v1__container__labels_entry__init(e);
	e->key = xstrndup(k, klen);
	e->value = xstrdup(val);
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = e;
}

static int container_create(struct ctl *c, const char *id, const struct ctl_run_opts *o,
			    const struct image *im, const char *spec, struct berth_err **err)
{
	CN(CreateContainerRequest) req = CN_INIT(CREATE_CONTAINER_REQUEST);
	CN(Container) ct = CN_INIT(CONTAINER);
	CN(Container__Runtime) rt = CN_INIT(CONTAINER__RUNTIME);
	CN(Container__LabelsEntry) **labels = NULL;
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	cleanup_free char *stopsig =
		o->stop_signal ? xstrdup(o->stop_signal) : image_stop_signal(im);
	ProtobufCMessage *m = NULL;
	size_t n = 0;
	int r;

	for (size_t i = 0; o->labels && o->labels[i]; i++) {
		const char *eq = strchr(o->labels[i], '=');

		label_add(&labels, &n, o->labels[i], (size_t)(eq - o->labels[i]), eq + 1);
	}
	if (o->name)
		label_add(&labels, &n, CTL_NAME_LABEL, strlen(CTL_NAME_LABEL), o->name);
	if (stopsig)
		label_add(&labels, &n, CTL_STOPSIG_LABEL, strlen(CTL_STOPSIG_LABEL), stopsig);
	rt.name = (char *)(o->runtime ? o->runtime : CTL_DEFAULT_RUNTIME);
	any.type_url = (char *)CTL_SPEC_TYPE;
	any.value.data = (uint8_t *)spec;
	any.value.len = strlen(spec);
	ct.id = (char *)id;
	ct.image = im->name;
	ct.runtime = &rt;
	ct.spec = &any;
	ct.snapshotter = (char *)CTL_SNAPSHOTTER;
	ct.snapshot_key = (char *)id;
	ct.labels = labels;
	ct.n_labels = n;
	req.container = &ct;
	r = rpc_client_invoke(c->rpc, &containerd__services__containers__v1__containers__descriptor,
			      "Create", &req.base, &m, err);
	for (size_t i = 0; i < n; i++) {
		free(labels[i]->key);
		free(labels[i]->value);
		free(labels[i]);
	}
	free(labels);
	if (r < 0)
		return berth_err_wrap(err, "create container '%s'", id);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/* Creates, starts and (foreground) waits for the task; *status: the exit status. */
static int task_run(struct ctl *c, const char *id, const struct ctl_run_opts *o, uint32_t *status,
		    struct berth_err **err)
{
	struct ctl_stdio *io = NULL;
	int r;

	if (o->detach) {
		cleanup_free char *uri = NULL, *in = NULL;

		/* output goes to the log through berthctl as the shim's logger (logger.c);
		 * with -i, stdin is a FIFO next to it that attach writes into */
		if (o->interactive) {
			in = ctl_stdin_path(c->ns, id);
			if (ctl_log_uri(c->ns, id, in, &uri, err) < 0)
				return -1;
			if (mkfifo(in, 0600) < 0 && errno != EEXIST)
				return berth_err_sys(err, errno, "mkfifo '%s'", in);
		} else if (ctl_log_uri(c->ns, id, NULL, &uri, err) < 0) {
			return -1;
		}
		if (ctl_task_create(c, id, in ? in : "", uri, uri, o->tty, err) < 0)
			return -1;
		return ctl_task_start_recorded(c, id, err);
	}
	io = ctl_stdio_open(o->interactive, o->tty, err);
	if (!io)
		return -1;
	r = ctl_task_create(c, id, ctl_stdio_path(io, 0), ctl_stdio_path(io, 1),
			    ctl_stdio_path(io, 2), o->tty, err);
	if (r == 0)
		r = ctl_stdio_start(io, c, id, NULL, err);
	if (r == 0)
		r = ctl_task_start_recorded(c, id, err);
	if (r == 0)
		r = ctl_stdio_begin_stdin(io, err);
	if (r == 0)
		r = ctl_task_wait(c, id, NULL, status, err);
	ctl_stdio_close(io);
	return r;
}

/*
 * The final spec: the user resolved in the container's /etc/passwd and /etc/group and the
 * working directory created (rootfs.c), when the flags or the image ask for either.
 */
static int final_spec(struct ctl *c, struct ctl_run_opts *o, const struct image *im, const char *id,
		      char **spec, struct berth_err **err)
{
	cleanup_free char *user = NULL, *wd = NULL;
	struct ctl_rootfs_files f = {0};
	struct ctl_user u = {0};
	int r;

	if (ctl_spec_wants(o, im->json, im->len, &user, &wd, err) < 0)
		return -1;
	if (!user && !wd)
		return ctl_spec_build(o, im->json, im->len, c->ns, id, spec, err);
	if (ctl_rootfs_prepare(c, id, wd, user != NULL, &f, err) < 0)
		return -1;
	r = ctl_user_resolve(user, f.passwd, f.plen, f.group, f.glen, &u, err);
	ctl_rootfs_files_clear(&f);
	if (r < 0)
		return -1;
	o->resolved = &u;
	r = ctl_spec_build(o, im->json, im->len, c->ns, id, spec, err);
	o->resolved = NULL;
	ctl_user_clear(&u);
	return r;
}

/* Everything after the image was loaded; undoes its own side effects when it fails. */
static int run_container(struct ctl *c, struct ctl_run_opts *o, const struct image *im,
			 const char *id, uint32_t *status, struct berth_err **err)
{
	cleanup_free char *chain = NULL, *spec = NULL;
	cleanup_err struct berth_err *undo = NULL;

	if (ctl_image_unpack(c, im->config, im->json, im->len, im->manifest, &chain, err) < 0 ||
	    snapshot_prepare(c, id, chain, err) < 0)
		return -1;
	if (final_spec(c, o, im, id, &spec, err) < 0) {
		ctl_container_remove(c, id, true, &undo); /* the snapshot */
		return -1;
	}
	if (container_create(c, id, o, im, spec, err) < 0) {
		ctl_container_remove(c, id, true, &undo); /* the snapshot */
		return -1;
	}
	if (!o->create_only && task_run(c, id, o, status, err) < 0) {
		ctl_container_remove(c, id, true, &undo);
		return -1;
	}
	if (o->rm && !o->detach && ctl_container_remove(c, id, true, err) < 0)
		return -1;
	if (o->rm && o->detach && ctl_reaper_spawn(c, id, err) < 0) {
		ctl_container_remove(c, id, true, &undo);
		return -1;
	}
	return 0;
}

static int run_or_create(struct ctl *c, int argc, char **argv, bool create, struct berth_err **err);

int ctl_cmd_run(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	return run_or_create(c, argc, argv, false, err);
}

/* create: the container (spec, snapshot, record) without a task; start runs it */
int ctl_cmd_create(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	return run_or_create(c, argc, argv, true, err);
}

static int run_or_create(struct ctl *c, int argc, char **argv, bool create, struct berth_err **err)
{
	cleanup(ctl_run_opts_free) struct ctl_run_opts o = {0};
	cleanup(image_clear) struct image im = {0};
	cleanup_free char *id = new_id(), *spec = NULL;
	struct ctl_user placeholder = {0};
	uint32_t status = 0;
	int next = 0;

	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(run_help, stdout);
		return 0;
	}
	if (ctl_run_parse(argc, argv, false, &o, &next, err) < 0)
		return -1;
	if (next >= argc)
		return berth_err_new(err, BERTH_E_INVALID, RUN_USAGE);
	o.create_only = create;
	if (create && (o.rm || o.detach))
		return berth_err_new(err, BERTH_E_INVALID, "usage: create: no --rm or -d");
	o.args = argv + next + 1;
	if ((o.name && check_name(c, o.name, err) < 0) || image_load(c, argv[next], &im, err) < 0)
		return -1;
	/* every flag checked before the first side effect; names in --user resolve later */
	o.resolved = &placeholder;
	if (ctl_spec_build(&o, im.json, im.len, c->ns, id, &spec, err) < 0 ||
	    ctl_lease_begin(c, err) < 0)
		return -1;
	o.resolved = NULL;
	if (run_container(c, &o, &im, id, &status, err) < 0)
		return -1;
	if (o.detach || create)
		printf("%s\n", id);
	c->status = (int)status;
	return 0;
}
