/*
 * supervisor/services/svc.c - the shared pieces of svc.h/svc_util.h: introspection
 * plugin rows, lease resources, namespace of a call, protobuf-c conversions.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/meta/meta.h"
#include "supervisor/services/plugins.h"
#include "supervisor/services/svc_util.h"

struct svc_plugins *svc_plugins_new(void)
{
	struct svc_plugins *p = xnew(struct svc_plugins);

	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void svc_plugin_register(struct berthd_components *ctx, const char *type, const char *id,
			 char *const *exports)
{
	struct svc_plugins *p = ctx->plugins;

	pthread_mutex_lock(&p->lock);
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n].type = xstrdup(type);
	p->v[p->n].id = xstrdup(id);
	p->v[p->n].exports = strv_dup(exports);
	p->n++;
	pthread_mutex_unlock(&p->lock);
}

void svc_plugins_lock(struct svc_plugins *p)
{
	pthread_mutex_lock(&p->lock);
}

void svc_plugins_unlock(struct svc_plugins *p)
{
	pthread_mutex_unlock(&p->lock);
}

void svc_plugins_free(struct svc_plugins *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].type);
		free(p->v[i].id);
		strv_free(p->v[i].exports);
	}
	free(p->v);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

const char *svc_namespace(struct rpc_call *call, struct berth_err **err)
{
	const char *ns = rpc_call_namespace(call);

	if (!ns) {
		berth_err_new(err, BERTH_E_INVALID,
			      "namespace is required: set gRPC metadata 'containerd-namespace'");
		return NULL;
	}
	if (svc_identifier_check("namespace", ns, err) < 0)
		return NULL;
	return ns;
}

const char *svc_call_ns(struct rpc_call *call)
{
	cleanup_err struct berth_err *err = NULL;
	const char *ns = svc_namespace(call, &err);

	if (!ns)
		rpc_call_fail(call, err);
	return ns;
}

int svc_init_ctx(void *ctx, void **data, struct berth_err **err)
{
	*data = ctx;
	return 0;
}

char **svc_kv_from_pb(size_t n, void *entries)
{
	struct svc_kv_entry **e = entries;
	char **kv = NULL;

	for (size_t i = 0; i < n; i++) {
		strv_push(&kv, e[i]->key ? e[i]->key : "");
		strv_push(&kv, e[i]->value ? e[i]->value : "");
	}
	return kv;
}

void *svc_kv_to_pb(char *const *kv, const ProtobufCMessageDescriptor *entry_desc, size_t *n)
{
	size_t cnt = strv_len(kv) / 2;
	struct svc_kv_entry **v;

	*n = cnt;
	if (cnt == 0)
		return NULL;
	v = xcalloc(cnt, sizeof(*v));
	for (size_t i = 0; i < cnt; i++) {
		v[i] = xmalloc(entry_desc->sizeof_message);
		protobuf_c_message_init(entry_desc, v[i]);
		v[i]->key = kv[2 * i];
		v[i]->value = kv[2 * i + 1];
	}
	return v;
}

void svc_kv_pb_free(void *entries, size_t n)
{
	struct svc_kv_entry **v = entries;

	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

Google__Protobuf__Timestamp *svc_ts(Google__Protobuf__Timestamp *ts, int64_t ns)
{
	google__protobuf__timestamp__init(ts);
	ts->seconds = ns / 1000000000;
	ts->nanos = (int32_t)(ns % 1000000000);
	return ts;
}

int64_t svc_ts_ns(const Google__Protobuf__Timestamp *ts)
{
	return ts ? ts->seconds * 1000000000 + ts->nanos : 0;
}

char **svc_mask_paths(const Google__Protobuf__FieldMask *m)
{
	char **v;

	if (!m || m->n_paths == 0)
		return NULL;
	v = xcalloc(m->n_paths + 1, sizeof(char *));
	for (size_t i = 0; i < m->n_paths; i++)
		v[i] = m->paths[i];
	return v;
}

int svc_labels_check(char *const *kv, struct berth_err **err)
{
	for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
		size_t k = strlen(kv[i]), v = strlen(kv[i + 1]);

		if (k == 0)
			return berth_err_new(err, BERTH_E_INVALID, "labels: empty key");
		if (k + v > 4096)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"labels: label '%.64s': key and value longer than 4096 bytes",
				kv[i]);
	}
	return 0;
}

int svc_identifier_check(const char *what, const char *id, struct berth_err **err)
{
	size_t n = strlen(id);

	if (n == 0)
		return berth_err_new(err, BERTH_E_INVALID, "%s: must not be empty", what);
	if (n > 76)
		return berth_err_new(err, BERTH_E_INVALID, "%s '%.80s': longer than 76 characters",
				     what, id);
	if (!isalnum((unsigned char)id[0]))
		return berth_err_new(err, BERTH_E_INVALID,
				     "%s '%s': must start with a letter or digit", what, id);
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr("_.-", id[i]))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"%s '%s': invalid character '%c' (allowed: A-Z a-z 0-9 _ . -)",
				what, id, id[i]);
	return 0;
}
