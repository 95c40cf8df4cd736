/*
 * spec/mountopt.h - compiles a mount's "options" into mount(2) arguments.
 *
 * Fills the compiled fields of struct oci_mount (flags, clear_flags,
 * propagation, bind, rec, rbind, rec_attr_set/clr, data, tmpcopyup) from its
 * options and type; the options themselves are left as written. The known
 * options are runc's: flags (ro rw suid nosuid dev nodev exec noexec sync async
 * dirsync remount mand nomand atime noatime diratime nodiratime relatime
 * norelatime strictatime nostrictatime lazytime nolazytime iversion noiversion
 * acl noacl silent loud symfollow nosymfollow defaults), bind rbind, the
 * propagation options (shared rshared slave rslave private rprivate unbindable
 * runbindable), tmpcopyup, and the recursive attributes (rro rrw rnosuid rsuid
 * rnodev rdev rnoexec rexec rnodiratime rdiratime rrelatime rnorelatime
 * rnoatime ratime rstrictatime rnostrictatime rnosymfollow rsymfollow), which
 * become MOUNT_ATTR_* bits for mount_setattr(AT_RECURSIVE), not MS_* flags.
 * Anything else is filesystem data, comma-joined into data in order.
 * Later options win over earlier ones ("ro,rw" is rw).
 */
#ifndef BERTH_SPEC_MOUNTOPT_H
#define BERTH_SPEC_MOUNTOPT_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/config.h"

/* (Re)computes the compiled fields of m from m->options and m->type. */
void oci_mount_compile(struct oci_mount *m);
/* Whether name is an option berth interprets (not filesystem data). */
bool oci_mount_option_is_known(const char *name);
/* The i-th option oci_mount_option_is_known() accepts; NULL past the last. */
const char *oci_mount_option_name(size_t i);

#endif
