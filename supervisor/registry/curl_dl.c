/*
 * supervisor/registry/curl_dl.c - loads libcurl.so.4 on first use (see curl_dl.h).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "common/xalloc.h"
#include "supervisor/registry/curl_dl.h"

/* the real names, not the macros of curl_dl.h */
#undef curl_easy_init
#undef curl_free

struct reg_curl_api reg_curl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *load_error; /* set once by load(), read after pthread_once */

static void load(void)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
		{"curl_easy_init", offsetof(struct reg_curl_api, easy_init)},
		{"curl_easy_setopt", offsetof(struct reg_curl_api, easy_setopt)},
		{"curl_easy_perform", offsetof(struct reg_curl_api, easy_perform)},
		{"curl_easy_cleanup", offsetof(struct reg_curl_api, easy_cleanup)},
		{"curl_easy_getinfo", offsetof(struct reg_curl_api, easy_getinfo)},
		{"curl_easy_strerror", offsetof(struct reg_curl_api, easy_strerror)},
		{"curl_easy_escape", offsetof(struct reg_curl_api, easy_escape)},
		{"curl_free", offsetof(struct reg_curl_api, free)},
		{"curl_slist_append", offsetof(struct reg_curl_api, slist_append)},
		{"curl_slist_free_all", offsetof(struct reg_curl_api, slist_free_all)},
		{"curl_multi_init", offsetof(struct reg_curl_api, multi_init)},
		{"curl_multi_add_handle", offsetof(struct reg_curl_api, multi_add_handle)},
		{"curl_multi_remove_handle", offsetof(struct reg_curl_api, multi_remove_handle)},
		{"curl_multi_perform", offsetof(struct reg_curl_api, multi_perform)},
		{"curl_multi_info_read", offsetof(struct reg_curl_api, multi_info_read)},
		{"curl_multi_poll", offsetof(struct reg_curl_api, multi_poll)},
		{"curl_multi_cleanup", offsetof(struct reg_curl_api, multi_cleanup)},
	};
	CURLcode (*global_init)(long);
	struct reg_curl_api api;
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		load_error =
			xasprintf("load 'libcurl.so.4' (Debian package libcurl4): %s", dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			load_error = xasprintf("libcurl.so.4: no symbol '%s'", syms[i].name);
			return;
		}
		memcpy((char *)&api + syms[i].off, &f, sizeof(f));
	}
	/* curl_global_init is not thread-safe in 7.88: run it here, once */
	global_init = (CURLcode(*)(long))dlsym(h, "curl_global_init");
	if (!global_init || global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		load_error = xstrdup("libcurl.so.4: curl_global_init failed");
		return;
	}
	reg_curl = api;
}

int reg_curl_load(struct berth_err **err)
{
	pthread_once(&once, load);
	if (load_error)
		return berth_err_new(err, BERTH_E_UNAVAILABLE, "%s", load_error);
	return 0;
}
