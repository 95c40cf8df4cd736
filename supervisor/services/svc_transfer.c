/*
 * supervisor/services/svc_transfer.c - berth.services.transfer.v1.Transfer (berth's own
 * extension, proto/berth/transfer/v1/transfer.proto): Pull and Push done by berthd with
 * supervisor/registry/, streaming per-blob progress.
 *
 * A pull runs under a lease of its own (id "berth-pull-<random>", containerd.io/gc.expire
 * a day ahead): every blob's content record joins it as it lands, the image record is
 * written last, then the lease goes. A failed pull leaves the lease to expire, so a retry
 * within a day finds the blobs it had (and resumes partial ingests with Range).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <berth/transfer/v1/transfer.pb-c.h>
#include <github.com/containerd/containerd/api/events/image.pb-c.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/core/commit.h"
#include "supervisor/meta/meta.h"
#include "supervisor/registry/registry.h"
#include "supervisor/rpc/server.h"
#include "supervisor/services/svc.h"
#include "supervisor/services/svc_util.h"

#define TR(x) Berth__Services__Transfer__V1__##x

struct transfer_op {
	struct rpc_call *call;
	struct berthd_components *ctx;
	const char *ns;
	char *lease;
};

static void on_progress(void *arg, const char *digest, const char *media_type, int64_t done,
			int64_t total, enum reg_blob_state st)
{
	struct transfer_op *op = arg;
	TR(Progress) msg = BERTH__SERVICES__TRANSFER__V1__PROGRESS__INIT;

	msg.digest = (char *)digest;
	msg.media_type = (char *)media_type;
	msg.offset = done;
	msg.total = total;
	msg.state = (char *)reg_blob_state_name(st);
	rpc_stream_push_wait(op->call, &msg.base);
}

static bool on_cancelled(void *arg)
{
	struct transfer_op *op = arg;

	return rpc_call_is_cancelled(op->call);
}

/* The blob's content record in the caller's namespace, with the registry's labels. */
static int on_blob(void *arg, const char *digest, int64_t size, const char *media_type,
		   char *const *labels, struct berth_err **err)
{
	struct transfer_op *op = arg;
	cleanup_err struct berth_err *e = NULL;

	if (meta_content_add(op->ctx->db, op->ns, digest, size, labels, &e) < 0) {
		cleanup(strv_freep) char **paths = NULL;
		if (e->code != BERTH_E_EXISTS) {
			*err = take_ptr(e);
			return -1;
		}
		for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2)
			strv_push_take(&paths, xasprintf("labels.%s", labels[i]));
		if (paths && meta_content_update_labels(op->ctx->db, op->ns, digest, labels, paths,
							NULL, err) < 0)
			return -1;
	}
	return meta_lease_add_resource(op->ctx->db, op->ns, op->lease, "content", digest, err);
}

/* a partial blob belongs to the pull's lease, so a collection keeps it for a resume */
static int on_ingest(void *arg, const char *ref, struct berth_err **err)
{
	struct transfer_op *op = arg;

	return meta_lease_add_resource(op->ctx->db, op->ns, op->lease, "ingests", ref, err);
}

/* blob, record and lease in one step, under the collector's hold (core/commit.h) */
static int on_commit(void *arg, struct content_ingest *ing, const char *digest, int64_t size,
		     struct berth_err **err)
{
	struct transfer_op *op = arg;
	struct core_commit_opts o = {
		.ns = op->ns, .lease = op->lease, .size = size, .expected = digest};

	return core_content_commit(op->ctx, ing, &o, NULL, err);
}

static int lease_open(struct transfer_op *op, struct berth_err **err)
{
	unsigned char rnd[8];
	char expire[64];
	time_t t = time(NULL) + 24 * 3600;
	struct tm tm;
	cleanup(strv_freep) char **labels = NULL;

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return berth_err_sys(err, errno, "getrandom");
	op->lease = xasprintf("berth-pull-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
			      rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	gmtime_r(&t, &tm);
	strftime(expire, sizeof(expire), "%Y-%m-%dT%H:%M:%SZ", &tm);
	strv_push(&labels, "containerd.io/gc.expire");
	strv_push(&labels, expire);
	return meta_lease_create(op->ctx->db, op->ns, op->lease, labels, NULL, err);
}

static void publish_image(struct transfer_op *op, const char *name, bool created)
{
	Containerd__Services__Images__V1__ImageCreate ev =
		CONTAINERD__SERVICES__IMAGES__V1__IMAGE_CREATE__INIT;

	ev.name = (char *)name;
	/* ImageUpdate has the same fields and numbers as ImageCreate */
	svc_publish(op->ctx, op->ns, created ? "/images/create" : "/images/update",
		    created ? "containerd.services.images.v1.ImageCreate"
			    : "containerd.services.images.v1.ImageUpdate",
		    &ev.base);
}

static int image_record(struct transfer_op *op, const char *name, const struct reg_desc *target,
			struct berth_err **err)
{
	struct meta_image im = {
		.name = (char *)name,
		.media_type = target->media_type,
		.digest = target->digest,
		.size = target->size,
	};
	char *paths[] = {(char *)"target", NULL};
	cleanup_err struct berth_err *e = NULL;
	cleanup(meta_image_freep) struct meta_image *out = NULL;

	if (meta_image_create(op->ctx->db, op->ns, &im, &e) == 0) {
		publish_image(op, name, true);
		return 0;
	}
	if (e->code != BERTH_E_EXISTS) {
		*err = take_ptr(e);
		return -1;
	}
	if (meta_image_update(op->ctx->db, op->ns, &im, paths, &out, err) < 0)
		return -1;
	publish_image(op, name, false);
	return 0;
}

static void client_opts(struct berthd_components *ctx, const struct reg_ref *ref, const char *user,
			const char *password, bool plain_http, uint32_t timeout, char ***insecure,
			char ***mirrors, struct reg_opts *o)
{
	strv_push(insecure, "localhost");
	strv_push(insecure, "127.0.0.1");
	strv_push(insecure, "::1");
	if (plain_http)
		strv_push(insecure, ref->domain);
	memset(o, 0, sizeof(*o));
	o->insecure = *insecure;
	o->certs_dir = ctx->registry_certs_dir;
	o->config_path = user && *user ? NULL : ctx->registry_auth_file;
	o->username = user;
	o->password = password;
	o->timeout_s = timeout;
	for (size_t i = 0;
	     ctx->registry_mirrors && ctx->registry_mirrors[i] && ctx->registry_mirrors[i + 1];
	     i += 2)
		if (!strcmp(ctx->registry_mirrors[i], ref->domain))
			strv_push(mirrors, ctx->registry_mirrors[i + 1]);
	o->mirrors = *mirrors;
}

static int do_pull(struct transfer_op *op, const TR(PullRequest) * req, TR(Progress) * fin,
		   struct berth_err **err)
{
	cleanup(reg_ref_freep) struct reg_ref *ref = NULL;
	cleanup(reg_client_freep) struct reg_client *c = NULL;
	cleanup(strv_freep) char **insecure = NULL;
	cleanup(strv_freep) char **mirrors = NULL;
	cleanup_free char *name = NULL;
	struct reg_platform pf = {0};
	struct reg_desc target = {0};
	struct reg_opts o;
	struct reg_hooks hooks = {.progress = on_progress,
				  .blob = on_blob,
				  .ingest = on_ingest,
				  .commit = on_commit,
				  .cancelled = on_cancelled,
				  .arg = op};
	int ret;

	if (reg_ref_parse(req->ref, &ref, err) < 0)
		return berth_err_wrap(err, "ref");
	if (reg_platform_parse(req->platform, &pf, err) < 0)
		return berth_err_wrap(err, "platform");
	name = req->name && *req->name ? xstrdup(req->name) : reg_ref_string(ref);
	client_opts(op->ctx, ref, req->username, req->password, req->plain_http,
		    req->timeout_seconds, &insecure, &mirrors, &o);
	c = reg_client_new(&o, err);
	if (!c || lease_open(op, err) < 0) {
		reg_platform_clear(&pf);
		return -1;
	}
	ret = reg_pull(c, op->ctx->content, op->ns, ref, &pf, req->all_platforms, &hooks, &target,
		       err);
	reg_platform_clear(&pf);
	fin->requests = reg_client_requests(c);
	if (ret == 0)
		ret = image_record(op, name, &target, err);
	if (ret == 0) {
		cleanup_err struct berth_err *e = NULL;
		if (meta_lease_delete(op->ctx->db, op->ns, op->lease, &e) < 0)
			log_warn("pull '%s': delete lease '%s': %s", name, op->lease, e->msg);
		fin->image = take_ptr(name);
		fin->target_digest = take_ptr(target.digest);
		fin->target_media_type = take_ptr(target.media_type);
		fin->target_size = target.size;
	}
	reg_desc_clear(&target);
	return ret;
}

/* containerd.io/distribution.source.<host> of the blob's record: where to mount it from */
static char *on_mount_source(void *arg, const char *digest, const char *host)
{
	struct transfer_op *op = arg;
	cleanup(meta_content_freep) struct meta_content *mc = NULL;
	cleanup_err struct berth_err *e = NULL;
	cleanup_free char *key = xasprintf("containerd.io/distribution.source.%s", host);

	if (meta_content_get(op->ctx->db, op->ns, digest, &mc, &e) < 0)
		return NULL;
	for (size_t i = 0; mc->labels && mc->labels[i] && mc->labels[i + 1]; i += 2)
		if (!strcmp(mc->labels[i], key)) {
			/* a comma-separated list in containerd; the first will do */
			return xstrndup(mc->labels[i + 1], strcspn(mc->labels[i + 1], ","));
		}
	return NULL;
}

static int do_push(struct transfer_op *op, const TR(PushRequest) * req, TR(Progress) * fin,
		   struct berth_err **err)
{
	cleanup(reg_ref_freep) struct reg_ref *ref = NULL;
	cleanup(reg_client_freep) struct reg_client *c = NULL;
	cleanup(strv_freep) char **insecure = NULL;
	cleanup(strv_freep) char **mirrors = NULL;
	cleanup(meta_image_freep) struct meta_image *im = NULL;
	struct reg_opts o;
	struct reg_hooks hooks = {.progress = on_progress,
				  .mount_source = on_mount_source,
				  .cancelled = on_cancelled,
				  .arg = op};
	struct reg_desc target;

	if (!req->image || !*req->image)
		return berth_err_new(err, BERTH_E_INVALID, "image: must not be empty");
	if (meta_image_get(op->ctx->db, op->ns, req->image, &im, err) < 0)
		return berth_err_wrap(err, "image '%s'", req->image);
	if (reg_ref_parse(req->ref && *req->ref ? req->ref : req->image, &ref, err) < 0)
		return berth_err_wrap(err, "ref");
	client_opts(op->ctx, ref, req->username, req->password, req->plain_http,
		    req->timeout_seconds, &insecure, &mirrors, &o);
	c = reg_client_new(&o, err);
	if (!c)
		return -1;
	target.media_type = im->media_type;
	target.digest = im->digest;
	target.size = im->size;
	if (reg_push(c, op->ctx->content, &target, ref, &hooks, err) < 0) {
		fin->requests = reg_client_requests(c);
		return -1;
	}
	fin->requests = reg_client_requests(c);
	fin->image = reg_ref_string(ref);
	fin->target_digest = xstrdup(im->digest);
	fin->target_media_type = xstrdup(im->media_type);
	fin->target_size = im->size;
	return 0;
}

/* Frees what do_pull/do_push set (protobuf-c's INIT leaves the shared empty string). */
static void fin_clear(TR(Progress) * fin)
{
	char **fields[] = {&fin->image, &fin->target_digest, &fin->target_media_type};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (*fields[i] != protobuf_c_empty_string)
			free(*fields[i]);
}

static void tr_push(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TR(PushRequest) *req = (const void *)msg;
	TR(Progress) fin = BERTH__SERVICES__TRANSFER__V1__PROGRESS__INIT;
	struct transfer_op op = {.call = call, .ctx = svc_ctx_of(call)};
	cleanup_err struct berth_err *err = NULL;

	op.ns = svc_call_ns(call);
	if (!op.ns)
		return;
	if (do_push(&op, req, &fin, &err) < 0) {
		log_info("push '%s' in '%s': %s", req->image, op.ns, err->msg);
		rpc_stream_finish(call, err);
	} else {
		rpc_stream_push_wait(call, &fin.base);
		rpc_stream_finish(call, NULL);
	}
	fin_clear(&fin);
}

static void tr_pull(struct rpc_call *call, const ProtobufCMessage *msg)
{
	const TR(PullRequest) *req = (const void *)msg;
	TR(Progress) fin = BERTH__SERVICES__TRANSFER__V1__PROGRESS__INIT;
	struct transfer_op op = {.call = call, .ctx = svc_ctx_of(call)};
	cleanup_err struct berth_err *err = NULL;

	op.ns = svc_call_ns(call);
	if (!op.ns)
		return;
	if (do_pull(&op, req, &fin, &err) < 0) {
		log_info("pull '%s' in '%s': %s", req->ref, op.ns, err->msg);
		rpc_stream_finish(call, err);
	} else {
		rpc_stream_push_wait(call, &fin.base);
		rpc_stream_finish(call, NULL);
	}
	fin_clear(&fin);
	free(op.lease);
}

static const struct rpc_method transfer_methods[] = {
	{"Pull", RPC_SERVER_STREAM, tr_pull},
	{"Push", RPC_SERVER_STREAM, tr_push},
};

const struct rpc_service svc_transfer_service = {
	.desc = &berth__services__transfer__v1__transfer__descriptor,
	.methods = transfer_methods,
	.n_methods = sizeof(transfer_methods) / sizeof(transfer_methods[0]),
	.init = svc_init_ctx,
};
