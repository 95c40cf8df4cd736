/*
 * supervisor/ctl/ref.c - image references as docker users type them: validation of a new
 * name (docker's distribution/reference grammar) and lookup of an existing image by the
 * name as stored, its docker-normalized form (busybox -> docker.io/library/busybox:latest),
 * or its IMAGE ID (the config digest, "sha256:" optional, any unique hex prefix).
 */
#include <ctype.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <github.com/containerd/containerd/api/services/images/v1/images.pb-c.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/ctl.h"

#define IM(x) Containerd__Services__Images__V1__##x
#define IM_INIT(x) CONTAINERD__SERVICES__IMAGES__V1__##x##__INIT

/* distribution/reference's grammar (reference/regexp.go), as POSIX extended regex */
#define DOMAIN_COMP "([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
#define DOMAIN DOMAIN_COMP "(\\." DOMAIN_COMP ")*(:[0-9]+)?"
#define PATH_COMP "[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*"
#define NAME "(" DOMAIN "/)?" PATH_COMP "(/" PATH_COMP ")*"
#define TAG "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
#define DIGEST "[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
#define REFERENCE "^" NAME "(:" TAG ")?(@" DIGEST ")?$"

static bool matches(const char *ref)
{
	regex_t re;
	bool ok;

	if (regcomp(&re, REFERENCE, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&re, ref, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

int ctl_ref_validate(const char *ref, struct berth_err **err)
{
	const char *at = strchr(ref, '@');
	size_t name_len = at ? (size_t)(at - ref) : strlen(ref);
	cleanup_free char *lower = xstrdup(ref);

	if (!matches(ref)) {
		for (char *p = lower; *p && *p != ':' && *p != '@'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (matches(lower))
			return berth_err_new(
				err, BERTH_E_INVALID,
				"invalid reference format '%s': repository name must be lowercase",
				ref);
		return berth_err_new(err, BERTH_E_INVALID, "invalid reference format '%s'", ref);
	}
	if (name_len > 255)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"invalid reference format '%s': repository name longer than 255 characters",
			ref);
	return 0;
}

static bool is_id_prefix(const char *s)
{
	if (strncmp(s, "sha256:", 7) == 0)
		s += 7;
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
	return true;
}

static int image_exists(struct ctl *c, const char *name, bool *found, struct berth_err **err)
{
	IM(GetImageRequest) req = IM_INIT(GET_IMAGE_REQUEST);
	ProtobufCMessage *m = NULL;

	req.name = (char *)name;
	*found = false;
	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor, "Get",
			      &req.base, &m, err) < 0) {
		if ((*err)->code != BERTH_E_NOT_FOUND)
			return -1;
		berth_err_free(err);
		return 0;
	}
	*found = true;
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

/* Every image whose config digest starts with the hex prefix: names in *names. */
static int find_by_id(struct ctl *c, const char *ref, char ***names, char **id,
		      struct berth_err **err)
{
	IM(ListImagesRequest) req = IM_INIT(LIST_IMAGES_REQUEST);
	const IM(ListImagesResponse) * resp;
	const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
	ProtobufCMessage *m = NULL;
	size_t len = strlen(hex);

	if (rpc_client_invoke(c->rpc, &containerd__services__images__v1__images__descriptor, "List",
			      &req.base, &m, err) < 0)
		return berth_err_wrap(err, "list images");
	resp = (const void *)m;
	for (size_t i = 0; i < resp->n_images; i++) {
		const IM(Image) *im = resp->images[i];
		cleanup_free char *cfg = NULL;
		cleanup_err struct berth_err *e = NULL;
		int64_t size;

		if (!im->target || ctl_image_resolve(c, im->target->media_type, im->target->digest,
						     &cfg, &size, NULL, &e) < 0)
			continue;
		if (strncmp(cfg, "sha256:", 7) != 0 || strncmp(cfg + 7, hex, len) != 0)
			continue;
		if (*id && strcmp(*id, cfg) != 0) {
			protobuf_c_message_free_unpacked(m, NULL);
			return berth_err_new(err, BERTH_E_INVALID,
					     "image ID '%s' is ambiguous: give more digits", ref);
		}
		if (!*id)
			*id = xstrdup(cfg);
		strv_push(names, im->name);
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

int ctl_image_lookup(struct ctl *c, const char *ref, char **name, size_t *n_names,
		     struct berth_err **err)
{
	cleanup_free char *full = ctl_normalize_ref(ref), *id = NULL;
	cleanup(strv_freep) char **names = NULL;
	bool found = false;

	if (n_names)
		*n_names = 1;
	if (image_exists(c, ref, &found, err) < 0)
		return berth_err_wrap(err, "image '%s'", ref);
	if (found) {
		*name = xstrdup(ref);
		return 0;
	}
	if (!strchr(ref, '@') && image_exists(c, full, &found, err) < 0)
		return berth_err_wrap(err, "image '%s'", ref);
	if (found) {
		*name = take_ptr(full);
		return 0;
	}
	if (is_id_prefix(ref) && find_by_id(c, ref, &names, &id, err) < 0)
		return -1;
	if (!names || !names[0])
		return berth_err_new(err, BERTH_E_NOT_FOUND, "no such image: '%s'", ref);
	*name = xstrdup(names[0]);
	if (n_names)
		*n_names = strv_len(names);
	return 0;
}
