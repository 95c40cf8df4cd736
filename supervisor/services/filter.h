/*
 * supervisor/services/filter.h - containerd's list filter syntax.
 *
 *   filters  := one string per request field entry; the entries are OR'ed
 *   filter   := selector ("," selector)*            (AND)
 *   selector := fieldpath [op value]                  (no op: the field is present)
 *   op       := "==" | "!=" | "~="                    (~= is a POSIX extended regex)
 *   fieldpath:= field ("." field)*, a field is [A-Za-z0-9_]+ or a "quoted string"
 *   value    := a "quoted string" or text up to the next ","
 * e.g.  labels."containerd.io/gc.root"  name~=^docker.io/,labels.env==prod
 */
#ifndef BERTH_SUPERVISOR_SERVICES_FILTER_H
#define BERTH_SUPERVISOR_SERVICES_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct svc_filter;

/* Value of the field at path (n components) of obj, or NULL when absent. Borrowed. */
typedef const char *(*svc_field_fn)(const void *obj, char *const *path, size_t n);

/* Compiles n filter strings; *out is NULL (match all) when n == 0. INVALID naming the
 * filter and the position on a syntax error. */
int svc_filter_parse(char *const *filters, size_t n, struct svc_filter **out,
		     struct berth_err **err);
/* NULL matches everything. */
bool svc_filter_match(const struct svc_filter *f, svc_field_fn field, const void *obj);
/* For field functions: the value in kv (k,v,...,NULL) of the key path[0..n) joined with
 * "." (labels.a.b looks up key "a.b"), or NULL. */
const char *svc_filter_kv(char *const *kv, char *const *path, size_t n);
void svc_filter_free(struct svc_filter *f);
void svc_filter_freep(struct svc_filter **f);

#endif
