/*
 * runtime/cli/cmd_update.c - `berth update [options] <id>`: runc's update.
 *
 * Resources come either from --resources FILE|- (a LinuxResources JSON
 * object, what containerd's shim sends on stdin; every other flag is then
 * ignored, like runc) or from the flags. All input is checked before the
 * container is touched; the library (runtime/lib/update.h) applies it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "runtime/cli/cli.h"
#include "runtime/lib/update.h"

struct update_flags {
	const char *resources;
	const char *memory, *memory_reservation, *memory_swap, *kernel_memory, *kernel_memory_tcp;
	const char *cpu_shares, *cpu_quota, *cpu_period, *cpu_rt_runtime, *cpu_rt_period;
	const char *cpuset_cpus, *cpuset_mems, *pids_limit, *blkio_weight;
	const char *l3_cache_schema, *mem_bw_schema;
};

static int read_input(const char *path, char **out, size_t *len, struct berth_err **err)
{
	cleanup_close int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	int in = strcmp(path, "-") ? fd : 0;
	size_t cap = 4096, n = 0;
	cleanup_free char *buf = xmalloc(cap + 1);

	if (in < 0)
		return berth_err_sys(err, errno, "open resources file '%s'", path);
	for (;;) {
		ssize_t r = read(in, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return berth_err_sys(err, errno, "read resources from '%s'",
					     strcmp(path, "-") ? path : "stdin");
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	buf[n] = '\0';
	*len = n;
	*out = take_ptr(buf);
	return 0;
}

static int bad_value(const char *flag, const char *val, const char *why, struct berth_err **err)
{
	return berth_err_new(err, BERTH_E_INVALID, "invalid value '%s' for --%s: %s", val, flag,
			     why);
}

/* A memory flag: a size with an optional unit, or "-1" for unlimited. */
static int mem_flag(const char *flag, const char *val, int64_t *out, bool *has,
		    struct berth_err **err)
{
	if (!val)
		return 0;
	if (!strcmp(val, "-1"))
		*out = -1;
	else if (rt_size_parse(val, out) < 0)
		return bad_value(flag, val, "invalid size", err);
	*has = true;
	return 0;
}

static int i64_flag(const char *flag, const char *val, int64_t min, int64_t max, int64_t *out,
		    bool *has, struct berth_err **err)
{
	char *end;
	long long v;

	if (!val)
		return 0;
	errno = 0;
	v = strtoll(val, &end, 10);
	if (errno || !*val || *end)
		return bad_value(flag, val, "not an integer", err);
	if (v < min || v > max)
		return bad_value(flag, val, "out of range", err);
	*out = v;
	*has = true;
	return 0;
}

static int u64_flag(const char *flag, const char *val, uint64_t *out, bool *has,
		    struct berth_err **err)
{
	char *end;
	unsigned long long v;

	if (!val)
		return 0;
	errno = 0;
	v = strtoull(val, &end, 10);
	if (errno || !*val || *end || val[0] == '-')
		return bad_value(flag, val, "not an unsigned integer", err);
	*out = v;
	*has = true;
	return 0;
}

static int memory_from_flags(const struct update_flags *f, struct oci_memory *m,
			     struct berth_err **err)
{
	if (mem_flag("memory", f->memory, &m->limit, &m->has_limit, err) < 0 ||
	    mem_flag("memory-reservation", f->memory_reservation, &m->reservation,
		     &m->has_reservation, err) < 0 ||
	    mem_flag("memory-swap", f->memory_swap, &m->swap, &m->has_swap, err) < 0 ||
	    mem_flag("kernel-memory", f->kernel_memory, &m->kernel, &m->has_kernel, err) < 0 ||
	    mem_flag("kernel-memory-tcp", f->kernel_memory_tcp, &m->kernel_tcp, &m->has_kernel_tcp,
		     err) < 0)
		return -1;
	return 0;
}

static int cpu_from_flags(const struct update_flags *f, struct oci_cpu *c, struct berth_err **err)
{
	if (u64_flag("cpu-share", f->cpu_shares, &c->shares, &c->has_shares, err) < 0 ||
	    i64_flag("cpu-quota", f->cpu_quota, -1, INT64_MAX, &c->quota, &c->has_quota, err) < 0 ||
	    u64_flag("cpu-period", f->cpu_period, &c->period, &c->has_period, err) < 0 ||
	    i64_flag("cpu-rt-runtime", f->cpu_rt_runtime, -1, INT64_MAX, &c->realtime_runtime,
		     &c->has_realtime_runtime, err) < 0 ||
	    u64_flag("cpu-rt-period", f->cpu_rt_period, &c->realtime_period,
		     &c->has_realtime_period, err) < 0)
		return -1;
	c->cpus = xstrdup_or_null(f->cpuset_cpus);
	c->mems = xstrdup_or_null(f->cpuset_mems);
	return 0;
}

static int resources_from_flags(const struct update_flags *f, struct oci_resources **out,
				struct berth_err **err)
{
	cleanup(oci_resources_freep) struct oci_resources *r = xnew(struct oci_resources);
	int64_t weight = 0;
	bool has_weight = false;

	r->memory = xnew(struct oci_memory);
	r->cpu = xnew(struct oci_cpu);
	if (memory_from_flags(f, r->memory, err) < 0 || cpu_from_flags(f, r->cpu, err) < 0 ||
	    i64_flag("pids-limit", f->pids_limit, -1, INT64_MAX, &r->pids_limit, &r->has_pids_limit,
		     err) < 0 ||
	    i64_flag("blkio-weight", f->blkio_weight, 0, 1000, &weight, &has_weight, err) < 0)
		return -1;
	if (has_weight) {
		r->block_io = xnew(struct oci_block_io);
		r->block_io->has_weight = true;
		r->block_io->weight = (uint16_t)weight;
	}
	*out = take_ptr(r);
	return 0;
}

static int resources_from_file(const char *path, struct oci_resources **out, struct berth_err **err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	if (read_input(path, &buf, &len, err) < 0)
		return -1;
	return oci_resources_parse(buf, len, strcmp(path, "-") ? path : "resources", out, err);
}

static void usage(const struct cli_flag *flags)
{
	cli_flags_usage(
		"update [options] <container-id>",
		"Update container resource constraints. With --resources, the file (or\n"
		"stdin for '-') holds a LinuxResources JSON object, e.g.\n"
		"  {\"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0},\n"
		"   \"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, \"realtimeRuntime\": 0,\n"
		"           \"realtimePeriod\": 0, \"cpus\": \"\", \"mems\": \"\"},\n"
		"   \"blockIO\": {\"weight\": 0}, \"pids\": {\"limit\": 0}}\n"
		"(0 or an omitted value: unchanged), and all other options are ignored.\n"
		"Memory sizes take a unit: 512k, 64m, 1g; -1 means unlimited.",
		flags);
}

int cmd_update(struct cli *cli, int argc, char **argv, struct berth_err **err)
{
	cleanup(rt_container_freep) struct rt_container *c = NULL;
	cleanup(oci_resources_freep) struct oci_resources *res = NULL;
	struct update_flags f = {0};
	bool help = false;
	const struct cli_flag flags[] = {
		{"resources", 'r', CLI_STRING, &f.resources,
		 "file with the resources to update, or '-' for stdin"},
		{"blkio-weight", 0, CLI_STRING, &f.blkio_weight, "block IO weight (10-1000)"},
		{"cpu-period", 0, CLI_STRING, &f.cpu_period, "CPU CFS period (usecs)"},
		{"cpu-quota", 0, CLI_STRING, &f.cpu_quota, "CPU CFS hardcap limit (usecs)"},
		{"cpu-share", 0, CLI_STRING, &f.cpu_shares, "CPU shares (relative weight)"},
		{"cpu-shares", 0, CLI_STRING, &f.cpu_shares, "same as --cpu-share"},
		{"cpu-rt-period", 0, CLI_STRING, &f.cpu_rt_period, "CPU realtime period (usecs)"},
		{"cpu-rt-runtime", 0, CLI_STRING, &f.cpu_rt_runtime,
		 "CPU realtime runtime (usecs)"},
		{"cpuset-cpus", 0, CLI_STRING, &f.cpuset_cpus, "CPU(s) to use"},
		{"cpuset-mems", 0, CLI_STRING, &f.cpuset_mems, "memory node(s) to use"},
		{"memory", 0, CLI_STRING, &f.memory, "memory limit"},
		{"memory-reservation", 0, CLI_STRING, &f.memory_reservation, "memory soft limit"},
		{"memory-swap", 0, CLI_STRING, &f.memory_swap,
		 "memory + swap limit; -1: unlimited"},
		{"kernel-memory", 0, CLI_STRING, &f.kernel_memory,
		 "ignored with a warning, like runc"},
		{"kernel-memory-tcp", 0, CLI_STRING, &f.kernel_memory_tcp,
		 "ignored with a warning, like runc"},
		{"pids-limit", 0, CLI_STRING, &f.pids_limit,
		 "maximum number of pids; -1: unlimited"},
		{"l3-cache-schema", 0, CLI_STRING, &f.l3_cache_schema, "Intel RDT (not supported)"},
		{"mem-bw-schema", 0, CLI_STRING, &f.mem_bw_schema, "Intel RDT (not supported)"},
		{NULL},
	};
	int i = 1;

	if (cli_flags_parse(flags, argc, argv, &i, &help, err) < 0)
		return -1;
	if (help) {
		usage(flags);
		return 0;
	}
	if (cli_args_want("update", argc, i, 1, 1, err) < 0)
		return -1;
	if (f.resources) {
		if (resources_from_file(f.resources, &res, err) < 0)
			return berth_err_wrap(err, "update");
	} else {
		if (f.l3_cache_schema || f.mem_bw_schema)
			return berth_err_new(
				err, BERTH_E_UNIMPLEMENTED,
				"update: --%s: not supported (berth has no Intel RDT support)",
				f.l3_cache_schema ? "l3-cache-schema" : "mem-bw-schema");
		if (resources_from_flags(&f, &res, err) < 0)
			return berth_err_wrap(err, "update");
	}
	if (rt_container_load(&cli->ctx, argv[i], true, &c, err) < 0 ||
	    rt_container_update(c, res, err) < 0)
		return -1;
	return 0;
}
