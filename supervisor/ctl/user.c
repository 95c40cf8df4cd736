/*
 * supervisor/ctl/user.c - docker's `--user` / image `User` resolution against a
 * container's /etc/passwd and /etc/group (the rules of runc's libcontainer/user
 * GetExecUser, which docker and containerd's WithUser follow):
 *
 *   USER[:GROUP]  USER a name or a uid, GROUP a name or a gid.
 *   - USER found in passwd (by name, or by uid when numeric): its uid, gid and home.
 *     A name that is not there is an error; a number that is not there is used as is
 *     with gid 0 and home "/".
 *   - GROUP found in group (by name or gid): its gid; a number not there is used as is;
 *     a name not there is an error.
 *   - Without GROUP, every group of the group file listing the user's name as a member
 *     is a supplementary group (with GROUP given there are none: docker's rule).
 * Pure: the caller reads the files (see rootfs.c). Files may be absent (NULL).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "supervisor/ctl/container.h"

void ctl_user_clear(struct ctl_user *u)
{
	free(u->gids);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

static bool parse_num(const char *s, unsigned *out)
{
	char *end = NULL;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > UINT32_MAX - 1)
		return false;
	*out = (unsigned)v;
	return true;
}

/* "a::b" -> {"a", "", "b"} (strv_split drops empty fields; passwd has them) */
static char **split_fields(const char *s)
{
	char **v = xcalloc(1, sizeof(char *));
	const char *c;

	while ((c = strchr(s, ':'))) {
		strv_push_take(&v, xstrndup(s, (size_t)(c - s)));
		s = c + 1;
	}
	strv_push(&v, s);
	return v;
}

/* Splits the next line of buf (at most len bytes from *pos) into ':' fields; NULL at end. */
static char **next_line(const char *buf, size_t len, size_t *pos)
{
	const char *start, *nl;
	char *line, **fields;

	while (*pos < len) {
		start = buf + *pos;
		nl = memchr(start, '\n', len - *pos);
		*pos = nl ? (size_t)(nl - buf) + 1 : len;
		line = xstrndup(start, nl ? (size_t)(nl - start) : len - (size_t)(start - buf));
		if (!*line || *line == '#') {
			free(line);
			continue;
		}
		fields = split_fields(line);
		free(line);
		return fields;
	}
	return NULL;
}

static const char *field(char **f, size_t i)
{
	return i < strv_len(f) ? f[i] : "";
}

static int find_user(const char *name, const char *passwd, size_t len, struct ctl_user *u,
		     char **uname, struct berth_err **err)
{
	unsigned want = 0, uid, gid;
	bool numeric = parse_num(name, &want);
	size_t pos = 0;
	char **f;

	while (passwd && (f = next_line(passwd, len, &pos))) {
		bool hit = numeric ? parse_num(field(f, 2), &uid) && uid == want
				   : strcmp(field(f, 0), name) == 0;

		if (hit && parse_num(field(f, 2), &uid) && parse_num(field(f, 3), &gid)) {
			u->uid = uid;
			u->gid = gid;
			u->home = xstrdup(*field(f, 5) ? field(f, 5) : "/");
			*uname = xstrdup(field(f, 0));
			strv_free(f);
			return 0;
		}
		strv_free(f);
	}
	if (!numeric)
		return berth_err_new(err, BERTH_E_NOT_FOUND,
				     "user '%s': no such user in the image's /etc/passwd", name);
	u->uid = want;
	u->gid = 0;
	u->home = xstrdup("/");
	return 0;
}

static int find_group(const char *name, const char *group, size_t len, unsigned *gid,
		      struct berth_err **err)
{
	unsigned want = 0, g;
	bool numeric = parse_num(name, &want);
	size_t pos = 0;
	char **f;

	while (group && (f = next_line(group, len, &pos))) {
		bool hit = numeric ? parse_num(field(f, 2), &g) && g == want
				   : strcmp(field(f, 0), name) == 0;

		if (hit && parse_num(field(f, 2), &g)) {
			*gid = g;
			strv_free(f);
			return 0;
		}
		strv_free(f);
	}
	if (!numeric)
		return berth_err_new(err, BERTH_E_NOT_FOUND,
				     "group '%s': no such group in the image's /etc/group", name);
	*gid = want;
	return 0;
}

static void add_gid(struct ctl_user *u, unsigned gid)
{
	for (size_t i = 0; i < u->n_gids; i++)
		if (u->gids[i] == gid)
			return;
	u->gids = xreallocarray(u->gids, u->n_gids + 1, sizeof(*u->gids));
	u->gids[u->n_gids++] = gid;
}

/* Every group listing uname as a member (field 3, comma-separated). */
static void find_supplementary(const char *uname, const char *group, size_t len, struct ctl_user *u)
{
	size_t pos = 0;
	char **f;
	unsigned gid = 0;

	while (group && (f = next_line(group, len, &pos))) {
		cleanup(strv_freep) char **members = strv_split(field(f, 3), ",");

		if (parse_num(field(f, 2), &gid) && strv_contains(members, uname))
			add_gid(u, gid);
		strv_free(f);
	}
}

int ctl_user_resolve(const char *spec, const char *passwd, size_t plen, const char *group,
		     size_t glen, struct ctl_user *out, struct berth_err **err)
{
	cleanup_free char *s = xstrdup(spec && *spec ? spec : "0");
	cleanup_free char *uname = NULL;
	char *colon = strchr(s, ':');
	struct ctl_user u = {0};
	unsigned gid = 0;

	if (colon)
		*colon++ = '\0';
	if (!*s || (colon && !*colon))
		return berth_err_new(err, BERTH_E_INVALID,
				     "user '%s': want USER[:GROUP] (a name or a number each)",
				     spec);
	if (find_user(s, passwd, plen, &u, &uname, err) < 0)
		return -1;
	if (colon) {
		if (find_group(colon, group, glen, &gid, err) < 0) {
			ctl_user_clear(&u);
			return -1;
		}
		u.gid = gid;
	} else if (uname) {
		find_supplementary(uname, group, glen, &u);
	}
	*out = u;
	return 0;
}
