/* spec/names.c - see names.h. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>

#include "spec/names.h"

/* linux/ioprio.h is missing on older headers; the ABI values are fixed. */
#define OCI_IOPRIO_CLASS_RT 1
#define OCI_IOPRIO_CLASS_BE 2
#define OCI_IOPRIO_CLASS_IDLE 3

#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif

/* linux/seccomp.h filter flags (ABI values; older headers lack the newest). */
#define OCI_SECCOMP_FILTER_FLAG_TSYNC 1
#define OCI_SECCOMP_FILTER_FLAG_LOG 2
#define OCI_SECCOMP_FILTER_FLAG_SPEC_ALLOW 4
#define OCI_SECCOMP_FILTER_FLAG_NEW_LISTENER 8
#define OCI_SECCOMP_FILTER_FLAG_TSYNC_ESRCH 16
#define OCI_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV 32

const struct oci_name oci_rlimit_names[] = {
	{"RLIMIT_CPU", RLIMIT_CPU},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},
	{"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_STACK", RLIMIT_STACK},
	{"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_NPROC", RLIMIT_NPROC},
	{"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	{"RLIMIT_AS", RLIMIT_AS},
	{"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	{"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{NULL, 0},
};

const struct oci_name oci_sched_policy_names[] = {
	{"SCHED_OTHER", SCHED_OTHER},
	{"SCHED_FIFO", SCHED_FIFO},
	{"SCHED_RR", SCHED_RR},
	{"SCHED_BATCH", SCHED_BATCH},
	{"SCHED_ISO", SCHED_ISO},
	{"SCHED_IDLE", SCHED_IDLE},
	{"SCHED_DEADLINE", SCHED_DEADLINE},
	{NULL, 0},
};

const struct oci_name oci_sched_flag_names[] = {
	{"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
	{"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
	{"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
	{"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}, {NULL, 0},
};

const struct oci_name oci_ioprio_class_names[] = {
	{"IOPRIO_CLASS_RT", OCI_IOPRIO_CLASS_RT},
	{"IOPRIO_CLASS_BE", OCI_IOPRIO_CLASS_BE},
	{"IOPRIO_CLASS_IDLE", OCI_IOPRIO_CLASS_IDLE},
	{NULL, 0},
};

const struct oci_name oci_personality_domain_names[] = {
	{"LINUX", PER_LINUX},
	{"LINUX32", PER_LINUX32},
	{NULL, 0},
};

const struct oci_name oci_seccomp_action_names[] = {
	{"SCMP_ACT_KILL", SCMP_ACT_KILL},
	{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
	{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
	{"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
	{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
	{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
	{"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
	{"SCMP_ACT_LOG", SCMP_ACT_LOG},
	{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
	{NULL, 0},
};

const struct oci_name oci_seccomp_op_names[] = {
	{"SCMP_CMP_NE", SCMP_CMP_NE},
	{"SCMP_CMP_LT", SCMP_CMP_LT},
	{"SCMP_CMP_LE", SCMP_CMP_LE},
	{"SCMP_CMP_EQ", SCMP_CMP_EQ},
	{"SCMP_CMP_GE", SCMP_CMP_GE},
	{"SCMP_CMP_GT", SCMP_CMP_GT},
	{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	{NULL, 0},
};

const struct oci_name oci_seccomp_arch_names[] = {
	{"SCMP_ARCH_X86", SCMP_ARCH_X86},
	{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
	{"SCMP_ARCH_X32", SCMP_ARCH_X32},
	{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
	{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
	{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
	{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
	{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
	{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
	{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
	{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
	{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
	{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
	{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
	{"SCMP_ARCH_S390", SCMP_ARCH_S390},
	{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
#ifdef SCMP_ARCH_PARISC
	{"SCMP_ARCH_PARISC", SCMP_ARCH_PARISC},
	{"SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64},
#endif
#ifdef SCMP_ARCH_RISCV64
	{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
#endif
	{NULL, 0},
};

const struct oci_name oci_seccomp_flag_names[] = {
	{"SECCOMP_FILTER_FLAG_TSYNC", OCI_SECCOMP_FILTER_FLAG_TSYNC},
	{"SECCOMP_FILTER_FLAG_LOG", OCI_SECCOMP_FILTER_FLAG_LOG},
	{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", OCI_SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", OCI_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
	{NULL, 0},
};

int64_t oci_name_lookup(const struct oci_name *table, const char *name)
{
	for (size_t i = 0; name && table[i].name; i++)
		if (!strcmp(table[i].name, name))
			return table[i].value;
	return -1;
}

const char *oci_name_of(const struct oci_name *table, int64_t value)
{
	for (size_t i = 0; table[i].name; i++)
		if (table[i].value == value)
			return table[i].name;
	return NULL;
}

bool oci_seccomp_action_takes_errno(const char *name)
{
	return name && (!strcmp(name, "SCMP_ACT_ERRNO") || !strcmp(name, "SCMP_ACT_TRACE"));
}

bool oci_seccomp_action_num(const char *name, unsigned errno_ret, uint32_t *out)
{
	int64_t v = oci_name_lookup(oci_seccomp_action_names, name);

	if (v < 0)
		return false;
	if (!strcmp(name, "SCMP_ACT_ERRNO"))
		v = SCMP_ACT_ERRNO(errno_ret);
	else if (!strcmp(name, "SCMP_ACT_TRACE"))
		v = SCMP_ACT_TRACE(errno_ret);
	*out = (uint32_t)v;
	return true;
}
