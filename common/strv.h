/*
 * common/strv.h - NULL-terminated string vectors (char **), owned strings.
 */
#ifndef BERTH_COMMON_STRV_H
#define BERTH_COMMON_STRV_H

#include <stdbool.h>
#include <stddef.h>

size_t strv_len(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
/* Appends s itself (takes ownership). */
void strv_push_take(char ***v, char *s);
char **strv_dup(char *const *v);
bool strv_contains(char *const *v, const char *s);
/* Joins with sep; caller frees. */
char *strv_join(char *const *v, const char *sep);
/* Splits s on any of the characters in sep, dropping empty fields. */
char **strv_split(const char *s, const char *sep);
void strv_free(char **v);
void strv_freep(char ***v);

#define strv_foreach(s, v) \
	for (char *const *s##_it_ = (v), *s = s##_it_ ? *s##_it_ : NULL; s; s = *++s##_it_)

#endif
