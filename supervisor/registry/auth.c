/*
 * supervisor/registry/auth.c - the client object and registry authentication:
 * anonymous first; on a 401 the challenge says Basic (send the credentials) or Bearer
 * (ask the token server at realm for a token for service+scope, with Basic credentials,
 * or POST an OAuth2 refresh_token when the config holds an identity token). Tokens are
 * cached per (host, scope) for the client's life (one pull or push); a 401 with a cached
 * token answers the new challenge again, which is the refresh.
 */
#include <stdlib.h>
#include <string.h>

#include "common/bjson.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/registry/registry_internal.h"

struct reg_client *reg_client_new(const struct reg_opts *opts, struct berth_err **err)
{
	static const char *const default_insecure[] = {"localhost", "127.0.0.1", "::1", NULL};
	struct reg_client *c;

	if (reg_curl_load(err) < 0)
		return NULL;
	c = xzalloc(sizeof(*c));
	c->config_path = opts->config_path ? xstrdup(opts->config_path) : NULL;
	c->certs_dir = opts->certs_dir ? xstrdup(opts->certs_dir) : NULL;
	c->insecure = strv_dup(opts->insecure ? opts->insecure : (char *const *)default_insecure);
	c->username = opts->username && *opts->username ? xstrdup(opts->username) : NULL;
	c->password = opts->password ? xstrdup(opts->password) : NULL;
	c->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : 30;
	c->parallel = opts->parallel > 0 ? opts->parallel : 3;
	c->max_manifest = opts->max_manifest > 0 ? opts->max_manifest : 4 << 20;
	c->mirrors = strv_dup(opts->mirrors);
	return c;
}

static void tokens_free(struct reg_token *t)
{
	for (struct reg_token *next; t; t = next) {
		next = t->next;
		free(t->host);
		free(t->scope);
		free(t->header);
		free(t);
	}
}

void reg_client_free(struct reg_client *c)
{
	if (!c)
		return;
	tokens_free(c->tokens);
	free(c->config_path);
	free(c->certs_dir);
	strv_free(c->insecure);
	strv_free(c->mirrors);
	free(c->username);
	free(c->password);
	free(c);
}

void reg_client_freep(struct reg_client **c)
{
	reg_client_free(*c);
	*c = NULL;
}

unsigned reg_client_requests(const struct reg_client *c)
{
	return c->requests;
}

const char *reg_auth_header(const struct reg_client *c, const char *host, const char *scope)
{
	for (struct reg_token *t = c->tokens; t; t = t->next)
		if (!strcmp(t->host, host) && !strcmp(t->scope, scope ? scope : ""))
			return t->header;
	return NULL;
}

static void cache(struct reg_client *c, const char *host, const char *scope, char *header)
{
	struct reg_token *t;

	for (t = c->tokens; t; t = t->next)
		if (!strcmp(t->host, host) && !strcmp(t->scope, scope ? scope : ""))
			break;
	if (!t) {
		t = xzalloc(sizeof(*t));
		t->host = xstrdup(host);
		t->scope = xstrdup(scope ? scope : "");
		t->next = c->tokens;
		c->tokens = t;
	}
	free(t->header);
	t->header = header;
}

/* The request's credentials win over the config file's. */
static int credentials(struct reg_client *c, const char *host, struct reg_cred *out,
		       struct berth_err **err)
{
	memset(out, 0, sizeof(*out));
	if (c->username) {
		out->username = xstrdup(c->username);
		out->password = xstrdup(c->password ? c->password : "");
		return 1;
	}
	return reg_creds_lookup(c->config_path, host, out, err);
}

static char *url_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *r = xstrdup(e ? e : "");

	curl_free(e);
	return r;
}

/* GET (or POST for a refresh token) the token endpoint; returns the bearer token. */
static int fetch_token(struct reg_client *c, const char *host, const struct reg_challenge *ch,
		       const char *scope, const struct reg_cred *cred, char **token,
		       struct berth_err **err)
{
	cleanup_free char *svc = url_escape(ch->service ? ch->service : "");
	cleanup_free char *sc = url_escape(scope ? scope : "");
	cleanup_free char *url = NULL, *form = NULL, *basic = NULL, *basic_hdr = NULL;
	cleanup(bjson_freep) struct bjson *doc = NULL;
	cleanup(reg_resp_clear) struct reg_resp resp = {.max = 1 << 20};
	char *extra[3] = {NULL, NULL, NULL};
	const char *tok;

	if (cred->identitytoken) {
		cleanup_free char *rt = url_escape(cred->identitytoken);
		url = xstrdup(ch->realm);
		form = xasprintf(
			"grant_type=refresh_token&refresh_token=%s&service=%s&scope=%s&client_id=berth",
			rt, svc, sc);
		extra[0] = (char *)"Content-Type: application/x-www-form-urlencoded";
	} else {
		url = xasprintf("%s%cservice=%s&scope=%s", ch->realm,
				strchr(ch->realm, '?') ? '&' : '?', svc, sc);
		if (cred->username) {
			basic = reg_basic_value(cred->username, cred->password);
			basic_hdr = xasprintf("Authorization: Basic %s", basic);
			extra[0] = basic_hdr;
		}
	}
	/*
	 * The token server is asked with a client of its own (same TLS and timeouts, no
	 * cached registry headers), so a Basic challenge of its own is answered too.
	 */
	const char *th = strstr(ch->realm, "://") + 3;
	cleanup_free char *thost = xstrndup(th, strcspn(th, "/?"));
	struct reg_client tmp = *c;
	int rc;
	tmp.tokens = NULL;
	rc = reg_request(&tmp, thost, "token", form ? "POST" : "GET", url, extra, form,
			 form ? strlen(form) : 0, &resp, err);
	c->requests = tmp.requests;
	tokens_free(tmp.tokens);
	if (rc < 0) {
		berth_err_wrap(err, "registry '%s': token from '%s'", host, ch->realm);
		return -1;
	}
	if (resp.status == 401 || resp.status == 403) {
		berth_err_new(
			err, BERTH_E_PERMISSION,
			"registry '%s': token server '%s' refused %s for scope '%s': HTTP %ld",
			host, ch->realm, cred->username ? "the credentials" : "anonymous access",
			scope ? scope : "", resp.status);
		return -1;
	}
	if (resp.status != 200) {
		reg_http_error(&resp, err, "registry '%s': token server '%s'", host, ch->realm);
		return -1;
	}
	if (bjson_parse(resp.body ? resp.body : "", resp.len, "token answer", &doc, err) < 0) {
		berth_err_wrap(err, "registry '%s': token server '%s'", host, ch->realm);
		return -1;
	}
	tok = bjson_get_str(doc, "token");
	if (!tok || !*tok)
		tok = bjson_get_str(doc, "access_token");
	if (!tok || !*tok) {
		berth_err_new(err, BERTH_E_INVALID,
			      "registry '%s': token server '%s': answer has no token", host,
			      ch->realm);
		return -1;
	}
	*token = xstrdup(tok);
	return 0;
}

int reg_authorize(struct reg_client *c, const char *host, const char *scope, const char *www_auth,
		  struct berth_err **err)
{
	struct reg_challenge ch;
	struct reg_cred cred;
	cleanup_free char *token = NULL;
	int ret = -1;

	if (reg_challenge_parse(www_auth, &ch, err) < 0)
		return berth_err_wrap(err, "registry '%s'", host);
	if (credentials(c, host, &cred, err) < 0) {
		reg_challenge_clear(&ch);
		return -1;
	}
	if (reg_auth_header(c, host, scope) && !(ch.error && !strcmp(ch.error, "invalid_token")) &&
	    strcmp(ch.scheme, "bearer") != 0) {
		/* the header we sent was refused: no point sending it again */
		berth_err_new(err, BERTH_E_PERMISSION,
			      "registry '%s': credentials for '%s' refused (HTTP 401)", host,
			      cred.username ? cred.username : "");
	} else if (!strcmp(ch.scheme, "basic")) {
		if (!cred.username) {
			berth_err_new(
				err, BERTH_E_PERMISSION,
				"registry '%s': authentication required (Basic) and no credentials given (berthctl login %s)",
				host, host);
		} else {
			cleanup_free char *b = reg_basic_value(cred.username, cred.password);
			cache(c, host, scope, xasprintf("Authorization: Basic %s", b));
			ret = 0;
		}
	} else if (!strcmp(ch.scheme, "bearer")) {
		if (!ch.realm || !strstr(ch.realm, "://"))
			berth_err_new(err, BERTH_E_INVALID,
				      "registry '%s': Bearer challenge without a realm URL: '%s'",
				      host, www_auth);
		else if (fetch_token(c, host, &ch, ch.scope ? ch.scope : scope, &cred, &token,
				     err) == 0) {
			cache(c, host, scope, xasprintf("Authorization: Bearer %s", token));
			ret = 0;
		}
	} else {
		berth_err_new(err, BERTH_E_UNIMPLEMENTED,
			      "registry '%s': unsupported authentication scheme '%s'", host,
			      ch.scheme);
	}
	reg_challenge_clear(&ch);
	reg_cred_clear(&cred);
	return ret;
}

int reg_login_check(struct reg_client *c, const char *host, struct berth_err **err)
{
	cleanup_free char *base = reg_base_url(c, host);
	cleanup_free char *url = xasprintf("%s/v2/", base);
	cleanup(reg_resp_clear) struct reg_resp resp = {.max = 1 << 20};

	if (reg_request(c, host, "", "GET", url, NULL, NULL, 0, &resp, err) < 0)
		return berth_err_wrap(err, "login to '%s'", host);
	if (resp.status != 200)
		return reg_http_error(&resp, err, "login to '%s'", host);
	return 0;
}
