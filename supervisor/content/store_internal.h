/*
 * supervisor/content/store_internal.h - shared by store.c and ingest.c only.
 */
#ifndef BERTH_SUPERVISOR_CONTENT_STORE_INTERNAL_H
#define BERTH_SUPERVISOR_CONTENT_STORE_INTERNAL_H

#include "supervisor/content/store.h"

struct content_store {
	char *dir;    /* <root>/content */
	char *blobs;  /* <dir>/blobs/sha256 */
	char *ingest; /* <dir>/ingest */
};

/* ingest.c: removes what a crash left half-made (see content_store_open). Logs, never fails. */
void content_recover(struct content_store *cs);

#endif
