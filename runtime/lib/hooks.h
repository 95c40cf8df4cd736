/*
 * runtime/lib/hooks.h - running OCI hooks (prestart, createRuntime, ...).
 *
 * Each hook is fork+execve of hook.path with hook.args (argv[0] = path when
 * args is absent) and hook.env, or the caller's environ when the hook has no
 * env (runc and crun: the runtime's environment for prestart, createRuntime,
 * poststart, poststop; the container process's for startContainer, whose
 * caller sets environ so), the OCI state JSON on its stdin, its
 * stdout and stderr captured. Hooks of a phase run in order; the first
 * failure stops the phase. The caller decides whether a failure fails the
 * operation (prestart, createRuntime, createContainer, startContainer) or is
 * only a warning (poststart, poststop). Blocks until the hook exits or its
 * timeout passes (then it is SIGKILLed). Safe to call in the container child.
 */
#ifndef BERTH_RUNTIME_HOOKS_H
#define BERTH_RUNTIME_HOOKS_H

#include <stddef.h>

#include "common/err.h"
#include "spec/config.h"

/* phase: "prestart", "poststop", ... (names hooks in errors: "hooks.prestart[1]").
 * Errors: "hooks.prestart[0] '/bin/x': exited with status 2: <output>",
 *         "hooks.poststart[0] '/bin/x': hook '/bin/x' timed out after 3 s". */
int rt_hooks_run(const struct oci_hook *hooks, size_t n, const char *phase, const char *state_json,
		 struct berth_err **err);
/* One hook, hooks.<phase>[idx]; for phases where a failure only warns and the
 * next hooks still run (poststart, poststop). */
int rt_hooks_run_one(const struct oci_hook *hook, const char *phase, size_t idx,
		     const char *state_json, struct berth_err **err);

#endif
