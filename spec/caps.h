/*
 * spec/caps.h - Linux capability names <-> numbers, independent of the
 * running kernel and of libcap's build (CAP_CHOWN = 0 .. CAP_CHECKPOINT_RESTORE = 40).
 */
#ifndef BERTH_SPEC_CAPS_H
#define BERTH_SPEC_CAPS_H

#define OCI_CAP_LAST 40

/* "CAP_SYS_ADMIN" -> 21; -1 if unknown (the name must be upper case, with the CAP_ prefix). */
int oci_cap_from_name(const char *name);
/* 21 -> "CAP_SYS_ADMIN"; NULL if out of range. */
const char *oci_cap_name(int cap);

#endif
