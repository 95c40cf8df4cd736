/*
 * runtime/lib/passwd.h - reading the container's /etc/passwd, for the
 * defaults runc and crun derive from it (HOME).
 *
 * Called in the container child after the root is switched, so the path is
 * resolved inside the container's root. A missing or unreadable file, or no
 * line for the uid, is not an error: the caller uses its default.
 */
#ifndef BERTH_RUNTIME_PASSWD_H
#define BERTH_RUNTIME_PASSWD_H

#include <sys/types.h>

/* The home directory of uid in the passwd file at path (the first matching
 * line, as getpwuid), or NULL. Caller frees. */
char *rt_passwd_home(const char *path, uid_t uid);

#endif
