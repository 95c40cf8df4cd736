/*
 * runtime/lib/passwd.c - see passwd.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/passwd.h"

/* The 6th field of a passwd line "name:pw:uid:gid:gecos:home:shell" whose uid is uid. */
static char *line_home(char *line, uid_t uid)
{
	char *f[7] = {0};
	char *p = line, *end;
	unsigned long v;
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	while (n < 7) {
		f[n++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (n < 6 || !f[2][0])
		return NULL;
	v = strtoul(f[2], &end, 10);
	if (*end || v != (unsigned long)uid)
		return NULL;
	return xstrdup(f[5]);
}

char *rt_passwd_home(const char *path, uid_t uid)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	cleanup_free char *line = NULL;
	size_t cap = 0;

	if (!f)
		return NULL;
	while (getline(&line, &cap, f) >= 0) {
		char *home;

		if (line[0] == '#' || line[0] == '+' || line[0] == '-')
			continue;
		home = line_home(line, uid);
		if (home)
			return home;
	}
	return NULL;
}
