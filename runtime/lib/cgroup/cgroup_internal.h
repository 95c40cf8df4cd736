/*
 * runtime/lib/cgroup/cgroup_internal.h - what the cgroup*.c pieces share.
 *
 * cgroup.c        front: layout detection (mountinfo), the manager selection,
 *                 create/enter/destroy, pids, freeze and kill dispatch
 * manager.h       the cgroup manager (driver) interface; cgroup_fs.c (cgroupfs) and
 *                 cgroup_systemd.c (systemd) implement it
 * cgroup_apply.c  linux.resources validation and dispatch per controller
 * cgroup_v1.c     v1 file formats (memory.limit_in_bytes, cpu.shares, freezer.state...)
 * cgroup_v2.c     v2 file formats (memory.max, cpu.max, io.max, cgroup.freeze...)
 * cgroup_devices_v2.c  the eBPF device filter of cgroup v2
 * cgroup_stats.c  usage counters for `events --stats`, OOM notification
 *
 * A struct cg_hier is one mounted hierarchy berth uses. Resources pick the
 * hierarchy of their controller with cg_ctrl(): a v1 hierarchy binding it
 * first, else the cgroup2 one when its root lists it in cgroup.controllers.
 * So a hybrid host uses v2 file names for what lives on the unified mount
 * (hugetlb on this project's CI host) and v1 names for the rest: each hierarchy
 * carries the struct cg_fmt of its version (cg_fmt_v1, cg_fmt_v2), and callers go
 * through h->fmt rather than branching on h->v2.
 */
#ifndef BERTH_RUNTIME_CGROUP_INTERNAL_H
#define BERTH_RUNTIME_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "runtime/lib/cgroup/cgroup.h"
#include "runtime/lib/cgroup/manager.h"
#include "spec/config.h"

struct cg_hier;

/* The file formats of one cgroup version: cgroup_v1.c (cg_fmt_v1) and cgroup_v2.c
 * (cg_fmt_v2). A hierarchy carries the table of its version, so that resources and
 * freezing reach the right files without a branch; a hybrid host has both. */
struct cg_fmt {
	/* Making the container's path, level by level (NULL: nothing to do): before a level
	 * is made, with its parent (v2: delegate the controllers), and after it is made or
	 * found (v1: a cpuset level gets the parent's cpus and mems). */
	int (*before_level)(const char *parent, struct berth_err **err);
	int (*after_level)(const struct cg_hier *h, const char *dir, struct berth_err **err);
	int (*memory)(const char *dir, const struct oci_memory *m, bool update,
		      struct berth_err **err);
	int (*cpu)(const char *dir, const struct oci_cpu *c, struct berth_err **err);
	int (*cpuset)(const char *dir, const struct oci_cpu *c, struct berth_err **err);
	int (*pids)(const char *dir, int64_t limit, struct berth_err **err);
	int (*io)(const char *dir, const struct oci_block_io *b, struct berth_err **err);
	int (*hugetlb)(const char *dir, const struct oci_hugepage_limit *l, size_t n,
		       struct berth_err **err);
	int (*freeze)(const char *dir, bool frozen, struct berth_err **err);
	int (*is_frozen)(const char *dir);
	int (*frozen_by_ancestor)(const char *dir);
};

extern const struct cg_fmt cg_fmt_v1, cg_fmt_v2;

struct cg_hier {
	char *mnt; /* mount point */
	char **ctrls; /* v1: controllers bound ("cpu", "name=systemd"); v2: root's cgroup.controllers */
	bool v2;
	const struct cg_fmt *fmt; /* &cg_fmt_v2 when v2, else &cg_fmt_v1 */
	char *dir;		  /* mnt + cgroup path: the container's cgroup */
	char **created;		  /* directories this process created, parent first */
};

struct rt_cgroup {
	enum rt_cgroup_mode mode;
	char *cgpath; /* normalized, absolute, e.g. "/berth/abc" */
	struct cg_hier *h;
	size_t n;
	struct cg_hier *unified; /* the cgroup2 hierarchy or NULL; points into h */
	/* device rules before this index come from linux.resources.devices, the
	 * ones after it were added by the runtime (rt_cgroup_set_config_devices) */
	size_t n_cfg_devices;
	/* the driver (manager.h) and its own data (systemd: the unit and its slice) */
	const struct rt_cgroup_manager *mgr;
	void *mgr_data;
};

#define CG_FIELD "linux.resources."

/* The hierarchy holding controller, or NULL when it is not mounted/available. */
struct cg_hier *cg_ctrl(const struct rt_cgroup *cg, const char *controller);

/* ---- files (cgroup.c) ---- */

/* Writes value to dir/file. field names the JSON path in errors:
 * "<field>: '<file>' does not exist" when the file is missing (hint appended when
 * not NULL), "<field>: write '<value>' to '<file>': <strerror>" otherwise. */
int cg_write(const char *dir, const char *file, const char *value, const char *field,
	     const char *hint, struct berth_err **err);
int cg_writef(const char *dir, const char *file, const char *field, const char *hint,
	      struct berth_err **err, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Reads dir/file (NUL-terminated, trailing newline kept); caller frees. */
int cg_read(const char *dir, const char *file, char **out, struct berth_err **err);
/* Parses a single unsigned number (or "max" -> UINT64_MAX) from dir/file. */
int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct berth_err **err);
/* Value of "key N" in a flat keyed file (memory.stat, cpu.stat, memory.events). */
int cg_read_keyed(const char *dir, const char *file, const char *key, uint64_t *out,
		  struct berth_err **err);
bool cg_file_exists(const char *dir, const char *file);

/* ---- resources (cgroup_apply.c) ---- */

/* Names device rule i of d in errors: "linux.resources.devices[i]" for a rule of
 * the config, "linux.resources.devices: rule 'c 1:3 rwm' added by the runtime
 * (default devices)" for one the runtime appended: its index is
 * not in the user's config. */
void cg_device_field(const struct rt_cgroup *cg, const struct oci_device_cgroup *d, size_t i,
		     char *buf, size_t len);

/* Checks what can be checked without touching the cgroup (controllers
 * mounted, v1/v2-only fields, value ranges). */
int cg_validate(const struct rt_cgroup *cg, const struct oci_resources *res, bool update,
		struct berth_err **err);
int cg_apply(struct rt_cgroup *cg, const struct oci_resources *res, bool update,
	     struct berth_err **err);

/* ---- v1 (cgroup_v1.c) ---- */

int cg_v1_memory(const char *dir, const struct oci_memory *m, struct berth_err **err);
int cg_v1_cpu(const char *dir, const struct oci_cpu *c, struct berth_err **err);
int cg_v1_cpuset(const char *dir, const struct oci_cpu *c, struct berth_err **err);
int cg_v1_cpuset_inherit(const char *dir, struct berth_err **err);
int cg_v1_pids(const char *dir, int64_t limit, struct berth_err **err);
int cg_v1_blkio(const char *dir, const struct oci_block_io *b, struct berth_err **err);
int cg_v1_hugetlb(const char *dir, const struct oci_hugepage_limit *l, size_t n,
		  struct berth_err **err);
int cg_v1_devices(const struct rt_cgroup *cg, const char *dir, const struct oci_device_cgroup *d,
		  size_t n, struct berth_err **err);
int cg_v1_freeze(const char *dir, bool frozen, struct berth_err **err);
int cg_v1_is_frozen(const char *dir);
/* 1 when an ancestor's freeze holds dir frozen (thawing dir itself cannot help), 0, -1 */
int cg_v1_frozen_by_ancestor(const char *dir);

/* ---- v2 (cgroup_v2.c) ---- */

/* Writes "+c" to dir/cgroup.subtree_control for every c of dir/cgroup.controllers
 * not yet enabled. A controller the kernel refuses (e.g. EBUSY: processes in
 * dir) is skipped: a resource needing it then fails naming its missing file. */
int cg_v2_enable_controllers(const char *dir, struct berth_err **err);
int cg_v2_memory(const char *dir, const struct oci_memory *m, bool update, struct berth_err **err);
int cg_v2_cpu(const char *dir, const struct oci_cpu *c, struct berth_err **err);
int cg_v2_cpuset(const char *dir, const struct oci_cpu *c, struct berth_err **err);
int cg_v2_pids(const char *dir, int64_t limit, struct berth_err **err);
int cg_v2_io(const char *dir, const struct oci_block_io *b, struct berth_err **err);
int cg_v2_hugetlb(const char *dir, const struct oci_hugepage_limit *l, size_t n,
		  struct berth_err **err);
int cg_v2_unified(const char *dir, const struct oci_kv *kv, size_t n, struct berth_err **err);
int cg_v2_freeze(const char *dir, bool frozen, struct berth_err **err);
int cg_v2_is_frozen(const char *dir);
int cg_v2_frozen_by_ancestor(const char *dir);
/* shares (v1, 2..262144) -> cpu.weight (1..10000), as runc converts */
uint64_t cg_v2_shares_to_weight(uint64_t shares);
/* blkio weight (10..1000) -> io.weight (1..10000), as runc converts */
uint64_t cg_v2_blkio_to_io_weight(uint64_t weight);
/* OCI swap (memory+swap total) -> memory.swap.max; -1 = "max", 0 = leave unset */
int cg_v2_swap_value(const struct oci_memory *m, int64_t *out, struct berth_err **err);

/* ---- v2 devices (cgroup_devices_v2.c) ---- */

int cg_v2_devices(const char *dir, const struct oci_device_cgroup *d, size_t n,
		  struct berth_err **err);

#endif
