/*
 * supervisor/cni/cni_internal.h - what the files of supervisor/cni/ share.
 */
#ifndef BERTH_SUPERVISOR_CNI_CNI_INTERNAL_H
#define BERTH_SUPERVISOR_CNI_CNI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

bool cni_version_is_supported(const char *v);

/* One plugin call (cni_exec.c). All borrowed. */
struct cni_exec {
	const char *type;	     /* plugin name, for errors and the lookup */
	const char *command;	     /* ADD, CHECK, DEL */
	const char *const *bin_dirs; /* searched in order */
	char *const *env;	     /* CNI_* variables (NAME=VALUE); PATH etc. are added */
	const char *input;	     /* the network config on stdin */
	int timeout_ms;
};

/* The full path of plugin type in bin_dirs (caller frees), NOT_FOUND if none has it. */
char *cni_plugin_find(const char *type, const char *const *bin_dirs, struct berth_err **err);

/*
 * Runs the plugin, feeds input, collects stdout (at most CNI_MAX_DOC). On exit 0 *out is
 * stdout (NUL-terminated, caller frees). Otherwise the error carries the plugin's
 * {code, msg, details}, or its exit status and stderr; BERTH_E_TIMEOUT when it was killed
 * at the timeout (with its process group).
 */
int cni_exec_run(const struct cni_exec *x, char **out, size_t *len, struct berth_err **err);

/* Builds the plugin error message from the plugin's stdout / stderr (for unit tests too). */
char *cni_exec_error_text(const char *out, size_t outlen, const char *errout, int status);

#endif
