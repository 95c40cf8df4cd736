/*
 * supervisor/registry/curl_dl.h - libcurl, loaded with dlopen on the first registry
 * client instead of linked: linking it made ld.so map libcurl and its ~25 libraries
 * (GSSAPI, LDAP, SSH, RTMP, nghttp2, IDN, ...) into every berthd at start-up, which took
 * idle RSS from 7.1 to 12.5 MB for a feature many daemons never use. The curl_* names
 * below become calls through a table filled by reg_curl_load(). Include this instead of
 * <curl/curl.h>; only registry/ does.
 */
#ifndef BERTH_SUPERVISOR_REGISTRY_CURL_DL_H
#define BERTH_SUPERVISOR_REGISTRY_CURL_DL_H

/* curl's type-checking macros would wrap our wrappers */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "common/err.h"

struct reg_curl_api {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	const char *(*easy_strerror)(CURLcode);
	char *(*easy_escape)(CURL *, const char *, int);
	void (*free)(void *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
};

/* The table, loaded once (thread-safe). UNAVAILABLE naming libcurl.so.4 if it is missing. */
int reg_curl_load(struct berth_err **err);
/* Only after a successful reg_curl_load(). */
extern struct reg_curl_api reg_curl;

/* curl.h's own no-op wrappers of these two go first */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_init reg_curl.easy_init
#define curl_easy_setopt reg_curl.easy_setopt
#define curl_easy_perform reg_curl.easy_perform
#define curl_easy_cleanup reg_curl.easy_cleanup
#define curl_easy_getinfo reg_curl.easy_getinfo
#define curl_easy_strerror reg_curl.easy_strerror
#define curl_easy_escape reg_curl.easy_escape
#define curl_free reg_curl.free
#define curl_slist_append reg_curl.slist_append
#define curl_slist_free_all reg_curl.slist_free_all
#define curl_multi_init reg_curl.multi_init
#define curl_multi_add_handle reg_curl.multi_add_handle
#define curl_multi_remove_handle reg_curl.multi_remove_handle
#define curl_multi_perform reg_curl.multi_perform
#define curl_multi_info_read reg_curl.multi_info_read
#define curl_multi_poll reg_curl.multi_poll
#define curl_multi_cleanup reg_curl.multi_cleanup

#endif
