/*
 * runtime/lib/seccomp.c - linux.seccomp compiled with libseccomp in the
 * parent, loaded with the raw seccomp(2) syscall in the container child.
 *
 * Compile: seccomp_init(default action), architectures, one rule per
 * resolvable syscall name, export as BPF into a memfd, read back into a
 * struct sock_fprog. Syscall names libseccomp does not know are skipped, as
 * runc does (a profile written for a newer kernel still works), and kept in
 * rt_seccomp_skipped() so the caller may report them; nothing is logged here.
 * Several comparisons on the same argument cannot be ANDed by libseccomp:
 * like runc, each then becomes a rule of its own (so they are ORed).
 */
#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/xalloc.h"
#include "runtime/lib/seccomp.h"

#define SC_FIELD "linux.seccomp."
#define MAX_ARGS 6

struct rt_seccomp {
	struct sock_fprog prog; /* filter owned */
	unsigned int flags;	/* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	char **skipped;		/* unknown syscall names, in order */
};

static void ctx_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static const struct {
	const char *name;
	unsigned int flag;
} flag_names[] = {
	{"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
	{"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
	{"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	{"SECCOMP_FILTER_FLAG_TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC_ESRCH},
	{"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1U << 5},
};

static int parse_flags(const struct oci_seccomp *spec, unsigned int *out, struct berth_err **err)
{
	size_t i = 0;

	*out = 0;
	strv_foreach (f, spec->flags) {
		size_t k;

		for (k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
			if (strcmp(f, flag_names[k].name) == 0)
				break;
		if (k == sizeof(flag_names) / sizeof(flag_names[0]))
			return berth_err_new(err, BERTH_E_INVALID,
					     SC_FIELD "flags[%zu]: unknown flag '%s'", i, f);
		*out |= flag_names[k].flag;
		i++;
	}
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, const struct oci_seccomp *spec, struct berth_err **err)
{
	size_t i = 0;

	strv_foreach (a, spec->architectures) {
		char name[32];
		size_t j;
		uint32_t arch;
		int r;

		if (strncmp(a, "SCMP_ARCH_", 10) != 0 || strlen(a + 10) >= sizeof(name))
			return berth_err_new(
				err, BERTH_E_INVALID,
				SC_FIELD "architectures[%zu]: unknown architecture '%s'", i, a);
		for (j = 0; a[10 + j]; j++)
			name[j] = (char)tolower((unsigned char)a[10 + j]);
		name[j] = '\0';
		arch = seccomp_arch_resolve_name(name);
		if (arch == 0)
			return berth_err_new(
				err, BERTH_E_INVALID,
				SC_FIELD "architectures[%zu]: unknown architecture '%s'", i, a);
		r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return berth_err_sys(err, -r, SC_FIELD "architectures[%zu]: add '%s'", i,
					     a);
		i++;
	}
	return 0;
}

static int build_args(const struct oci_seccomp_syscall *s, size_t si, struct scmp_arg_cmp *cmp,
		      bool *same_index, struct berth_err **err)
{
	unsigned count[MAX_ARGS] = {0};

	if (s->n_args > MAX_ARGS)
		return berth_err_new(
			err, BERTH_E_INVALID,
			SC_FIELD "syscalls[%zu].args: %zu comparisons, at most %d are supported",
			si, s->n_args, MAX_ARGS);
	*same_index = false;
	for (size_t i = 0; i < s->n_args; i++) {
		const struct oci_seccomp_arg *a = &s->args[i];

		if (a->index >= MAX_ARGS)
			return berth_err_new(
				err, BERTH_E_INVALID,
				SC_FIELD
				"syscalls[%zu].args[%zu].index: %u is out of range (max %d)",
				si, i, a->index, MAX_ARGS - 1);
		if (a->op < SCMP_CMP_NE || a->op > SCMP_CMP_MASKED_EQ)
			return berth_err_new(err, BERTH_E_INVALID,
					     SC_FIELD
					     "syscalls[%zu].args[%zu].op: invalid comparison %d",
					     si, i, a->op);
		if (++count[a->index] > 1)
			*same_index = true;
		cmp[i] = (struct scmp_arg_cmp){.arg = a->index,
					       .op = (enum scmp_compare)a->op,
					       .datum_a = a->value,
					       .datum_b = a->value_two};
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t act, int nr, const struct scmp_arg_cmp *cmp,
		    size_t n, bool split)
{
	if (!split)
		return seccomp_rule_add_array(ctx, act, nr, (unsigned)n, cmp);
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

static int add_syscall(scmp_filter_ctx ctx, const struct oci_seccomp *spec, size_t si,
		       char ***skipped, struct berth_err **err)
{
	const struct oci_seccomp_syscall *s = &spec->syscalls[si];
	struct scmp_arg_cmp cmp[MAX_ARGS];
	bool split = false;
	size_t ni = 0;

	if (!s->names || !s->names[0])
		return berth_err_new(err, BERTH_E_INVALID, SC_FIELD "syscalls[%zu].names: empty",
				     si);
	if (build_args(s, si, cmp, &split, err) < 0)
		return -1;
	if (s->action_num == SCMP_ACT_NOTIFY && !spec->listener_path)
		return berth_err_new(
			err, BERTH_E_INVALID,
			SC_FIELD
			"syscalls[%zu].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath",
			si);
	strv_foreach (name, s->names) {
		int nr = seccomp_syscall_resolve_name(name), r;

		if (nr == __NR_SCMP_ERROR) {
			strv_push(skipped, name);
		} else if (s->action_num != spec->default_action_num) {
			/* a rule repeating the default action is redundant; libseccomp refuses it */
			r = add_rule(ctx, s->action_num, nr, cmp, s->n_args, split);
			if (r < 0)
				return berth_err_sys(
					err, -r,
					SC_FIELD
					"syscalls[%zu].names[%zu]: add a rule for '%s' (action '%s')",
					si, ni, name, s->action ? s->action : "?");
		}
		ni++;
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog, struct berth_err **err)
{
	cleanup_close int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	cleanup_free struct sock_filter *buf = NULL;
	struct stat st;
	int r;

	if (fd < 0)
		return berth_err_sys(err, errno, "seccomp: memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return berth_err_sys(err, -r, "seccomp: export the BPF program");
	if (fstat(fd, &st) < 0)
		return berth_err_sys(err, errno, "seccomp: stat the BPF program");
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berth_err_new(
			err, BERTH_E_INVALID,
			"seccomp: the BPF program has %lld bytes (at most %d instructions)",
			(long long)st.st_size, BPF_MAXINSNS);
	buf = xmalloc((size_t)st.st_size);
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
		return berth_err_sys(err, errno, "seccomp: read the BPF program");
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	prog->filter = take_ptr(buf);
	return 0;
}

static bool uses_notify(const struct oci_seccomp *spec)
{
	for (size_t i = 0; i < spec->n_syscalls; i++)
		if (spec->syscalls[i].action_num == SCMP_ACT_NOTIFY)
			return true;
	return false;
}

int rt_seccomp_compile(const struct oci_seccomp *spec, struct rt_seccomp **out,
		       struct berth_err **err)
{
	cleanup(ctx_releasep) scmp_filter_ctx ctx = NULL;
	cleanup(rt_seccomp_freep) struct rt_seccomp *sc = xnew(struct rt_seccomp);

	if (parse_flags(spec, &sc->flags, err) < 0)
		return -1;
	if (spec->default_action_num == SCMP_ACT_NOTIFY)
		return berth_err_new(err, BERTH_E_INVALID,
				     SC_FIELD
				     "defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
	if (uses_notify(spec)) {
		sc->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if ((sc->flags & SECCOMP_FILTER_FLAG_TSYNC) &&
		    !(sc->flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
			return berth_err_new(
				err, BERTH_E_INVALID,
				SC_FIELD
				"flags: SECCOMP_FILTER_FLAG_TSYNC with SCMP_ACT_NOTIFY needs SECCOMP_FILTER_FLAG_TSYNC_ESRCH");
	}
	ctx = seccomp_init(spec->default_action_num);
	if (!ctx)
		return berth_err_new(err, BERTH_E_INVALID,
				     SC_FIELD "defaultAction: '%s' (0x%x) is not a valid action",
				     spec->default_action ? spec->default_action : "?",
				     spec->default_action_num);
	if (add_arches(ctx, spec, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->n_syscalls; i++)
		if (add_syscall(ctx, spec, i, &sc->skipped, err) < 0)
			return -1;
	if (export_bpf(ctx, &sc->prog, err) < 0)
		return -1;
	*out = take_ptr(sc);
	return 0;
}

/* After fork: no allocation, no libc state beyond syscall(2)/prctl(2). */
int rt_seccomp_load(const struct rt_seccomp *sc, int *listener_fd)
{
	long r;

	if (listener_fd)
		*listener_fd = -1;
	if (!sc)
		return 0;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &sc->prog);
	if (r < 0 && errno == ENOSYS && sc->flags == 0)
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &sc->prog, 0, 0);
	if (r < 0)
		return -errno;
	if (sc->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) {
		if (listener_fd)
			*listener_fd = (int)r;
		else
			close((int)r);
	}
	return 0;
}

unsigned int rt_seccomp_flags(const struct rt_seccomp *sc)
{
	return sc->flags;
}

bool rt_seccomp_has_listener(const struct rt_seccomp *sc)
{
	return sc->flags & SECCOMP_FILTER_FLAG_NEW_LISTENER;
}

size_t rt_seccomp_insn_count(const struct rt_seccomp *sc)
{
	return sc->prog.len;
}

char *const *rt_seccomp_skipped(const struct rt_seccomp *sc)
{
	return sc->skipped;
}

void rt_seccomp_free(struct rt_seccomp *sc)
{
	if (!sc)
		return;
	free(sc->prog.filter);
	strv_free(sc->skipped);
	free(sc);
}

void rt_seccomp_freep(struct rt_seccomp **sc)
{
	rt_seccomp_free(*sc);
}
