/*
 * supervisor/diff/extract.c - applies one tar entry onto the target directory.
 *
 * Each entry: clean its name (resolve.c refuses '..' and absolute names), resolve its
 * parent inside the target (creating missing directories), replace whatever is at the
 * name (a directory stays a directory: tar semantics), create the object, then set
 * owner, mode (after chown, which clears set-id bits), xattrs and times. Directory
 * times are set at the end, since creating their children changes them.
 *
 * Whiteouts (OCI image spec, "Whiteouts"): ".wh.<name>" hides <name> of lower layers,
 * ".wh..wh..opq" hides every lower child of its directory; other ".wh..wh." names are
 * aufs bookkeeping and skipped. Whiteouts never hide what this same layer created.
 *
 * Xattrs kept: user.* and security.capability (file capabilities). Dropped: trusted.*
 * (an overlay upper dir would take trusted.overlay.* as opaque/redirect markers),
 * other security.* (LSM labels belong to the host's policy) and system.* (ACLs).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/fs_walk.h"
#include "common/log.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/diff/diff_internal.h"

#define WH_PREFIX ".wh."
#define WH_META ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

int extract_init(struct extract *x, const char *target, const struct diff_apply_opts *o,
		 struct berth_err **err)
{
	memset(x, 0, sizeof(*x));
	x->o = o;
	x->rootfd = open(target, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->rootfd < 0)
		return berth_err_sys(err, errno, "open target '%s'", target);
	if (o->whiteouts != DIFF_WHITEOUT_OVERLAY)
		return 0;
	x->lowerfds = xcalloc(strv_len(o->lowers) + 1, sizeof(int));
	strv_foreach (l, o->lowers) {
		int fd = open(l, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return berth_err_sys(err, errno, "open lower '%s'", l);
		x->lowerfds[x->nlowers++] = fd;
	}
	return 0;
}

void extract_fini(struct extract *x)
{
	if (x->rootfd >= 0)
		close(x->rootfd);
	for (size_t i = 0; i < x->nlowers; i++)
		close(x->lowerfds[i]);
	free(x->lowerfds);
	for (size_t i = 0; i < x->ndirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
	strset_fini(&x->created);
	x->rootfd = -1;
}

bool diff_xattr_allowed(const char *name)
{
	return strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0;
}

/* "/proc/self/fd/<dfd>/<name>": lets the l*xattr calls work on any file type by dirfd. */
static void fd_path(char *buf, size_t len, int dfd, const char *name)
{
	snprintf(buf, len, "/proc/self/fd/%d/%s", dfd, name);
}

static int set_xattrs(int pfd, const char *base, struct archive_entry *e, struct berth_err **err)
{
	char path[64 + NAME_MAX];
	const char *name;
	const void *val;
	size_t size;

	fd_path(path, sizeof(path), pfd, base);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &val, &size) == ARCHIVE_OK) {
		if (!diff_xattr_allowed(name)) {
			log_debug("layer entry '%s': xattr '%s' dropped", base, name);
			continue;
		}
		if (lsetxattr(path, name, val, size, 0) < 0)
			return berth_err_sys(err, errno, "set xattr '%s'", name);
	}
	return 0;
}

/* Owner, then mode (chown clears set-id bits), then xattrs (chown clears capabilities). */
static int set_meta(struct extract *x, int pfd, const char *base, const char *rel,
		    struct archive_entry *e, struct berth_err **err)
{
	mode_t type = archive_entry_filetype(e);
	struct timespec ts[2] = {
		{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
		{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
	};

	if (archive_entry_atime_is_set(e))
		ts[0] = (struct timespec){archive_entry_atime(e), archive_entry_atime_nsec(e)};
	if (fchownat(pfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
		     AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_sys(err, errno, "chown");
	if (type != AE_IFLNK && fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
		return berth_err_sys(err, errno, "chmod");
	if (set_xattrs(pfd, base, e, err) < 0)
		return -1;
	if (type == AE_IFDIR) {
		x->dirs = xreallocarray(x->dirs, x->ndirs + 1, sizeof(*x->dirs));
		x->dirs[x->ndirs++] = (struct dir_time){xstrdup(rel), ts[0], ts[1]};
		return 0;
	}
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_sys(err, errno, "set times");
	return 0;
}

static int write_data(struct archive *a, int fd, int64_t size, struct berth_err **err)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		const char *p = buf;

		while (len > 0) {
			ssize_t w = pwrite(fd, p, len, off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return berth_err_sys(err, errno, "write");
			p += w;
			len -= (size_t)w;
			off += w;
		}
	}
	if (r != ARCHIVE_EOF)
		return berth_err_new(err, BERTH_E_INVALID, "read data: %s",
				     archive_error_string(a));
	/* sparse files end in a hole */
	if (ftruncate(fd, size) < 0)
		return berth_err_sys(err, errno, "truncate");
	return 0;
}

/* Hardlink to another entry of the layer (or, for an overlay target, of a lower layer). */
/* Copies lfd (a lower layer's regular file, st) to upfd/base: data, owner, mode, xattrs, times. */
static int copy_file_up(int lfd, const struct stat *st, int upfd, const char *base,
			struct berth_err **err)
{
	cleanup_close int out =
		openat(upfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	char buf[65536], names[4096], val[4096];
	ssize_t n, nl;

	if (out < 0)
		return berth_err_sys(err, errno, "create copy");
	while ((n = read(lfd, buf, sizeof(buf))) > 0)
		if (fs_write_all(out, buf, (size_t)n) < 0)
			return berth_err_sys(err, errno, "write copy");
	if (n < 0)
		return berth_err_sys(err, errno, "read");
	if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
		return berth_err_sys(err, errno, "set owner and mode of copy");
	nl = flistxattr(lfd, names, sizeof(names));
	for (char *k = names; nl > 0 && k < names + nl; k += strlen(k) + 1) {
		ssize_t vl = fgetxattr(lfd, k, val, sizeof(val));

		if (diff_xattr_allowed(k) && vl >= 0 && fsetxattr(out, k, val, (size_t)vl, 0) < 0)
			return berth_err_sys(err, errno, "set xattr '%s' of copy", k);
	}
	if (futimens(out, ts) < 0)
		return berth_err_sys(err, errno, "set times of copy");
	return 0;
}

/*
 * Overlay targets: a hardlink may name a file of a lower layer (the tar's writer saw the
 * merged tree). Copy it up into the upper dir first, as overlayfs would, then link to it.
 */
static int copy_up(struct extract *x, const char *dir, const char *base, struct berth_err **err)
{
	for (size_t i = 0; i < x->nlowers; i++) {
		cleanup_close int lpfd = resolve_in_root(x->lowerfds[i], dir, O_PATH | O_DIRECTORY);
		cleanup_close int lfd = -1, upfd = -1;
		struct stat st;

		if (lpfd < 0 || fstatat(lpfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
			break; /* whited out below this layer */
		if (!S_ISREG(st.st_mode))
			return berth_err_new(err, BERTH_E_INVALID,
					     "lower layer's '%s' is not a regular file", base);
		lfd = openat(lpfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (lfd < 0)
			return berth_err_sys(err, errno, "open lower layer's '%s'", base);
		upfd = resolve_dir(x, dir, true, err);
		if (upfd < 0)
			return -1;
		return copy_file_up(lfd, &st, upfd, base, err);
	}
	return berth_err_sys(err, ENOENT, "not in this layer nor in a lower one");
}

/* Hardlink to another entry of the layer (or, for an overlay target, of a lower layer). */
static int make_hardlink(struct extract *x, int pfd, const char *base, const char *linkname,
			 struct berth_err **err)
{
	cleanup_free char *target = NULL, *dir = NULL;
	cleanup_close int tfd = -1;
	const char *slash, *tbase;
	struct stat st;
	bool found;

	if (resolve_clean(linkname, &target, err) < 0)
		return berth_err_wrap(err, "hardlink target '%s'", linkname);
	if (!*target)
		return berth_err_new(err, BERTH_E_INVALID, "hardlink to the root directory");
	slash = strrchr(target, '/');
	dir = slash ? xstrndup(target, (size_t)(slash - target)) : xstrdup("");
	tbase = slash ? slash + 1 : target;
	tfd = resolve_in_root(x->rootfd, dir, O_PATH | O_DIRECTORY);
	found = tfd >= 0 && fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!found && errno == ENOENT && x->nlowers) {
		if (copy_up(x, dir, tbase, err) < 0)
			return berth_err_wrap(err, "hardlink target '%s'", linkname);
		if (tfd < 0)
			tfd = resolve_in_root(x->rootfd, dir, O_PATH | O_DIRECTORY);
		found = tfd >= 0 && fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) == 0;
	}
	if (!found)
		return berth_err_sys(err, errno, "hardlink target '%s'", linkname);
	if (S_ISDIR(st.st_mode))
		return berth_err_new(err, BERTH_E_INVALID, "hardlink target '%s' is a directory",
				     linkname);
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return berth_err_sys(err, errno, "link to '%s'", linkname);
	return 0;
}

static int make_object(struct extract *x, struct archive *a, struct archive_entry *e, int pfd,
		       const char *base, struct berth_err **err)
{
	mode_t type = archive_entry_filetype(e);
	const char *hl = archive_entry_hardlink(e);
	cleanup_close int fd = -1;

	if (hl)
		return make_hardlink(x, pfd, base, hl, err);
	switch (type) {
	case AE_IFREG:
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return berth_err_sys(err, errno, "create");
		return write_data(a, fd, archive_entry_size(e), err);
	case AE_IFDIR:
		if (mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
			return berth_err_sys(err, errno, "mkdir");
		return 0;
	case AE_IFLNK:
		if (symlinkat(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", pfd, base) <
		    0)
			return berth_err_sys(err, errno, "symlink");
		return 0;
	case AE_IFCHR:
	case AE_IFBLK:
		if (!x->o->allow_devices)
			return berth_err_new(err, BERTH_E_PERMISSION,
					     "device nodes are not allowed");
		if (mknodat(pfd, base, type | 0600, archive_entry_rdev(e)) < 0)
			return berth_err_sys(err, errno, "mknod");
		return 0;
	case AE_IFIFO:
		if (mknodat(pfd, base, S_IFIFO | 0600, 0) < 0)
			return berth_err_sys(err, errno, "mkfifo");
		return 0;
	default:
		return berth_err_new(err, BERTH_E_INVALID, "unsupported file type 0%o",
				     (unsigned)type);
	}
}

/* Removes what is at pfd/base unless entry e may reuse it (a directory for a directory). */
static int clear_place(int pfd, const char *base, struct archive_entry *e, struct berth_err **err)
{
	struct stat st;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_err_sys(err, errno, "stat");
	if (S_ISDIR(st.st_mode) && archive_entry_filetype(e) == AE_IFDIR &&
	    !archive_entry_hardlink(e))
		return 0;
	if (fs_rm_rf_at(pfd, base, err) < 0)
		return berth_err_wrap(err, "replace existing");
	return 0;
}

static int whiteout(struct extract *x, const char *dir, const char *name, struct archive_entry *e,
		    struct berth_err **err)
{
	cleanup_free char *path = *dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	cleanup_close int pfd = -1;
	bool overlay = x->o->whiteouts == DIFF_WHITEOUT_OVERLAY;

	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strchr(name, '/'))
		return berth_err_new(err, BERTH_E_INVALID, "whiteout of '%s' escapes its directory",
				     name);
	if (strset_has(&x->created, path))
		return 0;
	pfd = resolve_dir(x, dir, overlay, err);
	if (pfd < 0) {
		if (!overlay && berth_err_is(*err, ENOENT)) {
			berth_err_free(err);
			return 0;
		}
		return -1;
	}
	if (fs_rm_rf_at(pfd, name, err) < 0)
		return berth_err_wrap(err, "whiteout '%s'", path);
	if (!overlay)
		return 0;
	if (mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return berth_err_sys(err, errno, "create whiteout of '%s'", path);
	if (fchownat(pfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
		     AT_SYMLINK_NOFOLLOW) < 0)
		return berth_err_sys(err, errno, "chown whiteout of '%s'", path);
	return 0;
}

/* Removes every child of pfd not created by this layer (dir is pfd's path). */
static int remove_lower_children(struct extract *x, int pfd, const char *dir,
				 struct berth_err **err)
{
	int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return berth_err_sys(err, errno, "open '%s'", dir);
	}
	while ((errno = 0, de = readdir(d))) {
		cleanup_free char *path = NULL;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = *dir ? xasprintf("%s/%s", dir, de->d_name) : xstrdup(de->d_name);
		if (strset_has(&x->created, path))
			continue;
		if (fs_rm_rf_at(dirfd(d), de->d_name, err) < 0)
			return berth_err_wrap(err, "opaque '%s'", *dir ? dir : "/");
	}
	if (errno)
		return berth_err_sys(err, errno, "read '%s'", dir);
	return 0;
}

static int opaque(struct extract *x, const char *dir, struct berth_err **err)
{
	cleanup_close int pfd = resolve_dir(x, dir, true, err);
	char path[64];

	if (pfd < 0)
		return -1;
	if (x->o->whiteouts != DIFF_WHITEOUT_OVERLAY)
		return remove_lower_children(x, pfd, dir, err);
	/* overlayfs ignores trusted.overlay.opaque on the upper ROOT (the root always merges
	 * every layer): extract_finish hides the lowers' root entries one by one instead */
	if (!*dir)
		x->root_opaque = true;
	fd_path(path, sizeof(path), pfd, "");
	if (lsetxattr(path, "trusted.overlay.opaque", "y", 1, 0) < 0)
		return berth_err_sys(err, errno, "mark '%s' opaque", *dir ? dir : "/");
	return 0;
}

static int apply_entry(struct extract *x, struct archive *a, struct archive_entry *e,
		       const char *rel, struct berth_err **err)
{
	const char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;
	cleanup_free char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	cleanup_close int pfd = -1;

	if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0) {
		if (strcmp(base, WH_OPAQUE) == 0)
			return opaque(x, dir, err);
		if (strncmp(base, WH_META, strlen(WH_META)) == 0)
			return 0;
		return whiteout(x, dir, base + strlen(WH_PREFIX), e, err);
	}
	pfd = resolve_dir(x, dir, true, err);
	if (pfd < 0)
		return -1;
	if (clear_place(pfd, base, e, err) < 0 || make_object(x, a, e, pfd, base, err) < 0)
		return -1;
	strset_add(&x->created, rel);
	if (archive_entry_hardlink(e))
		return 0; /* a hardlink shares its target's inode and metadata */
	return set_meta(x, pfd, base, rel, e, err);
}

int extract_entry(struct extract *x, struct archive *a, struct archive_entry *e,
		  struct berth_err **err)
{
	const char *name = archive_entry_pathname(e);
	cleanup_free char *rel = NULL;

	if (!name || !*name)
		return berth_err_new(err, BERTH_E_INVALID, "entry with an empty name");
	if (resolve_clean(name, &rel, err) < 0 || (*rel && apply_entry(x, a, e, rel, err) < 0))
		return berth_err_wrap(err, "entry '%s'", name);
	return 0;
}

/*
 * The overlay equivalent of an opaque root: a whiteout for every name of the lowers' roots
 * that this layer did not put in the upper root, and trusted.overlay.opaque on the upper
 * root's directories that a lower also has (else overlayfs merges the lower's entries in).
 */
static int hide_lower_root(struct extract *x, struct berth_err **err)
{
	struct strset done = {0};
	int ret = 0;

	for (size_t i = 0; i < x->nlowers && ret == 0; i++) {
		int fd = openat(x->lowerfds[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;

		if (!d) {
			if (fd >= 0)
				close(fd);
			ret = berth_err_sys(err, errno, "opaque '/': open lower '%s'",
					    x->o->lowers[i]);
			break;
		}
		while (ret == 0 && (errno = 0, de = readdir(d))) {
			struct stat st;
			char path[64 + NAME_MAX];

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			    strset_has(&done, de->d_name))
				continue;
			strset_add(&done, de->d_name);
			if (fstatat(x->rootfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				if (errno != ENOENT)
					ret = berth_err_sys(err, errno, "opaque '/': stat '%s'",
							    de->d_name);
				else if (mknodat(x->rootfd, de->d_name, S_IFCHR, makedev(0, 0)) < 0)
					ret = berth_err_sys(err, errno,
							    "opaque '/': create whiteout of '%s'",
							    de->d_name);
				continue;
			}
			if (!S_ISDIR(st.st_mode))
				continue;
			fd_path(path, sizeof(path), x->rootfd, de->d_name);
			if (lsetxattr(path, "trusted.overlay.opaque", "y", 1, 0) < 0)
				ret = berth_err_sys(err, errno, "opaque '/': mark '%s' opaque",
						    de->d_name);
		}
		if (ret == 0 && errno)
			ret = berth_err_sys(err, errno, "opaque '/': read lower '%s'",
					    x->o->lowers[i]);
	}
	strset_fini(&done);
	return ret;
}

int extract_finish(struct extract *x, struct berth_err **err)
{
	if (x->root_opaque && hide_lower_root(x, err) < 0)
		return -1;
	/* deepest first is not needed: setting a directory's times touches no other's */
	for (size_t i = 0; i < x->ndirs; i++) {
		cleanup_close int fd = resolve_in_root(x->rootfd, x->dirs[i].path,
						       O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		struct timespec ts[2] = {x->dirs[i].atime, x->dirs[i].mtime};

		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
				continue; /* replaced or removed by a later entry */
			return berth_err_sys(err, errno, "entry '%s': open to set times",
					     x->dirs[i].path);
		}
		if (futimens(fd, ts) < 0)
			return berth_err_sys(err, errno, "entry '%s': set times", x->dirs[i].path);
	}
	return 0;
}
