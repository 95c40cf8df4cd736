/* common/err.c - see err.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/xalloc.h"

enum berth_err_code berth_err_code_from_errno(int errnum)
{
	switch (errnum) {
	case 0:
		return BERTH_E_UNKNOWN;
	case ENOENT:
	case ESRCH:
		return BERTH_E_NOT_FOUND;
	case EEXIST:
		return BERTH_E_EXISTS;
	case EINVAL:
	case ENAMETOOLONG:
	case ENOTDIR:
	case EISDIR:
		return BERTH_E_INVALID;
	case EPERM:
	case EACCES:
		return BERTH_E_PERMISSION;
	case ENOSYS:
	case EOPNOTSUPP:
		return BERTH_E_UNIMPLEMENTED;
	case EBUSY:
	case EAGAIN:
		return BERTH_E_UNAVAILABLE;
	case ENOSPC:
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		return BERTH_E_RESOURCE;
	case ETIMEDOUT:
		return BERTH_E_TIMEOUT;
	case ECANCELED:
		return BERTH_E_CANCELLED;
	default:
		return BERTH_E_INTERNAL;
	}
}

const char *berth_err_code_name(enum berth_err_code code)
{
	static const char *const names[] = {
		[BERTH_E_UNKNOWN] = "unknown",
		[BERTH_E_INVALID] = "invalid",
		[BERTH_E_NOT_FOUND] = "not found",
		[BERTH_E_EXISTS] = "exists",
		[BERTH_E_PERMISSION] = "permission denied",
		[BERTH_E_PRECONDITION] = "failed precondition",
		[BERTH_E_UNIMPLEMENTED] = "unimplemented",
		[BERTH_E_UNAVAILABLE] = "unavailable",
		[BERTH_E_RESOURCE] = "resource exhausted",
		[BERTH_E_INTERNAL] = "internal",
		[BERTH_E_CANCELLED] = "cancelled",
		[BERTH_E_TIMEOUT] = "timeout",
		[BERTH_E_OUT_OF_RANGE] = "out of range",
	};
	if ((unsigned)code >= sizeof(names) / sizeof(names[0]) || !names[code])
		return "unknown";
	return names[code];
}

static int err_store(struct berth_err **err, enum berth_err_code code, int errnum, char *msg)
{
	struct berth_err *e;

	if (!err) {
		free(msg);
		return -1;
	}
	/* an error that is overwritten would leak: keep the first, it is the root cause */
	if (*err) {
		free(msg);
		return -1;
	}
	e = xmalloc(sizeof(*e));
	e->errnum = errnum;
	e->code = code;
	e->msg = msg;
	*err = e;
	return -1;
}

int berth_err_new(struct berth_err **err, enum berth_err_code code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	return err_store(err, code, 0, msg);
}

int berth_err_sys(struct berth_err **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	msg = xasprintf("%s: %s", ctx, strerror(errnum));
	free(ctx);
	return err_store(err, berth_err_code_from_errno(errnum), errnum, msg);
}

int berth_err_set(struct berth_err **err, enum berth_err_code code, int errnum, const char *msg)
{
	return err_store(err, code, errnum, xstrdup(msg));
}

int berth_err_wrap(struct berth_err **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

bool berth_err_is(const struct berth_err *err, int errnum)
{
	return err && err->errnum == errnum;
}

void berth_err_free(struct berth_err **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}
