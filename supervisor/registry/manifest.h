/*
 * supervisor/registry/manifest.h - a parsed index or manifest (internal to registry/).
 */
#ifndef BERTH_SUPERVISOR_REGISTRY_MANIFEST_H
#define BERTH_SUPERVISOR_REGISTRY_MANIFEST_H

#include "supervisor/registry/registry.h"

struct reg_client;

struct reg_child {
	struct reg_desc d;
	char *os, *arch, *variant; /* index entries' platform; NULL if absent */
};

struct reg_doc {
	struct reg_desc self; /* its own media type, digest, size */
	char *body;	      /* the bytes, NUL-terminated (self.size long) */
	bool index;
	struct reg_desc config;	    /* manifests only */
	struct reg_child *children; /* index: manifests; manifest: layers */
	size_t n;
};
void reg_doc_free(struct reg_doc *m);
void reg_doc_freep(struct reg_doc **m);
bool reg_mt_is_index(const char *mt);
bool reg_mt_is_manifest(const char *mt);

/* Parses body (media_type from Content-Type, may be NULL); name prefixes errors. */
int reg_doc_parse(const char *body, size_t len, const char *media_type, const char *name,
		  struct reg_doc **out, struct berth_err **err);
/* GET /v2/<path>/manifests/<reference> (tag or digest) with the digest checked. */
int reg_manifest_get(struct reg_client *c, const struct reg_ref *ref, const char *reference,
		     struct reg_doc **out, struct berth_err **err);

#endif
