/*
 * supervisor/core/filter.h - containerd's list filter syntax.
 *
 *   filters  := one string per request field entry; the entries are OR'ed
 *   filter   := selector ("," selector)*            (AND)
 *   selector := fieldpath [op value]                  (no op: the field is present)
 *   op       := "==" | "!=" | "~="                    (~= is a POSIX extended regex)
 *   fieldpath:= field ("." field)*, a field is [A-Za-z0-9_]+ or a "quoted string"
 *   value    := a "quoted string" or text up to the next ","
 * e.g.  labels."containerd.io/gc.root"  name~=^docker.io/,labels.env==prod
 */
#ifndef BERTH_SUPERVISOR_CORE_FILTER_H
#define BERTH_SUPERVISOR_CORE_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct core_filter;

/* Value of the field at path (n components) of obj, or NULL when absent. Borrowed. */
typedef const char *(*core_field_fn)(const void *obj, char *const *path, size_t n);

/* Compiles n filter strings; *out is NULL (match all) when n == 0. INVALID naming the
 * filter and the position on a syntax error. */
int core_filter_parse(char *const *filters, size_t n, struct core_filter **out,
		      struct berth_err **err);
/* NULL matches everything. */
bool core_filter_match(const struct core_filter *f, core_field_fn field, const void *obj);
/* For field functions: the value in kv (k,v,...,NULL) of the key path[0..n) joined with
 * "." (labels.a.b looks up key "a.b"), or NULL. */
const char *core_filter_kv(char *const *kv, char *const *path, size_t n);
void core_filter_free(struct core_filter *f);
void core_filter_freep(struct core_filter **f);

#endif
