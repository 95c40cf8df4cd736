/*
 * common/err.h - the one error type of berth.
 *
 * A function that can fail takes `struct berth_err **err` last, returns -1 (or
 * NULL) and sets *err; on success *err is untouched. Context is added on the
 * way up with berth_err_wrap(), so the message reads outermost first:
 *   "load container 'abc': open 'state.json': No such file or directory".
 * Only main(), the RPC boundaries and the shim's API server print errors.
 */
#ifndef BERTH_COMMON_ERR_H
#define BERTH_COMMON_ERR_H

#include <stdbool.h>

enum berth_err_code {
	BERTH_E_UNKNOWN = 0,
	BERTH_E_INVALID, /* bad input: config, flag, request */
	BERTH_E_NOT_FOUND,
	BERTH_E_EXISTS,
	BERTH_E_PERMISSION,
	BERTH_E_PRECONDITION, /* wrong state: start of a running container */
	BERTH_E_UNIMPLEMENTED,
	BERTH_E_UNAVAILABLE,
	BERTH_E_RESOURCE, /* limits, ENOSPC, EMFILE */
	BERTH_E_INTERNAL,
	BERTH_E_CANCELLED,
	BERTH_E_TIMEOUT,
	BERTH_E_OUT_OF_RANGE, /* past the valid range: a write at another offset than the end */
};

struct berth_err {
	int errnum;		  /* errno of the root cause, 0 if none */
	enum berth_err_code code; /* class; maps to a gRPC status */
	char *msg;		  /* "outer context: ...: root cause" */
};

/* Set *err (if err != NULL) to a new error of class code; returns -1. */
int berth_err_new(struct berth_err **err, enum berth_err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with an errno root cause appended as ": strerror(errnum)"; class from errno. */
int berth_err_sys(struct berth_err **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix *err's message with "context: "; returns -1. No-op if err or *err is NULL. */
int berth_err_wrap(struct berth_err **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Rebuild an error from parts (e.g. received from a container child). */
int berth_err_set(struct berth_err **err, enum berth_err_code code, int errnum, const char *msg);

bool berth_err_is(const struct berth_err *err, int errnum);
enum berth_err_code berth_err_code_from_errno(int errnum);
const char *berth_err_code_name(enum berth_err_code code);

/* Frees *err and sets it to NULL; accepts NULL and *err == NULL. */
void berth_err_free(struct berth_err **err);

#define cleanup_err __attribute__((__cleanup__(berth_err_free)))

#endif
