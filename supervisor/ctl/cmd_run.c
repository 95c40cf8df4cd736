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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/containers/v1/containers.pb-c.h>
#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>
#include <github.com/containerd/containerd/api/services/snapshots/v1/snapshots.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

#define CN(x) Containerd__Services__Containers__V1__##x
#define CN_INIT(x) CONTAINERD__SERVICES__CONTAINERS__V1__##x##__INIT
#define MAX_JSON (16 << 20)

#define RUN_USAGE \
	"usage: berthctl run [OPTIONS] IMAGE [COMMAND [ARG...]] (options: berthctl --help)"

void ctl_run_opts_free(struct ctl_run_opts *o)
{
	strv_free(o->env);
	o->env = NULL;
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

int ctl_run_parse(int argc, char **argv, bool exec, struct ctl_run_opts *o, int *next,
		  struct berth_err **err)
{
	enum { O_RM = 256, O_NAME, O_ENTRY, O_MEM, O_PIDS, O_RUNTIME, O_HOST, O_RO };
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
		{NULL, 0, NULL, 0},
	};
	int opt, li = -1;

	optind = 0;
	opterr = 0;

	while ((opt = getopt_long(argc + 1, argv - 1, exec ? "+ite:w:u:" : "+ite:w:u:dm:", opts,
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
	if (rpc_client_call(c->rpc, "/containerd.services.images.v1.Images/Get", &req.base,
			    &containerd__services__images__v1__get_image_response__descriptor, &m,
			    err) < 0)
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
	if (rpc_client_call(
		    c->rpc, "/containerd.services.snapshots.v1.Snapshots/Prepare", &req.base,
		    &containerd__services__snapshots__v1__prepare_snapshot_response__descriptor, &m,
		    err) < 0)
		return berth_err_wrap(err, "prepare snapshot '%s'", key);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

static int container_create(struct ctl *c, const char *id, const struct ctl_run_opts *o,
			    const char *image, const char *spec, struct berth_err **err)
{
	CN(CreateContainerRequest) req = CN_INIT(CREATE_CONTAINER_REQUEST);
	CN(Container) ct = CN_INIT(CONTAINER);
	CN(Container__Runtime) rt = CN_INIT(CONTAINER__RUNTIME);
	CN(Container__LabelsEntry) name = CN_INIT(CONTAINER__LABELS_ENTRY);
	CN(Container__LabelsEntry) * labels[1] = {&name};
	Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
	ProtobufCMessage *m = NULL;

	rt.name = (char *)(o->runtime ? o->runtime : CTL_DEFAULT_RUNTIME);
	any.type_url = (char *)CTL_SPEC_TYPE;
	any.value.data = (uint8_t *)spec;
	any.value.len = strlen(spec);
	ct.id = (char *)id;
	ct.image = (char *)image;
	ct.runtime = &rt;
	ct.spec = &any;
	ct.snapshotter = (char *)CTL_SNAPSHOTTER;
	ct.snapshot_key = (char *)id;
	if (o->name) {
		name.key = (char *)CTL_NAME_LABEL;
		name.value = (char *)o->name;
		ct.labels = labels;
		ct.n_labels = 1;
	}
	req.container = &ct;
	if (rpc_client_call(
		    c->rpc, "/containerd.services.containers.v1.Containers/Create", &req.base,
		    &containerd__services__containers__v1__create_container_response__descriptor,
		    &m, err) < 0)
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
		cleanup_free char *uri = NULL;

		/* output goes to the log through berthctl as the shim's logger (logger.c) */
		if (ctl_log_uri(c->ns, id, &uri, err) < 0 ||
		    ctl_task_create(c, id, "", uri, uri, o->tty, err) < 0)
			return -1;
		return ctl_task_start(c, id, NULL, err);
	}
	io = ctl_stdio_open(o->interactive, o->tty, err);
	if (!io)
		return -1;
	r = ctl_task_create(c, id, ctl_stdio_path(io, 0), ctl_stdio_path(io, 1),
			    ctl_stdio_path(io, 2), o->tty, err);
	if (r == 0)
		r = ctl_stdio_start(io, c, id, NULL, err);
	if (r == 0)
		r = ctl_task_start(c, id, NULL, err);
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
	if (container_create(c, id, o, im->name, spec, err) < 0) {
		ctl_container_remove(c, id, true, &undo); /* the snapshot */
		return -1;
	}
	if (task_run(c, id, o, status, err) < 0) {
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

int ctl_cmd_run(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	cleanup(ctl_run_opts_free) struct ctl_run_opts o = {0};
	cleanup(image_clear) struct image im = {0};
	cleanup_free char *id = new_id(), *spec = NULL;
	struct ctl_user placeholder = {0};
	uint32_t status = 0;
	int next = 0;

	if (ctl_run_parse(argc, argv, false, &o, &next, err) < 0)
		return -1;
	if (next >= argc)
		return berth_err_new(err, BERTH_E_INVALID, RUN_USAGE);
	o.args = argv + next + 1;
	if (o.interactive && o.detach)
		return berth_err_new(err, BERTH_E_INVALID, "-i and -d: not supported together");
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
	if (o.detach)
		printf("%s\n", id);
	c->status = (int)status;
	return 0;
}
