/*
 * supervisor/berthd/config.c - defaults and the JSON config file (see config.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/bjson.h"
#include "common/strv.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/berthd/config.h"

void berthd_config_defaults(struct berthd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->root = xstrdup("/var/lib/berth");
	c->state = xstrdup("/run/berthd");
	c->address = xstrdup("/run/berthd/berthd.sock");
	c->shim_socket_dir = xstrdup("/run/berthd/s");
	c->log_level = LOG_LEVEL_INFO;
	c->gc_interval = 300;
	c->workers = 4;
	c->unpack_limit = BERTHD_DEFAULT_UNPACK_LIMIT;
	c->registry_certs_dir = xstrdup("/etc/berth/certs.d");
}

void berthd_config_clear(struct berthd_config *c)
{
	free(c->root);
	free(c->state);
	free(c->address);
	free(c->shim_socket_dir);
	free(c->registry_certs_dir);
	free(c->registry_auth_file);
	strv_free(c->registry_mirrors);
	memset(c, 0, sizeof(*c));
}

int berthd_config_check(const struct berthd_config *c, struct berth_err **err)
{
	if (strlen(c->shim_socket_dir) > BERTHD_SHIM_SOCKET_DIR_MAX)
		return berth_err_new(err, BERTH_E_INVALID,
				     "shim_socket_dir '%s': longer than %d bytes (a shim socket is "
				     "<dir>/<64 hex digits> and a unix socket path holds 107)",
				     c->shim_socket_dir, BERTHD_SHIM_SOCKET_DIR_MAX);
	return 0;
}

int berthd_parse_log_level(const char *s, enum log_level *out, struct berth_err **err)
{
	if (strcmp(s, "error") == 0)
		*out = LOG_LEVEL_ERROR;
	else if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0)
		*out = LOG_LEVEL_WARN;
	else if (strcmp(s, "info") == 0)
		*out = LOG_LEVEL_INFO;
	else if (strcmp(s, "debug") == 0)
		*out = LOG_LEVEL_DEBUG;
	else
		return berth_err_new(err, BERTH_E_INVALID,
				     "log level '%s': want error, warn, info or debug", s);
	return 0;
}

int berthd_parse_size(const char *what, const char *s, int64_t *out, struct berth_err **err)
{
	static const char units[] = "KMGT";
	char *end;
	long long n;
	const char *u;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || n < 0)
		goto bad;
	if (*end) {
		u = end[1] == '\0' ? strchr(units, end[0] & ~0x20) : NULL;
		if (!u || !*u)
			goto bad;
		for (const char *p = units; p <= u; p++) {
			if (n > INT64_MAX / 1024)
				goto bad;
			n *= 1024;
		}
	}
	*out = n;
	return 0;
bad:
	return berth_err_new(err, BERTH_E_INVALID,
			     "%s '%s': want a number of bytes, optionally with K, M, G or T", what,
			     s);
}

struct load {
	struct berthd_config *c;
	const char *path;
	struct berth_err **err;
};

static int set_path(struct load *l, const char *key, const struct bjson *v, char **dst)
{
	const char *s = bjson_str(v);

	if (!s || s[0] != '/')
		return berth_err_new(l->err, BERTH_E_INVALID, "%s: %s: want an absolute path",
				     l->path, key);
	free(*dst);
	*dst = xstrdup(s);
	return 0;
}

static int set_uint(struct load *l, const char *key, const struct bjson *obj, unsigned max,
		    unsigned *dst)
{
	int64_t n;

	if (!bjson_get_int(obj, key, &n) || n < 0 || n > max)
		return berth_err_new(l->err, BERTH_E_INVALID, "%s: %s: want an integer 0..%u",
				     l->path, key, max);
	*dst = (unsigned)n;
	return 0;
}

struct mirrors_ctx {
	struct load *l;
	char ***out;
};

/* "registry_mirrors": {"docker.io": ["http://127.0.0.1:5000", ...], ...} -> host,url,... */
static int mirror_member(const char *host, const struct bjson *urls, void *arg)
{
	struct mirrors_ctx *m = arg;

	if (!bjson_is_array(urls))
		return berth_err_new(m->l->err, BERTH_E_INVALID,
				     "%s: registry_mirrors.%s: want an array of URLs", m->l->path,
				     host) < 0;
	for (size_t i = 0; i < bjson_array_len(urls); i++) {
		const char *u = bjson_str(bjson_array_get(urls, i));
		if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) ||
		    !u[strcspn(u, ":") + 3]) {
			berth_err_new(
				m->l->err, BERTH_E_INVALID,
				"%s: registry_mirrors.%s[%zu]: want an http:// or https:// URL",
				m->l->path, host, i);
			return 1;
		}
		strv_push(m->out, host);
		strv_push(m->out, u);
	}
	return 0;
}

static int set_mirrors(struct load *l, const struct bjson *v)
{
	struct mirrors_ctx m = {.l = l, .out = &l->c->registry_mirrors};

	if (!bjson_is_object(v))
		return berth_err_new(l->err, BERTH_E_INVALID,
				     "%s: registry_mirrors: want an object of host: [URL...]",
				     l->path);
	strv_free(l->c->registry_mirrors);
	l->c->registry_mirrors = NULL;
	return bjson_object_foreach(v, mirror_member, &m) ? -1 : 0;
}

/* Called per member; the parent object is needed for bjson_get_int. */
struct member_ctx {
	struct load *l;
	const struct bjson *obj;
};

static int member(const char *key, const struct bjson *val, void *arg)
{
	struct member_ctx *m = arg;
	struct load *l = m->l;

	if (strcmp(key, "root") == 0)
		return set_path(l, key, val, &l->c->root) ? 1 : 0;
	if (strcmp(key, "state") == 0)
		return set_path(l, key, val, &l->c->state) ? 1 : 0;
	if (strcmp(key, "address") == 0)
		return set_path(l, key, val, &l->c->address) ? 1 : 0;
	if (strcmp(key, "shim_socket_dir") == 0)
		return set_path(l, key, val, &l->c->shim_socket_dir) ? 1 : 0;
	if (strcmp(key, "registry_certs_dir") == 0)
		return set_path(l, key, val, &l->c->registry_certs_dir) ? 1 : 0;
	if (strcmp(key, "registry_auth_file") == 0)
		return set_path(l, key, val, &l->c->registry_auth_file) ? 1 : 0;
	if (strcmp(key, "registry_mirrors") == 0)
		return set_mirrors(l, val) ? 1 : 0;
	if (strcmp(key, "gc_interval") == 0)
		return set_uint(l, key, m->obj, 86400 * 7, &l->c->gc_interval) ? 1 : 0;
	if (strcmp(key, "unpack_limit") == 0) {
		int64_t n;

		if (!bjson_get_int(m->obj, key, &n) || n < 0) {
			berth_err_new(l->err, BERTH_E_INVALID,
				      "%s: unpack_limit: want a number of bytes >= 0", l->path);
			return 1;
		}
		l->c->unpack_limit = n;
		return 0;
	}
	if (strcmp(key, "workers") == 0)
		return set_uint(l, key, m->obj, 256, &l->c->workers) ? 1 : 0;
	if (strcmp(key, "log_level") == 0) {
		const char *s = bjson_str(val);

		if (!s) {
			berth_err_new(l->err, BERTH_E_INVALID, "%s: log_level: want a string",
				      l->path);
			return 1;
		}
		if (berthd_parse_log_level(s, &l->c->log_level, l->err) < 0) {
			berth_err_wrap(l->err, "%s: log_level", l->path);
			return 1;
		}
		return 0;
	}
	berth_err_new(l->err, BERTH_E_INVALID, "%s: unknown key '%s'", l->path, key);
	return 1;
}

int berthd_config_load(struct berthd_config *c, const char *path, bool required,
		       struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	cleanup(bjson_freep) struct bjson *doc = NULL;
	struct berth_err *rerr = NULL;
	struct load l = {c, path, err};
	struct member_ctx m = {&l, NULL};
	size_t len;

	if (fs_read_file(AT_FDCWD, path, &buf, &len, &rerr) < 0) {
		if (!required && berth_err_is(rerr, ENOENT)) {
			berth_err_free(&rerr);
			return 0;
		}
		berth_err_set(err, rerr->code, rerr->errnum, rerr->msg);
		berth_err_free(&rerr);
		return berth_err_wrap(err, "config");
	}
	if (bjson_parse(buf, len, path, &doc, err) < 0)
		return -1;
	if (!bjson_is_object(doc))
		return berth_err_new(err, BERTH_E_INVALID, "%s: want a JSON object", path);
	m.obj = doc;
	if (bjson_object_foreach(doc, member, &m) != 0)
		return -1;
	return 0;
}
