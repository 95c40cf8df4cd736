/*
 * supervisor/registry/http.c - curl easy handles for registry requests: TLS material,
 * bounded waits, header capture, bodies into memory or into an ingest, and error text.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/content/store.h"
#include "supervisor/registry/registry_internal.h"

void reg_resp_clear(struct reg_resp *r)
{
	free(r->content_type);
	free(r->digest);
	free(r->www_auth);
	free(r->location);
	free(r->content_range);
	free(r->body);
	berth_err_free(&r->werr);
	memset(r, 0, sizeof(*r));
}

bool reg_host_is_insecure(const struct reg_client *c, const char *host)
{
	size_t n = strcspn(host, ":");

	strv_foreach (h, c->insecure) {
		if (!strcmp(h, host) || (strlen(h) == n && !strncmp(h, host, n)))
			return true;
	}
	return false;
}

char *reg_base_url(const struct reg_client *c, const char *host)
{
	const char *h = strcmp(host, "docker.io") ? host : "registry-1.docker.io";

	return xasprintf("%s://%s", reg_host_is_insecure(c, host) ? "http" : "https", h);
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);
	const char *v, *end = line + n;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return NULL;
	v = line + k + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return xstrndup(v, (size_t)(end - v));
}

static void keep(char **slot, char *v)
{
	if (!v)
		return;
	free(*slot);
	*slot = v;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *arg)
{
	struct reg_resp *r = arg;
	size_t n = size * nitems;
	char *v;

	if (n >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* a new response (after a redirect or a 100): forget the last one's headers */
		const char *sp = memchr(buf, ' ', n);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		free(r->www_auth);
		free(r->location);
		free(r->content_type);
		free(r->content_range);
		r->www_auth = r->location = r->content_type = r->content_range = NULL;
		r->content_length = -1;
		return n;
	}
	keep(&r->content_type, header_value(buf, n, "Content-Type"));
	keep(&r->digest, header_value(buf, n, "Docker-Content-Digest"));
	keep(&r->location, header_value(buf, n, "Location"));
	keep(&r->content_range, header_value(buf, n, "Content-Range"));
	if (!r->www_auth)
		keep(&r->www_auth, header_value(buf, n, "WWW-Authenticate"));
	v = header_value(buf, n, "Content-Length");
	if (v) {
		r->content_length = strtoll(v, NULL, 10);
		free(v);
	}
	return n;
}

static size_t body_to_memory(struct reg_resp *r, const char *buf, size_t n)
{
	if (r->max > 0 && (int64_t)(r->len + n) > r->max) {
		r->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		r->cap = (r->len + n + 1) * 2;
		r->body = xrealloc(r->body, r->cap);
	}
	memcpy(r->body + r->len, buf, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t on_body(char *buf, size_t size, size_t nitems, void *arg)
{
	struct reg_resp *r = arg;
	size_t n = size * nitems;

	if (!r->ing || (r->status != 200 && r->status != 206)) {
		if (r->ing && r->len > 64 * 1024) /* error text of a blob answer: keep the start */
			return n;
		return body_to_memory(r, buf, n);
	}
	if (r->status == 200 && r->truncate_first) {
		r->truncate_first = false;
		if (content_ingest_truncate(r->ing, 0, &r->werr) < 0)
			return 0;
		r->written = 0;
	}
	if (r->expect_size > 0 && content_ingest_offset(r->ing) + (int64_t)n > r->expect_size) {
		r->too_big = true;
		return 0;
	}
	if (content_ingest_write(r->ing, buf, n, &r->werr) < 0)
		return 0;
	r->written += (int64_t)n;
	return n;
}

/* certs.d/<host>/ca.crt etc., the way containerd's hosts dir names them */
static void set_tls(struct reg_client *c, CURL *h, const char *host)
{
	cleanup_free char *ca = NULL, *cert = NULL, *key = NULL;

	if (!c->certs_dir)
		return;
	ca = xasprintf("%s/%s/ca.crt", c->certs_dir, host);
	cert = xasprintf("%s/%s/client.cert", c->certs_dir, host);
	key = xasprintf("%s/%s/client.key", c->certs_dir, host);
	if (access(ca, R_OK) == 0) {
		/* CAINFO replaces the bundle file; CAPATH keeps the system CAs trusted too */
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
		curl_easy_setopt(h, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	if (access(cert, R_OK) == 0 && access(key, R_OK) == 0) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, key);
	}
}

CURL *reg_easy_new(struct reg_client *c, const char *host, const char *url, const char *scope,
		   char *const *extra, struct curl_slist **hdrs, struct reg_resp *resp)
{
	CURL *h = curl_easy_init();
	const char *auth = reg_auth_header(c, host, scope);

	if (!h)
		abort();
	resp->content_length = -1;
	resp->errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout_s);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->timeout_s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, resp->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/registry");
	set_tls(c, h, host);
	if (auth)
		*hdrs = curl_slist_append(*hdrs, auth);
	strv_foreach (x, extra)
		*hdrs = curl_slist_append(*hdrs, x);
	/* PUT/POST bodies: no "Expect: 100-continue" round trip */
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	c->requests++;
	return h;
}

struct upload {
	const char *buf;
	size_t len, off;
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->buf + u->off, n);
	u->off += n;
	return n;
}

static int perform(struct reg_client *c, const char *host, const char *scope, const char *method,
		   const char *url, char *const *extra, const void *body, size_t body_len,
		   struct reg_resp *resp, struct berth_err **err)
{
	struct curl_slist *hdrs = NULL;
	struct upload up = {.buf = body, .len = body_len};
	CURL *h;
	CURLcode rc;
	int64_t max = resp->max;

	free(resp->body);
	resp->body = NULL;
	resp->len = resp->cap = 0;
	resp->max = max;
	h = reg_easy_new(c, host, url, scope, extra, &hdrs, resp);
	if (!strcmp(method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (!strcmp(method, "PUT") || !strcmp(method, "POST") || !strcmp(method, "PATCH")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK)
		return reg_curl_error(c, rc, resp, err, url);
	return 0;
}

int reg_request(struct reg_client *c, const char *host, const char *scope, const char *method,
		const char *url, char *const *extra, const void *body, size_t body_len,
		struct reg_resp *resp, struct berth_err **err)
{
	if (perform(c, host, scope, method, url, extra, body, body_len, resp, err) < 0)
		return -1;
	if (resp->status != 401 || !resp->www_auth)
		return 0; /* a 401 without a challenge (a token server's refusal): the caller's */
	cleanup_free char *challenge = take_ptr(resp->www_auth);
	if (reg_authorize(c, host, scope, challenge, err) < 0)
		return -1;
	if (perform(c, host, scope, method, url, extra, body, body_len, resp, err) < 0)
		return -1;
	return 0;
}

/* {"errors":[{"code":"X","message":"Y"}]} -> "X: Y"; NULL if the body is not that. */
static char *registry_errors(const struct reg_resp *r)
{
	cleanup(bjson_freep) struct bjson *doc = NULL;
	cleanup_err struct berth_err *e = NULL;
	const struct bjson *errs;
	cleanup(strv_freep) char **parts = NULL;

	if (!r->body || bjson_parse(r->body, r->len, "errors", &doc, &e) < 0)
		return NULL;
	errs = bjson_get(doc, "errors");
	if (!errs || !bjson_is_array(errs) || bjson_array_len(errs) == 0)
		return NULL;
	for (size_t i = 0; i < bjson_array_len(errs); i++) {
		const struct bjson *x = bjson_array_get(errs, i);
		const char *code = bjson_get_str(x, "code"), *msg = bjson_get_str(x, "message");
		strv_push_take(&parts, xasprintf("%s: %s", code ? code : "?", msg ? msg : ""));
	}
	return strv_join(parts, "; ");
}

int reg_http_error(const struct reg_resp *resp, struct berth_err **err, const char *fmt, ...)
{
	cleanup_free char *what = NULL, *detail = registry_errors(resp);
	enum berth_err_code code = BERTH_E_UNKNOWN;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		abort();
	va_end(ap);
	switch (resp->status) {
	case 401:
		code = BERTH_E_PERMISSION;
		break;
	case 403:
		code = BERTH_E_PERMISSION;
		break;
	case 404:
		code = BERTH_E_NOT_FOUND;
		break;
	case 429:
	case 502:
	case 503:
	case 504:
		code = BERTH_E_UNAVAILABLE;
		break;
	default:
		code = resp->status >= 400 && resp->status < 500 ? BERTH_E_INVALID
								 : BERTH_E_UNKNOWN;
	}
	const char *why = resp->status == 401	? " unauthorized"
			  : resp->status == 403 ? " denied"
			  : resp->status == 404 ? " not found"
						: "";
	return berth_err_new(err, code, "%s: HTTP %ld%s%s%s%s", what, resp->status, why,
			     detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
}

int reg_curl_error(const struct reg_client *c, CURLcode rc, const struct reg_resp *resp,
		   struct berth_err **err, const char *what)
{
	const char *detail = resp->errbuf[0] ? resp->errbuf : curl_easy_strerror(rc);

	if (resp->werr)
		return berth_err_new(err, resp->werr->code, "%s: %s", what, resp->werr->msg);
	if (resp->too_big && !resp->ing)
		return berth_err_new(err, BERTH_E_RESOURCE,
				     "%s: answer larger than the %lld-byte limit", what,
				     (long long)resp->max);
	if (resp->too_big)
		return berth_err_new(
			err, BERTH_E_PRECONDITION,
			"%s: the registry sent more than the %lld bytes the descriptor declares",
			what, (long long)resp->expect_size);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return berth_err_new(err, BERTH_E_TIMEOUT,
				     "%s: no progress for %ld s, gave up (%s)", what, c->timeout_s,
				     detail);
	case CURLE_PARTIAL_FILE:
		return berth_err_new(err, BERTH_E_UNAVAILABLE,
				     "%s: truncated: the connection closed before the end (%s)",
				     what, detail);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "%s: %s", what, detail);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "%s: TLS: %s", what, detail);
	default:
		return berth_err_new(err, BERTH_E_UNKNOWN, "%s: %s", what, detail);
	}
}
