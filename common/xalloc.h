/*
 * common/xalloc.h - allocation that cannot fail.
 *
 * Out of memory is not an error path in berth: these abort the process with a
 * message on stderr. Use them everywhere instead of malloc/strdup/asprintf.
 */
#ifndef BERTH_COMMON_XALLOC_H
#define BERTH_COMMON_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: realloc to nmemb*size with overflow check */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* xstrdup of NULL is NULL */
char *xstrdup_or_null(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#define xnew(type) ((type *)xzalloc(sizeof(type)))

#endif
