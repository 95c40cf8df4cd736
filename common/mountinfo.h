/*
 * common/mountinfo.h - reading /proc/<pid>/mountinfo (proc(5)).
 *
 * One line per mount:
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 * mount id, parent id, major:minor, root, mount point, mount options, optional fields
 * (zero or more "tag[:value]"), "-", filesystem type, source, super options.
 *
 * The kernel escapes ' ', '\t', '\n' and '\\' as \ooo in paths (root, mount point),
 * the type and the source; those four fields are unescaped here. Option fields are
 * left as the kernel wrote them: an option value may hold an escaped ',' (\054) that
 * must not become a separator. A source may be empty (mount("", ...)).
 *
 * Two ways to read: mountinfo_open/next streams one entry at a time through one line
 * buffer (the runtime's memory peak stays at one line); mountinfo_load returns every
 * entry. A line that is not in this format is BERTH_E_INVALID naming the file and the
 * line number; nothing is returned for it. Empty lines are skipped.
 */
#ifndef BERTH_COMMON_MOUNTINFO_H
#define BERTH_COMMON_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"

struct mountinfo_entry {
	unsigned int mount_id, parent_id;
	unsigned int major, minor;
	const char *root;	 /* within its filesystem, unescaped */
	const char *mount_point; /* as this process sees it, unescaped */
	const char *mount_opts;	 /* per-mount options ("rw,nosuid,relatime") */
	const char *optional;	 /* "shared:1 master:2", "" if none */
	const char *fstype;	 /* "ext4", "fuse.sshfs", unescaped */
	const char *source;	 /* "/dev/sda1", "none", "", unescaped */
	const char *super_opts;	 /* per-superblock options ("rw,seclabel") */
};

/* A reader over one mountinfo file; the entries it returns borrow its line buffer. */
struct mountinfo_reader;

/*
 * Opens path, or /proc/<pid>/mountinfo when path is NULL (pid 0: /proc/self/mountinfo).
 * Errors: the open's errno, naming the file.
 */
struct mountinfo_reader *mountinfo_open(const char *path, pid_t pid, struct berth_err **err);
void mountinfo_close(struct mountinfo_reader *r);
void mountinfo_closep(struct mountinfo_reader **r);
/*
 * Fills *e with the next entry: returns 1, or 0 at the end of the file. The strings
 * are valid until the next call or the close. -1 + err for a read error or a malformed
 * line ("'/proc/self/mountinfo' line 3: ..."); reading may not go on after it.
 */
int mountinfo_next(struct mountinfo_reader *r, struct mountinfo_entry *e, struct berth_err **err);

/* Every entry of a file, in its order. */
struct mountinfo {
	struct mountinfo_entry *v;
	size_t n;
	char *buf; /* private: the file's text, which v[i]'s strings point into */
};

/* path and pid as for mountinfo_open; the file is read whole (at most 16 MiB). */
struct mountinfo *mountinfo_load(const char *path, pid_t pid, struct berth_err **err);
void mountinfo_free(struct mountinfo *mi);
void mountinfo_freep(struct mountinfo **mi);

/*
 * Parses one line (without or with its '\n') in place: line is cut into the fields
 * and unescaped, and e points into it. -1 with *why set to a static reason
 * ("missing ' - ' separator", ...) if the line is malformed; line is then garbage.
 */
int mountinfo_parse_line(char *line, struct mountinfo_entry *e, const char **why);

/*
 * Whether the optional fields carry tag ("shared", "master", "propagate_from",
 * "unbindable"); if so and value is not NULL, *value is its number (0 if it has none).
 */
bool mountinfo_entry_tag(const struct mountinfo_entry *e, const char *tag, unsigned int *value);

#endif
