/*
 * supervisor/ctl/cmd_import.c - berthctl images import FILE: OCI layout archives and
 * docker-save archives, in one streaming pass.
 *
 * Every file of the archive except its index (index.json, manifest.json) is uploaded as a
 * blob while it is read (blobs/sha256/<hex> with its expected digest; docker's layer
 * tars and configs with the digest computed on the way). Small files stay in memory,
 * because manifests and configs must be read afterwards. Then:
 *   OCI:    the gc.ref labels of every index and manifest are set (containerd's
 *           SetChildrenLabels), and each index.json entry with a name becomes an image.
 *   docker: a docker schema 2 manifest is built for each manifest.json entry (layers as
 *           application/vnd.docker.image.rootfs.diff.tar[.gzip]), stored with its labels,
 *           and each RepoTag becomes an image.
 * All of it under a lease, so GC cannot take blobs before the images reference them.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"
#include "supervisor/ctl/progress.h"
#include "supervisor/image/archive.h"

#define IM(x) Containerd__Services__Images__V1__##x
#define IM_INIT(x) CONTAINERD__SERVICES__IMAGES__V1__##x##__INIT
#define KEEP_MAX (4 << 20) /* files this small stay in memory (manifests, configs) */
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZ "application/vnd.docker.image.rootfs.diff.tar.gzip"

struct file {
	char *name;
	char *digest;
	int64_t size;
	char *data; /* NULL unless <= KEEP_MAX */
	size_t len;
	bool gzip;
};

struct imp {
	struct ctl *c;
	struct file *v;
	size_t n;
	const char *name; /* --name */
	size_t blobs;
	struct ctl_progress *prog; /* NULL unless stdout is a terminal */
	int64_t passed;		   /* bytes of the entries read so far */
};

static void imp_clear(struct imp *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->v[i].name);
		free(im->v[i].digest);
		free(im->v[i].data);
	}
	free(im->v);
}

static struct file *file_by_name(struct imp *im, const char *name)
{
	for (size_t i = 0; i < im->n; i++)
		if (strcmp(im->v[i].name, name) == 0)
			return &im->v[i];
	return NULL;
}

static struct file *file_by_digest(struct imp *im, const char *digest)
{
	for (size_t i = 0; i < im->n; i++)
		if (im->v[i].digest && strcmp(im->v[i].digest, digest) == 0)
			return &im->v[i];
	return NULL;
}

/* Uploads the entry's bytes as a blob; keeps them if small. */
static int upload_entry(struct imp *im, struct image_entry *e, struct file *f, const char *expected,
			struct berth_err **err)
{
	cleanup_free char *ref = xasprintf("berthctl-import-%s", expected ? expected + 7 : f->name);
	cleanup_free char *buf = xmalloc(1 << 20);
	struct ctl_upload *u = ctl_upload_begin(im->c, ref, f->size, expected, err);
	bool first = true;
	ssize_t n;

	if (!u && *err && (*err)->code == BERTH_E_EXISTS) {
		berth_err_free(err); /* the namespace has it: read it only to keep it if small */
		if (f->size <= KEEP_MAX)
			return image_entry_slurp(e, KEEP_MAX, &f->data, &f->len, err);
		return 0;
	}
	if (!u)
		return -1;
	while ((n = image_entry_read(e, buf, 1 << 20, err)) > 0) {
		if (first && n >= 2)
			f->gzip = (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b;
		first = false;
		if (f->size <= KEEP_MAX) {
			f->data = xrealloc(f->data, f->len + (size_t)n + 1);
			memcpy(f->data + f->len, buf, (size_t)n);
			f->len += (size_t)n;
			f->data[f->len] = '\0';
		}
		if (ctl_upload_write(u, buf, (size_t)n, err) < 0)
			break;
		ctl_progress_add(im->prog, n);
	}
	if (n == 0 && ctl_upload_commit(u, expected, NULL, NULL, err) == 0) {
		ctl_upload_free(u);
		im->blobs++;
		return 0;
	}
	ctl_upload_free(u);
	return berth_err_wrap(err, "import '%s'", f->name);
}

static int on_entry(struct image_entry *e, const char *name, int64_t size, void *arg,
		    struct berth_err **err)
{
	struct imp *im = arg;
	struct file *f;
	const char *hex = NULL;
	cleanup_free char *expected = NULL;

	if (strcmp(name, "oci-layout") == 0 || strcmp(name, "repositories") == 0)
		return 0;
	im->v = xreallocarray(im->v, im->n + 1, sizeof(*im->v));
	f = &im->v[im->n++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->size = size;
	if (strcmp(name, "index.json") == 0 || strcmp(name, "manifest.json") == 0)
		return image_entry_slurp(e, 16 << 20, &f->data, &f->len, err);
	if (strncmp(name, "blobs/sha256/", 13) == 0) {
		hex = name + 13;
		if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
			return berth_err_new(err, BERTH_E_INVALID, "'%s': not a sha256 blob name",
					     name);
		expected = xasprintf("sha256:%s", hex);
	}
	return upload_entry(im, e, f, expected, err);
}

static int on_done(const char *name, const char *digest, int64_t size, void *arg,
		   struct berth_err **err)
{
	struct imp *im = arg;
	struct file *f = file_by_name(im, name);

	im->passed += size;
	ctl_progress_set(im->prog, im->passed);
	if (!f)
		return 0;
	if (strncmp(name, "blobs/sha256/", 13) == 0 && strcmp(digest + 7, name + 13) != 0)
		return berth_err_new(err, BERTH_E_INVALID, "'%s': content has digest %s", name,
				     digest);
	f->digest = xstrdup(digest);
	f->size = size;
	return 0;
}

/* The archive's size for the progress display: -1 if unknown (a pipe, or gzip). */
static int64_t archive_size(const char *path)
{
	cleanup_close int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	unsigned char magic[2];
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	/* entries count uncompressed bytes, which a gzip file's size does not bound */
	if (pread(fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
		return -1;
	return st.st_size;
}

/* Creates image name -> target, or moves an existing one to it (as ctr import does). */
static int image_put(struct ctl *c, const char *name, const char *mt, const char *digest,
		     int64_t size, struct berth_err **err)
{
	Containerd__Types__Descriptor d = CONTAINERD__TYPES__DESCRIPTOR__INIT;
	IM(Image) img = IM_INIT(IMAGE);
	IM(UpdateImageRequest) up = IM_INIT(UPDATE_IMAGE_REQUEST);
	IM(CreateImageRequest) cr = IM_INIT(CREATE_IMAGE_REQUEST);
	Google__Protobuf__FieldMask mask = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
	char *paths[] = {(char *)"target"};
	ProtobufCMessage *m = NULL;

	d.media_type = (char *)mt;
	d.digest = (char *)digest;
	d.size = size;
	img.name = (char *)name;
	img.target = &d;
	mask.paths = paths;
	mask.n_paths = 1;
	up.image = &img;
	up.update_mask = &mask;
	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor,
			      "Update", &up.base, &m, err) == 0) {
		protobuf_c_message_free_unpacked(m, NULL);
		return 0;
	}
	if ((*err)->code != BERTH_E_NOT_FOUND)
		return -1;
	berth_err_free(err);
	cr.image = &img;
	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor,
			      "Create", &cr.base, &m, err) < 0)
		return -1;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/* Sets gc.ref labels on an index or manifest and, recursively, on its children. */
static int label_tree(struct imp *im, const char *mt, const char *digest, int depth,
		      struct berth_err **err)
{
	struct file *f = file_by_digest(im, digest);
	struct image_desc *kids = NULL;
	cleanup(strv_freep) char **labels = NULL;
	size_t n = 0, layer = 0;
	int r = 0;

	if (depth > 4)
		return berth_err_new(err, BERTH_E_INVALID, "%s: indexes nested too deep", digest);
	if (!image_is_index(mt) && !image_is_manifest(mt))
		return 0;
	if (!f || !f->data)
		return berth_err_new(err, BERTH_E_NOT_FOUND, "archive has no blob %s (%s)", digest,
				     mt);
	if (image_children(f->data, f->len, mt, &kids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char key[96];

		if (image_is_index(mt))
			snprintf(key, sizeof(key), "containerd.io/gc.ref.content.m.%zu", i);
		else if (i == 0)
			snprintf(key, sizeof(key), "containerd.io/gc.ref.content.config");
		else
			snprintf(key, sizeof(key), "containerd.io/gc.ref.content.l.%zu", layer++);
		strv_push(&labels, key);
		strv_push(&labels, kids[i].digest);
		if (!file_by_digest(im, kids[i].digest) && !image_is_index(mt)) {
			/* a layer not in the archive must already be in the store */
			if (ctl_blob_info(im->c, kids[i].digest, NULL, NULL, err) < 0) {
				r = berth_err_wrap(err, "%s references %s", digest, kids[i].digest);
				break;
			}
		}
		if (image_is_index(mt) &&
		    label_tree(im, kids[i].media_type, kids[i].digest, depth + 1, err) < 0) {
			r = -1;
			break;
		}
	}
	if (r == 0 && labels)
		r = ctl_blob_label(im->c, digest, labels, err);
	image_desc_list_free(kids, n);
	return r;
}

/* The image name of an index.json entry (containerd's rules), or NULL. */
static char *oci_entry_name(const struct bjson *m, const char *override)
{
	const struct bjson *ann = bjson_get(m, "annotations");
	const char *n = bjson_get_str(ann, "io.containerd.image.name");

	if (override)
		return xstrdup(override);
	if (n)
		return xstrdup(n);
	n = bjson_get_str(ann, "org.opencontainers.image.ref.name");
	if (!n)
		return NULL;
	/* a bare tag ("latest") needs a repository: as ctr, prefix import-<date> */
	if (!strchr(n, '/') && !strchr(n, ':')) {
		char date[16];
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		return xasprintf("import-%s:%s", date, n);
	}
	return ctl_normalize_ref(n);
}

static int import_oci(struct imp *im, struct file *index, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;
	const struct bjson *arr;
	size_t named = 0;

	if (bjson_parse(index->data, index->len, "index.json", &doc, err) < 0)
		return -1;
	arr = bjson_get(doc, "manifests");
	if (!arr || !bjson_array_len(arr))
		return berth_err_new(err, BERTH_E_INVALID, "index.json: no manifests");
	if (im->name && bjson_array_len(arr) > 1)
		return berth_err_new(err, BERTH_E_INVALID,
				     "--name: the archive has %zu images, name them in index.json",
				     bjson_array_len(arr));
	for (size_t i = 0; i < bjson_array_len(arr); i++) {
		const struct bjson *m = bjson_array_get(arr, i);
		const char *mt = bjson_get_str(m, "mediaType"), *dg = bjson_get_str(m, "digest");
		cleanup_free char *name = oci_entry_name(m, im->name);
		int64_t size = 0;

		if (!mt || !dg)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"index.json: manifests[%zu]: mediaType and digest required", i);
		if (!image_is_index(mt) && !image_is_manifest(mt))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"index.json: manifests[%zu]: unsupported media type '%s'", i, mt);
		bjson_get_int(m, "size", &size);
		if (label_tree(im, mt, dg, 0, err) < 0)
			return berth_err_wrap(err, "index.json: manifests[%zu]", i);
		if (!name)
			continue;
		if (image_put(im->c, name, mt, dg, size, err) < 0)
			return berth_err_wrap(err, "image '%s'", name);
		printf("imported %s (%s)\n", name, dg);
		named++;
	}
	if (named == 0)
		return berth_err_new(err, BERTH_E_INVALID,
				     "index.json: no image names (annotation "
				     "org.opencontainers.image.ref.name); use --name");
	return 0;
}

/* Descriptor JSON of an uploaded archive file. */
static struct bjson *desc_json(const char *mt, const struct file *f)
{
	struct bjson *d = bjson_object_new();

	bjson_set_str(d, "mediaType", mt);
	bjson_set_int(d, "size", f->size);
	bjson_set_str(d, "digest", f->digest);
	return d;
}

static int import_docker_one(struct imp *im, const struct bjson *entry, size_t idx,
			     struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *man = bjson_object_new();
	cleanup(strv_freep) char **labels = NULL;
	cleanup_free char *json = NULL;
	cleanup_free char *digest = NULL;
	const char *cfgname = bjson_get_str(entry, "Config");
	const struct bjson *layers = bjson_get(entry, "Layers"),
			   *tags = bjson_get(entry, "RepoTags");
	struct bjson *larr = bjson_array_new();
	struct file *cfg = cfgname ? file_by_name(im, cfgname) : NULL;

	if (!cfg || !cfg->digest) {
		bjson_free(larr);
		return berth_err_new(err, BERTH_E_INVALID,
				     "manifest.json[%zu]: Config '%s' not in the archive", idx,
				     cfgname ? cfgname : "");
	}
	bjson_set_int(man, "schemaVersion", 2);
	bjson_set_str(man, "mediaType", MT_DOCKER_MANIFEST);
	bjson_set_take(man, "config", desc_json(MT_DOCKER_CONFIG, cfg));
	strv_push(&labels, "containerd.io/gc.ref.content.config");
	strv_push(&labels, cfg->digest);
	for (size_t i = 0; layers && i < bjson_array_len(layers); i++) {
		const char *ln = bjson_str(bjson_array_get(layers, i));
		struct file *l = ln ? file_by_name(im, ln) : NULL;
		char key[64];

		if (!l || !l->digest) {
			bjson_free(larr);
			return berth_err_new(
				err, BERTH_E_INVALID,
				"manifest.json[%zu]: Layers[%zu] '%s' not in the archive", idx, i,
				ln ? ln : "");
		}
		bjson_append_take(larr,
				  desc_json(l->gzip ? MT_DOCKER_LAYER_GZ : MT_DOCKER_LAYER, l));
		snprintf(key, sizeof(key), "containerd.io/gc.ref.content.l.%zu", i);
		strv_push(&labels, key);
		strv_push(&labels, l->digest);
	}
	bjson_set_take(man, "layers", larr);
	json = bjson_to_string(man, BJSON_PLAIN);
	if (ctl_blob_put(im->c, json, strlen(json), MT_DOCKER_MANIFEST, labels, &digest, err) < 0)
		return berth_err_wrap(err, "manifest.json[%zu]: store manifest", idx);
	if ((!tags || !bjson_array_len(tags)) && !im->name) {
		printf("imported %s (no name; use --name)\n", digest);
		return 0;
	}
	for (size_t i = 0; im->name ? i < 1 : i < bjson_array_len(tags); i++) {
		cleanup_free char *name = ctl_normalize_ref(
			im->name ? im->name : bjson_str(bjson_array_get(tags, i)));

		if (image_put(im->c, name, MT_DOCKER_MANIFEST, digest, (int64_t)strlen(json), err) <
		    0)
			return berth_err_wrap(err, "image '%s'", name);
		printf("imported %s (%s)\n", name, digest);
	}
	return 0;
}

static int import_docker(struct imp *im, struct file *mf, struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;

	if (bjson_parse(mf->data, mf->len, "manifest.json", &doc, err) < 0)
		return -1;
	if (!bjson_is_array(doc) || !bjson_array_len(doc))
		return berth_err_new(err, BERTH_E_INVALID, "manifest.json: want a non-empty array");
	if (im->name && bjson_array_len(doc) > 1)
		return berth_err_new(err, BERTH_E_INVALID, "--name: the archive has %zu images",
				     bjson_array_len(doc));
	for (size_t i = 0; i < bjson_array_len(doc); i++)
		if (import_docker_one(im, bjson_array_get(doc, i), i, err) < 0)
			return -1;
	return 0;
}

int ctl_images_import(struct ctl *c, int argc, char **argv, struct berth_err **err)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'N'},
					     {NULL, 0, NULL, 0}};
	struct imp im = {.c = c};
	struct file *index, *mf;
	int64_t total;
	int opt, r;

	optind = 0;
	while ((opt = getopt_long(argc + 1, argv - 1, "+", opts, NULL)) != -1) {
		if (opt != 'N')
			return berth_err_new(err, BERTH_E_INVALID,
					     "usage: berthctl images import [--name REF] FILE");
		im.name = optarg;
	}
	if (optind != argc)
		return berth_err_new(err, BERTH_E_INVALID,
				     "usage: berthctl images import [--name REF] FILE");
	if (ctl_lease_begin(c, err) < 0)
		return -1;
	total = archive_size(argv[optind - 1]);
	im.prog = ctl_progress_open(stdout, "importing", argv[optind - 1], "stdin", total);
	r = image_archive_read(argv[optind - 1], on_entry, on_done, &im, err);
	if (r == 0 && total >= 0)
		ctl_progress_set(im.prog, total); /* all read: tar headers and padding too */
	ctl_progress_finish(im.prog);
	if (r == 0) {
		index = file_by_name(&im, "index.json");
		mf = file_by_name(&im, "manifest.json");
		if (index)
			r = import_oci(&im, index, err);
		else if (mf)
			r = import_docker(&im, mf, err);
		else
			r = berth_err_new(err, BERTH_E_INVALID,
					  "'%s': neither an OCI archive (index.json) nor a docker "
					  "archive (manifest.json)",
					  argv[optind - 1]);
	}
	imp_clear(&im);
	ctl_lease_end(c);
	return r;
}
