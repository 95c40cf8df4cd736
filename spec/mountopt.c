/*
 * spec/mountopt.c - mount option compilation (see mountopt.h). The option
 * table follows runc's libcontainer/specconv (mountFlags, recAttrFlags,
 * mountPropagationMapping, extensionFlags).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/strv.h"
#include "common/xalloc.h"
#include "spec/mountopt.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

enum opt_kind { OPT_FLAG, OPT_PROPAGATION, OPT_BIND, OPT_RECATTR, OPT_TMPCOPYUP };

struct mount_opt {
	const char *name;
	enum opt_kind kind;
	bool clear; /* OPT_FLAG / OPT_RECATTR: the option removes the bit */
	unsigned long long bits;
};

static const struct mount_opt opts[] = {
	{"defaults", OPT_FLAG, false, 0},
	{"ro", OPT_FLAG, false, MS_RDONLY},
	{"rw", OPT_FLAG, true, MS_RDONLY},
	{"suid", OPT_FLAG, true, MS_NOSUID},
	{"nosuid", OPT_FLAG, false, MS_NOSUID},
	{"dev", OPT_FLAG, true, MS_NODEV},
	{"nodev", OPT_FLAG, false, MS_NODEV},
	{"exec", OPT_FLAG, true, MS_NOEXEC},
	{"noexec", OPT_FLAG, false, MS_NOEXEC},
	{"sync", OPT_FLAG, false, MS_SYNCHRONOUS},
	{"async", OPT_FLAG, true, MS_SYNCHRONOUS},
	{"dirsync", OPT_FLAG, false, MS_DIRSYNC},
	{"remount", OPT_FLAG, false, MS_REMOUNT},
	{"mand", OPT_FLAG, false, MS_MANDLOCK},
	{"nomand", OPT_FLAG, true, MS_MANDLOCK},
	{"atime", OPT_FLAG, true, MS_NOATIME},
	{"noatime", OPT_FLAG, false, MS_NOATIME},
	{"diratime", OPT_FLAG, true, MS_NODIRATIME},
	{"nodiratime", OPT_FLAG, false, MS_NODIRATIME},
	{"relatime", OPT_FLAG, false, MS_RELATIME},
	{"norelatime", OPT_FLAG, true, MS_RELATIME},
	{"strictatime", OPT_FLAG, false, MS_STRICTATIME},
	{"nostrictatime", OPT_FLAG, true, MS_STRICTATIME},
	{"lazytime", OPT_FLAG, false, MS_LAZYTIME},
	{"nolazytime", OPT_FLAG, true, MS_LAZYTIME},
	{"iversion", OPT_FLAG, false, MS_I_VERSION},
	{"noiversion", OPT_FLAG, true, MS_I_VERSION},
	{"acl", OPT_FLAG, false, MS_POSIXACL},
	{"noacl", OPT_FLAG, true, MS_POSIXACL},
	{"silent", OPT_FLAG, false, MS_SILENT},
	{"loud", OPT_FLAG, true, MS_SILENT},
	{"nosymfollow", OPT_FLAG, false, MS_NOSYMFOLLOW},
	{"symfollow", OPT_FLAG, true, MS_NOSYMFOLLOW},
	{"bind", OPT_BIND, false, 0},
	{"rbind", OPT_BIND, false, MS_REC},
	{"shared", OPT_PROPAGATION, false, MS_SHARED},
	{"rshared", OPT_PROPAGATION, false, MS_SHARED | MS_REC},
	{"slave", OPT_PROPAGATION, false, MS_SLAVE},
	{"rslave", OPT_PROPAGATION, false, MS_SLAVE | MS_REC},
	{"private", OPT_PROPAGATION, false, MS_PRIVATE},
	{"rprivate", OPT_PROPAGATION, false, MS_PRIVATE | MS_REC},
	{"unbindable", OPT_PROPAGATION, false, MS_UNBINDABLE},
	{"runbindable", OPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC},
	{"tmpcopyup", OPT_TMPCOPYUP, false, 0},
	{"rro", OPT_RECATTR, false, MOUNT_ATTR_RDONLY},
	{"rrw", OPT_RECATTR, true, MOUNT_ATTR_RDONLY},
	{"rnosuid", OPT_RECATTR, false, MOUNT_ATTR_NOSUID},
	{"rsuid", OPT_RECATTR, true, MOUNT_ATTR_NOSUID},
	{"rnodev", OPT_RECATTR, false, MOUNT_ATTR_NODEV},
	{"rdev", OPT_RECATTR, true, MOUNT_ATTR_NODEV},
	{"rnoexec", OPT_RECATTR, false, MOUNT_ATTR_NOEXEC},
	{"rexec", OPT_RECATTR, true, MOUNT_ATTR_NOEXEC},
	{"rnodiratime", OPT_RECATTR, false, MOUNT_ATTR_NODIRATIME},
	{"rdiratime", OPT_RECATTR, true, MOUNT_ATTR_NODIRATIME},
	{"rrelatime", OPT_RECATTR, false, MOUNT_ATTR_RELATIME},
	{"rnorelatime", OPT_RECATTR, true, MOUNT_ATTR_RELATIME},
	{"rnoatime", OPT_RECATTR, false, MOUNT_ATTR_NOATIME},
	{"ratime", OPT_RECATTR, true, MOUNT_ATTR_NOATIME},
	{"rstrictatime", OPT_RECATTR, false, MOUNT_ATTR_STRICTATIME},
	{"rnostrictatime", OPT_RECATTR, true, MOUNT_ATTR_STRICTATIME},
	{"rnosymfollow", OPT_RECATTR, false, MOUNT_ATTR_NOSYMFOLLOW},
	{"rsymfollow", OPT_RECATTR, true, MOUNT_ATTR_NOSYMFOLLOW},
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

const char *oci_mount_option_name(size_t i)
{
	return i < N_OPTS ? opts[i].name : NULL;
}

static const struct mount_opt *opt_find(const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

bool oci_mount_option_is_known(const char *name)
{
	return name && opt_find(name);
}

static void apply_recattr(struct oci_mount *m, const struct mount_opt *o)
{
	/* the atime modes are one field (MOUNT_ATTR__ATIME), set as a whole */
	bool atime = o->bits == MOUNT_ATTR_NOATIME || o->bits == MOUNT_ATTR_STRICTATIME ||
		     o->bits == MOUNT_ATTR_RELATIME;

	if (o->clear) {
		m->rec_attr_clr |= o->bits;
		m->rec_attr_set &= ~o->bits;
		if (atime)
			m->rec_attr_clr |= MOUNT_ATTR__ATIME;
		return;
	}
	if (atime) {
		m->rec_attr_clr |= MOUNT_ATTR__ATIME;
		m->rec_attr_set &= ~(unsigned long long)MOUNT_ATTR__ATIME;
	} else {
		m->rec_attr_clr &= ~o->bits;
	}
	m->rec_attr_set |= o->bits;
}

static void apply_opt(struct oci_mount *m, const struct mount_opt *o)
{
	switch (o->kind) {
	case OPT_FLAG:
		if (o->clear) {
			m->flags &= ~o->bits;
			m->clear_flags |= o->bits;
		} else {
			m->flags |= o->bits;
			m->clear_flags &= ~o->bits;
		}
		break;
	case OPT_BIND:
		m->bind = true;
		if (o->bits & MS_REC)
			m->rec = m->rbind = true;
		break;
	case OPT_PROPAGATION:
		m->propagation = o->bits;
		if (o->bits & MS_REC)
			m->rec = true;
		break;
	case OPT_RECATTR:
		apply_recattr(m, o);
		break;
	case OPT_TMPCOPYUP:
		m->tmpcopyup = true;
		break;
	}
}

void oci_mount_compile(struct oci_mount *m)
{
	char **data = NULL;

	m->flags = m->clear_flags = m->propagation = 0;
	m->bind = m->rec = m->rbind = m->tmpcopyup = false;
	m->rec_attr_set = m->rec_attr_clr = 0;
	free(m->data);
	m->data = NULL;
	if (m->type && !strcmp(m->type, "bind"))
		m->bind = true;
	strv_foreach (opt, m->options) {
		const struct mount_opt *o = opt_find(opt);

		if (o)
			apply_opt(m, o);
		else if (*opt)
			strv_push(&data, opt);
	}
	if (data)
		m->data = strv_join(data, ",");
	strv_free(data);
}
