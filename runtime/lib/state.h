/*
 * runtime/lib/state.h - what the runtime remembers about a container.
 *
 * The record lives in <root>/<id>/state.json (written atomically by
 * container.c); this module only converts it to and from JSON, renders the
 * OCI state document (`berth state`, hook stdin) and derives the status.
 * The status is never stored: it is derived each time from facts,
 *   init not running (gone, zombie, or its start time differs) -> stopped
 *   exec fifo still present                                    -> created
 *   cgroup frozen                                              -> paused
 *   otherwise                                                  -> running
 * so a crashed runtime or a recycled pid can not leave a stale status.
 */
#ifndef BERTH_RUNTIME_STATE_H
#define BERTH_RUNTIME_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/bjson.h"
#include "common/err.h"
#include "spec/config.h"

enum rt_status {
	RT_STATUS_CREATING = 0,
	RT_STATUS_CREATED,
	RT_STATUS_RUNNING,
	RT_STATUS_PAUSED,
	RT_STATUS_STOPPED,
};

struct rt_state {
	char *id;
	char *oci_version;  /* of the config */
	pid_t pid;	    /* container init, in the runtime's pid namespace */
	uint64_t pid_start; /* field 22 of /proc/<pid>/stat */
	char *bundle;	    /* absolute */
	char *rootfs;	    /* absolute */
	char *created;	    /* RFC 3339, UTC */
	char *owner;	    /* user name of the creator ("" if unknown) */
	char *cgroups_path; /* linux.cgroupsPath as given, NULL when absent */
	bool systemd_cgroup;
	bool has_process; /* config had a process: start has something to run */
	bool own_pidns;	  /* init is pid 1 of its own pid namespace */
	/* no mount namespace: the rootfs bind (and every mount under it) lives in
	 * the host's mount table until delete detaches it (rootfs.h) */
	bool host_mounts;
	struct oci_kv *annotations;
	size_t n_annotations;
};

/* Container ids: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes. */
int rt_id_validate(const char *id, struct berth_err **err);

const char *rt_status_name(enum rt_status s);
enum rt_status rt_status_derive(bool init_alive, bool fifo_exists, bool frozen);

/* state.json text; caller frees. */
char *rt_state_to_json(const struct rt_state *st);
/* Parses state.json text; name prefixes errors. */
int rt_state_from_json(const char *buf, size_t len, const char *name, struct rt_state **out,
		       struct berth_err **err);

/* The OCI state document: ociVersion, id, status, pid (0 when stopped), bundle,
 * rootfs, created, owner, annotations (omitted when empty), in runc's order. */
struct bjson *rt_state_oci(const struct rt_state *st, enum rt_status status);
char *rt_state_oci_json(const struct rt_state *st, enum rt_status status, int bjson_flags);

/* Copies annotations (kv array) into st. */
void rt_state_set_annotations(struct rt_state *st, const struct oci_kv *kv, size_t n);

void rt_state_free(struct rt_state *st);
void rt_state_freep(struct rt_state **st);

#endif
