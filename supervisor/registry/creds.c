/*
 * supervisor/registry/creds.c - credentials in a docker-style config.json:
 *   {"auths": {"<host>": {"auth": base64("user:password"), "identitytoken": "..."}}}
 * (also "username"/"password" members, which docker accepts too). Keys may carry a
 * scheme and a path ("https://index.docker.io/v1/"); docker.io is looked up under
 * "https://index.docker.io/v1/", "index.docker.io" and "docker.io". Credential helpers
 * (credsStore) are not run. Writes keep every other member of the file as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/xalloc.h"
#include "supervisor/registry/registry_internal.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *in, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*o++ = b64chars[(v >> 18) & 63];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		*o++ = i + 2 < n ? b64chars[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

/* Decodes standard base64 (padding optional); NULL if invalid. */
static char *b64_decode(const char *in)
{
	size_t n = strlen(in);
	char *out = xmalloc(n + 1), *o = out;
	unsigned v = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p;
		if (in[i] == '=')
			break;
		p = strchr(b64chars, in[i]);
		if (!p || !in[i]) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(p - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (char)((v >> bits) & 0xff);
		}
	}
	*o = '\0';
	return out;
}

void reg_cred_clear(struct reg_cred *c)
{
	free(c->username);
	free(c->password);
	free(c->identitytoken);
	memset(c, 0, sizeof(*c));
}

char *reg_creds_key(const char *host)
{
	if (!strcmp(host, "docker.io"))
		return xstrdup("https://index.docker.io/v1/");
	return xstrdup(host);
}

/* "https://host:5000/v1/" -> "host:5000" */
static char *key_host(const char *key)
{
	const char *p = strstr(key, "://");
	const char *start = p ? p + 3 : key;
	size_t n = strcspn(start, "/");

	return xstrndup(start, n);
}

static bool key_matches(const char *key, const char *host)
{
	cleanup_free char *h = key_host(key);

	if (!strcmp(h, host))
		return true;
	if (!strcmp(host, "docker.io"))
		return !strcmp(h, "index.docker.io") || !strcmp(h, "registry-1.docker.io");
	return false;
}

struct find {
	const char *host;
	const char *key;
	const struct bjson *entry;
};

static int find_entry(const char *key, const struct bjson *val, void *arg)
{
	struct find *f = arg;

	if (!key_matches(key, f->host))
		return 0;
	f->key = key;
	f->entry = val;
	return 1;
}

static int entry_read(const char *path, const char *key, const struct bjson *e,
		      struct reg_cred *out, struct berth_err **err)
{
	const char *auth = bjson_get_str(e, "auth");
	const char *tok = bjson_get_str(e, "identitytoken");

	if (!bjson_is_object(e))
		return berth_err_new(err, BERTH_E_INVALID, "'%s': auths.\"%s\": not an object",
				     path, key);
	memset(out, 0, sizeof(*out));
	if (auth && *auth) {
		cleanup_free char *dec = b64_decode(auth);
		char *colon = dec ? strchr(dec, ':') : NULL;
		if (!colon)
			return berth_err_new(
				err, BERTH_E_INVALID,
				"'%s': auths.\"%s\".auth: not base64 of 'user:password'", path,
				key);
		out->username = xstrndup(dec, (size_t)(colon - dec));
		out->password = xstrdup(colon + 1);
	} else if (bjson_get_str(e, "username")) {
		out->username = xstrdup(bjson_get_str(e, "username"));
		const char *pw = bjson_get_str(e, "password");
		out->password = xstrdup(pw ? pw : "");
	}
	if (tok && *tok)
		out->identitytoken = xstrdup(tok);
	return 0;
}

static int config_load(const char *path, struct bjson **out, bool *absent, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	size_t len;
	cleanup_err struct berth_err *e = NULL;

	*absent = false;
	if (fs_read_file(AT_FDCWD, path, &buf, &len, &e) < 0) {
		if (berth_err_is(e, ENOENT)) {
			*absent = true;
			*out = bjson_object_new();
			return 0;
		}
		*err = take_ptr(e);
		return -1;
	}
	if (bjson_parse(buf, len, path, out, err) < 0)
		return -1;
	if (!bjson_is_object(*out)) {
		bjson_free(*out);
		*out = NULL;
		return berth_err_new(err, BERTH_E_INVALID, "'%s': not a JSON object", path);
	}
	return 0;
}

int reg_creds_lookup(const char *config_path, const char *host, struct reg_cred *out,
		     struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;
	const struct bjson *auths;
	struct find f = {.host = host};
	bool absent;

	memset(out, 0, sizeof(*out));
	if (!config_path)
		return 0;
	if (config_load(config_path, &doc, &absent, err) < 0)
		return -1;
	auths = bjson_get(doc, "auths");
	if (!auths)
		return 0;
	if (!bjson_is_object(auths))
		return berth_err_new(err, BERTH_E_INVALID, "'%s': auths: not an object",
				     config_path);
	bjson_object_foreach(auths, find_entry, &f);
	if (!f.entry)
		return 0;
	if (entry_read(config_path, f.key, f.entry, out, err) < 0)
		return -1;
	return 1;
}

/* Copies v (a deep copy through text: bjson has no clone). */
static struct bjson *copy_value(const struct bjson *v)
{
	cleanup_free char *s = bjson_to_string(v, BJSON_PLAIN);
	struct bjson *c = NULL;
	cleanup_err struct berth_err *e = NULL;

	if (bjson_parse(s, strlen(s), "copy", &c, &e) < 0)
		return NULL;
	return c;
}

struct rebuild {
	const char *host; /* entries for host are dropped */
	struct bjson *dst;
	bool dropped;
};

static int copy_member(const char *key, const struct bjson *val, void *arg)
{
	struct rebuild *r = arg;
	struct bjson *c;

	if (r->host && key_matches(key, r->host)) {
		r->dropped = true;
		return 0;
	}
	c = copy_value(val);
	if (c)
		bjson_set_take(r->dst, key, c);
	return 0;
}

static int config_write(const char *config_path, struct bjson *doc, struct berth_err **err)
{
	cleanup_free char *text = bjson_to_string(doc, BJSON_PRETTY);
	cleanup_free char *dir = xstrdup(config_path);
	cleanup_free char *base = xstrdup(config_path);
	cleanup_close int dfd = -1;

	if (fs_mkdir_p(dirname(dir), 0700, err) < 0)
		return berth_err_wrap(err, "write '%s'", config_path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berth_err_sys(err, errno, "open '%s'", dir);
	return fs_write_atomic(dfd, basename(base), text, strlen(text), 0600, err);
}

/* Rebuilds the document without host's entries, then lets fn add to the new auths. */
static int config_edit(const char *config_path, const char *host, const char *add_auth,
		       struct berth_err **err)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;
	cleanup(bjson_freep) struct bjson *out = bjson_object_new();
	struct bjson *auths_out = bjson_object_new();
	const struct bjson *auths;
	struct rebuild top = {.dst = out}, ar = {.host = host, .dst = auths_out};
	bool absent;

	if (config_load(config_path, &doc, &absent, err) < 0) {
		bjson_free(auths_out);
		return -1;
	}
	bjson_object_foreach(doc, copy_member, &top);
	auths = bjson_get(doc, "auths");
	if (auths && bjson_is_object(auths))
		bjson_object_foreach(auths, copy_member, &ar);
	if (!add_auth && !ar.dropped) {
		bjson_free(auths_out);
		return berth_err_new(err, BERTH_E_NOT_FOUND, "'%s': not logged in to '%s'",
				     config_path, host);
	}
	if (add_auth) {
		struct bjson *e = bjson_object_new();
		cleanup_free char *key = reg_creds_key(host);
		bjson_set_str(e, "auth", add_auth);
		bjson_set_take(auths_out, key, e);
	}
	bjson_set_take(out, "auths", auths_out);
	return config_write(config_path, out, err);
}

int reg_creds_store(const char *config_path, const char *host, const char *user,
		    const char *password, struct berth_err **err)
{
	cleanup_free char *plain = NULL, *enc = NULL;

	if (!user || !*user || strchr(user, ':'))
		return berth_err_new(err, BERTH_E_INVALID, "username '%s': empty or has a ':'",
				     user ? user : "");
	plain = xasprintf("%s:%s", user, password ? password : "");
	enc = b64_encode((const unsigned char *)plain, strlen(plain));
	return config_edit(config_path, host, enc, err);
}

int reg_creds_remove(const char *config_path, const char *host, struct berth_err **err)
{
	return config_edit(config_path, host, NULL, err);
}

char *reg_basic_value(const char *user, const char *password)
{
	cleanup_free char *plain = xasprintf("%s:%s", user, password ? password : "");

	return b64_encode((const unsigned char *)plain, strlen(plain));
}
