/*
 * common/cleanup.h - scope-based cleanup (GNU C cleanup attribute).
 *
 * Declare and initialise a cleanup variable where the resource is acquired.
 * Hand ownership on with take_ptr(p) / take_fd(&fd); the cleanup then sees
 * NULL / -1. Do not mix goto unwinding and cleanup attributes in one function.
 */
#ifndef BERTH_COMMON_CLEANUP_H
#define BERTH_COMMON_CLEANUP_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define cleanup(fn) __attribute__((cleanup(fn)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define cleanup_free cleanup(freep)
#define cleanup_close cleanup(closep)
#define cleanup_fclose cleanup(fclosep)
#define cleanup_dir cleanup(closedirp)

#define take_ptr(p)                             \
	({                                      \
		__typeof__(p) take_ptr__ = (p); \
		(p) = NULL;                     \
		take_ptr__;                     \
	})

static inline int take_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

#endif
