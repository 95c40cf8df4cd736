/*
 * supervisor/registry/registry_internal.h - what the registry client's files share.
 * Only files of this folder include it (it includes <curl/curl.h>).
 */
#ifndef BERTH_SUPERVISOR_REGISTRY_INTERNAL_H
#define BERTH_SUPERVISOR_REGISTRY_INTERNAL_H

#include "supervisor/registry/curl_dl.h"

#include "supervisor/registry/registry.h"

struct content_ingest;

struct reg_token {
	char *host, *scope;
	char *header; /* "Authorization: Bearer ..." or "Authorization: Basic ..." */
	struct reg_token *next;
};

struct reg_client {
	char *config_path, *certs_dir;
	char **insecure;
	char *username, *password;
	long timeout_s;
	unsigned parallel;
	int64_t max_manifest;
	char **mirrors;
	unsigned requests;
	struct reg_token *tokens;
};

/* One HTTP exchange: what the header callback saw of the last response, and its body. */
struct reg_resp {
	long status;
	char *content_type, *digest, *www_auth, *location, *content_range;
	int64_t content_length; /* -1 if not sent */
	/* body kept in memory (at most max bytes; too_big set beyond) ... */
	char *body;
	size_t len, cap;
	int64_t max;
	bool too_big;
	/* ... or, for blobs, written into an ingest (only for 200/206 answers) */
	struct content_ingest *ing;
	int64_t expect_size; /* the descriptor's size: more is an error */
	int64_t written;
	struct berth_err *werr; /* ingest write failure */
	bool truncate_first;	/* a 200 to a Range request: start over */
	char errbuf[CURL_ERROR_SIZE];
};
void reg_resp_clear(struct reg_resp *r);

/* "https://registry-1.docker.io" / "http://localhost:5000"; caller frees. */
char *reg_base_url(const struct reg_client *c, const char *host);
bool reg_host_is_insecure(const struct reg_client *c, const char *host);

/*
 * A configured easy handle for url (TLS files for host, timeouts, protocols limited to
 * http/https, header and body callbacks into resp). extra: more headers (NULL-terminated,
 * may be NULL). The caller adds method specifics and frees *hdrs with curl_slist_free_all.
 */
CURL *reg_easy_new(struct reg_client *c, const char *host, const char *url, const char *scope,
		   char *const *extra, struct curl_slist **hdrs, struct reg_resp *resp);

/*
 * A whole request with auth: sends the cached Authorization for (host, scope); on a 401
 * answers the challenge (Basic or Bearer token flow) and tries once more. method "GET",
 * "HEAD", "PUT", "POST", "PATCH"; body may be NULL. On return resp holds the final answer
 * (any status); -1 only for transport failures and auth failures (PERMISSION).
 */
int reg_request(struct reg_client *c, const char *host, const char *scope, const char *method,
		const char *url, char *const *extra, const void *body, size_t body_len,
		struct reg_resp *resp, struct berth_err **err);

/* Answers a 401's challenge for (host, scope) and caches the header; PERMISSION if refused. */
int reg_authorize(struct reg_client *c, const char *host, const char *scope, const char *www_auth,
		  struct berth_err **err);
/* The cached Authorization header for (host, scope), or NULL. Borrowed. */
const char *reg_auth_header(const struct reg_client *c, const char *host, const char *scope);

/* An error for a non-2xx answer: "what: HTTP 404 (MANIFEST_UNKNOWN: ...)" with its class. */
int reg_http_error(const struct reg_resp *resp, struct berth_err **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error for a curl failure (timeouts become BERTH_E_TIMEOUT). */
int reg_curl_error(const struct reg_client *c, CURLcode rc, const struct reg_resp *resp,
		   struct berth_err **err, const char *what);

/* Base64 of "user:password" (creds.c). */
char *reg_basic_value(const char *user, const char *password);

#endif
