/*
 * spec/config.h - the OCI runtime-spec 1.1 config.json (Linux) as plain C.
 *
 * Owns the parsed document: every string and array hangs off struct oci_spec
 * and is freed by oci_spec_free(). Optional scalars carry a has_<field> flag;
 * optional objects are NULL when absent. Arrays are a pointer plus a count
 * (n_<field>). Strings vectors (char **) are NULL-terminated (common/strv.h).
 * Names follow the JSON properties, in snake_case.
 *
 * Parsing (spec/parse.c) validates the whole document before anyone acts on
 * it: unknown properties are ignored, a wrong type or invalid value is an
 * error naming the JSON path ("config.json: linux.namespaces[2].type: ...").
 */
#ifndef BERTH_SPEC_CONFIG_H
#define BERTH_SPEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

/* ---- process ---- */

struct oci_rlimit {
	int resource; /* RLIMIT_* number, resolved from "RLIMIT_NOFILE" */
	char *type;   /* as written */
	uint64_t hard, soft;
};

struct oci_capabilities {
	/* each a NULL-terminated list of "CAP_..." names, NULL when absent;
	 * validated against the capabilities the kernel/libcap know */
	char **bounding, **effective, **inheritable, **permitted, **ambient;
};

/*
 * The largest uid or gid a config may name: runc's range (0-2147483647). Above
 * it, 4294967295 is (uid_t)-1, which setuid(), chown() and setgroups() take as
 * "no change" or wrap to uid 0 in places (issue #15).
 */
#define OCI_ID_MAX 2147483647u

/* The kernel's dev_t as mknod(2) and the blkio files take it: 12 bits of
 * major, 20 of minor (MKDEV); larger numbers would name another device. */
#define OCI_DEV_MAJOR_MAX 4095
#define OCI_DEV_MINOR_MAX 1048575

struct oci_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char *username; /* Windows only; kept */
};

struct oci_console_size {
	unsigned height, width;
};

struct oci_scheduler {
	char *policy; /* SCHED_OTHER ... */
	int policy_num;
	int nice;
	int priority;
	char **flags; /* SCHED_FLAG_* names */
	uint64_t runtime, deadline, period;
};

struct oci_io_priority {
	char *class_name; /* IOPRIO_CLASS_RT|BE|IDLE */
	int class_num;	  /* IOPRIO_CLASS_* value */
	int priority;
};

struct oci_process {
	bool terminal;
	struct oci_console_size *console_size; /* NULL if absent */
	struct oci_user user;
	char **args;	    /* required unless the process is absent; at least one element */
	char *command_line; /* Windows only; kept */
	char **env;	    /* "KEY=value" */
	char *cwd;	    /* absolute, required */
	struct oci_capabilities *capabilities; /* NULL if absent */
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	bool has_oom_score_adj;
	int oom_score_adj;
	struct oci_scheduler *scheduler;
	char *selinux_label;
	struct oci_io_priority *io_priority;
};

/* ---- root, mounts ---- */

struct oci_root {
	char *path; /* as written; relative to the bundle or absolute */
	bool readonly;
};

struct oci_id_mapping {
	uint32_t container_id, host_id, size;
};

struct oci_mount {
	char *destination; /* absolute path inside the container */
	char *type;	   /* may be NULL (bind mounts) */
	char *source;	   /* may be NULL */
	char **options;	   /* as written */
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	/* compiled from options by spec/mountopt.c */
	unsigned long flags;	   /* MS_* to set */
	unsigned long clear_flags; /* MS_* explicitly cleared ("rw", "suid"...) */
	unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (|MS_REC) or 0 */
	bool bind;		   /* "bind" or "rbind" option (or type "bind") */
	bool rec;		   /* "rbind" / "r*" propagation */
	char *data; /* the options that are not flags, comma-joined (e.g. "mode=755,size=65536k"); NULL if none */
	bool tmpcopyup;
	/* "rbind" alone (rec is also set by the "r*" propagation options) */
	bool rbind;
	/* MOUNT_ATTR_* to set / clear from "rro", "rnosuid"...; for mount_setattr(AT_RECURSIVE) */
	unsigned long long rec_attr_set, rec_attr_clr;
};

/* ---- hooks ---- */

struct oci_hook {
	char *path; /* absolute */
	char **args;
	char **env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

struct oci_hooks {
	struct oci_hook *prestart, *create_runtime, *create_container, *start_container, *poststart,
		*poststop;
	size_t n_prestart, n_create_runtime, n_create_container, n_start_container, n_poststart,
		n_poststop;
};

/* ---- linux ---- */

enum oci_ns_type {
	OCI_NS_PID = 0,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT
};

struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* NULL: create a new one; else join this one */
};

struct oci_device {
	char type; /* 'c', 'b', 'u', 'p' */
	char *path;
	int64_t major, minor;
	bool has_file_mode;
	mode_t file_mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct oci_device_cgroup {
	bool allow;
	char type; /* 'a', 'c', 'b'; 'a' when absent */
	bool has_major, has_minor;
	int64_t major, minor; /* -1 wildcard when absent */
	char *access;	      /* subset of "rwm"; NULL = all */
};

struct oci_memory {
	bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
	int64_t limit, reservation, swap, kernel, kernel_tcp;
	uint64_t swappiness;
	bool has_disable_oom_killer, disable_oom_killer;
	bool has_use_hierarchy, use_hierarchy;
	bool has_check_before_update, check_before_update;
};

struct oci_cpu {
	bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime,
		has_realtime_period, has_idle;
	uint64_t shares;
	int64_t quota;
	uint64_t burst, period;
	int64_t realtime_runtime;
	uint64_t realtime_period;
	char *cpus, *mems;
	int64_t idle;
};

struct oci_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct oci_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct oci_block_io {
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
	struct oci_weight_device *weight_device;
	size_t n_weight_device;
	struct oci_throttle_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops,
		*throttle_write_iops;
	size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
		n_throttle_write_iops;
};

struct oci_hugepage_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct oci_net_priority {
	char *name;
	uint32_t priority;
};

struct oci_network {
	bool has_class_id;
	uint32_t class_id;
	struct oci_net_priority *priorities;
	size_t n_priorities;
};

struct oci_rdma {
	char *device; /* map key */
	bool has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

struct oci_kv {
	char *key, *value;
};

struct oci_resources {
	struct oci_device_cgroup *devices;
	size_t n_devices;
	struct oci_memory *memory;
	struct oci_cpu *cpu;
	bool has_pids_limit;
	int64_t pids_limit;
	struct oci_block_io *block_io;
	struct oci_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	struct oci_network *network;
	struct oci_rdma *rdma;
	size_t n_rdma;
	struct oci_kv *unified; /* cgroup v2 file -> value */
	size_t n_unified;
};

struct oci_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	int op; /* SCMP_CMP_* number, resolved from "SCMP_CMP_EQ" */
};

struct oci_seccomp_syscall {
	char **names;
	char *action;	     /* "SCMP_ACT_..." as written */
	uint32_t action_num; /* SCMP_ACT_* (with errno/trace value applied) */
	bool has_errno_ret;
	unsigned errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	char *default_action;
	uint32_t default_action_num;
	bool has_default_errno_ret;
	unsigned default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64"... */
	char **flags;	      /* "SECCOMP_FILTER_FLAG_..." */
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_time_offset {
	char *clock; /* "monotonic" | "boottime" (map key) */
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_personality {
	char *domain; /* "LINUX" | "LINUX32" */
	unsigned long domain_num;
	char **flags;
};

struct oci_linux {
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct oci_time_offset *time_offsets;
	size_t n_time_offsets;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct oci_resources *resources;
	struct oci_kv *sysctl;
	size_t n_sysctl;
	struct oci_seccomp *seccomp;
	char *rootfs_propagation;		/* as written */
	unsigned long rootfs_propagation_flags; /* MS_* or 0 */
	char **masked_paths;
	char **readonly_paths;
	char *mount_label;
	struct oci_personality *personality;
	struct oci_kv *intel_rdt; /* kept as raw kv of closID etc.; not applied */
	size_t n_intel_rdt;
};

struct oci_spec {
	char *oci_version;
	struct oci_root *root; /* required on Linux */
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_process *process; /* NULL when absent (create without process) */
	char *hostname;
	char *domainname;
	struct oci_hooks *hooks; /* NULL when absent */
	struct oci_kv *annotations;
	size_t n_annotations;
	struct oci_linux *linux_; /* NULL when absent ("linux" is a GCC macro) */
};

/* Parses and validates a config.json document held in buf (len bytes).
 * name is used as the error prefix ("config.json"). *out owned by the caller. */
int oci_spec_parse(const char *buf, size_t len, const char *name, struct oci_spec **out,
		   struct berth_err **err);
/* Reads and parses <bundle>/config.json. */
int oci_spec_load(const char *bundle, struct oci_spec **out, struct berth_err **err);
/* Parses a process object alone (runc exec --process FILE); name for errors. */
int oci_process_parse(const char *buf, size_t len, const char *name, struct oci_process **out,
		      struct berth_err **err);
/* Parses a LinuxResources object alone (runc update --resources). */
int oci_resources_parse(const char *buf, size_t len, const char *name, struct oci_resources **out,
			struct berth_err **err);
/* Serializes the spec back to JSON (round-trip); caller frees. */
char *oci_spec_to_json(const struct oci_spec *spec);
/* Same for a process object alone and a LinuxResources object alone. */
char *oci_process_to_json(const struct oci_process *p);
char *oci_resources_to_json(const struct oci_resources *r);

const char *oci_ns_type_name(enum oci_ns_type t); /* "pid", "network", ... */
int oci_ns_type_from_name(const char *name);	  /* -1 if unknown */
int oci_ns_clone_flag(enum oci_ns_type t);	  /* CLONE_NEWPID ... */
/* The namespace entry of that type, or NULL. */
const struct oci_namespace *oci_spec_find_ns(const struct oci_spec *spec, enum oci_ns_type t);

void oci_spec_free(struct oci_spec *spec);
void oci_spec_freep(struct oci_spec **spec);
void oci_process_free(struct oci_process *p);
void oci_process_freep(struct oci_process **p);
void oci_resources_free(struct oci_resources *r);
void oci_resources_freep(struct oci_resources **r);

#endif
