/*
 * supervisor/registry/registry.h - OCI distribution (v1.1) client: references,
 * platforms, credentials, and pull/push of images between a registry and the
 * local content store.
 *
 * The only folder that includes <curl/...> (this header does not). It owns its
 * HTTP handles, its token cache and nothing else: it writes blobs through
 * content/store.h's ingest (size and digest verified before commit) and tells
 * the caller about each blob through hooks, so records, leases and image names
 * stay with the caller (berthd's transfer service).
 *
 * Hosts: "docker.io" is fetched from registry-1.docker.io. Hosts in
 * reg_opts.insecure (default "localhost" and "127.0.0.1", with any port) are
 * spoken to over plain HTTP; every other host over HTTPS with the system CAs plus
 * containerd's <certs_dir>/<host[:port]>/{ca.crt,client.cert,client.key}.
 *
 * Threads: a reg_client may be used by one thread at a time; make one per pull.
 * Every network wait is bounded (reg_opts.timeout_s without progress).
 */
#ifndef BERTH_SUPERVISOR_REGISTRY_REGISTRY_H
#define BERTH_SUPERVISOR_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct content_store;
struct content_ingest;

/* ---- references (ref.c) ---- */
struct reg_ref {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when only a digest was given */
	char *digest; /* NULL unless name@digest */
};
/*
 * Parses name[:tag][@digest] with docker.io defaults: "busybox" ->
 * docker.io/library/busybox:latest. INVALID naming the bad part otherwise.
 */
int reg_ref_parse(const char *s, struct reg_ref **out, struct berth_err **err);
/* "domain/path[:tag][@digest]"; caller frees. */
char *reg_ref_string(const struct reg_ref *ref);
void reg_ref_free(struct reg_ref *ref);
void reg_ref_freep(struct reg_ref **ref);

/* ---- platforms (platform.c) ---- */
struct reg_platform {
	char *os, *arch, *variant; /* variant may be NULL */
};
/* "os/arch[/variant]"; NULL or "" gives linux/amd64. INVALID naming the part otherwise. */
int reg_platform_parse(const char *s, struct reg_platform *out, struct berth_err **err);
void reg_platform_clear(struct reg_platform *p);
/*
 * Whether an index entry's platform fits want: same os and arch (arch aliases
 * normalised: x86_64 = amd64, aarch64 = arm64), and the same variant when want names one
 * (arm64's missing variant counts as v8, arm's as v7).
 */
bool reg_platform_match(const struct reg_platform *want, const char *os, const char *arch,
			const char *variant);

/* ---- WWW-Authenticate (challenge.c) ---- */
struct reg_challenge {
	char *scheme; /* "basic", "bearer" (lower case) */
	char *realm, *service, *scope, *error;
};
/* Parses one challenge: scheme followed by k="v" or k=v pairs. INVALID if malformed. */
int reg_challenge_parse(const char *hdr, struct reg_challenge *out, struct berth_err **err);
void reg_challenge_clear(struct reg_challenge *c);

/* ---- credentials, docker config.json (creds.c) ---- */
struct reg_cred {
	char *username, *password; /* NULL if none */
	char *identitytoken;	   /* OAuth2 refresh token, NULL if none */
};
/*
 * Looks host up in the config's "auths" (keys "host", "https://host", "http://host",
 * "https://index.docker.io/v1/" for docker.io, with or without a path). Returns 1 and
 * fills out if found, 0 if the file or the entry is absent, -1 on a malformed file
 * (INVALID naming the file and the key).
 */
int reg_creds_lookup(const char *config_path, const char *host, struct reg_cred *out,
		     struct berth_err **err);
/* Adds (or replaces) host's entry, as base64 "auth"; writes the file 0600 atomically. */
int reg_creds_store(const char *config_path, const char *host, const char *user,
		    const char *password, struct berth_err **err);
/* Removes host's entry; NOT_FOUND if it has none. */
int reg_creds_remove(const char *config_path, const char *host, struct berth_err **err);
void reg_cred_clear(struct reg_cred *c);
/* The config.json key for host ("https://index.docker.io/v1/" for docker.io); caller frees. */
char *reg_creds_key(const char *host);

/* ---- the client (client.c, http.c, pull.c, push.c) ---- */
struct reg_opts {
	const char *config_path; /* docker config.json for credentials; NULL = none */
	const char *certs_dir;	 /* containerd-style certs.d root; NULL = none */
	char *const *insecure;	 /* hosts spoken to over HTTP; NULL = localhost, 127.0.0.1 */
	const char *username;	 /* credentials given with the request (win over config) */
	const char *password;
	long timeout_s;	      /* abort after this long without progress; 0 = 30 */
	unsigned parallel;    /* blobs fetched at once; 0 = 3 */
	int64_t max_manifest; /* bytes; 0 = 4 MiB */
	char *const *mirrors; /* pull: "http[s]://host[:port]" tried in order before the registry;
			      http:// ones over plain HTTP */
};

struct reg_client;
struct reg_client *reg_client_new(const struct reg_opts *opts, struct berth_err **err);
void reg_client_free(struct reg_client *c);
void reg_client_freep(struct reg_client **c);
/*
 * GET /v2/ on host with the client's credentials (what `docker login` checks): 0 if the
 * registry accepts them, PERMISSION if it refuses, UNAVAILABLE if it cannot be reached.
 */
int reg_login_check(struct reg_client *c, const char *host, struct berth_err **err);
/* HTTP requests sent so far (tests: a second pull sends only the manifest requests). */
unsigned reg_client_requests(const struct reg_client *c);

enum reg_blob_state {
	REG_BLOB_WAITING = 0,
	REG_BLOB_DOWNLOADING,
	REG_BLOB_DONE,	  /* fetched and committed */
	REG_BLOB_EXISTS,  /* already in the store (pull) or the registry (push) */
	REG_BLOB_MOUNTED, /* push: mounted from another repository */
	REG_BLOB_UPLOADING,
};
const char *reg_blob_state_name(enum reg_blob_state st);

struct reg_hooks {
	/* Progress of one blob (any thread that runs the pull; never concurrently). */
	void (*progress)(void *arg, const char *digest, const char *media_type, int64_t done,
			 int64_t total, enum reg_blob_state st);
	/*
	 * A blob is in the store (fetched or already there): the caller records it. labels
	 * (k,v,...,NULL) are containerd's gc.ref labels to children and the distribution
	 * source. Called children first; a non-zero return aborts the pull.
	 */
	int (*blob)(void *arg, const char *digest, int64_t size, const char *media_type,
		    char *const *labels, struct berth_err **err);
	/*
	 * Push, optional: the repository on host the blob came from (containerd's
	 * distribution.source label), to mount it from there instead of uploading; NULL if
	 * none. Caller of the hook frees the result.
	 */
	char *(*mount_source)(void *arg, const char *digest, const char *host);
	/*
	 * Pull, optional: ref is the ingest a blob is about to be written to (before it is
	 * opened), so the caller can lease it: a collection then keeps a partial blob for a
	 * resume.
	 */
	int (*ingest)(void *arg, const char *ref, struct berth_err **err);
	/*
	 * Pull, optional: commits ing, whose bytes were checked against digest and size, the
	 * caller's way (berthd: blob, record and lease in one step under the collector's
	 * hold). EXISTS counts as success. Without it: content_ingest_commit.
	 */
	int (*commit)(void *arg, struct content_ingest *ing, const char *digest, int64_t size,
		      struct berth_err **err);
	/* Optional: polled while waiting; true aborts with BERTH_E_CANCELLED. */
	bool (*cancelled)(void *arg);
	void *arg;
};

struct reg_desc {
	char *media_type, *digest;
	int64_t size;
};
void reg_desc_clear(struct reg_desc *d);

/*
 * Pulls ref (the platform's image out of an index, the whole index kept as the target)
 * into cs under namespace ns (ingest refs "<kind>-<digest>", resumed with Range when a
 * partial one is there). *target gets the root descriptor (index or manifest) that an
 * image record should point at. all_platforms fetches every manifest of an index.
 * With mirrors (reg_opts.mirrors), each is tried first under the same repository path;
 * the first that serves the whole image wins, else the registry itself is asked (its
 * error then also names what each mirror answered). Labels name the registry, not the
 * mirror.
 */
int reg_pull(struct reg_client *c, struct content_store *cs, const char *ns,
	     const struct reg_ref *ref, const struct reg_platform *platform, bool all_platforms,
	     const struct reg_hooks *hooks, struct reg_desc *target, struct berth_err **err);

/*
 * Pushes the image whose root is target (an index or a manifest in cs) to ref: each blob
 * is HEADed; missing ones are mounted from the repository hooks->mount_source names on
 * the same registry, else uploaded (POST, then one PUT up to REG_CHUNK bytes, PATCH
 * chunks of REG_CHUNK beyond); then each manifest by digest, then the root under ref's
 * tag (or digest). Index entries whose manifest is not in cs are skipped (an image pulled
 * for one platform pushes as an index naming only what is here).
 */
int reg_push(struct reg_client *c, struct content_store *cs, const struct reg_desc *target,
	     const struct reg_ref *ref, const struct reg_hooks *hooks, struct berth_err **err);
#define REG_CHUNK (8 << 20)

/* Media types. */
#define REG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define REG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define REG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define REG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define REG_MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define REG_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

#endif
