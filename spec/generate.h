/*
 * spec/generate.h - documents berth writes rather than reads: the default
 * config.json of `berth spec` and the OCI runtime features document of
 * `berth features` (runtime-spec features.md).
 *
 * Both are built with json-c from the same tables the parser validates
 * against, so everything they list is accepted by oci_spec_parse().
 */
#ifndef BERTH_SPEC_GENERATE_H
#define BERTH_SPEC_GENERATE_H

#include <stdbool.h>

#define OCI_SPEC_VERSION "1.1.0"     /* what berth writes and implements */
#define OCI_SPEC_VERSION_MIN "1.0.0" /* oldest config.json berth accepts */

/* The default config.json, shaped like `runc spec` output: args ["sh"],
 * terminal, the default capability set, RLIMIT_NOFILE 1024, the standard
 * mounts, masked and read-only paths and namespaces. rootless: like
 * `runc spec --rootless`, a user namespace mapping the caller's uid and gid
 * to 0, no network namespace, no resources, /sys bind-mounted. Caller frees. */
char *oci_spec_default_json(bool rootless);

/* The features document (ociVersionMin/Max, hooks, mountOptions, linux
 * namespaces, capabilities, cgroup, seccomp, apparmor, selinux, annotations).
 * Caller frees. */
char *oci_features_json(void);

#endif
