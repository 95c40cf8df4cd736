/*
 * supervisor/services/snapshots.h - what the Snapshots service (snapshots.c) shares with
 * other services: the snapshotters it opened (the Diff service applies layers into them).
 */
#ifndef BERTH_SUPERVISOR_SERVICES_SNAPSHOTS_H
#define BERTH_SUPERVISOR_SERVICES_SNAPSHOTS_H

#include "supervisor/rpc/server.h"

#define SVC_SNAPSHOTTERS 2 /* overlayfs, native */

struct snapshotter;

/* The snapshotter named name ("overlayfs", "native") if the service loaded it, else NULL.
 * Borrowed: valid while the server runs. */
struct snapshotter *svc_snapshots_get(const char *name);

extern const struct rpc_service svc_snapshots_service;

#endif
