/*
 * supervisor/ctl/ctl.h - what berthctl's command files share: the connection, content
 * helpers over the containerd API (read a blob, upload a blob, update labels), image
 * JSON helpers, and output formatting.
 *
 * berthctl talks only gRPC (supervisor/rpc/client.h), so it drives berthd or a real
 * containerd alike. Commands print results to stdout; errors go up as berth_err to
 * main, which prints "berthctl: <message>" once.
 */
#ifndef BERTH_SUPERVISOR_CTL_CTL_H
#define BERTH_SUPERVISOR_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "supervisor/image/image.h"
#include "supervisor/rpc/client.h"

struct bjson;

struct ctl {
	const char *address;
	const char *ns;
	struct rpc_client *rpc;
	char *lease; /* set while a command holds a lease (import) */
	int status;  /* berthctl's exit status when the command succeeded (run, exec) */
};

/*
 * For commands given several names (rm, stop, images rm, ...): prints one name's error
 * as main would ("berthctl: <message>"), frees it and makes berthctl exit 1 at the end,
 * so the other names are still handled (docker does the same).
 */
void ctl_err_print(struct ctl *c, struct berth_err **err);

typedef int (*ctl_cmd_fn)(struct ctl *c, int argc, char **argv, struct berth_err **err);

int ctl_cmd_images(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_content(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_snapshots(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_system(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_run(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_ps(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_exec(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_stop(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_kill(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_start(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_rm(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_inspect(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_wait(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_restart(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_pause(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_unpause(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_top(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_container(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_create(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_push(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_pull(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_login(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_logout(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_attach(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_logs(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_cmd_reap(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_images_import(struct ctl *c, int argc, char **argv, struct berth_err **err);
int ctl_images_export(struct ctl *c, int argc, char **argv, struct berth_err **err);

/* ---- content ---- */
/* Reads a whole blob (at most max bytes) through Content.Read. */
int ctl_blob_read(struct ctl *c, const char *digest, size_t max, char **out, size_t *len,
		  struct berth_err **err);
/* Streams a blob through Content.Read, calling fn for each chunk. */
int ctl_blob_stream(struct ctl *c, const char *digest,
		    int (*fn)(const void *buf, size_t len, void *arg, struct berth_err **err),
		    void *arg, struct berth_err **err);
/* Content.Info: size and labels (k,v,...,NULL; optional). NOT_FOUND if absent. */
int ctl_blob_info(struct ctl *c, const char *digest, int64_t *size, char ***labels,
		  struct berth_err **err);
/* Sets labels (k,v,...) on a blob, each through a "labels.<k>" mask path. */
int ctl_blob_label(struct ctl *c, const char *digest, char *const *kv, struct berth_err **err);

struct ctl_upload;
/* Starts a Content.Write of ref; expected may be NULL (unknown). */
struct ctl_upload *ctl_upload_begin(struct ctl *c, const char *ref, int64_t total,
				    const char *expected, struct berth_err **err);
/* Appends; EXISTS when the namespace already has the expected digest (stop sending). */
int ctl_upload_write(struct ctl_upload *u, const void *buf, size_t len, struct berth_err **err);
/* Commits; *digest (optional) gets the digest. EXISTS is success (the blob is there). */
int ctl_upload_commit(struct ctl_upload *u, const char *expected, char *const *labels,
		      char **digest, struct berth_err **err);
void ctl_upload_free(struct ctl_upload *u);
/* Uploads a buffer as a blob with labels; fine if it exists (labels are then updated). */
int ctl_blob_put(struct ctl *c, const void *buf, size_t len, const char *media_type,
		 char *const *labels, char **digest, struct berth_err **err);

/* ---- leases ---- */
/* Creates a lease (expiring in a day) and sends it with every later call. */
int ctl_lease_begin(struct ctl *c, struct berth_err **err);
/* Deletes it (GC then collects what nothing else references). */
void ctl_lease_end(struct ctl *c);

/* ---- images (the logic is supervisor/image/; store.c reaches it over gRPC) ---- */
/*
 * image_resolve() through berthd: reads the descriptor's blob: for an index, the manifest for this platform (linux and
 * the machine's architecture, else the first). Gives the manifest's config digest and
 * the sum of config + layer sizes; *manifest (optional) the chosen manifest digest.
 */
int ctl_image_resolve(struct ctl *c, const char *media_type, const char *digest, char **config,
		      int64_t *size, char **manifest, struct berth_err **err);
/* docker.io/library/busybox:latest from busybox, etc. (docker's normalization). */
char *ctl_normalize_ref(const char *ref);

/* ---- ref.c ---- */
/* INVALID "invalid reference format 'x'" unless ref follows docker's reference grammar. */
int ctl_ref_validate(const char *ref, struct berth_err **err);
/*
 * The stored name of the image ref names: as given, docker-normalized, or by IMAGE ID
 * (config digest hex prefix, "sha256:" optional). *n_names (optional): how many images
 * have that ID (1 for a name). NOT_FOUND "no such image: 'x'"; INVALID for an ambiguous
 * ID prefix.
 */
int ctl_image_lookup(struct ctl *c, const char *ref, char **name, size_t *n_names,
		     struct berth_err **err);

/* ---- output ---- */
char *ctl_human_size(int64_t bytes);	     /* "1.5MB" (decimal, as docker) */
char *ctl_human_ago(int64_t ns_since_epoch); /* "3 minutes ago" */

#endif
