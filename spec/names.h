/*
 * spec/names.h - the symbolic names of config.json and their numbers:
 * rlimits, scheduler policies and flags, I/O priority classes, personality
 * domains, seccomp actions, operators, architectures and filter flags.
 *
 * Lookups return -1 (or false) for an unknown name. The tables are also what
 * `berth features` reports, so they list exactly what berth accepts.
 */
#ifndef BERTH_SPEC_NAMES_H
#define BERTH_SPEC_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oci_name {
	const char *name;
	int64_t value;
};

extern const struct oci_name oci_rlimit_names[];
extern const struct oci_name oci_sched_policy_names[];
extern const struct oci_name oci_sched_flag_names[];
extern const struct oci_name oci_ioprio_class_names[];
extern const struct oci_name oci_personality_domain_names[];
extern const struct oci_name oci_seccomp_action_names[]; /* value without errno/trace data */
extern const struct oci_name oci_seccomp_op_names[];
extern const struct oci_name oci_seccomp_arch_names[]; /* value: SCMP_ARCH_* */
extern const struct oci_name oci_seccomp_flag_names[]; /* value: SECCOMP_FILTER_FLAG_* */

/* Tables end with a { NULL, 0 } entry. */
int64_t oci_name_lookup(const struct oci_name *table, const char *name); /* -1 if unknown */
const char *oci_name_of(const struct oci_name *table, int64_t value);	 /* NULL if unknown */

/* The SCMP_ACT_* value of an action name; errno_ret is used by ERRNO and TRACE. */
bool oci_seccomp_action_num(const char *name, unsigned errno_ret, uint32_t *out);
/* Whether the action takes errnoRet (SCMP_ACT_ERRNO, SCMP_ACT_TRACE). */
bool oci_seccomp_action_takes_errno(const char *name);

#endif
