/*
 * supervisor/core/components.h - berthd's long-lived components, in one struct.
 *
 * berthd's main (supervisor/berthd/main.c) opens every component here, in this order,
 * and closes them in reverse after the RPC server stopped: meta.db, the content store,
 * the event fan-out, the introspection rows, the garbage collector, the snapshotters
 * (registered with the collector), the task manager (its shim events go to the fan-out).
 * The services (supervisor/services/) borrow the struct as their `ctx`: none of them
 * creates a component another one uses, and nothing is found through a global.
 * Every field is set before the first service's init runs and stays valid until the last
 * fini returned.
 */
#ifndef BERTH_SUPERVISOR_CORE_COMPONENTS_H
#define BERTH_SUPERVISOR_CORE_COMPONENTS_H

#include <stddef.h>
#include <stdint.h>

struct meta_db;
struct content_store;
struct snapshotter;
struct tasks_manager;
struct core_events;
struct core_gc;
struct svc_plugins;

#define CORE_SNAPSHOTTERS 2 /* overlayfs, native */

struct core_snapshotter {
	const char *name;      /* "overlayfs", "native" */
	struct snapshotter *s; /* NULL when that driver could not be loaded */
};

struct berthd_components {
	const char *root;	     /* --root: persistent state (content/, snapshots/, meta.db) */
	const char *state;	     /* --state: runtime state (sockets, bundles) */
	const char *address;	     /* the gRPC socket path */
	int64_t unpack_limit;	     /* Diff.Apply: uncompressed bytes per layer, 0 = none */
	const char *shim_socket_dir; /* shims' sockets: <dir>/<sha256 hex> (short, fixed) */
	struct meta_db *db;	     /* supervisor/meta/meta.h */
	struct content_store *content;			  /* supervisor/content/store.h */
	struct core_events *events;			  /* events fan-out, core/events.h */
	struct core_gc *gc;				  /* garbage collector, see core_gc_*() */
	struct svc_plugins *plugins;			  /* introspection rows */
	struct core_snapshotter snaps[CORE_SNAPSHOTTERS]; /* supervisor/snapshot/snapshot.h */
	struct tasks_manager *tasks;			  /* supervisor/tasks/tasks.h */
	/* registry client settings (transfer service), from berthd.json; NULL = none */
	const char *registry_certs_dir; /* <dir>/<host[:port]>/{ca.crt,client.cert,client.key} */
	const char *registry_auth_file; /* docker-style config.json used when a request has none */
	char *const *registry_mirrors;	/* host, mirror URL, ..., NULL: pulls try mirrors first */
};

/* The loaded snapshotter called name (NULL or "": "overlayfs"), or NULL. Borrowed. */
struct snapshotter *core_snapshotter_get(const struct berthd_components *c, const char *name);

#endif
