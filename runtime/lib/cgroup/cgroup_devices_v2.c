/*
 * runtime/lib/cgroup/cgroup_devices_v2.c - linux.resources.devices on cgroup v2: a
 * BPF_PROG_TYPE_CGROUP_DEVICE program assembled by hand and attached to the
 * container's cgroup with BPF_CGROUP_DEVICE.
 *
 * The program keeps v1's semantics: the rules are tested last to first and
 * the first match decides (so the last matching rule wins); no match allows,
 * as a v1 cgroup starts with "a *:* rwm" (configs begin with a deny-all
 * rule). An allow rule matches when every requested access bit is in its
 * access; a deny rule when any is. On update the new program is attached
 * before the old ones are detached, so there is no window without a filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/lib/cgroup/cgroup_internal.h"

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define ALU32_IMM(op, dst, imm) INSN(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define MOV32_REG(dst, src) INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define JMP_IMM(op, dst, imm, off) INSN(BPF_JMP | (op) | BPF_K, dst, 0, off, imm)
#define JMP_REG(op, dst, src, off) INSN(BPF_JMP | (op) | BPF_X, dst, src, off, 0)
#define EXIT_INSN() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0 = 0, R1, R2, R3, R4, R5 };

struct prog {
	struct bpf_insn *v;
	size_t n;
};

static void emit(struct prog *p, struct bpf_insn i)
{
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = i;
}

static int access_mask(const char *a)
{
	int m = 0;

	if (!a)
		return BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
	for (; *a; a++)
		m |= *a == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *a == 'w' ? BPF_DEVCG_ACC_WRITE
				 : BPF_DEVCG_ACC_MKNOD;
	return m;
}

/* One rule: a block of tests, each jumping past the block on mismatch.
 * Returns true for a catch-all (no test), after which nothing is reachable. */
static bool emit_rule(struct prog *p, const struct oci_device_cgroup *d)
{
	const int all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
	int mask = access_mask(d->access);
	bool has_type = d->type == 'c' || d->type == 'b';
	bool has_acc = mask != all;
	bool has_maj = d->has_major && d->major >= 0, has_min = d->has_minor && d->minor >= 0;
	/* instructions after each test up to the end of the block */
	int len = has_type + (has_acc ? 3 : 0) + has_maj + has_min + 2, left = len;

	if (has_type) {
		left--;
		emit(p, JMP_IMM(BPF_JNE, R2,
				d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, left));
	}
	if (has_acc) {
		left -= 3;
		emit(p, MOV32_REG(R1, R3));
		emit(p, ALU32_IMM(BPF_AND, R1, mask));
		if (d->allow) /* (access & mask) != access: asks for more than allowed */
			emit(p, JMP_REG(BPF_JNE, R1, R3, left));
		else /* no overlap with the denied bits */
			emit(p, JMP_IMM(BPF_JEQ, R1, 0, left));
	}
	if (has_maj) {
		left--;
		emit(p, JMP_IMM(BPF_JNE, R4, (int32_t)d->major, left));
	}
	if (has_min) {
		left--;
		emit(p, JMP_IMM(BPF_JNE, R5, (int32_t)d->minor, left));
	}
	emit(p, MOV64_IMM(R0, d->allow ? 1 : 0));
	emit(p, EXIT_INSN());
	return len == 2;
}

static void build(struct prog *p, const struct oci_device_cgroup *d, size_t n)
{
	/* struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
	emit(p, LDX_W(R2, R1, 0));
	emit(p, ALU32_IMM(BPF_AND, R2, 0xffff));
	emit(p, LDX_W(R3, R1, 0));
	emit(p, ALU32_IMM(BPF_RSH, R3, 16));
	emit(p, LDX_W(R4, R1, 4));
	emit(p, LDX_W(R5, R1, 8));
	/* the verifier rejects unreachable instructions: stop after a catch-all */
	for (size_t i = n; i-- > 0;)
		if (emit_rule(p, &d[i]))
			return;
	emit(p, MOV64_IMM(R0, 1));
	emit(p, EXIT_INSN());
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_load(const struct prog *p, struct berth_err **err)
{
	static char log[16384];
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uintptr_t)p->v;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uintptr_t) "Apache";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	/* again with the verifier's log, for the message */
	log[0] = '\0';
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	return berth_err_sys(
		err, errno,
		CG_FIELD
		"devices: load the eBPF device filter (%zu instructions; verifier: %.200s)",
		p->n, log);
}

/* ids of the device programs attached to the cgroup now, and their attach flags */
static int query(int cgfd, uint32_t *ids, uint32_t *n, uint32_t *flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)cgfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uintptr_t)ids;
	a.query.prog_cnt = *n;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return -1;
	*n = a.query.prog_cnt;
	*flags = a.query.attach_flags;
	return 0;
}

static int attach(int cgfd, int progfd, uint32_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)progfd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = flags;
	return (int)sys_bpf(BPF_PROG_ATTACH, &a);
}

static void detach_id(int cgfd, uint32_t id)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	if (fd < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	sys_bpf(BPF_PROG_DETACH, &a);
	close(fd);
}

int cg_v2_devices(const char *dir, const struct oci_device_cgroup *d, size_t n,
		  struct berth_err **err)
{
	struct prog p = {0};
	cleanup_free struct bpf_insn *insns = NULL;
	cleanup_close int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int progfd = -1;
	uint32_t ids[64], nold = 64, flags = 0;

	build(&p, d, n);
	insns = p.v;
	if (cgfd < 0)
		return berth_err_sys(err, errno, CG_FIELD "devices: open cgroup '%s'", dir);
	progfd = prog_load(&p, err);
	if (progfd < 0)
		return -1;
	if (query(cgfd, ids, &nold, &flags) < 0)
		return berth_err_sys(err, errno,
				     CG_FIELD "devices: query the device programs of '%s'", dir);
	if (nold > 0 && !(flags & BPF_F_ALLOW_MULTI)) {
		/* single-program mode: attaching replaces the old one */
		if (attach(cgfd, progfd, flags) < 0)
			return berth_err_sys(
				err, errno,
				CG_FIELD "devices: attach the eBPF device filter to '%s'", dir);
		return 0;
	}
	if (attach(cgfd, progfd, BPF_F_ALLOW_MULTI) < 0)
		return berth_err_sys(
			err, errno, CG_FIELD "devices: attach the eBPF device filter to '%s'", dir);
	for (uint32_t i = 0; i < nold && i < 64; i++)
		detach_id(cgfd, ids[i]);
	return 0;
}
